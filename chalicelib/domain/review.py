"""Parallel review (并联审批), issuance (统一出件), delivery and rating."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from chalicelib.domain.common import Instant, OneOf, Strict, Text


class TaskStatus(StrEnum):
    OPEN = "open"
    APPROVED = "approved"
    DENIED = "denied"
    CLOSED = "closed"  # no longer needed: the rule was decided by other departments


TASK_LABELS: dict[TaskStatus, tuple[str, str]] = {
    TaskStatus.OPEN: ("审批中", "Reviewing"),
    TaskStatus.APPROVED: ("同意", "Approved"),
    TaskStatus.DENIED: ("不同意", "Denied"),
    TaskStatus.CLOSED: ("无需审批（已由其他部门决定）", "Closed (decided by other departments)"),
}


class ReviewTask(Strict):
    task_id: str
    case_id: str
    county: str = Field(description="The county of the case: a department is one county's")
    department: str
    rule: str
    status: TaskStatus
    token: str | None = None
    requested_at: Instant
    due: date
    escalations: int = 0
    escalated_at: Instant | None = None
    pressed: int = 0
    decided_at: Instant | None = None
    decided_by: str | None = None
    opinion: str | None = None
    conditions: list[str] = Field(default_factory=list)
    version: int = 0
    last_escalation: str | None = None


def task_id_of(case_id: str, department: str) -> str:
    return f"{case_id}-{department}"


def split_task_id(task_id: str) -> tuple[str, str] | None:
    case_id, _, department = task_id.partition("-")
    if len(case_id) != 26 or not case_id.isalnum() or not department.isalnum():
        return None
    return case_id, department


Opinion = Annotated[str, StringConstraints(min_length=2, max_length=2000)]


class Approval(Strict):
    decision: Literal["approve"]
    opinion: Opinion
    conditions: list[Annotated[str, StringConstraints(min_length=1, max_length=500)]] = Field(
        default_factory=list, max_length=20, description="Conditions attached to the approval"
    )


class Denial(Strict):
    decision: Literal["deny"]
    opinion: Opinion = Field(description="Why: the applicant reads it in the decision")


class ReviewDecision(OneOf[Annotated[Approval | Denial, Field(discriminator="decision")]]):
    """A department's decision on its review task."""

    @property
    def decision(self) -> str:
        return self.root.decision

    @property
    def opinion(self) -> str:
        return self.root.opinion

    @property
    def conditions(self) -> list[str]:
        return self.root.conditions if isinstance(self.root, Approval) else []


class PressRequest(Strict):
    comment: Annotated[str, StringConstraints(min_length=2, max_length=1000)]


class IssuanceRequest(Strict):
    tracking_number: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9]{8,30}$")] | None = (
        Field(default=None, description="Required when the applicant chose mail delivery")
    )
    carrier: Annotated[str, StringConstraints(min_length=2, max_length=40)] | None = None
    comment: Annotated[str, StringConstraints(max_length=1000)] | None = None


class HandoverRequest(Strict):
    pickup_code: Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")]
    received_by: Annotated[str, StringConstraints(min_length=1, max_length=100)]


class DeliveredRequest(Strict):
    comment: Annotated[str, StringConstraints(max_length=1000)] | None = None


class Certificate(Strict):
    code: str
    number: str
    case_id: str
    service_code: str
    service_name: str
    service_name_en: str
    holder: str
    issuer: str = Field(description="The issuing authority: the county's service centre")
    issued_at: Instant
    status: Literal["valid", "revoked"] = "valid"
    object_key: str


class DeliveryState(Strict):
    method: str
    pickup_code: str | None = None
    tracking_number: str | None = None
    carrier: str | None = None
    dispatched_at: Instant | None = None
    delivered_at: Instant | None = None
    received_by: str | None = None


# 不满意 and 非常不满意 are a bad review (差评), on both kinds of case.
BAD_RATING_MAX = 2

# The national five levels of government-service ratings (好差评).
RATING_LABELS: dict[int, tuple[str, str]] = {
    5: ("非常满意", "Very satisfied"),
    4: ("满意", "Satisfied"),
    3: ("基本满意", "Fairly satisfied"),
    2: ("不满意", "Dissatisfied"),
    1: ("非常不满意", "Very dissatisfied"),
}


class RatingRequest(Strict):
    level: int = Field(ge=1, le=5)
    comment: Annotated[str, StringConstraints(max_length=500)] | None = None


class Rating(Strict):
    level: int
    label: Text
    comment: str | None = None
    rated_at: Instant


class Rectification(Strict):
    """A bad review (差评) opens this for the lead department: fix it, visit the applicant."""

    department: str
    opened_at: Instant
    due: date
    status: Literal["open", "done"] = "open"
    follow_up_visit: Literal["pending", "done"] = "pending"
    measures: str | None = None
    visit_note: str | None = None
    closed_at: Instant | None = None


class RectificationReport(Strict):
    """The lead department reports what it fixed and how the follow-up visit (回访) went."""

    measures: Annotated[str, StringConstraints(min_length=2, max_length=2000)]
    visit_note: Annotated[str, StringConstraints(min_length=2, max_length=2000)]


class TaskView(Strict):
    task_id: str
    department: str
    department_name: str
    status: TaskStatus
    status_label: Text
    requested_at: Instant
    due: date
    escalations: int
    pressed: int
    decided_at: Instant | None = None
    opinion: str | None = None
    conditions: list[str] = Field(default_factory=list)


class TaskQueueItem(TaskView):
    case_id: str
    case_number: str
    service_name: str
    overdue: bool


class TaskPage(Strict):
    items: list[TaskQueueItem]
    next_cursor: str | None = None


class CertificateView(Strict):
    code: str
    number: str
    status: str
    service_name: str
    service_name_en: str
    holder: str
    issuer: str
    issued_at: Instant
    verify_url: str
    document: str = Field(
        default="certificate",
        description="Which document the code names: certificate, or notice:<kind> (a written "
        "notice: acceptance, non_acceptance, supplement, approval, denial, receipt)",
    )
    title: str = Field(default="证书", description="The document's name (受理通知书 …)")
    title_en: str = "Certificate"
    case_status: str | None = Field(
        default=None, description="A receipt's case, as it stands now (the visitor follows it)"
    )


class CertificateLink(Strict):
    url: str
    expires_in: int
