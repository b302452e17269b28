"""The parts of a citizen request (诉求) that `ServiceRequest` is made of and the tables its
moves follow: statuses and the allowed moves between them, stages and their labels, the
stored parts (photos, replies, assignments, routing, visits, escalations, rectification) and
the bounds that keep a request's item small."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from chalicelib.domain.common import Instant, Strict
from chalicelib.domain.moves import Actor
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
    WINDOW = "window"  # a window clerk filed it for a walk-in visitor
    TERMINAL = "terminal"  # the citizen at a service hall's self-service terminal


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


@dataclass(frozen=True)
class Moment:
    """When a request's move happens and what the county's calendar makes of it: the service
    works these out (the domain has no calendar) and hands them to the move."""

    at: datetime
    due: datetime  # the end of the request's sla_days-th working day after `at`
    working_days: int  # working days from filing to `at` (0 on the day of filing)
    rating_until: datetime  # when an unrated resolution closes


def staff_upload_owner(staff_id: str) -> str:
    """Whose uploads a staff member's photos are (citizens' are under their citizen id)."""
    return f"staff-{staff_id}"
