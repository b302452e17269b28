"""What the API takes and gives for citizen requests: the bodies and queries of filing,
triage, replies and visits, and the views."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
)

from chalicelib.domain.application_parts import ContentType, Filename, Sha256Hex
from chalicelib.domain.common import (
    Code,
    Cursor,
    DepartmentCode,
    Instant,
    OneOf,
    QueryBool,
    QueryInt,
    Strict,
    Text,
)
from chalicelib.domain.identity import Phone
from chalicelib.domain.moves import TimelineEvent
from chalicelib.domain.request_parts import (
    MAX_PHOTOS,
    MAX_REPLY_PHOTOS,
    Address,
    Channel,
    Description,
    DocumentId,
    Note,
    Reason,
    RequestId,
    RequestRectification,
    RequestStatus,
    Stage,
)
from chalicelib.domain.review import Rating

# ---- input -------------------------------------------------------------------------------


Datum = Literal["wgs84", "gcj02", "bd09"]
DATUM_DESCRIPTION = (
    "The coordinates' datum: wgs84 (GPS; the default, and what the API stores and returns), "
    "gcj02 (the maps of Chinese phone apps: AMap, Tencent, WeChat) or bd09 (Baidu). gcj02 and "
    "bd09 are converted to WGS-84 before routing."
)
TownshipCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{9}$")]
GridCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{15}$")]


def _unique(items: list[str], what: str) -> list[str]:
    if len(set(items)) != len(items):
        raise ValueError(f"{what} must not repeat")
    return items


Photos = Annotated[
    list[DocumentId],
    Field(max_length=MAX_PHOTOS, json_schema_extra={"uniqueItems": True}),
    AfterValidator(lambda v: _unique(v, "photos")),
]


class PointLocation(Strict):
    lat: float = Field(ge=-90, le=90)
    lng: float = Field(ge=-180, le=180)
    datum: Datum = Field(default="wgs84", description=DATUM_DESCRIPTION)
    address: Address
    township: TownshipCode | None = Field(
        default=None, description="The township, when the app knows it: narrows the nearest grid"
    )


class GridLocation(Strict):
    grid: GridCode
    address: Address | None = None


def _location_kind(value: object) -> str:
    if isinstance(value, dict):
        return "GridLocation" if "grid" in value else "PointLocation"
    return "GridLocation" if isinstance(value, GridLocation) else "PointLocation"


Location = Annotated[
    Annotated[PointLocation, Tag("PointLocation")] | Annotated[GridLocation, Tag("GridLocation")],
    Discriminator(_location_kind),
    Field(description="A point (lat, lng, address), or a grid code"),
]


class RequestCreate(Strict):
    category: Code
    description: Description
    location: Location
    photos: Photos = Field(default_factory=list)
    private: bool = False
    anonymous: bool = Field(
        default=False, description="Handlers do not see who filed it (the filer still follows it)"
    )


class ResidentRequestCreate(RequestCreate):
    """A liaison officer files a request for a resident (channel `liaison`); without a
    location it lies in the officer's own grid."""

    resident_phone: Phone
    location: Location | None = None  # type: ignore[assignment]


class CommentRequest(Strict):
    text: Note


Departments = Annotated[
    list[DepartmentCode],
    Field(min_length=1, max_length=8, json_schema_extra={"uniqueItems": True}),
    AfterValidator(lambda v: _unique(v, "departments")),
]


class AcceptTriage(Strict):
    action: Literal["accept"]
    note: Note | None = None


class NotAcceptTriage(Strict):
    action: Literal["not_accept"]
    reason: Reason
    note: Note | None = None


class AssignTriage(Strict):
    """Assigns departments jointly (accepting the request if it was not yet), or reassigns
    the part a department returned."""

    action: Literal["assign"]
    departments: Departments
    note: Note | None = None


class MergeTriage(Strict):
    action: Literal["merge_into"]
    merge_into: RequestId
    note: Note | None = None


class ConcludeTriage(Strict):
    """A department returned its part and the others are done: nobody else needs to take
    the returned part, the other departments' replies conclude the request."""

    action: Literal["conclude"]
    note: Note


