"""The id of the request being handled, for per-request caches (set by the api decorator)."""

from __future__ import annotations

from contextvars import ContextVar

current_request_id: ContextVar[str | None] = ContextVar("current_request_id", default=None)
