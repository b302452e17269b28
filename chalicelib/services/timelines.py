"""A case's timeline as views carry it (its latest events) and as the timeline routes page
it (newest first), for both kinds of case."""

from __future__ import annotations

from collections.abc import Callable

from chalicelib.domain.moves import TimelineEvent
from chalicelib.errors import NotFound
from chalicelib.paging import CursorCodec
from chalicelib.store.table import Page

VIEW_EVENTS = 50  # a case's view carries its latest events; the timeline route pages the rest


def latest_events(
    events: list[TimelineEvent], cursors: CursorCodec, scope: str
) -> tuple[list[TimelineEvent], str | None]:
    """The view's window on a timeline (oldest first): its latest events, and a cursor to
    the older ones when there are more."""
    if len(events) <= VIEW_EVENTS:
        return events, None
    window = events[-VIEW_EVENTS:]
    position = {"event": window[0].event_id}
    return window, cursors.encode(position, scope)


def timeline_page(
    cursors: CursorCodec,
    scope: str,
    cursor: str | None,
    limit: int,
    fetch: Callable[[int, str | None], Page[TimelineEvent]],
) -> tuple[list[TimelineEvent], str | None]:
    """A page of a timeline, newest first, from `fetch(limit, after)`: a store's events of
    the case older than event `after` (None: from the newest)."""
    after = None
    if cursor:
        position = cursors.decode(cursor, scope)
        after = position.get("event") if isinstance(position, dict) else None
        if (
            after is None
            and isinstance(position, dict)
            and str(position.get("sk", "")).startswith("EV#")
        ):
            after = str(position["sk"])[3:]  # a cursor issued before timelines paged by event
        if not isinstance(after, str) or not after:
            raise NotFound("No such page of this timeline.")
    page = fetch(limit, after)
    events = page.items
    next_cursor = None
    if page.last_key and events:
        next_cursor = cursors.encode({"event": events[-1].event_id}, scope)
    return events, next_cursor
