"""Applications (办件): the case a citizen or enterprise files for a catalogue item."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel, StringConstraints

from chalicelib.domain.applicant import Applicant, Delivery
from chalicelib.domain.common import Code, Cursor, Instant, QueryInt, Strict, Text
from chalicelib.domain.identity import Phone
from chalicelib.domain.reference import JurisdictionCode
from chalicelib.domain.review import (
    Certificate,
    DeliveryState,
    Rating,
    Rectification,
    TaskView,
)
from chalicelib.errors import Conflict, FieldError


class Status(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    SUPPLEMENT_REQUIRED = "supplement_required"
    ACCEPTED = "accepted"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    DENIED = "denied"
    NOT_ACCEPTED = "not_accepted"
    WITHDRAWN = "withdrawn"
    ISSUED = "issued"
    COMPLETED = "completed"


STATUS_LABELS: dict[Status, tuple[str, str]] = {
    Status.DRAFT: ("草稿", "Draft"),
    Status.SUBMITTED: ("已提交，待受理", "Submitted, awaiting acceptance"),
    Status.SUPPLEMENT_REQUIRED: ("待补正材料", "Supplement required"),
    Status.ACCEPTED: ("已受理", "Accepted"),
    Status.IN_REVIEW: ("审批中", "In review"),
    Status.APPROVED: ("审批通过", "Approved"),
    Status.DENIED: ("不予许可", "Denied"),
    Status.NOT_ACCEPTED: ("不予受理", "Not accepted"),
    Status.WITHDRAWN: ("已撤回", "Withdrawn"),
    Status.ISSUED: ("已出证", "Certificate issued"),
    Status.COMPLETED: ("已办结", "Completed"),
}

# status -> statuses it may move to
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.DRAFT: frozenset({Status.SUBMITTED, Status.WITHDRAWN}),
    Status.SUBMITTED: frozenset(
        {Status.ACCEPTED, Status.SUPPLEMENT_REQUIRED, Status.NOT_ACCEPTED, Status.WITHDRAWN}
    ),
    Status.SUPPLEMENT_REQUIRED: frozenset({Status.SUBMITTED, Status.WITHDRAWN}),
    Status.ACCEPTED: frozenset({Status.IN_REVIEW}),
    Status.IN_REVIEW: frozenset({Status.APPROVED, Status.DENIED}),
    Status.APPROVED: frozenset({Status.ISSUED, Status.COMPLETED}),  # electronic: at once
    Status.ISSUED: frozenset({Status.COMPLETED}),
    Status.DENIED: frozenset(),
    Status.NOT_ACCEPTED: frozenset(),
    Status.WITHDRAWN: frozenset(),
    Status.COMPLETED: frozenset(),
}

# Where the acceptance window sits: the county government service center (综合受理窗口).
ACCEPTANCE_WINDOW = "zwfw"


def can_move(current: Status, target: Status) -> bool:
    """Whether an application may go from `current` to `target` (staying is always allowed:
    a change of its other fields)."""
    return target is current or target in TRANSITIONS[current]


def check_move(current: Status, target: Status) -> None:
    """The table's verdict on a change about to be saved: a move it does not list is a 409."""
    if not can_move(current, target):
        raise Conflict(
            f"An application that is {current.value} cannot become {target.value}.",
            errors=[FieldError("status", f"{current.value} → {target.value}", "illegal_move")],
        )


class DocumentStatus(StrEnum):
    PENDING = "pending"  # upload form issued, file not (yet) checked
    CLEAN = "clean"
    REJECTED = "rejected"
    DELETED = "deleted"


ALLOWED_CONTENT_TYPES = ("application/pdf", "image/jpeg", "image/png")
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024

Sha256Hex = Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{64}$", to_lower=True)]


# A file name as the phone sends it: no path separators, no control characters.
FILENAME_PATTERN = r"^[^/\\\x00-\x1f\x7f]{1,200}$"
Filename = Annotated[str, StringConstraints(pattern=FILENAME_PATTERN)]
ContentType = Literal["application/pdf", "image/jpeg", "image/png"]


class DocumentRequest(Strict):
    material_code: Code
    filename: Filename
    content_type: ContentType
    size: int = Field(ge=1, le=MAX_DOCUMENT_BYTES, description="Bytes; at most 20 MB")
    sha256: Sha256Hex


class Document(Strict):
    document_id: str
    material_code: str
    filename: str
    content_type: str
    size: int
    sha256: str
    status: DocumentStatus
    reason: str | None = None
    requested_at: Instant
    checked_at: Instant | None = None
    uploaded_by: str
    version_id: str | None = None


