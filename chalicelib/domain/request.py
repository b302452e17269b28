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

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from chalicelib.domain.application import Actor, TimelineEvent
from chalicelib.domain.common import Code, DepartmentCode, Strict, Text
from chalicelib.domain.identity import Phone
from chalicelib.domain.reference import JurisdictionCode
from chalicelib.domain.review import Rating

DocumentId = Annotated[str, StringConstraints(pattern=r"^[0-9A-Z]{26}$")]
RequestId = Annotated[str, StringConstraints(pattern=r"^[0-9A-Z]{26}$")]
Description = Annotated[str, StringConstraints(min_length=2, max_length=4000)]
Note = Annotated[str, StringConstraints(min_length=2, max_length=2000)]
Reason = Annotated[str, StringConstraints(min_length=2, max_length=500)]

MAX_PHOTOS = 9
MAX_REPLIES = 20  # per department and round: a request's record stays far below 400 KB
MAX_VISITS = 20
MAX_ASSIGNMENTS = 10  # departments ever on one request: keeps a transaction under 100 items
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


# ---- input -------------------------------------------------------------------------------


class PointLocation(Strict):
    lat: float = Field(ge=-90, le=90)
    lng: float = Field(ge=-180, le=180)
    address: Annotated[str, StringConstraints(min_length=2, max_length=200)]
    township: JurisdictionCode | None = Field(
        default=None, description="The township, when the app knows it: narrows the nearest grid"
    )


class GridLocation(Strict):
    grid: JurisdictionCode
    address: Annotated[str, StringConstraints(min_length=2, max_length=200)] | None = None


class RequestCreate(Strict):
    category: Code
    description: Description
    location: PointLocation | GridLocation
    photos: list[DocumentId] = Field(default_factory=list, max_length=MAX_PHOTOS)
    private: bool = False
    anonymous: bool = Field(
        default=False, description="Handlers do not see who filed it (the filer still follows it)"
    )

    @model_validator(mode="after")
    def _distinct_photos(self) -> RequestCreate:
        if len(set(self.photos)) != len(self.photos):
            raise ValueError("photos must not repeat")
        return self


class ResidentRequestCreate(RequestCreate):
    """A liaison officer files a request for a resident (channel `liaison`)."""

    resident_phone: Phone
    location: PointLocation | GridLocation | None = None  # type: ignore[assignment]


class CommentRequest(Strict):
    text: Note


class TriageRequest(Strict):
    """Exactly one of: accept, not_accept (with reason), assign (departments), merge_into."""

    action: Literal["accept", "not_accept", "assign", "merge_into"]
    reason: Reason | None = None
    departments: list[DepartmentCode] = Field(default_factory=list, max_length=8)
    merge_into: RequestId | None = None
    note: Note | None = None

    @model_validator(mode="after")
    def _complete(self) -> TriageRequest:
        if self.action == "not_accept" and not self.reason:
            raise ValueError("not_accept needs a reason")
        if self.action == "assign" and not self.departments:
            raise ValueError("assign needs at least one department")
        if self.action != "assign" and self.departments:
            raise ValueError("departments are given only with assign")
        if self.action == "merge_into" and not self.merge_into:
            raise ValueError("merge_into needs the id of the request to merge into")
        if self.action != "merge_into" and self.merge_into:
            raise ValueError("merge_into is given only with action merge_into")
        if self.action != "not_accept" and self.reason:
            raise ValueError("a reason is given only with not_accept (use note otherwise)")
        if len(set(self.departments)) != len(self.departments):
            raise ValueError("departments must not repeat")
        return self


class ReturnRequest(Strict):
    reason: Reason
    suggested_departments: list[DepartmentCode] = Field(default_factory=list, max_length=8)


class ReplyRequest(Strict):
    text: Note
    photos: list[DocumentId] = Field(default_factory=list, max_length=MAX_PHOTOS)
    done: bool

    @model_validator(mode="after")
    def _distinct_photos(self) -> ReplyRequest:
        if len(set(self.photos)) != len(self.photos):
            raise ValueError("photos must not repeat")
        return self


class VisitRequest(Strict):
    kind: Literal["visit", "follow_up"] = Field(
        description="visit: an offline visit while handling; follow_up: the 回访 after a bad rating"
    )
    note: Note
    photos: list[DocumentId] = Field(default_factory=list, max_length=MAX_PHOTOS)
    resident_satisfied: bool | None = None
    resolves: bool = Field(
        default=False,
        description="The liaison officer solved it on the spot (only when no department holds it)",
    )

    @model_validator(mode="after")
    def _distinct_photos(self) -> VisitRequest:
        if len(set(self.photos)) != len(self.photos):
            raise ValueError("photos must not repeat")
        return self


class RequestListQuery(Strict):
    limit: int = Field(default=20, ge=1, le=100)
    cursor: str | None = Field(default=None, max_length=1000)


class RequestQueueQuery(Strict):
    limit: int = Field(default=20, ge=1, le=100)
    cursor: str | None = Field(default=None, max_length=1000)
    status: RequestStatus | None = None
    overdue: bool | None = None


# ---- stored ------------------------------------------------------------------------------


class Photo(Strict):
    document_id: str
    key: str
    content_type: str
    version_id: str | None = None


class Reply(Strict):
    at: datetime
    by: Actor
    text: str
    done: bool
    photos: list[Photo] = Field(default_factory=list)


class Assignment(Strict):
    department: str
    status: Literal["pending", "done", "returned"] = "pending"
    assigned_at: datetime
    assigned_by: str
    round: int = 1
    replies: list[Reply] = Field(default_factory=list)
    done_at: datetime | None = None
    returned_at: datetime | None = None
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
    at: datetime
    by: Actor
    kind: Literal["visit", "follow_up"]
    note: str
    resident_satisfied: bool | None = None
    photos: list[Photo] = Field(default_factory=list)


