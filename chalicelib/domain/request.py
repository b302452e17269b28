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

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
)

from chalicelib.domain.application import Actor, TimelineEvent
from chalicelib.domain.common import Instant, Strict, Text, local_iso
from chalicelib.domain.moves import SYSTEM, new_event
from chalicelib.domain.reference import JurisdictionCode
from chalicelib.domain.review import RATING_LABELS, Rating
from chalicelib.errors import Conflict, FieldError

_ULID = r"^[0-7][0-9A-HJKMNP-TV-Z]{25}$"
DocumentId = Annotated[str, StringConstraints(pattern=_ULID)]
RequestId = Annotated[str, StringConstraints(pattern=_ULID)]
Description = Annotated[str, StringConstraints(min_length=2, max_length=4000)]
Note = Annotated[str, StringConstraints(min_length=2, max_length=500)]
Reason = Annotated[str, StringConstraints(min_length=2, max_length=500)]
Address = Annotated[str, StringConstraints(min_length=2, max_length=200)]

# Everything a client can add to a request is bounded, so that its root item stays far
# below DynamoDB's 400 KB (tests/domain: the largest possible request) and a view is small.
MAX_PHOTOS = 9  # on the request as filed
MAX_REPLY_PHOTOS = 3  # on a reply or a visit
MAX_PROGRESS_REPLIES = 12  # progress replies of all departments together (done: once a round)
MAX_VISITS = 8
MAX_COMMENTS = 50  # the filer's comments (timeline events; counted in their own item)
MAX_ASSIGNMENTS = 10  # departments ever on one request: keeps a transaction under 100 items
MAX_MERGED = 50  # requests merged into one
MAX_REOPENINGS = 3  # a fourth bad rating closes it (still counted as a bad review)
BAD_RATING_MAX = 2  # 不满意 and 非常不满意 are a bad review (差评)


class RequestStatus(StrEnum):
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    NOT_ACCEPTED = "not_accepted"
    ASSIGNED = "assigned"
    REPLIED = "replied"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    CLOSED = "closed"
    MERGED = "merged"


REQUEST_STATUS_LABELS: dict[RequestStatus, tuple[str, str]] = {
    RequestStatus.SUBMITTED: ("已提交，待受理", "Submitted, awaiting acceptance"),
    RequestStatus.ACCEPTED: ("已受理，待分派", "Accepted, awaiting assignment"),
    RequestStatus.NOT_ACCEPTED: ("不予受理", "Not accepted"),
    RequestStatus.ASSIGNED: ("已分派，办理中", "Assigned, being handled"),
    RequestStatus.REPLIED: ("部分单位已答复", "Partly replied"),
    RequestStatus.RESOLVED: ("已办结，待评价", "Resolved, awaiting rating"),
    RequestStatus.REOPENED: ("整改中（差评重办）", "Reopened for rectification"),
    RequestStatus.CLOSED: ("已关闭", "Closed"),
    RequestStatus.MERGED: ("已合并办理", "Merged into another request"),
}

OPEN_STATUSES = frozenset(
    {
        RequestStatus.SUBMITTED,
        RequestStatus.ACCEPTED,
        RequestStatus.ASSIGNED,
        RequestStatus.REPLIED,
        RequestStatus.REOPENED,
    }
)
# Waiting for the dispatcher (信息管理员).
DISPATCH_STATUSES = frozenset({RequestStatus.SUBMITTED, RequestStatus.ACCEPTED})
# Where handling settles (`settled_status`): from any of these, to any of these.
_SETTLED = frozenset(
    {
        RequestStatus.ACCEPTED,
        RequestStatus.ASSIGNED,
        RequestStatus.REPLIED,
        RequestStatus.RESOLVED,
        RequestStatus.REOPENED,
    }
)
# The moves a request may make (staying is always allowed: a change of its other fields).
# Dispatch (submitted, accepted): accept, refuse, merge, assign, conclude; handling settles by
# the joint-handling table; a resolved request closes (rated well, or unrated when the
# rating window ends) or reopens (a bad rating); refused, merged and closed requests stay.
REQUEST_TRANSITIONS: dict[RequestStatus, frozenset[RequestStatus]] = {
    RequestStatus.SUBMITTED: _SETTLED | {RequestStatus.NOT_ACCEPTED, RequestStatus.MERGED},
    RequestStatus.ACCEPTED: _SETTLED | {RequestStatus.NOT_ACCEPTED, RequestStatus.MERGED},
    RequestStatus.ASSIGNED: _SETTLED,
    RequestStatus.REPLIED: _SETTLED,
    RequestStatus.REOPENED: _SETTLED,
    RequestStatus.RESOLVED: frozenset({RequestStatus.CLOSED, RequestStatus.REOPENED}),
    RequestStatus.CLOSED: frozenset(),
    RequestStatus.NOT_ACCEPTED: frozenset(),
    RequestStatus.MERGED: frozenset(),
}


