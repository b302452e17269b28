"""Domain exceptions. Services raise these; chalicelib/http/problem.py maps them to HTTP once."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FieldError:
    """One failing input: where (`body.materials[0].code`) and why."""

    field: str
    message: str
    type: str = "invalid"


class DomainError(Exception):
    """Base of every error a caller can cause or see."""

    status = 400
    title = "Bad request"
    slug = "bad-request"

    def __init__(self, detail: str, *, errors: list[FieldError] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []


class InvalidInput(DomainError):
    status = 422
    title = "Invalid input"
    slug = "validation-error"


class MalformedRequest(DomainError):
    status = 400
    title = "Malformed request"
    slug = "malformed-request"


class UnsupportedMediaType(DomainError):
    status = 415
    title = "Unsupported media type"
    slug = "unsupported-media-type"


class NotAuthenticated(DomainError):
    status = 401
    title = "Not authenticated"
    slug = "not-authenticated"


class Forbidden(DomainError):
    status = 403
    title = "Forbidden"
    slug = "forbidden"


class NotFound(DomainError):
    status = 404
    title = "Not found"
    slug = "not-found"


class Conflict(DomainError):
    status = 409
    title = "Conflict"
    slug = "conflict"


class PreconditionFailed(DomainError):
    status = 412
    title = "Precondition failed"
    slug = "precondition-failed"


@dataclass
class RateLimited(DomainError):
    detail: str
    retry_after_seconds: int = 60
    errors: list[FieldError] = field(default_factory=list)
    status = 429
    title = "Too many requests"
    slug = "rate-limited"

    def __post_init__(self) -> None:
        Exception.__init__(self, self.detail)
