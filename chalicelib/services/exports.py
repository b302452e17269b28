"""CSV and XLSX exports of a scope's cases and figures for a period."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from chalicelib.domain.identity import StaffMember
from chalicelib.domain.stats_views import Figures
from chalicelib.services.stats import StatsService
from chalicelib.services.supervision import SupervisionService
from chalicelib.services.tables import Cell, Sheet

CASE_COLUMNS = (
    "类型 kind",
    "编号 number",
    "事项/类别 title",
    "代码 code",
    "状态 status",
    "状态说明 status label",
    "区域代码 jurisdiction",
    "区域 jurisdiction name",
    "承办单位 departments",
    "受理时间 received at (北京时间)",
    "时限 deadline (北京时间)",
    "超期 overdue",
    "已督办 escalated",
    "按时 on time",
    "评价 rating",
)
FIGURE_COLUMNS = tuple(Figures.model_fields)


@dataclass
class ExportService:
    supervision: SupervisionService
    stats: StatsService

    def case_table(
        self, staff: StaffMember, scope: str | None, period: str
    ) -> tuple[Sequence[str], Iterator[Sequence[Cell]]]:
        def rows() -> Iterator[Sequence[Cell]]:
            for c in self.supervision.all_cases(staff, scope, period):
                yield (
                    c.kind,
                    c.number,
                    c.title.zh,
                    c.category,
                    c.status,
                    c.status_label.zh,
                    c.jurisdiction,
                    c.jurisdiction_name,
                    " ".join(c.departments),
                    c.created_at,
                    c.deadline,
                    c.overdue,
                    c.escalated,
                    c.on_time,
                    c.rating,
                )

        rows_iter = rows()
        first = next(rows_iter, None)  # check access before the response starts

        def chained() -> Iterator[Sequence[Cell]]:
            if first is not None:
                yield first
                yield from rows_iter

        return CASE_COLUMNS, chained()

    def stats_tables(self, staff: StaffMember, scope: str | None, period: str) -> list[Sheet]:
        view = self.stats.view(staff, scope, period)
        header = ("范围 table", "代码 code", "名称 name", *FIGURE_COLUMNS)

        def row(table: str, code: str, name: str, figures: Figures) -> Sequence[Cell]:
            values = figures.model_dump()
            return (table, code, name, *(values[c] for c in FIGURE_COLUMNS))

        summary = [
            row("total", view.scope, view.scope_name, view.total),
            row("requests", view.scope, view.scope_name, view.requests),
            row("applications", view.scope, view.scope_name, view.applications),
        ]
        return [
            ("summary", header, summary),
            (
                "by jurisdiction",
                header,
                [row("jurisdiction", b.code, b.name, b.figures) for b in view.by_jurisdiction],
            ),
            (
                "by category",
                header,
                [row("category", b.code, b.name, b.figures) for b in view.by_category],
            ),
            (
                "by service",
                header,
                [row("service", b.code, b.name, b.figures) for b in view.by_service],
            ),
        ]
