"""The handling of a citizen request: a department's part (reply, return 退单), the liaison
officer's visits, and where the parts add up to (the joint-handling table, `settled_status`).
`ServiceRequest` takes these moves in; each returns the timeline events it produces."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.domain.moves import SYSTEM, Actor, TimelineEvent, new_event
from chalicelib.domain.request_parts import (
    HANDLING_STATUSES,
    MAX_PROGRESS_REPLIES,
    MAX_VISITS,
    OPEN_STATUSES,
    Assignment,
    Moment,
    Photo,
    Reply,
    RequestStatus,
    Stage,
    Visit,
)
from chalicelib.errors import Conflict, FieldError, Forbidden

if TYPE_CHECKING:
    from chalicelib.domain.request import ServiceRequest


class HandlingMoves:
    """The departments' and liaison officers' moves (a mixin of `ServiceRequest`)."""

    def pending_part(self: ServiceRequest, department: str | None) -> Assignment:
        """`department`'s part, if it is pending (else 403 or 409)."""
        assignment = self.assignment(department) if department else None
        if assignment is None:
            raise Forbidden("Your department has no part in this request.")
        if self.status not in HANDLING_STATUSES:
            raise Conflict(f"The request is {self.status.value}.")
        if assignment.status == "returned":
            raise Conflict("Your department returned its part of this request.")
        if assignment.status != "pending":
            raise Conflict("Your department has already replied that it is done.")
        return assignment

    def return_part(
        self: ServiceRequest,
        department: str,
        name: str,
        reason: str,
        suggested: list[str],
        by: Actor,
        when: Moment,
    ) -> list[TimelineEvent]:
        """退单: the department hands its part back to the dispatcher. Whatever the others
        have done stays; the dispatcher reassigns the returned part or concludes without it."""
        assignment = self.pending_part(department)
        assignment.status = "returned"
        assignment.returned_at = when.at
        assignment.return_reason = reason
        self.needs_dispatch = True
        self.dispatch_since = when.at
        others = bool(self.active())
        returned = new_event(
            "returned",
            f"{name}退单：非本单位职责{'，退回部分待信息管理员改派' if others else ''}",
            f"Returned by {department}: not theirs"
            + ("; the dispatcher reassigns that part" if others else ""),
            by,
            when.at,
            comment=reason,
            suggested=suggested,
        )
        return [returned, *self._settle(when)]

    def reply(
        self: ServiceRequest,
        department: str,
        name: str,
        text: str,
        done: bool,
        photos: list[Photo],
        by: Actor,
        when: Moment,
    ) -> list[TimelineEvent]:
        """A department's reply: progress, or done (its part is finished)."""
        assignment = self.pending_part(department)
        progress = sum(not r.done for a in self.assignments for r in a.replies)
        if not done and progress >= MAX_PROGRESS_REPLIES:
            raise Conflict(
                f"A request keeps at most {MAX_PROGRESS_REPLIES} progress replies; "
                "reply done: true when it is done."
            )
        assignment.replies.append(Reply(at=when.at, by=by, text=text, done=done, photos=photos))
        if done:
            assignment.status = "done"
            assignment.done_at = when.at
        replied = new_event(
            "replied",
            f"{name}{'答复：已办结' if done else '答复办理进展'}",
            f"{department} replied{' (done)' if done else ''}",
            by,
            when.at,
            comment=text,
            done=done,
        )
        return [replied, *self._settle(when)]

    def visit(
        self: ServiceRequest, visit: Visit, resolves: bool, when: Moment
    ) -> list[TimelineEvent]:
        """A liaison officer's visit: a follow-up visit (回访) during a rectification, or a
        visit that may solve an accepted request on the spot (`resolves`)."""
        if len(self.visits) >= MAX_VISITS:
            raise Conflict(f"A request keeps at most {MAX_VISITS} visits.")
        follow_up = visit.kind == "follow_up"
        rectification = self.rectification
        if follow_up:
            if (
                rectification is None
                or rectification.closed_at is not None
                or rectification.follow_up != "pending"
            ):
                raise Conflict("No follow-up visit (回访) is due on this request.")
        elif self.status not in OPEN_STATUSES and self.status is not RequestStatus.RESOLVED:
            raise Conflict(f"The request is {self.status.value}.")
        if resolves and (follow_up or self.status is not RequestStatus.ACCEPTED or self.active()):
            raise Conflict(
                "Only a visit to an accepted request no department holds resolves it.",
                errors=[FieldError("body.resolves", "not allowed now", "state")],
            )
        if follow_up and rectification is not None:
            rectification.follow_up = "done"
        self.visits.append(visit)
        visited = new_event(
            "follow_up_visit" if follow_up else "visit",
            "民情联络员回访" if follow_up else "民情联络员上门走访",
            "Follow-up visit by the liaison officer"
            if follow_up
            else "Visit by the liaison officer",
            visit.by,
            when.at,
            comment=visit.note,
            resident_satisfied=visit.resident_satisfied,
        )
        if resolves:
            return [
                visited,
                *self._resolve(
                    when,
                    "民情联络员现场解决，请群众评价",
                    "Solved on the spot by the liaison officer; the filer is asked to rate it",
                ),
            ]
        return [visited, *self._settle(when)] if follow_up else [visited]

    # ---- settling: where the assignments add up to

    def _settle(self: ServiceRequest, when: Moment) -> list[TimelineEvent]:
        """Moves a request being handled to the status its assignments add up to (the
        joint-handling table: `settled_status`)."""
        status = settled_status(self)
        if status is self.status:
            return []
        if status is RequestStatus.RESOLVED:
            return self._resolve(
                when, "诉求已办结，请群众评价", "Resolved; the filer is asked to rate it"
            )
        self._move_to(status)
        if status is not RequestStatus.ACCEPTED:
            return []
        self.dispatch_since = when.at
        return [
            new_event(
                "back_to_dispatcher",
                "所有承办单位均已退回，待信息管理员重新分派",
                "Every assigned department returned it: back to the dispatcher",
                SYSTEM,
                when.at,
            )
        ]

    def _resolve(self: ServiceRequest, when: Moment, zh: str, en: str) -> list[TimelineEvent]:
        """Resolved: the first resolution fixes the working days used and whether on time;
        a rectification ends; the rating period starts."""
        at = when.at
        if self.resolved_at is None:
            self.resolution_days = when.working_days
            if self.resolution_due is not None:
                self.on_time = at <= self.resolution_due
        self._move_to(RequestStatus.RESOLVED)
        self.resolved_at = at
        if self.rectification is not None and self.rectification.closed_at is None:
            self.rectification.closed_at = at
        self.stage = Stage.RATING
        self.deadline = when.rating_until
        return [new_event("resolved", zh, en, SYSTEM, at, on_time=self.on_time)]