def check_request_move(current: RequestStatus, target: RequestStatus) -> None:
    """The table's verdict on a change about to be saved: a move it does not list is a 409."""
    if target is not current and target not in REQUEST_TRANSITIONS[current]:
        raise Conflict(
            f"A request that is {current.value} cannot become {target.value}.",
            errors=[FieldError("status", f"{current.value} → {target.value}", "illegal_move")],
        )


# Departments can still be added, reply or return.
HANDLING_STATUSES = frozenset(
    {RequestStatus.ACCEPTED, RequestStatus.ASSIGNED, RequestStatus.REPLIED, RequestStatus.REOPENED}
)


class Channel(StrEnum):
    APP = "app"  # the citizen's phone
    LIAISON = "liaison"  # a liaison officer filed it for a resident
    OPEN311 = "open311"  # a partner app through Open311 GeoReport v2


class Stage(StrEnum):
    """Which clock runs: each has its deadline and escalates once when it passes."""

    ACCEPTANCE = "acceptance"
    RESOLUTION = "resolution"
    RECTIFICATION = "rectification"
    RATING = "rating"  # not an SLA: an unrated resolved request closes when it passes


STAGE_LABELS: dict[Stage, tuple[str, str]] = {
    Stage.ACCEPTANCE: ("受理", "acceptance"),
    Stage.RESOLUTION: ("办结", "resolution"),
    Stage.RECTIFICATION: ("整改", "rectification"),
    Stage.RATING: ("评价", "rating"),
}


# ---- stored ------------------------------------------------------------------------------


class Photo(Strict):
    document_id: str
    key: str
    content_type: str
    version_id: str | None = None


class Reply(Strict):
    at: Instant
    by: Actor
    text: str
    done: bool
    photos: list[Photo] = Field(default_factory=list)


class Assignment(Strict):
    department: str
    status: Literal["pending", "done", "returned"] = "pending"
    assigned_at: Instant
    assigned_by: str
    round: int = 1
    replies: list[Reply] = Field(default_factory=list)
    done_at: Instant | None = None
    returned_at: Instant | None = None
    return_reason: str | None = None


class Routing(Strict):
    grid: str | None = None
    community: str | None = None
    township: str | None = None
    dispatch_unit: str = Field(description="Whose dispatcher triages it: a township or the county")
    exact: bool = Field(description="The point lies in the grid's area (else: the nearest grid)")
    distance_m: int | None = None
    liaison_id: str | None = None
    dispatcher_id: str | None = None
    departments: list[str] = Field(description="The category's default departments")


class Visit(Strict):
    at: Instant
    by: Actor
    kind: Literal["visit", "follow_up"]
    note: str
    resident_satisfied: bool | None = None
    photos: list[Photo] = Field(default_factory=list)


class Escalation(Strict):
    stage: Stage
    deadline: Instant
    at: Instant
    to: list[str]


class RequestRectification(Strict):
    opened_at: Instant
    due: Instant
    rating_level: int
    follow_up: Literal["pending", "done", "not_required"] = Field(
        default="pending",
        description="not_required: no liaison officer serves it, or it is private",
    )
    closed_at: Instant | None = None


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
