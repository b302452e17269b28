"""What the inspection endpoints answer: the staff's plans and tasks, and the public's plans,
draws and results (公示) — no seed before the draw, no operator or inspector names, ever."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from chalicelib.domain.common import (
    COUNTY_PARAMETER,
    CountyCode,
    Cursor,
    Instant,
    QueryDate,
    QueryInt,
    Scope,
    Strict,
    query_int,
)
from chalicelib.domain.inspection import PublicEntity
from chalicelib.domain.inspection_plan import (
    OUTCOME_LABELS,
    InspectionTaskStatus,
    Outcome,
    Plan,
    PlanFigures,
    PlanStatus,
)
from chalicelib.domain.request_api import PhotoView

FIRST_YEAR, LAST_YEAR = 2000, 2100  # the years inspection figures are asked for


class Label(Strict):
    zh: str
    en: str


def outcome_label(outcome: Outcome) -> Label:
    zh, en = OUTCOME_LABELS[outcome]
    return Label(zh=zh, en=en)


class Recusal(Strict):
    credit_code: str
    inspector_id: str
    reason: str


class Selection(Strict):
    order: int
    credit_code: str
    name: str
    township: str
    weight: int
    inspectors: list[str]
    unstaffed: bool = False


class PublicPlan(Strict):
    """A plan as published: before the draw its commitment and the hashes of the frozen
    directories; after it the seed, the selections, the recusals and the figures."""

    plan_id: str
    county: str
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
    status: PlanStatus
    procedure: str
    commitment: str
    entities_hash: str
    inspectors_hash: str
    last_inspections_hash: str
    population: int
    populations: dict[str, int] = Field(
        default_factory=dict, description="Entities in scope by township"
    )
    announced_at: Instant
    drawn_at: Instant | None = None
    seed: str | None = None
    sample_size: int | None = None
    due: date | None = None
    selections: list[Selection] = Field(default_factory=list)
    recusals: list[Recusal] = Field(default_factory=list)
    figures: PlanFigures
    proof_url: str | None = Field(
        default=None, description="The published record to recompute the draw from"
    )

    @classmethod
    def of(cls, plan: Plan, procedure: str, drawn: dict[str, Any] | None = None) -> PublicPlan:
        """The plan, with the draw's published outputs once it is drawn."""
        shown = plan.model_dump(exclude={"announced_by", "drawn_by", "rev", "task_days"})
        drawn = drawn or {}
        return cls(
            **shown,
            procedure=procedure,
            selections=[Selection.model_validate(s) for s in drawn.get("selections", [])],
            recusals=[Recusal.model_validate(r) for r in drawn.get("recusals", [])],
            proof_url=f"/public/inspections/plans/{plan.plan_id}/proof" if plan.seed else None,
        )


class PublicPlanPage(Strict):
    items: list[PublicPlan]
    next_cursor: str | None = None


class PublicResult(Strict):
    """One inspection's result as published (抽查结果公示)."""

    task_id: str
    plan_id: str
    item_id: str
    item_name: str
    department: str
    entity: PublicEntity
    inspected_on: date
    outcome: Outcome
    outcome_label: Label
    rectify_by: date | None = None
    rectified: bool | None = None
    inspectors: list[str]  # certificate numbers (执法证号), not names
    recorded_at: Instant


class PublicResultPage(Strict):
    items: list[PublicResult]
    next_cursor: str | None = None


class ResultQuery(Strict):
    county: CountyCode = Field(description=COUNTY_PARAMETER)
    limit: QueryInt = Field(default=50, ge=1, le=200)
    cursor: Cursor | None = None


class ResultExportQuery(Strict):
    county: CountyCode = Field(description=COUNTY_PARAMETER)
    since: QueryDate | None = Field(default=None, description="Inspected on or after")
    until: QueryDate | None = Field(default=None, description="Inspected on or before")


class InspectionTaskView(Strict):
    task_id: str
    plan_id: str
    item_id: str
    item_name: str
    department: str
    credit_code: str
    entity_name: str
    township: str
    address: str | None = None
    inspectors: list[str]
    unstaffed: bool
    due: date
    overdue: bool
    status: InspectionTaskStatus
    outcome: Outcome | None = None
    outcome_label: Label | None = None
    notes: str | None = None
    inspected_on: date | None = None
    rectify_by: date | None = None
    photos: list[PhotoView] = Field(default_factory=list)
    follow_up_notes: str | None = None
    rectified: bool | None = None
    escalated_at: Instant | None = None
    staffed_by: str | None = None
    staffed_at: Instant | None = None


class TaskList(Strict):
    items: list[InspectionTaskView]


class PlanFigureRow(Strict):
    plan_id: str
    item_id: str
    item_name: str
    department: str
    status: PlanStatus
    population: int
    tasks: int
    done: int
    completion_percent: float
    overdue: int


class ItemRatio(Strict):
    item_id: str
    item_name: str
    department: str
    required_permille: int
    population: int
    inspected: int
    achieved_permille: float


class OutcomeCounts(Strict):
    code: str
    name: str
    done: int
    outcomes: dict[str, int]


class InspectionFigures(Strict):
    """双随机 supervision: each plan's completion, the ratio achieved per item, results by
    department and by township."""

    scope: str
    year: int
    plans: list[PlanFigureRow]
    items: list[ItemRatio]
    departments: list[OutcomeCounts]
    townships: list[OutcomeCounts]


class FiguresQuery(Strict):
    scope: Scope | None = None
    # The bounds before the query-string parser: pydantic writes them as minimum/maximum then.
    year: Annotated[int, Field(ge=FIRST_YEAR, le=LAST_YEAR), BeforeValidator(query_int)] | None = (
        Field(default=None, description="The plans of this year (default: this year)")
    )
