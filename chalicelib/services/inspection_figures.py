"""双随机 supervision figures: each plan's completion, the ratio achieved per item, results
by department and by township — summed from the plans' counters (one Query per county: a
county announces a few hundred plans a year at most), for the caller's scope as the other
figures resolve it (a county, a region's counties, a department, a township)."""

from __future__ import annotations

from collections import defaultdict

from chalicelib.clock import Clock
from chalicelib.domain.calendar import beijing_date
from chalicelib.domain.identity import StaffMember
from chalicelib.domain.inspection_api import (
    FiguresQuery,
    InspectionFigures,
    ItemRatio,
    OutcomeCounts,
    PlanFigureRow,
)
from chalicelib.domain.inspection_plan import Plan
from chalicelib.services.reference import ReferenceData
from chalicelib.services.supervision import resolve_scope
from chalicelib.store.inspection_plans import InspectionPlanStore


class InspectionFiguresService:
    def __init__(self, plans: InspectionPlanStore, reference: ReferenceData, clock: Clock) -> None:
        self._plans = plans
        self._reference = reference
        self._clock = clock

    def figures(self, staff: StaffMember, query: FiguresQuery) -> InspectionFigures:
        scope = resolve_scope(self._reference, staff, query.scope)
        year = query.year or beijing_date(self._clock.now()).year
        department, township = None, None
        if scope.startswith("dept:"):
            county, _, department = scope[5:].rpartition(":")
            counties = [county]
        else:
            counties = self._reference.counties_within(scope)
            township = scope[:9] if len(scope) >= 9 else None
        plans = [
            p
            for county in counties
            for p in self._plans.all_plans(county)
            if p.period_start.year == year
            and (department is None or p.department == department)
            and (township is None or township in p.populations)
        ]
        return InspectionFigures(
            scope=township or scope,  # a village's or a grid's scope: its township's figures
            year=year,
            plans=[_row(p, township) for p in plans],
            items=_items(plans, township),
            departments=self._by_department(plans, township),
            townships=self._by_township(plans, township),
        )

    def _by_department(self, plans: list[Plan], township: str | None) -> list[OutcomeCounts]:
        counts: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
        for plan in plans:
            row = counts[(plan.county, plan.department)]
            for place, outcomes in plan.figures.townships.items():
                if township and place != township:
                    continue
                for outcome, n in outcomes.items():
                    row[outcome] = row.get(outcome, 0) + n
        rows = []
        for (county, code), outcomes in sorted(counts.items()):
            department = self._reference.departments(county).get(code)
            name = department.name if department else code
            rows.append(
                OutcomeCounts(code=code, name=name, done=sum(outcomes.values()), outcomes=outcomes)
            )
        return rows

    def _by_township(self, plans: list[Plan], township: str | None) -> list[OutcomeCounts]:
        counts: dict[str, dict[str, int]] = defaultdict(dict)
        for plan in plans:
            for place, outcomes in plan.figures.townships.items():
                if township and place != township:
                    continue
                for outcome, n in outcomes.items():
                    counts[place][outcome] = counts[place].get(outcome, 0) + n
        return [
            OutcomeCounts(
                code=code,
                name=self._reference.place_name(code) or code,
                done=sum(outcomes.values()),
                outcomes=outcomes,
            )
            for code, outcomes in sorted(counts.items())
        ]


def _counts(plan: Plan, township: str | None) -> tuple[int, int, int]:
    """(population, tasks, done) of the plan, or of its part in one township."""
    figures = plan.figures
    if township is None:
        return plan.population, figures.tasks, figures.done
    done = sum(figures.townships.get(township, {}).values())
    tasks = figures.township_tasks.get(township, 0)
    return plan.populations.get(township, 0), tasks, done


def _row(plan: Plan, township: str | None) -> PlanFigureRow:
    population, tasks, done = _counts(plan, township)
    return PlanFigureRow(
        plan_id=plan.plan_id,
        item_id=plan.item_id,
        item_name=plan.item_name,
        department=plan.department,
        status=plan.status,
        population=population,
        tasks=tasks,
        done=done,
        completion_percent=round(100 * done / tasks, 1) if tasks else 0.0,
        overdue=plan.figures.overdue if township is None else 0,
    )


def _items(plans: list[Plan], township: str | None) -> list[ItemRatio]:
    """Per item: the entities inspected over the year against its population (the largest
    scope a plan of the year drew from), in ‰, beside the ratio the list asks for."""
    by_item: dict[tuple[str, str], list[Plan]] = defaultdict(list)
    for plan in plans:
        by_item[(plan.county, plan.item_id)].append(plan)
    rows = []
    for (_, item_id), group in sorted(by_item.items()):
        newest = max(group, key=lambda p: p.plan_id)
        counts = [_counts(p, township) for p in group]
        population = max(c[0] for c in counts)
        inspected = sum(c[2] for c in counts)
        rows.append(
            ItemRatio(
                item_id=item_id,
                item_name=newest.item_name,
                department=newest.department,
                required_permille=newest.ratio_permille,
                population=population,
                inspected=inspected,
                achieved_permille=round(1000 * inspected / population, 1) if population else 0.0,
            )
        )
    return rows
