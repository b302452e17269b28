"""What the API takes and gives for applications: the bodies and queries of applying,
acceptance and agents, and the views."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from chalicelib.domain.applicant import Applicant, Delivery
from chalicelib.domain.application_parts import (
    ApplicationChannel,
    DocumentStatus,
    Status,
    SupplementItem,
)
from chalicelib.domain.common import Cursor, Instant, OneOf, QueryInt, Strict, Text
from chalicelib.domain.identity import Phone
from chalicelib.domain.moves import TimelineEvent
from chalicelib.domain.reference import JurisdictionCode
from chalicelib.domain.review import (
    DeliveryState,
    Rating,
    Rectification,
    TaskView,
)

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
    OneOf[
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
    channel: ApplicationChannel = Field(
        default=ApplicationChannel.APP,
        description="How it came in: app (online), window (a clerk for a walk-in visitor) or "
        "terminal (a service hall's self-service terminal)",
    )
    hall: str | None = Field(
        default=None, description="The service hall (jurisdiction code) it was filed at"
    )


class ApplicationSummary(Strict):
    id: str
    number: str
    status: Status
    status_label: Text
    service: ServiceRef
    applicant_name: str
    created_at: Instant
    submitted_at: Instant | None = None
    channel: ApplicationChannel = ApplicationChannel.APP


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
