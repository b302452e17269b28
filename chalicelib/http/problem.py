"""RFC 9457 problem details: the one place that turns errors into HTTP responses."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from chalice import Response
from pydantic import BaseModel, ConfigDict

from chalicelib.errors import DomainError, FieldError, RateLimited

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://bianmin.example/problems/"


class ProblemFieldError(BaseModel):
    model_config = ConfigDict(extra="forbid")
    field: str
    message: str
    type: str


class Problem(BaseModel):
    """The body of every error response."""

    model_config = ConfigDict(extra="forbid")
    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[ProblemFieldError] = []


def problem_body(
    status: int,
    detail: str,
    *,
    slug: str | None = None,
    title: str | None = None,
    instance: str | None = None,
    errors: list[FieldError] | None = None,
) -> dict[str, Any]:
    phrase = HTTPStatus(status).phrase
    problem = Problem(
        type=PROBLEM_TYPE_BASE + slug if slug else "about:blank",
        title=title or phrase,
        status=status,
        detail=detail,
        instance=instance,
        errors=[
            ProblemFieldError(field=e.field, message=e.message, type=e.type) for e in errors or []
        ],
    )
    body = problem.model_dump(exclude_none=True)
    if not problem.errors:
        del body["errors"]
    return body


def problem_response(
    status: int,
    detail: str,
    *,
    slug: str | None = None,
    title: str | None = None,
    instance: str | None = None,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body = problem_body(status, detail, slug=slug, title=title, instance=instance, errors=errors)
    return Response(
        body=json.dumps(body, ensure_ascii=False),
        status_code=status,
        headers={"Content-Type": PROBLEM_CONTENT_TYPE, **(headers or {})},
    )


def from_domain_error(error: DomainError, instance: str | None = None) -> Response:
    headers = {}
    if isinstance(error, RateLimited):
        headers["Retry-After"] = str(error.retry_after_seconds)
    return problem_response(
        error.status,
        error.detail,
        slug=error.slug,
        title=error.title,
        instance=instance,
        errors=error.errors,
        headers=headers,
    )


def normalise_error_response(response: Response, instance: str | None) -> Response:
    """Rewrites an error Chalice produced itself (405, 415, 500 …) as problem+json."""
    if response.status_code < 400:
        return response
    content_type = {k.lower(): v for k, v in response.headers.items()}.get("content-type", "")
    if content_type.startswith(PROBLEM_CONTENT_TYPE):
        return response
    detail = HTTPStatus(response.status_code).phrase
    body = response.body
    if isinstance(body, dict):
        detail = str(body.get("Message") or body.get("message") or detail)
    if response.status_code >= 500:
        detail = "An internal error occurred; it has been logged."
    kept = {k: v for k, v in response.headers.items() if k.lower() not in {"content-type"}}
    return problem_response(response.status_code, detail, instance=instance, headers=kept)
