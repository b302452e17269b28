"""Handling: a department's replies (progress or done) and the liaison officer's visits,
the follow-up visit after a bad rating included. The moves are the request's own."""

from __future__ import annotations

from chalicelib.domain.identity import StaffMember
from chalicelib.domain.request_api import FollowUpVisit, ReplyRequest, RequestView, VisitRequest
from chalicelib.domain.request_parts import Visit, staff_upload_owner
from chalicelib.services.cases import staff_actor
from chalicelib.services.request_cases import RequestCases


class RequestHandling(RequestCases):
    def reply(self, staff: StaffMember, request_id: str, body: ReplyRequest) -> RequestView:
        before, history = self._for_staff(staff, request_id)
        req = before.model_copy(deep=True)
        department = req.pending_part(staff.department).department
        photos, claims = self._photos(
            staff_upload_owner(staff.staff_id), body.photos, "body.photos", req.request_id
        )
        events = req.reply(
            department,
            self._reference.departments(req.county)[department].name,
            body.text,
            body.done,
            photos,
            staff_actor(staff),
            self._moment(req),
        )
        self._save(before, req, events, claims)
        return self._staff_view(req, history + events)

    def visit(self, staff: StaffMember, request_id: str, body: VisitRequest) -> RequestView:
        """A liaison officer's visit (the route admits liaison officers only)."""
        visit = body.root
        before, history = self._for_staff(staff, request_id)
        req = before.model_copy(deep=True)
        photos, claims = self._photos(
            staff_upload_owner(staff.staff_id), visit.photos, "body.photos", req.request_id
        )
        when = self._moment(req)
        record = Visit(
            at=when.at,
            by=staff_actor(staff),
            kind=visit.kind,
            note=visit.note,
            resident_satisfied=visit.resident_satisfied,
            photos=photos,
        )
        resolves = not isinstance(visit, FollowUpVisit) and visit.resolves
        events = req.visit(record, resolves, when)
        self._save(before, req, events, claims)
        return self._staff_view(req, history + events)
