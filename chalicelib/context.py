"""Per-request context set by the API layer: the request id (for per-request caches) and the
address the client reached the API at (for the links the API hands out)."""

from __future__ import annotations

from contextvars import ContextVar

current_request_id: ContextVar[str | None] = ContextVar("current_request_id", default=None)
# "https://abc123.execute-api.cn-north-1.amazonaws.com.cn/api", or a custom domain's root.
current_origin: ContextVar[str | None] = ContextVar("current_origin", default=None)

FALLBACK_ORIGIN = "http://127.0.0.1:8000"  # outside any request: the local stack's address


def public_url(configured: str = "") -> str:
    """Where clients reach the API: the configured address (a stage's custom domain), else
    the one the current request came through, else the local stack's."""
    return (configured or current_origin.get() or FALLBACK_ORIGIN).rstrip("/")