class TriageRequest(
    OneOf[
        Annotated[
            AcceptTriage | NotAcceptTriage | AssignTriage | MergeTriage | ConcludeTriage,
            Field(discriminator="action"),
        ]
    ]
):
    """What the dispatcher (信息管理员) decides: one action and what it needs."""


class ReturnRequest(Strict):
    reason: Reason
    suggested_departments: Annotated[
        list[DepartmentCode],
        Field(max_length=8, json_schema_extra={"uniqueItems": True}),
        AfterValidator(lambda v: _unique(v, "suggested_departments")),
    ] = Field(default_factory=list)


ReplyPhotos = Annotated[
    list[DocumentId],
    Field(max_length=MAX_REPLY_PHOTOS, json_schema_extra={"uniqueItems": True}),
    AfterValidator(lambda v: _unique(v, "photos")),
]


class ReplyRequest(Strict):
    text: Note
    photos: ReplyPhotos = Field(default_factory=list)
    done: bool


class HandlingVisit(Strict):
    kind: Literal["visit"] = Field(description="An offline visit while the request is handled")
    note: Note
    photos: ReplyPhotos = Field(default_factory=list)
    resident_satisfied: bool | None = None
    resolves: bool = Field(
        default=False,
        description="The liaison officer solved it on the spot (only when no department holds it)",
    )


class FollowUpVisit(Strict):
    kind: Literal["follow_up"] = Field(description="The 回访 after a bad rating")
    note: Note
    photos: ReplyPhotos = Field(default_factory=list)
    resident_satisfied: bool | None = None


class VisitRequest(OneOf[Annotated[HandlingVisit | FollowUpVisit, Field(discriminator="kind")]]):
    """A liaison officer's visit: while handling it, or the follow-up visit (回访)."""


class RequestListQuery(Strict):
    limit: QueryInt = Field(default=20, ge=1, le=100)
    cursor: Cursor | None = None


class RequestQueueQuery(Strict):
    limit: QueryInt = Field(default=20, ge=1, le=100)
    cursor: Cursor | None = None
    status: RequestStatus | None = None
    overdue: QueryBool | None = None


# ---- views -------------------------------------------------------------------------------


class PhotoView(Strict):
    document_id: str
    url: str


class ReplyView(Strict):
    at: Instant
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
    assigned_at: Instant
    done_at: Instant | None = None
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
    created_at: Instant
    description: str | None = None


class VisitView(Strict):
    at: Instant
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
    location: tuple[float, float] | None = Field(
        default=None, description="(lng, lat), WGS-84 whatever datum it was filed in"
    )
    datum: Literal["wgs84"] = "wgs84"
    jurisdiction: str
    routing: PlaceView
    departments: list[str] = Field(description="The category's default departments")
    private: bool
    anonymous: bool
    filer_phone: str | None = Field(default=None, description="Masked; hidden if anonymous")
    created_at: Instant
    accepted_at: Instant | None = None
    resolved_at: Instant | None = None
    closed_at: Instant | None = None
    stage: Stage | None = None
    deadline: Instant | None = Field(default=None, description="When the running stage is due")
    resolution_due: Instant | None = None
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
    timeline: list[TimelineEvent] = Field(
        description="The latest events, oldest first (at most 50)"
    )
    timeline_next_cursor: str | None = Field(
        default=None,
        description="Older events exist: GET …/timeline?cursor= with this value pages back",
    )
    next_action: Text | None = None


class CommentView(Strict):
    comment_id: str
    at: Instant
    text: str


class CommentPage(Strict):
    """Newest first."""

    items: list[CommentView]
    next_cursor: str | None = None


class RequestSummary(Strict):
    request_id: str
    number: str
    category: str
    category_name: Text
    status: RequestStatus
    status_label: Text
    jurisdiction: str
    created_at: Instant
    deadline: Instant | None = None
    overdue: bool
    private: bool
    excerpt: str | None = Field(default=None, description="Hidden for private requests")


class RequestPage(Strict):
    items: list[RequestSummary]
    next_cursor: str | None = None


class UploadRequest(Strict):
    filename: Filename
    content_type: ContentType
    size: int = Field(ge=1, le=20 * 1024 * 1024)
    sha256: Sha256Hex


class UploadView(Strict):
    document_id: str
    status: str
    reason: str | None = None
    upload: dict[str, object] | None = None
