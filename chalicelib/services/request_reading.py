"""Reading requests: a filer's own, a staff member's view, the timelines and comments, and each
role's work queue."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from chalicelib.domain.access import handles_for_department, is_department_head, sees_request
from chalicelib.domain.application_api import TimelinePage, TimelineQuery
from chalicelib.domain.county import is_region
from chalicelib.domain.identity import Role, StaffMember
from chalicelib.domain.request import ServiceRequest
from chalicelib.domain.request_api import (
    CommentPage,
    CommentView,
    RequestPage,
    RequestQueueQuery,
    RequestView,
)
from chalicelib.errors import Forbidden, NotFound
from chalicelib.paging import across
from chalicelib.services.request_cases import RequestCases
from chalicelib.services.request_views import (
    comment_view,
    hide_filer,
    summary,
)
from chalicelib.services.timelines import timeline_page
from chalicelib.store.request_lists import Queue, QueueKind
from chalicelib.store.table import Page, decode_key, encode_key


class RequestReading(RequestCases):
    def timeline_for_citizen(
        self, citizen_id: str, request_id: str, query: TimelineQuery
    ) -> TimelinePage:
        self._for_filer(citizen_id, request_id)
        return self._timeline(request_id, "filer", query)

    def timeline_for_staff(
        self, staff: StaffMember, request_id: str, query: TimelineQuery
    ) -> TimelinePage:
        req, _ = self._for_staff(staff, request_id)
        page = self._timeline(request_id, "staff", query)
        if req.anonymous:
            page.items = [hide_filer(e) for e in page.items]
        return page

    def view_for_citizen(self, citizen_id: str, request_id: str) -> RequestView:
        return self._view(*self._for_filer(citizen_id, request_id), "filer")

    def mine(self, citizen_id: str, limit: int, cursor: str | None) -> RequestPage:
        scope = f"requests:{citizen_id}"
        start = decode_key(self._cursors.decode(cursor, scope)) if cursor else None
        page = self._lists.owned(citizen_id, limit, start)
        now = self._clock.now()
        items = [summary(r, now) for r in page.items]
        next_cursor = (
            self._cursors.encode(encode_key(page.last_key), scope) if page.last_key else None
        )
        return RequestPage(items=items, next_cursor=next_cursor)

    def view_for_staff(self, staff: StaffMember, request_id: str) -> RequestView:
        return self._view_for(request_id, staff)

    def queue(self, staff: StaffMember, query: RequestQueueQuery) -> RequestPage:
        """The caller's work: a dispatcher's unit, a liaison officer's grid, a department's
        assignments, or — for supervisors and leaders — the overdue requests below them."""
        now = self._clock.now()
        kind: QueueKind
        if staff.role is Role.DISPATCHER:
            kind = "dispatch"
        elif staff.role is Role.LIAISON:
            kind = "grid"
        elif staff.department and (handles_for_department(staff) or is_department_head(staff)):
            kind = "department"
        elif staff.role in (Role.SUPERVISOR, Role.LEADER) and not staff.department:
            kind = "overdue"
        else:
            raise Forbidden("This role has no request queue.")
        scope = f"rq-queue:{staff.staff_id}:{query.status}:{query.overdue}"
        start = decode_key(self._cursors.decode(query.cursor, scope)) if query.cursor else None
        asked = Queue(
            kind,
            staff.jurisdiction,
            now,
            department=staff.department,
            status=query.status,
            overdue=query.overdue,
        )
        if is_region(staff.jurisdiction):  # a city's or a province's: each county's queue
            requests, last = across(
                self._reference.counties_within(staff.jurisdiction),
                lambda county, n, key: _items(
                    self._lists.queue(replace(asked, jurisdiction=county), n, key)
                ),
                query.limit,
                start,
            )
        else:
            requests, last = _items(self._lists.queue(asked, query.limit, start))
        next_cursor = self._cursors.encode(encode_key(last), scope) if last else None
        visible = [r for r in requests if sees_request(staff, r)]  # the one rule, always
        return RequestPage(items=[summary(r, now) for r in visible], next_cursor=next_cursor)

    def comments(self, citizen_id: str, request_id: str, query: TimelineQuery) -> CommentPage:
        self._for_filer(citizen_id, request_id)
        scope = f"comments|{request_id}|{citizen_id}"
        events, cursor = timeline_page(
            self._cursors,
            scope,
            query.cursor,
            query.limit,
            lambda limit, after: self._store.timeline(request_id, limit, after, type="comment"),
        )
        return CommentPage(items=[comment_view(e) for e in events], next_cursor=cursor)

    def comment_of(self, citizen_id: str, request_id: str, comment_id: str) -> CommentView:
        _, events = self._for_filer(citizen_id, request_id)
        found = next((e for e in events if e.event_id == comment_id and e.type == "comment"), None)
        if found is None:
            raise NotFound(f"No comment {comment_id} on this request.")
        return comment_view(found)


def _items(page: Page[ServiceRequest]) -> tuple[list[ServiceRequest], dict[str, Any] | None]:
    return page.items, page.last_key
