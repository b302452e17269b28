"""Citizen requests (诉求): the O2O channel. A resident reports or asks something online; the
grid's liaison officer, the township's dispatcher and the departments act offline.

    submitted → accepted → assigned → replied → resolved → closed (rated, or unrated in time)
        │           ▲          │                    │ bad rating (差评)
        │           └─returned─┘                    ▼
        ├→ not_accepted (reason)            reopened → resolved (all re-replied + 回访)
        └→ merged (into an earlier request of the same matter)

`assign` implies acceptance; a department that gets a mis-routed request returns it (退单)
and, when no department is left on it, it goes back to the dispatcher as `accepted`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.domain.common import Instant, Text, local_iso
from chalicelib.domain.moves import SYSTEM, Actor, TimelineEvent, new_event
from chalicelib.domain.reference import JurisdictionCode
from chalicelib.domain.request_parts import (
    DISPATCH_STATUSES,
    HANDLING_STATUSES,
    MAX_ASSIGNMENTS,
    MAX_MERGED,
    MAX_PROGRESS_REPLIES,
    MAX_REOPENINGS,
    MAX_VISITS,
    OPEN_STATUSES,
    STAGE_LABELS,
    Assignment,
    Channel,
    Escalation,
    Photo,
    Reply,
    RequestRectification,
    RequestStatus,
    Routing,
    Stage,
    Visit,
    check_request_move,
)
from chalicelib.domain.review import BAD_RATING_MAX, RATING_LABELS, Rating
from chalicelib.errors import Conflict, FieldError, Forbidden


@dataclass(frozen=True)
class Moment:
    """When a request's move happens and what the county's calendar makes of it: the service
    works these out (the domain has no calendar) and hands them to the move."""

    at: datetime
    due: datetime  # the end of the request's sla_days-th working day after `at`
    working_days: int  # working days from filing to `at` (0 on the day of filing)
    rating_until: datetime  # when an unrated resolution closes


class ServiceRequest(BaseModel):
    """The stored request root."""

    model_config = ConfigDict(extra="ignore")

    request_id: str
    number: str
    kind: Literal["request"] = "request"
    owner_id: str
    owner_phone: str
    filed_by: Actor
    channel: Channel
    category: str
    category_name: str
    category_name_en: str
    sla_days: int
    description: str
    address: str | None = None
    lat: float | None = None
    lng: float | None = None
    jurisdiction: JurisdictionCode
    routing: Routing
    photos: list[Photo] = Field(default_factory=list)
    private: bool = False
    anonymous: bool = False
    status: RequestStatus
    rev: int = 0
    created_at: Instant
    updated_at: Instant
    dispatch_since: Instant | None = None
    accepted_at: Instant | None = None
    resolved_at: Instant | None = None
    closed_at: Instant | None = None
    stage: Stage | None = None
    deadline: Instant | None = None
    resolution_due: Instant | None = None
    escalations: list[Escalation] = Field(default_factory=list)
    assignments: list[Assignment] = Field(default_factory=list)
    visits: list[Visit] = Field(default_factory=list)
    not_accepted_reason: str | None = None
    merged_into: str | None = None
    merged_into_number: str | None = None
    merged: list[str] = Field(default_factory=list)
    needs_dispatch: bool = Field(
        default=False, description="A department returned it: the dispatcher decides again"
    )
    ratings: list[Rating] = Field(default_factory=list)
    rectification: RequestRectification | None = None
    on_time: bool | None = None
    resolution_days: int | None = Field(
        default=None, description="Working days from filing to the first resolution"
    )
    repeat_of: list[str] = Field(
        default_factory=list, description="Open requests of the same matter when it was filed"
    )
    partner: str | None = None

    @property
    def county(self) -> str:
        return self.jurisdiction[:6]

    @property
    def township(self) -> str | None:
        return self.jurisdiction[:9] if len(self.jurisdiction) >= 9 else None

    def active(self) -> list[Assignment]:
        return [a for a in self.assignments if a.status != "returned"]

    def assignment(self, department: str) -> Assignment | None:
        return next((a for a in self.assignments if a.department == department), None)

    def escalated(self, stage: Stage) -> bool:
        return any(e.stage is stage and e.deadline == self.deadline for e in self.escalations)

    @property
    def rating(self) -> Rating | None:
        return self.ratings[-1] if self.ratings else None

    # ---- moves: each changes this (working) copy, checked against REQUEST_TRANSITIONS, and
    # returns the timeline events it produces; the service saves both.

    def _move_to(self, status: RequestStatus) -> None:
        check_request_move(self.status, status)
        self.status = status

    def _close(self, at: datetime) -> None:
        self._move_to(RequestStatus.CLOSED)
        self.closed_at = at
        self.stage = None
        self.deadline = None

    def rate(
        self, level: int, comment: str | None, by: Actor, at: datetime, rectification_due: datetime
    ) -> list[TimelineEvent]:
        """The filer's rating of a resolved request: a good one closes it; a bad one (差评)
        reopens it for rectification by its departments and a follow-up visit (回访), until
        MAX_REOPENINGS bad ratings, after which it closes."""
        if self.status is not RequestStatus.RESOLVED:
            raise Conflict(
                "Only a resolved request can be rated."
                if self.status is not RequestStatus.CLOSED
                else "This request has been rated or closed already."
            )
        reopenings = sum(r.level <= BAD_RATING_MAX for r in self.ratings)
        zh, en = RATING_LABELS[level]
        self.ratings.append(
            Rating(level=level, label=Text(zh=zh, en=en), comment=comment, rated_at=at)
        )
        events = [
            new_event(
                "rated", f"群众评价：{zh}", f"Rated: {en}", by, at, comment=comment, level=level
            )
        ]
        if level > BAD_RATING_MAX or reopenings >= MAX_REOPENINGS:
            self._close(at)
            return [*events, new_event("closed", "诉求已关闭", "Closed", SYSTEM, at)]
        self._move_to(RequestStatus.REOPENED)
        # The grid's liaison officer makes the follow-up visit; a private request (a
        # petition) is followed up by its departments, as is one no liaison officer serves.
        visited_by_liaison = self.routing.liaison_id is not None and not self.private
        self.rectification = RequestRectification(
            opened_at=at,
            due=rectification_due,
            rating_level=level,
            follow_up="pending" if visited_by_liaison else "not_required",
        )
        for assignment in self.active():
            assignment.status = "pending"
            assignment.round += 1
            assignment.done_at = None
            assignment.assigned_at = at
            # the new round starts from the department's last answer; its earlier replies
            # stay on the timeline (so the record stays small, see MAX_*)
            assignment.replies = assignment.replies[-1:]
        self.stage = Stage.RECTIFICATION
        self.deadline = rectification_due
        reopened = new_event(
            "reopened",
            "差评重办：承办单位整改，民情联络员回访",
            "Bad rating: reopened for rectification and a follow-up visit",
            SYSTEM,
            at,
            due=rectification_due.isoformat(),
        )
        return [*events, reopened]

    def close_unrated(self, at: datetime) -> list[TimelineEvent]:
        """The rating period ended without a rating: the request closes."""
        self._close(at)
        return [
            new_event(
                "closed",
                "评价期满未评价，诉求自动关闭",
                "Closed: not rated within the rating period",
                SYSTEM,
                at,
            )
        ]

    def escalate(self, to: list[str], at: datetime) -> list[TimelineEvent]:
        """The running stage fell due: escalates once to the supervisors `to` (a private
        request to its dispatchers)."""
        stage, deadline = self.stage, self.deadline
        if stage is None or deadline is None or self.escalated(stage):
            raise Conflict("Nothing is due on this request.")
        self.escalations.append(Escalation(stage=stage, deadline=deadline, at=at, to=to))
        zh, en = STAGE_LABELS[stage]
        whom = (
            ("信息管理员", "its dispatchers")
            if self.private
            else ("街道（乡镇）和县级负责人", "the township and county supervisors")
        )
        return [
            new_event(
                "escalated",
                f"{zh}超期，已提请{whom[0]}督办",
                f"Overdue for {en}: escalated to {whom[1]}",
                SYSTEM,
                at,
                stage=stage.value,
                deadline=local_iso(deadline),
                to=to,
            )
        ]

    # ---- dispatch (信息管理员): accept, assign, conclude, refuse, merge

    def _accept_at(self, when: Moment) -> None:
        self.accepted_at = when.at
        self.resolution_due = when.due
        self.stage = Stage.RESOLUTION
        self.deadline = when.due

    def _with_dispatcher(self) -> None:
        if self.status not in DISPATCH_STATUSES:
            raise Conflict(f"A {self.status.value} request is no longer with the dispatcher.")

    def accept(self, by: Actor, when: Moment, note: str | None = None) -> list[TimelineEvent]:
        """受理: the resolution clock starts (`when.due`)."""
        self._with_dispatcher()
        if self.status is not RequestStatus.SUBMITTED:
            raise Conflict("The request is already accepted.")
        self._move_to(RequestStatus.ACCEPTED)
        self._accept_at(when)
        return [new_event("accepted", "诉求已受理", "Accepted", by, when.at, comment=note)]

    def assign(
        self, names: Mapping[str, str], by: Actor, when: Moment, note: str | None = None
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

    def conclude(self, by: Actor, when: Moment, note: str | None = None) -> list[TimelineEvent]:
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

    def _end(self, status: RequestStatus, at: datetime) -> None:
        self._move_to(status)
        self.closed_at = at
        self.stage = None
        self.deadline = None
        self.needs_dispatch = False

    def refuse(self, reason: str, by: Actor, at: datetime) -> list[TimelineEvent]:
        """不予受理, with the reason the filer is told."""
        self._with_dispatcher()
        self._end(RequestStatus.NOT_ACCEPTED, at)
        self.not_accepted_reason = reason
        return [new_event("not_accepted", "诉求不予受理", "Not accepted", by, at, comment=reason)]

    def merge_into(
        self, target: ServiceRequest, by: Actor, at: datetime, note: str | None = None
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

    # ---- handling: a department's part, the liaison officer's visits

    def pending_part(self, department: str | None) -> Assignment:
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
        self,
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
        self,
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

    def visit(self, visit: Visit, resolves: bool, when: Moment) -> list[TimelineEvent]:
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

    def _settle(self, when: Moment) -> list[TimelineEvent]:
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

    def _resolve(self, when: Moment, zh: str, en: str) -> list[TimelineEvent]:
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


# ---- rules -------------------------------------------------------------------------------


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


def staff_upload_owner(staff_id: str) -> str:
    """Whose uploads a staff member's photos are (citizens' are under their citizen id)."""
    return f"staff-{staff_id}"
