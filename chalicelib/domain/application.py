"""Applications (办件): the case a citizen or enterprise files for a catalogue item."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.domain.applicant import Applicant, Delivery
from chalicelib.domain.application_outcome import OutcomeMoves
from chalicelib.domain.application_parts import (
    ACCEPTANCE_WINDOW,
    AgentGrant,
    ApplicationChannel,
    CaseMoment,
    MaterialRef,
    Status,
    SupplementNote,
    TimeLimits,
    check_move,
)
from chalicelib.domain.common import Instant
from chalicelib.domain.moves import SYSTEM, Actor, TimelineEvent, new_event
from chalicelib.domain.reference import JurisdictionCode
from chalicelib.domain.review import (
    Certificate,
    DeliveryState,
    Rating,
    Rectification,
)
from chalicelib.errors import Conflict


class Application(OutcomeMoves, BaseModel):
    """The stored application root. Its moves up to the decision here; issuance,
    delivery, rating and rectification in `application_outcome`."""

    model_config = ConfigDict(defer_build=True, extra="ignore")

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
    review_restarts: int = Field(default=0, ge=0, description="Review workflows started again")
    agents: list[AgentGrant] = Field(default_factory=list)
    reviews_done_at: Instant | None = None
    certificate: Certificate | None = None
    delivery_state: DeliveryState | None = None
    completed_at: Instant | None = None
    on_time: bool | None = None
    within_legal: bool | None = None
    rating: Rating | None = None
    rectification: Rectification | None = None
    channel: ApplicationChannel = ApplicationChannel.APP
    hall: JurisdictionCode | None = None  # the service hall it was filed at (window, terminal)
    filed_by: Actor | None = None  # who typed it in, when not the applicant online

    @property
    def county(self) -> str:
        return self.jurisdiction[:6]

    def has_agent(self, citizen_id: str) -> bool:
        return any(a.agent_id == citizen_id for a in self.agents)

    # ---- moves: each changes this (working) copy, checked against TRANSITIONS, and returns
    # the timeline events it produces; the service saves both (as for ServiceRequest).

    def _move_to(self, status: Status) -> None:
        check_move(self.status, status)
        self.status = status

    def _stop_clock(self, when: CaseMoment) -> None:
        """The office's clock stops: the working days since it last ran are used."""
        if self.limits.running_since is not None:
            self.limits.used_days += when.elapsed
            self.limits.running_since = None

    def submit(
        self, due: date, estimated: bool, by: Actor, when: CaseMoment
    ) -> list[TimelineEvent]:
        """To the acceptance window (first time), or back to it with the supplement: the
        window has until `due`; the clock runs again from today."""
        first = self.status is Status.DRAFT
        if self.status not in (Status.DRAFT, Status.SUPPLEMENT_REQUIRED):
            raise Conflict(f"An application that is {self.status.value} cannot be submitted.")
        self._move_to(Status.SUBMITTED)
        self.limits.acceptance_due = due
        self.limits.running_since = when.today
        self.limits.paused = False
        self.limits.estimated = estimated
        if first:
            self.submitted_at = when.at
            return [
                new_event(
                    "submitted",
                    f"提交申请，受理期限 {due.isoformat()}",
                    f"Submitted; acceptance due {due.isoformat()}",
                    by,
                    when.at,
                    acceptance_due=due.isoformat(),
                    holder=ACCEPTANCE_WINDOW,
                )
            ]
        self.resubmitted_at = when.at
        return [
            new_event(
                "supplemented",
                f"补正材料已提交，计时恢复，受理期限 {due.isoformat()}",
                f"Supplement sent; the clock resumes, acceptance due {due.isoformat()}",
                by,
                when.at,
                materials=[i.material_code for i in self.supplement or []],
            )
        ]

    def withdraw(self, by: Actor, when: CaseMoment, reason: str | None) -> list[TimelineEvent]:
        """The applicant withdraws it while it waits for, or at, the acceptance window."""
        if self.status not in (Status.DRAFT, Status.SUBMITTED, Status.SUPPLEMENT_REQUIRED):
            raise Conflict(
                f"An application that is {self.status.value} can no longer be withdrawn."
            )
        self._stop_clock(when)
        self._move_to(Status.WITHDRAWN)
        self.decided_at = when.at
        return [
            new_event(
                "withdrawn",
                "申请人撤回申请",
                "Withdrawn by the applicant",
                by,
                when.at,
                comment=reason,
            )
        ]

    def _at_window(self) -> None:
        if self.status is not Status.SUBMITTED:
            raise Conflict(
                f"The application is {self.status.value}: it is not waiting for acceptance "
                "(another clerk may have decided it)."
            )

    def ask_supplement(
        self,
        items: list[SupplementNote],
        listing: str,
        by: Actor,
        when: CaseMoment,
        comment: str | None = None,
    ) -> list[TimelineEvent]:
        """一次性告知: every material to supplement at once (`listing` names them); the
        clock pauses until the applicant sends them."""
        self._at_window()
        self._stop_clock(when)
        self._move_to(Status.SUPPLEMENT_REQUIRED)
        self.supplement = items
        self.supplement_requested_at = when.at
        self.limits.paused = True
        return [
            new_event(
                "supplement_requested",
                f"一次性告知补正：{listing}（计时暂停）",
                f"Supplement requested for {len(items)} material(s); the clock is paused",
                by,
                when.at,
                comment=comment,
                materials=[i.model_dump() for i in items],
            )
        ]

    def refuse(
        self, reason: str, by: Actor, when: CaseMoment, comment: str | None = None
    ) -> list[TimelineEvent]:
        """不予受理, with the reason."""
        self._at_window()
        self._stop_clock(when)
        self._move_to(Status.NOT_ACCEPTED)
        self.decided_at = when.at
        self.not_accepted_reason = reason
        return [
            new_event(
                "not_accepted",
                f"不予受理：{reason}",
                f"Not accepted: {reason}",
                by,
                when.at,
                comment=comment,
            )
        ]

    def accept(
        self,
        promised: date,
        legal: date,
        estimated: bool,
        by: Actor,
        when: CaseMoment,
        comment: str | None = None,
    ) -> list[TimelineEvent]:
        """受理: the acceptance phase's days are kept apart; the processing clock starts
        today against the promised and the legal limit."""
        self._at_window()
        self._stop_clock(when)
        self._move_to(Status.ACCEPTED)
        self.decided_at = when.at
        limits = self.limits
        limits.promised_due = promised
        limits.legal_due = legal
        limits.acceptance_used_days = limits.used_days
        limits.used_days = 0
        limits.running_since = when.today
        limits.estimated = estimated
        return [
            new_event(
                "accepted",
                f"已受理，承诺办结期限 {promised.isoformat()}（法定 {legal.isoformat()}）",
                f"Accepted; promised by {promised.isoformat()} (legal limit {legal.isoformat()})",
                by,
                when.at,
                comment=comment,
                promised_due=promised.isoformat(),
                legal_due=legal.isoformat(),
            )
        ]

    def start_review(
        self, execution: str, names: list[str], by: Actor, at: datetime
    ) -> list[TimelineEvent]:
        """The parallel review (并联审批) started as `execution`; `names` are the reviewing
        departments' names."""
        if self.status is not Status.ACCEPTED:
            raise Conflict(f"An application that is {self.status.value} is not to be reviewed.")
        self._move_to(Status.IN_REVIEW)
        self.execution_name = execution
        return [
            new_event(
                "review_started",
                "并联审批开始：" + "、".join(names),
                "Parallel review started: " + ", ".join(self.review_departments),
                by,
                at,
                departments=self.review_departments,
                rule=self.review_rule,
            )
        ]

    def restart_review(
        self, execution: str, why: tuple[str, str], by: Actor, at: datetime
    ) -> list[TimelineEvent]:
        """The parallel review runs again as `execution` after its workflow stopped; the
        decisions already recorded stand (the new run is answered with them)."""
        if self.status is not Status.IN_REVIEW:
            raise Conflict(f"An application that is {self.status.value} is not in review.")
        self.execution_name = execution
        self.review_restarts += 1
        zh, en = why
        return [
            new_event(
                "review_restarted",
                f"并联审批重新启动（第 {self.review_restarts} 次）：{zh}",
                f"Parallel review started again (#{self.review_restarts}): {en}",
                by,
                at,
            )
        ]

    def finish(self, when: CaseMoment) -> None:
        """The office's clock stops for good (at the decision, or at issuance: the
        applicant's time to collect and the post's transit are not the office's): the
        working days used, and whether it beat its limits."""
        self._stop_clock(when)
        limits = self.limits
        self.on_time = limits.promised_due is None or when.today <= limits.promised_due
        self.within_legal = limits.legal_due is None or when.today <= limits.legal_due

    def approve(self, opinions: dict[str, str | None], at: datetime) -> list[TimelineEvent]:
        """Every branch approved (or, by an `any` rule, one): on to the issuance window."""
        self._move_to(Status.APPROVED)
        self.reviews_done_at = at
        return [
            new_event(
                "approved",
                "审批通过，转统一出件窗口",
                "Approved by the review; on to the issuance window",
                SYSTEM,
                at,
                opinions=opinions,
            )
        ]

    def deny(
        self, opinions: dict[str, str | None], reasons: str, when: CaseMoment
    ) -> list[TimelineEvent]:
        """不予许可 by the review (`reasons` names each denying department's opinion): the
        case completes and its clock stops."""
        self._move_to(Status.DENIED)
        self.reviews_done_at = when.at
        self.completed_at = when.at
        self.finish(when)
        return [
            new_event(
                "denied",
                f"不予许可：{reasons or '审批未通过'}",
                "Denied by the review",
                SYSTEM,
                when.at,
                opinions=opinions,
            )
        ]