def settled_status(req: ServiceRequest) -> RequestStatus:
    """The status a request being handled settles at, from its assignments (the
    joint-handling table in docs/ARCHITECTURE.md; `tests/domain` checks every row):

    - every assigned department returned it (none active): back to the dispatcher, `accepted`;
    - during a rectification: `resolved` once every active department is done again, the
      follow-up visit is made and no returned part waits for the dispatcher; else `reopened`;
    - every active department done: `resolved` — unless a department returned its part and
      the dispatcher has not yet reassigned it or concluded without it: then `replied`;
    - some done: `replied`; none done: `assigned`.

    A department that returns its part (退单) never undoes what the others replied."""
    active = req.active()
    if not active:
        return RequestStatus.ACCEPTED
    all_done = all(a.status == "done" for a in active)
    rectification = req.rectification
    if rectification is not None and rectification.closed_at is None:
        visited = rectification.follow_up != "pending"
        settled = all_done and visited and not req.needs_dispatch
        return RequestStatus.RESOLVED if settled else RequestStatus.REOPENED
    if all_done:
        return RequestStatus.REPLIED if req.needs_dispatch else RequestStatus.RESOLVED
    if any(a.status == "done" for a in active):
        return RequestStatus.REPLIED
    return RequestStatus.ASSIGNED