class Escalation(Strict):
    stage: Stage
    deadline: datetime
    at: datetime
    to: list[str]


class RequestRectification(Strict):
    opened_at: datetime
    due: datetime
    rating_level: int
    follow_up: Literal["pending", "done", "not_required"] = Field(
        default="pending",
        description="not_required: no liaison officer serves it, or it is private",
    )
    closed_at: datetime | None = None


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
    created_at: datetime
    updated_at: datetime
    dispatch_since: datetime | None = None
    accepted_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    stage: Stage | None = None
    deadline: datetime | None = None
    resolution_due: datetime | None = None
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


# ---- views -------------------------------------------------------------------------------


class PhotoView(Strict):
    document_id: str
    url: str


class ReplyView(Strict):
    at: datetime
    department: str
    department_name: str
    by: str | None = None
    text: str
    done: bool
    photos: list[PhotoView] = Field(default_factory=list)


class AssignmentView(Strict):
    department: str
    department_name: str
    status: Literal["pending", "done", "returned"]
    assigned_at: datetime
    done_at: datetime | None = None
    return_reason: str | None = None
    replies: list[ReplyView] = Field(default_factory=list)


class Handler(Strict):
    """Who holds the request now."""

    role: str
    label: Text
    id: str | None = None
    name: str | None = None
    department: str | None = None


class PlaceView(Strict):
    grid: str | None = None
    grid_name: str | None = None
    community: str | None = None
    community_name: str | None = None
    township: str | None = None
    township_name: str | None = None
    exact: bool
    distance_m: int | None = None
    liaison: str | None = None
    dispatcher: str | None = None


class DuplicateView(Strict):
    request_id: str
    number: str
    status: RequestStatus
    created_at: datetime
    description: str | None = None


class VisitView(Strict):
    at: datetime
    kind: Literal["visit", "follow_up"]
    by: str | None = None
    note: str
    resident_satisfied: bool | None = None
    photos: list[PhotoView] = Field(default_factory=list)


class RequestView(Strict):
    request_id: str
    number: str
    category: str
    category_name: Text
    status: RequestStatus
    status_label: Text
    channel: Channel
    description: str
    address: str | None = None
    location: tuple[float, float] | None = Field(default=None, description="(lng, lat)")
    jurisdiction: str
    routing: PlaceView
    departments: list[str] = Field(description="The category's default departments")
    private: bool
    anonymous: bool
    filer_phone: str | None = Field(default=None, description="Masked; hidden if anonymous")
    created_at: datetime
    accepted_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    stage: Stage | None = None
    deadline: datetime | None = Field(default=None, description="When the running stage is due")
    resolution_due: datetime | None = None
    overdue: bool
    escalated: bool
    holders: list[Handler]
    assignments: list[AssignmentView]
    visits: list[VisitView]
    photos: list[PhotoView]
    not_accepted_reason: str | None = None
    merged_into: str | None = None
    rating: Rating | None = None
    rectification: RequestRectification | None = None
    likely_duplicates: list[DuplicateView] = Field(default_factory=list)
    timeline: list[TimelineEvent]
    next_action: Text | None = None


class RequestSummary(Strict):
    request_id: str
    number: str
    category: str
    category_name: Text
    status: RequestStatus
    status_label: Text
    jurisdiction: str
    created_at: datetime
    deadline: datetime | None = None
    overdue: bool
    private: bool
    excerpt: str | None = Field(default=None, description="Hidden for private requests")


class RequestPage(Strict):
    items: list[RequestSummary]
    next_cursor: str | None = None


class UploadRequest(Strict):
    filename: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    content_type: Literal["image/jpeg", "image/png", "application/pdf"]
    size: int = Field(ge=1, le=20 * 1024 * 1024)
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{64}$", to_lower=True)]

    @model_validator(mode="after")
    def _safe_name(self) -> UploadRequest:
        if any(c in self.filename for c in "/\\\x00"):
            raise ValueError("filename must not contain path separators")
        return self


class UploadView(Strict):
    document_id: str
    status: str
    reason: str | None = None
    upload: dict[str, object] | None = None


# ---- rules -------------------------------------------------------------------------------


def settled_status(req: ServiceRequest) -> RequestStatus:
    """The status the assignments and the follow-up visit add up to, for a request being
    handled. Nobody left on it, or a department returned it and the rest are done: back to
    the dispatcher (`accepted`), who reassigns. During a rectification: resolved only when
    every department is done again and the follow-up visit is made, else `reopened`.
    Otherwise: all done → resolved; some → replied; none → assigned."""
    active = req.active()
    all_done = bool(active) and all(a.status == "done" for a in active)
    if not active or (req.needs_dispatch and all_done):
        return RequestStatus.ACCEPTED
    rectification = req.rectification
    if rectification is not None and rectification.closed_at is None:
        visited = rectification.follow_up != "pending"
        return RequestStatus.RESOLVED if all_done and visited else RequestStatus.REOPENED
    if all_done:
        return RequestStatus.RESOLVED
    if any(a.status == "done" for a in active):
        return RequestStatus.REPLIED
    return RequestStatus.ASSIGNED


BAD_RATING_MAX = 2  # 不满意 and 非常不满意 are a bad review (差评)


def staff_upload_owner(staff_id: str) -> str:
    """Whose uploads a staff member's photos are (citizens' are under their citizen id)."""
    return f"staff-{staff_id}"
