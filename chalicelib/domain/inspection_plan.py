"""An inspection plan (抽查计划) and its tasks (检查任务).

    announced ──draw──▶ drawn
    (commitment and       (seed revealed; one task per drawn entity, its inspectors
     frozen directories    assigned, due `task_days` working days after the draw)
     published)

A task moves:

    assigned ──result──▶ done                          (合格 / 未发现问题, 立案查处, 无法联系 …)
        │          └───▶ rectifying ──follow-up──▶ done (责令整改: checked again by its date)
        └─ overdue: escalated once to the department's head (the task stays assigned)

A result is public when recorded (the rules allow 20 working days); the public never sees
an individual business's operator or address, nor the inspectors' names.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field, StringConstraints, model_validator

from chalicelib.domain.common import (
    COUNTY_PARAMETER,
    CountyCode,
    Cursor,
    Instant,
    QueryBool,
    QueryInt,
    Strict,
)
from chalicelib.domain.inspection import ItemId, TownshipCode
from chalicelib.domain.request_parts import Photo
from chalicelib.errors import Conflict, FieldError

Notes = Annotated[str, StringConstraints(min_length=1, max_length=1000, pattern=r"\S")]
PhotoIds = Annotated[
    list[Annotated[str, StringConstraints(pattern=r"^[0-7][0-9A-HJKMNP-TV-Z]{25}$")]],
    Field(default_factory=list, max_length=9, description="Uploads (POST /admin/uploads)"),
]


MIN_INSPECTORS = 2  # at least two inspectors an inspection (the State Council's 2015 notice)


class PlanStatus(StrEnum):
    ANNOUNCED = "announced"  # 已公告: commitment and directory hashes public
    DRAWN = "drawn"  # 已抽取: seed revealed, tasks assigned


class Outcome(StrEnum):
    PASSED = "passed"  # 未发现问题 (合格)
    RECTIFY = "rectify"  # 责令整改
    CASE_FILED = "case_filed"  # 立案查处
    UNREACHABLE = "unreachable"  # 通过登记的住所（经营场所）无法联系
    CEASED = "ceased"  # 已停业、歇业或注销


OUTCOME_LABELS: dict[Outcome, tuple[str, str]] = {
    Outcome.PASSED: ("未发现问题", "No problem found"),
    Outcome.RECTIFY: ("责令整改", "Ordered to rectify"),
    Outcome.CASE_FILED: ("立案查处", "Case filed for investigation"),
    Outcome.UNREACHABLE: ("通过登记的住所（经营场所）无法联系", "Not reachable at its address"),
    Outcome.CEASED: ("已停业、歇业或注销", "Ceased trading"),
}
FAILED = frozenset({Outcome.RECTIFY, Outcome.CASE_FILED})  # weigh in later key-item draws


class InspectionTaskStatus(StrEnum):
    ASSIGNED = "assigned"
    RECTIFYING = "rectifying"
    DONE = "done"


class PlanInput(Strict):
    item_id: ItemId
    period_start: date = Field(description="First day the inspections may take place")
    period_end: date = Field(description="Last day")
    ratio_permille: int | None = Field(
        default=None, ge=1, le=1000, description="At least the item's ratio; the item's if left out"
    )
    townships: list[TownshipCode] = Field(
        default_factory=list, max_length=50, description="The scope; empty: the whole county"
    )
    inspectors_per_entity: int = Field(default=2, ge=2, le=5)
    task_days: int = Field(
        default=20, ge=1, le=120, description="Working days the inspectors have after the draw"
    )

    @model_validator(mode="after")
    def _period(self) -> PlanInput:
        if self.period_end < self.period_start:
            raise ValueError("period_end: must not be before period_start")
        if (self.period_end - self.period_start).days > 366:
            raise ValueError("period_end: a plan covers at most a year")
        if len(set(self.townships)) != len(self.townships):
            raise ValueError("townships: each township once")
        return self


class PlanFigures(Strict):
    """A plan's counters, moved with each task's result in the same transaction."""

    tasks: int = 0
    unstaffed: int = 0
    done: int = 0  # a result recorded (rectifying counts: the inspection took place)
    overdue: int = 0  # escalated at least once
    outcomes: dict[str, int] = Field(default_factory=dict)
    townships: dict[str, dict[str, int]] = Field(default_factory=dict)  # township -> outcome
    township_tasks: dict[str, int] = Field(default_factory=dict)  # township -> tasks drawn


class Plan(Strict):
    plan_id: str
    county: CountyCode
    item_id: str
    item_version: int
    item_name: str
    department: str
    key_item: bool
    period_start: date
    period_end: date
    ratio_permille: int
    townships: list[str]
    inspectors_per_entity: int
    task_days: int
    status: PlanStatus
    commitment: str
    entities_hash: str
    inspectors_hash: str
    last_inspections_hash: str
    population: int
    populations: dict[str, int] = Field(default_factory=dict)  # township -> entities in scope
    announced_at: Instant
    announced_by: str
    drawn_at: Instant | None = None
    drawn_by: str | None = None
    seed: str | None = None  # revealed by the draw
    sample_size: int | None = None
    due: date | None = None
    figures: PlanFigures = Field(default_factory=PlanFigures)
    rev: int = 1

    def procedure_plan(self) -> dict[str, Any]:
        """The plan as the published procedure reads it (section 7's `plan`)."""
        return {
            "plan_id": self.plan_id,
            "item_id": self.item_id,
            "department": self.department,
            "key_item": self.key_item,
            "ratio_permille": self.ratio_permille,
            "inspectors_per_entity": self.inspectors_per_entity,
        }

    def check_drawable(self) -> None:
        if self.status is not PlanStatus.ANNOUNCED:
            raise Conflict(
                "This plan has been drawn already; its draw is public.",
                errors=[FieldError("status", f"is {self.status.value}", "state")],
            )


class TaskResultInput(Strict):
    outcome: Outcome
    notes: Notes
    inspected_on: date
    photos: PhotoIds
    rectify_by: date | None = Field(
        default=None, description="责令整改 only: the date the entity must have rectified by"
    )

    @model_validator(mode="after")
    def _rectify(self) -> TaskResultInput:
        if (self.outcome is Outcome.RECTIFY) != (self.rectify_by is not None):
            raise ValueError("rectify_by: given exactly when the outcome is rectify")
        if self.rectify_by is not None and self.rectify_by <= self.inspected_on:
            raise ValueError("rectify_by: must be after inspected_on")
        return self


class FollowUpInput(Strict):
    rectified: bool = Field(description="false: not rectified, a case is filed (立案查处)")
    notes: Notes
    checked_on: date
    photos: PhotoIds


class Finding(Strict):
    outcome: Outcome
    notes: Notes
    inspected_on: date
    photos: list[Photo] = Field(default_factory=list)
    rectify_by: date | None = None
    recorded_by: str
    recorded_at: Instant


class FollowUp(Strict):
    rectified: bool
    notes: Notes
    checked_on: date
    photos: list[Photo] = Field(default_factory=list)
    recorded_by: str
    recorded_at: Instant


class Task(Strict):
    task_id: str
    plan_id: str
    order: int
    county: str
    department: str
    item_id: str
    item_name: str
    credit_code: str
    entity_name: str
    township: str
    inspectors: list[str]  # inspector ids, in draw order
    staff: list[str]  # their staff ids (who may record the result)
    unstaffed: bool = False
    due: date
    status: InspectionTaskStatus = InspectionTaskStatus.ASSIGNED
    finding: Finding | None = None
    follow_up: FollowUp | None = None
    escalated_at: Instant | None = None
    staffed_by: str | None = None  # the head who staffed an unstaffed task by hand
    staffed_at: Instant | None = None
    rev: int = 1

    def staff_with(self, inspectors: list[str], staff: list[str], by: str, at: datetime) -> None:
        """The department head staffs a task the draw left unstaffed (too few inspectors
        without a conflict): recorded as theirs, not the draw's."""
        if not self.unstaffed or self.status is not InspectionTaskStatus.ASSIGNED:
            raise Conflict(
                "Only a task the draw left unstaffed, still waiting for its result, is staffed "
                "by hand.",
                errors=[FieldError("unstaffed", "the draw staffed this task", "state")],
            )
        self.inspectors, self.staff, self.unstaffed = inspectors, staff, False
        self.staffed_by, self.staffed_at = by, at

    @property
    def outcome(self) -> Outcome | None:
        """The final outcome: a failed follow-up of a rectification is a case filed."""
        if self.finding is None:
            return None
        if self.follow_up is not None and not self.follow_up.rectified:
            return Outcome.CASE_FILED
        return self.finding.outcome

    def check_inspector(self, staff_id: str) -> None:
        if self.unstaffed:
            raise Conflict(
                "Too few inspectors without a conflict were drawn for this entity; the "
                "department head must staff it before a result is recorded.",
                errors=[FieldError("unstaffed", "fewer inspectors than the plan needs", "state")],
            )
        if staff_id not in self.staff:
            raise Conflict(
                "Only the inspectors drawn for this task record its result.",
                errors=[FieldError("staff", "not drawn for this task", "forbidden")],
            )

    def record(self, finding: Finding) -> None:
        if self.status is not InspectionTaskStatus.ASSIGNED:
            raise Conflict(
                "This task's result is recorded already.",
                errors=[FieldError("status", f"is {self.status.value}", "state")],
            )
        self.finding = finding
        rectifying = finding.outcome is Outcome.RECTIFY
        self.status = InspectionTaskStatus.RECTIFYING if rectifying else InspectionTaskStatus.DONE

    def follow(self, follow_up: FollowUp) -> None:
        if self.status is not InspectionTaskStatus.RECTIFYING:
            raise Conflict(
                "Only a task ordered to rectify is followed up.",
                errors=[FieldError("status", f"is {self.status.value}", "state")],
            )
        assert self.finding is not None
        if follow_up.checked_on < self.finding.inspected_on:
            raise Conflict(
                "The follow-up cannot come before the inspection.",
                errors=[FieldError("body.checked_on", "before the inspection", "range")],
            )
        self.follow_up = follow_up
        self.status = InspectionTaskStatus.DONE


class StaffingInput(Strict):
    inspectors: list[Annotated[str, StringConstraints(pattern=r"^[0-9A-Z]{6,20}$")]] = Field(
        min_length=MIN_INSPECTORS,
        max_length=5,
        description="Certificate numbers of the department's active inspectors, none with a "
        "conflict (at least two: the rule of 双随机)",
    )

    @model_validator(mode="after")
    def _distinct(self) -> StaffingInput:
        if len(set(self.inspectors)) != len(self.inspectors):
            raise ValueError("inspectors: each inspector once")
        return self


class PlanQuery(Strict):
    county: CountyCode = Field(description=COUNTY_PARAMETER)
    limit: QueryInt = Field(default=20, ge=1, le=100)
    cursor: Cursor | None = None


class TaskQuery(Strict):
    plan_id: str | None = Field(default=None, pattern=r"^[0-7][0-9A-HJKMNP-TV-Z]{25}$")
    mine: QueryBool = Field(default=False, description="Only the tasks I was drawn for")
    open: QueryBool = Field(default=False, description="Only tasks still waiting for a result")
