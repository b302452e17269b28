"""Triage and joint handling: a dispatcher accepts, assigns (to several departments jointly),
concludes, refuses or merges a request; a department returns its part. The moves and their
rules are the request's own (`ServiceRequest`); this checks the county's reference data,
loads, calls and saves."""

from __future__ import annotations

from datetime import datetime

from chalicelib.domain.access import sees_request
from chalicelib.domain.identity import StaffMember
from chalicelib.domain.moves import TimelineEvent
from chalicelib.domain.request import ServiceRequest
from chalicelib.domain.request_api import (
    AcceptTriage,
    AssignTriage,
    ConcludeTriage,
    MergeTriage,
    NotAcceptTriage,
    RequestView,
    ReturnRequest,
    TriageRequest,
)
from chalicelib.errors import Conflict, FieldError, NotFound
from chalicelib.services.cases import staff_actor
from chalicelib.services.request_cases import RequestCases
from chalicelib.services.request_views import public_record
from chalicelib.store.requests import Change


class RequestTriage(RequestCases):
    def triage(self, staff: StaffMember, request_id: str, body: TriageRequest) -> RequestView:
        """The dispatcher's decision; see the actions of `TriageRequest`."""
        before, history = self._for_staff(staff, request_id)
        req = before.model_copy(deep=True)
        when = self._moment(req)
        by = staff_actor(staff)
        action = body.root
        also: list[Change] = []
        events: list[TimelineEvent]
        if isinstance(action, AssignTriage):
            assignable = self._assignable(req.county, action.departments)
            events = req.assign(assignable, by, when, action.note)
        elif isinstance(action, ConcludeTriage):
            events = req.conclude(by, when, action.note)
        elif isinstance(action, AcceptTriage):
            events = req.accept(by, when, action.note)
        elif isinstance(action, NotAcceptTriage):
            events = req.refuse(action.reason, by, when.at)
        else:
            events, change = self._merge(staff, req, action, when.at)
            also = [change]
        self._save(before, req, events, None, also)
        return self._staff_view(req, history + events)

    def _assignable(self, county: str, codes: list[str]) -> dict[str, str]:
        """The departments to assign, code → name: each must be one of the county's and
        have someone who handles requests (each failure names its department)."""
        departments = self._reference.departments(county)
        unknown = [
            FieldError(f"body.departments[{i}]", "not a department of this county", "unknown")
            for i, d in enumerate(codes)
            if d not in departments
        ]
        if unknown:
            raise NotFound("No such departments.", errors=unknown)
        unstaffed = [
            FieldError(f"body.departments[{i}]", "nobody in it handles requests", "unstaffed")
            for i, d in enumerate(codes)
            if not self._roster.handlers(county, d)
        ]
        if unstaffed:
            raise Conflict("Nobody in these departments could act on it.", errors=unstaffed)
        return {d: departments[d].name for d in codes}

    def _merge(
        self, staff: StaffMember, req: ServiceRequest, action: MergeTriage, now: datetime
    ) -> tuple[list[TimelineEvent], Change]:
        """Merges `req` into an open request of the same matter the dispatcher sees; returns
        `req`'s events and the target's change (written in the same transaction)."""
        loaded = None if action.merge_into == req.request_id else self._load(action.merge_into)
        if action.merge_into != req.request_id and (
            loaded is None or not sees_request(staff, loaded[0])
        ):
            raise NotFound(
                "No such request to merge into.",
                errors=[FieldError("body.merge_into", "unknown request", "unknown")],
            )
        target_before = loaded[0] if loaded else req
        target = target_before.model_copy(deep=True)
        events, target_events = req.merge_into(target, staff_actor(staff), now, action.note)
        target.rev += 1
        target.updated_at = now
        change = Change(
            target_before,
            target,
            target_events,
            public_record(target, self._reference.departments(target.county)),
        )
        return events, change

    def return_request(
        self, staff: StaffMember, request_id: str, body: ReturnRequest
    ) -> RequestView:
        """退单: the department hands its part back to the dispatcher."""
        before, history = self._for_staff(staff, request_id)
        req = before.model_copy(deep=True)
        department = req.pending_part(staff.department).department
        events = req.return_part(
            department,
            self._reference.departments(req.county)[department].name,
            body.reason,
            body.suggested_departments,
            staff_actor(staff),
            self._moment(req),
        )
        self._save(before, req, events)
        return self._staff_view(req, history + events)
