"""The dispatcher's moves on a citizen request (信息管理员): accept (受理), assign departments
jointly, conclude without a returned part, refuse (不予受理) and merge into an earlier request
of the same matter. `ServiceRequest` takes them in; each is checked against the request's
transition table and returns the timeline events it produces."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from chalicelib.domain.moves import Actor, TimelineEvent, new_event
from chalicelib.domain.request_parts import (
    DISPATCH_STATUSES,
    HANDLING_STATUSES,
    MAX_ASSIGNMENTS,
    MAX_MERGED,
    OPEN_STATUSES,
    Assignment,
    Moment,
    RequestStatus,
    Stage,
)
from chalicelib.errors import Conflict, FieldError

if TYPE_CHECKING:
    from chalicelib.domain.request import ServiceRequest


class DispatchMoves:
    """The dispatcher's moves (a mixin of `ServiceRequest`)."""

    def _accept_at(self: ServiceRequest, when: Moment) -> None:
        self.accepted_at = when.at
        self.resolution_due = when.due
        self.stage = Stage.RESOLUTION
        self.deadline = when.due

    def _with_dispatcher(self: ServiceRequest) -> None:
        if self.status not in DISPATCH_STATUSES:
            raise Conflict(f"A {self.status.value} request is no longer with the dispatcher.")

    def accept(
        self: ServiceRequest, by: Actor, when: Moment, note: str | None = None
    ) -> list[TimelineEvent]:
        """受理: the resolution clock starts (`when.due`)."""
        self._with_dispatcher()
        if self.status is not RequestStatus.SUBMITTED:
            raise Conflict("The request is already accepted.")
        self._move_to(RequestStatus.ACCEPTED)
        self._accept_at(when)
        return [new_event("accepted", "诉求已受理", "Accepted", by, when.at, comment=note)]

    def assign(
        self: ServiceRequest,
        names: Mapping[str, str],
        by: Actor,
        when: Moment,
        note: str | None = None,
    ) -> list[TimelineEvent]:
        """Assigns the departments `names` (code → name) jointly, accepting a submitted
        request; a department that returned its part gets it again in a new round, one that
        holds it is skipped; the dispatcher's pending decision on a return is taken."""
        if self.status not in HANDLING_STATUSES | {RequestStatus.SUBMITTED}:
            raise Conflict(f"A {self.status.value} request cannot be assigned.")
        added = []
        assignments = list(self.assignments)
        for code in names:
            current = self.assignment(code)
            if current is not None and current.status != "returned":
                continue
            fresh = Assignment(
                department=code,
                assigned_at=when.at,
                assigned_by=by.id or "",
                round=(current.round + 1) if current else 1,
            )
            assignments = [a for a in assignments if a.department != code] + [fresh]
            added.append(code)
        if not added:
            raise Conflict("Those departments already hold this request.")
        if len(assignments) > MAX_ASSIGNMENTS:
            raise Conflict(
                f"At most {MAX_ASSIGNMENTS} departments take part in one request.",
                errors=[FieldError("body.departments", "too many departments", "too_many")],
            )
        if self.status is RequestStatus.SUBMITTED:
            self._move_to(RequestStatus.ACCEPTED)
            self._accept_at(when)
        self.assignments = assignments
        self.needs_dispatch = False
        joint = "联合办理" if len(self.active()) > 1 else "办理"
        events = [
            new_event(
                "assigned",
                f"已分派至{'、'.join(names[d] for d in added)}{joint}",
                f"Assigned to {', '.join(added)}",
                by,
                when.at,
                comment=note,
                departments=added,
            )
        ]
        # new pending work: from replied, resolved-in-waiting or reopened back to assigned
        return events + self._settle(when)

    def conclude(
        self: ServiceRequest, by: Actor, when: Moment, note: str | None = None
    ) -> list[TimelineEvent]:
        """A department returned its part and no other needs to take it: the remaining
        departments' replies stand (resolved once they are all done)."""
        if not self.needs_dispatch or not self.active():
            raise Conflict(
                "Only a request that some (not all) of its departments returned is concluded "
                "this way; assign a department instead."
            )
        self.needs_dispatch = False
        concluded = new_event(
            "return_concluded",
            "退回部分无需改派，以其他承办单位的答复办结",
            "The returned part needs no other department: the other replies conclude it",
            by,
            when.at,
            comment=note,
        )
        return [concluded, *self._settle(when)]

    def _end(self: ServiceRequest, status: RequestStatus, at: datetime) -> None:
        self._move_to(status)
        self.closed_at = at
        self.stage = None
        self.deadline = None
        self.needs_dispatch = False

    def refuse(self: ServiceRequest, reason: str, by: Actor, at: datetime) -> list[TimelineEvent]:
        """不予受理, with the reason the filer is told."""
        self._with_dispatcher()
        self._end(RequestStatus.NOT_ACCEPTED, at)
        self.not_accepted_reason = reason
        return [new_event("not_accepted", "诉求不予受理", "Not accepted", by, at, comment=reason)]

    def merge_into(
        self: ServiceRequest,
        target: ServiceRequest,
        by: Actor,
        at: datetime,
        note: str | None = None,
    ) -> tuple[list[TimelineEvent], list[TimelineEvent]]:
        """Merges this request into `target`, an open request of the same matter (changed
        too: it lists this one); returns this request's events and the target's."""
        self._with_dispatcher()
        field = "body.merge_into"
        if target.request_id == self.request_id:
            raise Conflict(
                "A request cannot be merged into itself.",
                errors=[FieldError(field, "same request", "same")],
            )
        if target.private != self.private:
            raise Conflict(
                "A private request merges only with a private one, a public with a public.",
                errors=[FieldError(field, "private and public differ", "privacy")],
            )
        if target.status not in OPEN_STATUSES:
            raise Conflict(f"Request {target.number} is {target.status.value}.")
        if len(target.merged) >= MAX_MERGED:
            raise Conflict(f"Request {target.number} has {MAX_MERGED} merged already.")
        target.merged.append(self.request_id)
        self._end(RequestStatus.MERGED, at)
        self.merged_into = target.request_id
        self.merged_into_number = target.number
        merged = new_event(
            "merged",
            f"与诉求{target.number}合并办理",
            f"Merged into {target.number}",
            by,
            at,
            comment=note,
            merged_into=target.request_id,
        )
        merged_in = new_event(
            "merged_in",
            f"合并了同一事项的诉求{self.number}",
            f"Request {self.number} on the same matter merged into this one",
            by,
            at,
            merged=self.request_id,
        )
        return [merged], [merged_in]
