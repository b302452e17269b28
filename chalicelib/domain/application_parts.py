"""The parts of an application (办件) that `Application` is made of and the table its moves
follow: statuses and the allowed moves between them, documents and their checks, the
supplement notes, the time limits, the materials and the agents' grants."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from chalicelib.domain.common import Code, Instant, Strict
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
    # straight to the outcome when the review started but its in_review save did not land
    Status.ACCEPTED: frozenset({Status.IN_REVIEW, Status.APPROVED, Status.DENIED}),
    Status.IN_REVIEW: frozenset({Status.APPROVED, Status.DENIED}),
    Status.APPROVED: frozenset({Status.ISSUED, Status.COMPLETED}),  # electronic: at once
    Status.ISSUED: frozenset({Status.COMPLETED}),
    Status.DENIED: frozenset(),
    Status.NOT_ACCEPTED: frozenset(),
    Status.WITHDRAWN: frozenset(),
    Status.COMPLETED: frozenset(),
}


class ApplicationChannel(StrEnum):
    """How an application came in."""

    APP = "app"  # online: the applicant's (or an agent's) phone
    WINDOW = "window"  # a window clerk filed it for a walk-in visitor
    TERMINAL = "terminal"  # the applicant at a service hall's self-service terminal


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


@dataclass(frozen=True)
class CaseMoment:
    """When an application's move happens and what the county's calendar makes of it: the
    service works these out (the domain has no calendar) and hands them to the move."""

    at: datetime
    today: date  # `at`'s Beijing date
    elapsed: int  # working days since the office's clock last started (0 if it is stopped)
