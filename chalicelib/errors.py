"""Domain exceptions. Services raise these; chalicelib/http/problem.py maps them to HTTP once."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import ValidationError


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
class RetryLater(DomainError):
    """An error that says when the same request may be sent again (`Retry-After`)."""

    detail: str
    retry_after_seconds: int = 60
    errors: list[FieldError] = field(default_factory=list)

    def __post_init__(self) -> None:
        Exception.__init__(self, self.detail)


@dataclass
class RateLimited(RetryLater):
    status = 429
    title = "Too many requests"
    slug = "rate-limited"


@dataclass
class Busy(RetryLater):
    """DynamoDB kept refusing a write for reasons that are not the caller's (another
    transaction on the same item at that instant, throttling) after the retries: nothing was
    written, and the same request may simply be sent again."""

    retry_after_seconds: int = 1
    status = 503
    title = "Busy, try again"
    slug = "busy"


def _field_path(prefix: str, loc: tuple[int | str, ...], data: object) -> str:
    """`body.applicant.credit_code`: the input's own path. pydantic puts the branch tag of a
    discriminated union into `loc` (`applicant.enterprise.credit_code`); a part that is no key
    of the input there but one of its values is such a tag, and is left out."""
    path = prefix
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
            data = data[part] if isinstance(data, list) and 0 <= part < len(data) else None
            continue
        if (
            isinstance(data, dict)
            and part not in data
            and (part in data.values() or part[:1].isupper())
        ):
            continue  # a union's branch: its tag, or its model's name (fields are lower case)
        path += f".{part}"
        data = data.get(part) if isinstance(data, dict) else None
    return path


def validation_errors(prefix: str, error: ValidationError, data: object = None) -> list[FieldError]:
    """pydantic's errors as field errors (`body.review.departments[1]`); with the input
    `data`, union tags are left out of the paths and a missing or unknown tag is the
    discriminator field's error."""
    found = []
    for e in error.errors(include_url=False):
        field = _field_path(prefix, tuple(e["loc"]), data)
        if e["type"] in ("union_tag_not_found", "union_tag_invalid"):
            tag = e.get("ctx", {}).get("discriminator", "")
            field += f".{tag.strip(chr(39))}" if tag else ""
        found.append(FieldError(field=field, message=e["msg"], type=e["type"]))
    return found
