"""Handling: a department's replies (progress or done) and the liaison officer's visits,
the follow-up visit after a bad rating included."""

from __future__ import annotations

from chalicelib.domain.identity import StaffMember
from chalicelib.domain.request import (
    MAX_PROGRESS_REPLIES,
    MAX_VISITS,
    OPEN_STATUSES,
    Reply,
    RequestStatus,
    Visit,
    staff_upload_owner,
)
from chalicelib.domain.request_api import FollowUpVisit, ReplyRequest, RequestView, VisitRequest
from chalicelib.errors import Conflict, FieldError
from chalicelib.services.cases import event, staff_actor
from chalicelib.services.request_cases import RequestCases


class RequestHandling(RequestCases):
    def reply(self, staff: StaffMember, request_id: str, body: ReplyRequest) -> RequestView:
        before, history = self._for_staff(staff, request_id)
        req = before.model_copy(deep=True)
        assignment = self._pending_assignment(staff, req)
        now = self._clock.now()
        progress = sum(not r.done for a in req.assignments for r in a.replies)
        if not body.done and progress >= MAX_PROGRESS_REPLIES:
            raise Conflict(
                f"A request keeps at most {MAX_PROGRESS_REPLIES} progress replies; "
                "reply done: true when it is done."
            )
        photos, claims = self._photos(
            staff_upload_owner(staff.staff_id), body.photos, "body.photos", req.request_id
        )
        assignment.replies.append(
            Reply(at=now, by=staff_actor(staff), text=body.text, done=body.done, photos=photos)
        )
        if body.done:
            assignment.status = "done"
            assignment.done_at = now
        name = self._reference.departments()[assignment.department].name
        events = [
            event(
                self._clock,
                "replied",
                f"{name}{'答复：已办结' if body.done else '答复办理进展'}",
                f"{assignment.department} replied{' (done)' if body.done else ''}",
                staff_actor(staff),
                comment=body.text,
                at=now,
                done=body.done,
            )
        ]
        self._settle(req, now, events)
        self._save(before, req, events, claims)
        return self._staff_view(req, history + events)

    def visit(self, staff: StaffMember, request_id: str, body: VisitRequest) -> RequestView:
        """A liaison officer's visit (the route admits liaison officers only)."""
        visit = body.root
        before, history = self._for_staff(staff, request_id)
        req = before.model_copy(deep=True)
        now = self._clock.now()
        if len(req.visits) >= MAX_VISITS:
            raise Conflict(f"A request keeps at most {MAX_VISITS} visits.")
        resolves = not isinstance(visit, FollowUpVisit) and visit.resolves
        if isinstance(visit, FollowUpVisit):
            if (
                req.rectification is None
                or req.rectification.closed_at is not None
                or req.rectification.follow_up != "pending"
            ):
                raise Conflict("No follow-up visit (回访) is due on this request.")
            req.rectification.follow_up = "done"
        elif req.status not in OPEN_STATUSES and req.status is not RequestStatus.RESOLVED:
            raise Conflict(f"The request is {req.status.value}.")
        if resolves and (req.status is not RequestStatus.ACCEPTED or req.active()):
            raise Conflict(
                "Only a visit to an accepted request no department holds resolves it.",
                errors=[FieldError("body.resolves", "not allowed now", "state")],
            )
        photos, claims = self._photos(
            staff_upload_owner(staff.staff_id), visit.photos, "body.photos", req.request_id
        )
        follow_up = visit.kind == "follow_up"
        req.visits.append(
            Visit(
                at=now,
                by=staff_actor(staff),
                kind=visit.kind,
                note=visit.note,
                resident_satisfied=visit.resident_satisfied,
                photos=photos,
            )
        )
        events = [
            event(
                self._clock,
                "follow_up_visit" if follow_up else "visit",
                "民情联络员回访" if follow_up else "民情联络员上门走访",
                "Follow-up visit by the liaison officer"
                if follow_up
                else "Visit by the liaison officer",
                staff_actor(staff),
                comment=visit.note,
                at=now,
                resident_satisfied=visit.resident_satisfied,
            )
        ]
        if resolves:
            self._resolve(
                req,
                now,
                events,
                "民情联络员现场解决，请群众评价",
                "Solved on the spot by the liaison officer; the filer is asked to rate it",
            )
        elif follow_up:
            self._settle(req, now, events)
        self._save(before, req, events, claims)
        return self._staff_view(req, history + events)
