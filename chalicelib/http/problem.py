"""RFC 9457 problem details: the one place that turns errors into HTTP responses."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from chalice import Response
from pydantic import BaseModel, ConfigDict

from chalicelib.errors import DomainError, FieldError, RetryLater

PROBLEM_CONTENT_TYPE = "application/problem+json"
# Every problem's `type` is this base plus a slug: one scheme for the app's own errors, the
# gateway's (infra/template.py renders the same URIs) and the local server's.
PROBLEM_TYPE_BASE = "https://bianmin.example/problems/"

# The slug of an error the app did not raise as a DomainError (the gateway, the server).
STATUS_SLUGS: dict[int, str] = {
    400: "malformed-request",
    401: "not-authenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    409: "conflict",
    412: "precondition-failed",
    413: "request-too-large",
    414: "uri-too-long",
    415: "unsupported-media-type",
    422: "validation-error",
    429: "rate-limited",
    431: "headers-too-large",
    500: "internal-error",
    501: "not-implemented",
    502: "bad-gateway",
    503: "unavailable",
    504: "gateway-timeout",
}


def problem_type(status: int, slug: str | None = None) -> str:
    fallback = "client-error" if status < 500 else "server-error"
    return PROBLEM_TYPE_BASE + (slug or STATUS_SLUGS.get(status, fallback))


class ProblemFieldError(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")
    field: str
    message: str
    type: str


class Problem(BaseModel):
    """The body of every error response."""

    model_config = ConfigDict(defer_build=True, extra="forbid")
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
        type=problem_type(status, slug),
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
    if isinstance(error, RetryLater):
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


def geo_report_errors(response: Response, path: str) -> Response:
    """Any error under /open311/v2/ as a GeoReport v2 error array (the routes answer their
    own errors so; this catches what Chalice or the 405 routes answered otherwise)."""
    if response.status_code < 400:
        return response
    content_type = {k.lower(): v for k, v in response.headers.items()}.get("content-type", "")
    if not content_type.startswith(PROBLEM_CONTENT_TYPE) and not isinstance(response.body, dict):
        return response  # already an error array (JSON or XML)
    body = response.body
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError:
            body = {}
    detail = HTTPStatus(response.status_code).phrase
    if isinstance(body, dict):
        detail = str(body.get("detail") or body.get("Message") or body.get("message") or detail)
    if response.status_code >= 500:
        detail = "An internal error occurred; it has been logged."
    errors = [{"code": response.status_code, "description": detail}]
    kept = {k: v for k, v in response.headers.items() if k.lower() != "content-type"}
    if path.endswith(".xml"):
        from xml.sax.saxutils import escape

        text = (
            '<?xml version="1.0" encoding="utf-8"?><errors><error>'
            f"<code>{response.status_code}</code><description>{escape(detail)}</description>"
            "</error></errors>"
        )
        return Response(
            body=text,
            status_code=response.status_code,
            headers={**kept, "Content-Type": "text/xml; charset=utf-8"},
        )
    return Response(
        body=json.dumps(errors, ensure_ascii=False),
        status_code=response.status_code,
        headers={**kept, "Content-Type": "application/json; charset=utf-8"},
    )
