"""The public results of 双随机、一公开 (抽查结果公示): published as each is recorded
(the rules allow 20 working days), newest first; and as CSV for the national
credit-information publicity system. An individual business's operator and address, and
the inspectors' names, are never shown: entities by name and credit code, inspectors by
their certificate numbers (执法证号)."""

from __future__ import annotations

from chalicelib.domain.calendar import beijing_date
from chalicelib.domain.inspection_api import (
    PublicResult,
    PublicResultPage,
    ResultExportQuery,
    ResultQuery,
    outcome_label,
)
from chalicelib.domain.inspection_plan import Task
from chalicelib.errors import Conflict, FieldError
from chalicelib.paging import CursorCodec
from chalicelib.services.reference import ReferenceData
from chalicelib.services.tables import to_csv
from chalicelib.store.inspection_plans import InspectionPlanStore
from chalicelib.store.inspections import InspectionDirectoryStore

CSV_COLUMNS = (
    "统一社会信用代码",
    "市场主体名称",
    "抽查计划编号",
    "抽查事项",
    "检查实施机关",
    "检查完成日期",
    "检查结果",
    "整改期限",
    "整改情况",
)
EXPORT_ROWS = 5000


class InspectionResults:
    def __init__(
        self,
        plans: InspectionPlanStore,
        directory: InspectionDirectoryStore,
        reference: ReferenceData,
        cursors: CursorCodec,
    ) -> None:
        self._plans = plans
        self._directory = directory
        self._reference = reference
        self._cursors = cursors

    def public_results(self, query: ResultQuery) -> PublicResultPage:
        county = self._reference.county_named(query.county, "query.county").code
        scope = f"results|{county}"
        start = self._cursors.decode(query.cursor, scope) if query.cursor else None
        found = self._plans.results(county, query.limit, start)
        cursor = self._cursors.encode(found.last_key, scope) if found.last_key else None
        return PublicResultPage(items=self._published(found.items), next_cursor=cursor)

    def _published(self, tasks: list[Task]) -> list[PublicResult]:
        entities = self._directory.entities([t.credit_code for t in tasks])
        results = []
        for task in tasks:
            entity, finding, outcome = entities.get(task.credit_code), task.finding, task.outcome
            if entity is None or finding is None or outcome is None:
                continue
            results.append(
                PublicResult(
                    task_id=task.task_id,
                    plan_id=task.plan_id,
                    item_id=task.item_id,
                    item_name=task.item_name,
                    department=task.department,
                    entity=entity.public(),
                    inspected_on=finding.inspected_on,
                    outcome=outcome,
                    outcome_label=outcome_label(outcome),
                    rectify_by=finding.rectify_by,
                    rectified=task.follow_up.rectified if task.follow_up else None,
                    inspectors=task.inspectors,
                    recorded_at=finding.recorded_at,
                )
            )
        return results

    def export(self, query: ResultExportQuery) -> str:
        """The county's published results as CSV (UTF-8 with BOM, for Excel and the
        publicity system's import), newest first, at most EXPORT_ROWS."""
        county = self._reference.county_named(query.county, "query.county").code
        if query.since and query.until and query.until < query.since:
            raise Conflict(
                "until is before since.",
                errors=[FieldError("query.until", "before since", "range")],
            )
        departments = self._reference.departments(county)
        rows: list[list[str]] = []
        start = None
        while len(rows) < EXPORT_ROWS:
            page = self._plans.results(county, 200, start)
            published = self._published(page.items)
            for result in published:
                day = result.inspected_on
                if (query.since and day < query.since) or (query.until and day > query.until):
                    continue
                department = departments.get(result.department)
                rectified = {True: "已整改", False: "未整改", None: ""}[result.rectified]
                rows.append(
                    [
                        result.entity.credit_code,
                        result.entity.name,
                        result.plan_id,
                        result.item_name,
                        department.name if department else result.department,
                        day.isoformat(),
                        result.outcome_label.zh,
                        result.rectify_by.isoformat() if result.rectify_by else "",
                        rectified,
                    ]
                )
            start = page.last_key
            # Newest recorded first, and nothing is inspected after it is recorded: once a
            # page was recorded before `since`, so was everything after it.
            oldest = beijing_date(published[-1].recorded_at) if published else None
            if start is None or (query.since and oldest and oldest < query.since):
                break
        return to_csv(CSV_COLUMNS, rows[:EXPORT_ROWS])  # cells as text: no formula runs