class Actor(Strict):
    """Who did something: the applicant, an agent, a staff member, or the system."""

    role: str
    id: str | None = None
    department: str | None = None
    name: str | None = None


class TimelineEvent(Strict):
    event_id: str
    at: Instant
    type: str
    title: Text
    actor: Actor
    comment: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)


class SupplementItem(Strict):
    material_code: Code
    reason: Annotated[str, StringConstraints(min_length=2, max_length=500)]


class SupplementNote(Strict):
    """A material to supplement, as stored: the clerk's reasons for it, joined."""

    material_code: str
    reason: str


class TimeLimits(Strict):
    """The application's time limits, in working days."""

    acceptance_days: int
    promised_days: int
    legal_days: int
    acceptance_due: date | None = None
    promised_due: date | None = None
    legal_due: date | None = None
    running_since: date | None = None
    used_days: int = Field(
        default=0,
        description="Working days used in the current phase (acceptance, then processing)",
    )
    acceptance_used_days: int = 0
    paused: bool = False
    estimated: bool = False


class MaterialRef(Strict):
    code: str
    name: str
    name_en: str
    required: bool


class AgentGrant(Strict):
    agent_id: str
    agent_phone: str
    granted_at: Instant
    consent: str


class Application(BaseModel):
    """The stored application root."""

    model_config = ConfigDict(extra="ignore")

    application_id: str
    number: str
    owner_id: str
    service_code: str
    service_version: int
    service_name: str
    service_name_en: str
    lead_department: str
    review_departments: list[str]
    review_rule: str
    materials: list[MaterialRef]
    jurisdiction: JurisdictionCode
    applicant: Applicant
    form: dict[str, Any] = Field(default_factory=dict)
    delivery: Delivery
    status: Status
    rev: int = 0
    created_at: Instant
    submitted_at: Instant | None = None
    resubmitted_at: Instant | None = None
    decided_at: Instant | None = None
    limits: TimeLimits
    supplement: list[SupplementNote] | None = None
    supplement_requested_at: Instant | None = None
    submit_key: str | None = None
    not_accepted_reason: str | None = None
    execution_name: str | None = None
    agents: list[AgentGrant] = Field(default_factory=list)
    reviews_done_at: Instant | None = None
    certificate: Certificate | None = None
    delivery_state: DeliveryState | None = None
    completed_at: Instant | None = None
    on_time: bool | None = None
    within_legal: bool | None = None
    rating: Rating | None = None
    rectification: Rectification | None = None

    def has_agent(self, citizen_id: str) -> bool:
        return any(a.agent_id == citizen_id for a in self.agents)


# ---- requests ------------------------------------------------------------------------------


class ApplicationCreate(Strict):
    service_code: Annotated[str, StringConstraints(pattern=r"^[0-9]{6}-[A-Z]{2}-[0-9]{4}$")]
    applicant: Applicant
    form: dict[
        Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")],
        Annotated[str, StringConstraints(max_length=500)]
        | Annotated[int, Field(ge=-(10**15), le=10**15)]
        | bool,
    ] = Field(
        default_factory=dict,
        max_length=20,
        description="Extra answers the item asks for (at most 20, text up to 500 characters)",
    )
    delivery: Delivery
    jurisdiction: JurisdictionCode | None = Field(
        default=None, description="Where the applicant lives or is registered (default: county)"
    )


Comment = Annotated[str, StringConstraints(max_length=1000)]


class AcceptDecision(Strict):
    decision: Literal["accept"]
    comment: Comment | None = None


class SupplementDecision(Strict):
    """一次性告知: every material to supplement at once (a material listed twice has its
    reasons joined)."""

    decision: Literal["supplement"]
    materials: list[SupplementItem] = Field(min_length=1, max_length=50)
    comment: Comment | None = None


class NotAcceptDecision(Strict):
    decision: Literal["not_accept"]
    reason: Annotated[str, StringConstraints(min_length=2, max_length=1000)]
    comment: Comment | None = None


class AcceptanceDecision(
    RootModel[
        Annotated[
            AcceptDecision | SupplementDecision | NotAcceptDecision,
            Field(discriminator="decision"),
        ]
    ]
):
    """The one-window decision: accept, supplement (with the materials) or not accept (with
    the reason)."""


class AgentGrantRequest(Strict):
    agent_phone: Phone
    consent: Literal[True] = Field(
        description="The applicant consents to the agent acting on this case"
    )


