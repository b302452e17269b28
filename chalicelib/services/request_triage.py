"""Triage and joint handling: a dispatcher accepts, assigns (to several departments jointly),
concludes, refuses or merges a request; a department returns its part."""

from __future__ import annotations

from datetime import datetime

from chalicelib.domain.access import sees_request
from chalicelib.domain.application import (
    TimelineEvent,
)
from chalicelib.domain.identity import StaffMember
from chalicelib.domain.request import (
    DISPATCH_STATUSES,
    HANDLING_STATUSES,
    MAX_ASSIGNMENTS,
    MAX_MERGED,
    OPEN_STATUSES,
    Assignment,
    RequestStatus,
    ServiceRequest,
    settled_status,
)
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
from chalicelib.services.cases import event, staff_actor
from chalicelib.services.request_cases import RequestCases
from chalicelib.services.request_views import (
    public_record,
)
from chalicelib.store.requests import Change


class RequestTriage(RequestCases):
    def triage(self, staff: StaffMember, request_id: str, body: TriageRequest) -> RequestView:
        """The dispatcher's decision; see the actions of `TriageRequest`."""
        before, history = self._for_staff(staff, request_id)
        req = before.model_copy(deep=True)
        now = self._clock.now()
        action = body.root
        events: list[TimelineEvent] = []
        also: list[Change] = []
        if isinstance(action, AssignTriage):
            self._assign(staff, req, action, now, events)
        elif isinstance(action, ConcludeTriage):
            self._conclude(staff, req, action, now, events)
        elif req.status not in DISPATCH_STATUSES:
            raise Conflict(f"A {req.status.value} request is no longer with the dispatcher.")
        elif isinstance(action, AcceptTriage):
            if req.status is not RequestStatus.SUBMITTED:
                raise Conflict("The request is already accepted.")
            self._accept(req, now)
            req.status = RequestStatus.ACCEPTED
            events.append(
                event(
                    self._clock,
                    "accepted",
                    "诉求已受理",
                    "Accepted",
                    staff_actor(staff),
                    comment=action.note,
                    at=now,
                )
            )
        elif isinstance(action, NotAcceptTriage):
            self._refuse(staff, req, action, now, events)
        else:
            also = [self._merge(staff, req, action, now, events)]
        self._save(before, req, events, None, also)
        return self._staff_view(req, history + events)

    def _assign(
        self,
        staff: StaffMember,
        req: ServiceRequest,
        action: AssignTriage,
        now: datetime,
        events: list[TimelineEvent],
    ) -> None:
        """Assigns departments jointly; a department that returned its part can be assigned
        again (a new round), and the dispatcher's pending decision on a return is taken."""
        if req.status not in HANDLING_STATUSES | {RequestStatus.SUBMITTED}:
            raise Conflict(f"A {req.status.value} request cannot be assigned.")
        departments = self._reference.departments()
        unknown = [
            FieldError(f"body.departments[{i}]", "not a department of this county", "unknown")
            for i, d in enumerate(action.departments)
            if d not in departments
        ]
        if unknown:
            raise NotFound("No such departments.", errors=unknown)
        unstaffed = [
            FieldError(f"body.departments[{i}]", "nobody in it handles requests", "unstaffed")
            for i, d in enumerate(action.departments)
            if not self._roster.handlers(d)
        ]
        if unstaffed:
            raise Conflict("Nobody in these departments could act on it.", errors=unstaffed)
        if req.status is RequestStatus.SUBMITTED:
            self._accept(req, now)
            req.status = RequestStatus.ACCEPTED
        added = []
        for code in action.departments:
            current = req.assignment(code)
            if current is not None and current.status != "returned":
                continue
            fresh = Assignment(
                department=code,
                assigned_at=now,
                assigned_by=staff.staff_id,
                round=(current.round + 1) if current else 1,
            )
            req.assignments = [a for a in req.assignments if a.department != code] + [fresh]
            added.append(code)
        if not added:
            raise Conflict("Those departments already hold this request.")
        if len(req.assignments) > MAX_ASSIGNMENTS:
            raise Conflict(
                f"At most {MAX_ASSIGNMENTS} departments take part in one request.",
                errors=[FieldError("body.departments", "too many departments", "too_many")],
            )
        names = "、".join(departments[d].name for d in added)
        events.append(
            event(
                self._clock,
                "assigned",
                f"已分派至{names}{'联合办理' if len(req.active()) > 1 else '办理'}",
                f"Assigned to {', '.join(added)}",
                staff_actor(staff),
                comment=action.note,
                at=now,
                departments=added,
            )
        )
        req.needs_dispatch = False
        req.status = settled_status(req)  # new pending work: assigned, replied or reopened

    def _conclude(
        self,
        staff: StaffMember,
        req: ServiceRequest,
        action: ConcludeTriage,
        now: datetime,
        events: list[TimelineEvent],
    ) -> None:
        """A department returned its part and no other needs to take it: the remaining
        departments' replies stand (resolved once they are all done)."""
        if not req.needs_dispatch or not req.active():
            raise Conflict(
                "Only a request that some (not all) of its departments returned is concluded "
                "this way; assign a department instead."
            )
        req.needs_dispatch = False
        events.append(
            event(
                self._clock,
                "return_concluded",
                "退回部分无需改派，以其他承办单位的答复办结",
                "The returned part needs no other department: the other replies conclude it",
                staff_actor(staff),
                comment=action.note,
                at=now,
            )
        )
        self._settle(req, now, events)

    def _refuse(
        self,
        staff: StaffMember,
        req: ServiceRequest,
        action: NotAcceptTriage,
        now: datetime,
        events: list[TimelineEvent],
    ) -> None:
        req.status = RequestStatus.NOT_ACCEPTED
        req.not_accepted_reason = action.reason
        req.closed_at = now
        req.stage = None
        req.deadline = None
        req.needs_dispatch = False
        events.append(
            event(
                self._clock,
                "not_accepted",
                "诉求不予受理",
                "Not accepted",
                staff_actor(staff),
                comment=action.reason,
                at=now,
            )
        )
        self._notify(req, f"您的诉求{req.number}不予受理：{action.reason}")

    def _merge(
        self,
        staff: StaffMember,
        req: ServiceRequest,
        action: MergeTriage,
        now: datetime,
        events: list[TimelineEvent],
    ) -> Change:
        """Merges `req` into an open request of the same matter; returns the target's change
        (written in the same transaction)."""
        field = "body.merge_into"
        if action.merge_into == req.request_id:
            raise Conflict(
                "A request cannot be merged into itself.",
                errors=[FieldError(field, "same request", "same")],
            )
        loaded = self._load(action.merge_into)
        if loaded is None or not sees_request(staff, loaded[0]):
            raise NotFound(
                "No such request to merge into.",
                errors=[FieldError(field, "unknown request", "unknown")],
            )
        target_before = loaded[0]
        if target_before.private != req.private:
            raise Conflict(
                "A private request merges only with a private one, a public with a public.",
                errors=[FieldError(field, "private and public differ", "privacy")],
            )
        if target_before.status not in OPEN_STATUSES:
            raise Conflict(f"Request {target_before.number} is {target_before.status.value}.")
        if len(target_before.merged) >= MAX_MERGED:
            raise Conflict(f"Request {target_before.number} has {MAX_MERGED} merged already.")
        target = target_before.model_copy(deep=True)
        target.merged.append(req.request_id)
        target.rev += 1
        target.updated_at = now
        req.status = RequestStatus.MERGED
        req.merged_into = target.request_id
        req.merged_into_number = target.number
        req.closed_at = now
        req.stage = None
        req.deadline = None
        req.needs_dispatch = False
        events.append(
            event(
                self._clock,
                "merged",
                f"与诉求{target.number}合并办理",
                f"Merged into {target.number}",
                staff_actor(staff),
                comment=action.note,
                at=now,
                merged_into=target.request_id,
            )
        )
        merged_note = event(
            self._clock,
            "merged_in",
            f"合并了同一事项的诉求{req.number}",
            f"Request {req.number} on the same matter merged into this one",
            staff_actor(staff),
            at=now,
            merged=req.request_id,
        )
        return Change(
            target_before,
            target,
            [merged_note],
            public_record(target, self._reference.departments()),
        )

    def return_request(
        self, staff: StaffMember, request_id: str, body: ReturnRequest
    ) -> RequestView:
        """退单: the department hands its part back to the dispatcher. Whatever the others
        have done stays; the dispatcher reassigns the returned part or concludes without it."""
        before, history = self._for_staff(staff, request_id)
        req = before.model_copy(deep=True)
        assignment = self._pending_assignment(staff, req)
        now = self._clock.now()
        assignment.status = "returned"
        assignment.returned_at = now
        assignment.return_reason = body.reason
        req.needs_dispatch = True
        req.dispatch_since = now
        name = self._reference.departments()[assignment.department].name
        rest = "，退回部分待信息管理员改派" if req.active() else ""
        events = [
            event(
                self._clock,
                "returned",
                f"{name}退单：非本单位职责{rest}",
                f"Returned by {assignment.department}: not theirs"
                + ("; the dispatcher reassigns that part" if req.active() else ""),
                staff_actor(staff),
                comment=body.reason,
                at=now,
                suggested=body.suggested_departments,
            )
        ]
        self._settle(req, now, events)
        self._save(before, req, events)
        return self._staff_view(req, history + events)