class TimelineQuery(Strict):
    limit: QueryInt = Field(default=50, ge=1, le=100)
    cursor: Cursor | None = None


class TimelinePage(Strict):
    """Events newest first; `next_cursor` goes further back."""

    items: list[TimelineEvent]
    next_cursor: str | None = None


class WithdrawRequest(Strict):
    reason: Annotated[str, StringConstraints(max_length=500)] | None = None


class ApplicationListQuery(Strict):
    role: Literal["applicant", "agent"] = "applicant"
    limit: QueryInt = Field(default=20, ge=1, le=100)
    cursor: Cursor | None = None


class QueueQuery(Strict):
    limit: QueryInt = Field(default=20, ge=1, le=100)
    cursor: Cursor | None = None


# ---- responses -----------------------------------------------------------------------------


class ServiceRef(Strict):
    code: str
    name: str
    name_en: str
    version: int


class TimeView(Strict):
    acceptance_days: int
    promised_days: int
    legal_days: int
    acceptance_due: date | None = None
    promised_due: date | None = None
    legal_due: date | None = None
    used_days: int
    acceptance_used_days: int = 0
    left_days: int | None = None
    overdue: bool = False
    paused: bool = False
    estimated: bool = Field(
        default=False,
        description="A due date falls in a year whose holiday arrangement is not loaded yet: "
        "counted Monday–Friday",
    )


class Holder(Strict):
    kind: str
    departments: list[str] = Field(default_factory=list)
    label: Text


class Step(Strict):
    name: Text
    holder: Holder | None = None


class NextAction(Strict):
    code: str
    text: Text
    materials: list[str] = Field(default_factory=list)


class SupplementView(Strict):
    material_code: str
    material_name: str
    reason: str


class DocumentView(Strict):
    document_id: str
    material_code: str
    material_name: str
    filename: str
    content_type: str
    size: int
    status: DocumentStatus
    reason: str | None = None
    requested_at: Instant
    checked_at: Instant | None = None
    download_url: str | None = None


class AgentView(Strict):
    agent_id: str
    agent_phone: str
    granted_at: Instant


class PersonView(Strict):
    kind: Literal["person"] = "person"
    name: str
    id_number: str = Field(description="Masked (110105********002X) for anyone but the applicant")
    phone: str


class ContactView(Strict):
    name: str
    phone: str


class EnterpriseView(Strict):
    kind: Literal["enterprise"] = "enterprise"
    name: str
    credit_code: str
    legal_representative: str
    contact: ContactView


class AddressView(Strict):
    recipient: str
    phone: str
    province: str
    city: str
    county: str
    detail: str
    postcode: str | None = None


class DeliveryView(Strict):
    method: str
    address: AddressView | None = None


ApplicantView = Annotated[PersonView | EnterpriseView, Field(discriminator="kind")]


class CertificateRef(Strict):
    number: str
    code: str
    issued_at: Instant
    status: str
    verify_path: str


class ApplicationView(Strict):
    id: str
    number: str
    status: Status
    status_label: Text
    service: ServiceRef
    applicant: ApplicantView
    form: dict[str, Any]
    delivery: DeliveryView
    jurisdiction: str
    created_at: Instant
    submitted_at: Instant | None = None
    decided_at: Instant | None = None
    time: TimeView
    current_step: Step
    next_action: NextAction | None = None
    supplement: list[SupplementView] | None = None
    not_accepted_reason: str | None = None
    documents: list[DocumentView]
    timeline: list[TimelineEvent] = Field(
        description="The latest events, oldest first (at most 50)"
    )
    timeline_next_cursor: str | None = Field(
        default=None,
        description="Older events exist: GET …/timeline?cursor= with this value pages back",
    )
    agents: list[AgentView] | None = None
    reviews: list[TaskView] = Field(default_factory=list)
    certificate: CertificateRef | None = None
    delivery_state: DeliveryState | None = None
    completed_at: Instant | None = None
    on_time: bool | None = None
    rating: Rating | None = None
    rectification: Rectification | None = None
    your_role: str


class ApplicationSummary(Strict):
    id: str
    number: str
    status: Status
    status_label: Text
    service: ServiceRef
    applicant_name: str
    created_at: Instant
    submitted_at: Instant | None = None


class ApplicationPage(Strict):
    items: list[ApplicationSummary]
    next_cursor: str | None = None


class UploadFormView(Strict):
    url: str
    fields: dict[str, str]
    expires_in: int


class DocumentUpload(Strict):
    document: DocumentView
    upload: UploadFormView


class DocumentList(Strict):
    items: list[DocumentView]
