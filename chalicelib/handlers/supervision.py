"""Supervision routes: every case of a scope, live statistics, hot topics, exports (SigV4),
the public transparency figures, and the leaders' dashboard."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.deps import container
from chalicelib.domain.access import SUPERVISING
from chalicelib.domain.common import Strict
from chalicelib.domain.identity import StaffMember
from chalicelib.domain.stats_views import (
    HotTopics,
    PublicStats,
    PublicStatsQuery,
    StatsQuery,
    StatsView,
    Trend,
)
from chalicelib.domain.supervision import CaseListQuery, CasePage, ExportQuery
from chalicelib.http.api import Call, Reply, created, operation
from chalicelib.http.paths import ExportPath

bp = Blueprint(__name__)
TAGS = ("admin", "supervision")


class DashboardSession(Strict):
    url: str
    expires_in: int


@operation(
    bp,
    "/admin/cases",
    summary="Every case (applications and requests) of my jurisdiction subtree or department",
    tags=TAGS,
    auth="staff",
    allow=SUPERVISING,
    query=CaseListQuery,
    response=CasePage,
)
def list_cases(call: Call, staff: StaffMember, query: CaseListQuery) -> CasePage:
    deps = container()
    return deps.supervision.cases(staff, query)


@operation(
    bp,
    "/admin/stats",
    summary="Figures of a scope and period, by category/service and by child jurisdiction",
    tags=TAGS,
    auth="staff",
    allow=SUPERVISING,
    query=StatsQuery,
    response=StatsView,
)
def get_stats(call: Call, staff: StaffMember, query: StatsQuery) -> StatsView:
    deps = container()
    return deps.stats.view(staff, query.scope, query.period)


@operation(
    bp,
    "/admin/stats/hot",
    summary="Hot topics: top categories and grids, repeated requests (likely systemic)",
    tags=TAGS,
    auth="staff",
    allow=SUPERVISING,
    query=StatsQuery,
    response=HotTopics,
)
def get_hot_topics(call: Call, staff: StaffMember, query: StatsQuery) -> HotTopics:
    deps = container()
    return deps.stats.hot(staff, query.scope, query.period)


@operation(
    bp,
    "/admin/stats/trend",
    summary="Month by month figures of a scope for the period's year",
    tags=TAGS,
    auth="staff",
    allow=SUPERVISING,
    query=StatsQuery,
    response=Trend,
)
def get_trend(call: Call, staff: StaffMember, query: StatsQuery) -> Trend:
    deps = container()
    points = deps.stats.trend(staff, query.scope, query.period)
    scope = query.scope or deps.stats.scope_check(staff)
    return Trend(scope=scope, points=points)


@operation(
    bp,
    "/public/stats",
    summary="County transparency figures (no personal data): requests and applications",
    tags=("public",),
    query=PublicStatsQuery,
    response=PublicStats,
    errors=(422,),
)
def public_stats(call: Call, query: PublicStatsQuery) -> PublicStats:
    return container().stats.public(query.scope, query.period)


@operation(
    bp,
    "/admin/exports/{file}",
    summary="Export cases or statistics of a scope and period: cases.csv|xlsx, stats.csv|xlsx",
    tags=TAGS,
    auth="staff",
    allow=SUPERVISING,
    path_model=ExportPath,
    query=ExportQuery,
    content_type="text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    description="cases.csv and stats.csv are UTF-8 CSV with a BOM; the .xlsx files are "
    "workbooks with date cells (Beijing time), a frozen header and fitted widths. XLSX is "
    "binary: send an Accept header naming its type (or */*), as API Gateway requires.",
)
def export(call: Call, staff: StaffMember, file: str, query: ExportQuery) -> Response:
    from chalicelib.services.tables import CSV_TYPE, XLSX_TYPE, to_csv, to_xlsx

    deps = container()
    period = query.period or deps.stats.default_period()
    what, _, fmt = file.partition(".")
    if what == "cases":
        header, rows = deps.exports.case_table(staff, query.scope, period)
        sheets = [("cases", header, rows)]
    else:
        sheets = deps.exports.stats_tables(staff, query.scope, period)
    name = f"bianmin-{what}-{query.scope or 'mine'}-{period}.{fmt}"
    if fmt == "csv":
        if len(sheets) > 1:
            header, rows = sheets[0][1], [r for _, _, rs in sheets for r in rs]
        else:
            header, rows = sheets[0][1], sheets[0][2]
        body: str | bytes = to_csv(header, rows)
        content_type = CSV_TYPE
    else:
        body, content_type = to_xlsx(sheets), XLSX_TYPE
    return Response(
        body=body,
        status_code=200,
        headers={
            "Content-Type": content_type,
            "Content-Disposition": f'attachment; filename="{name}"',
        },
    )


@operation(
    bp,
    "/admin/dashboard/session",
    "POST",
    summary="A short-lived link that opens the leaders' dashboard in a browser",
    tags=TAGS,
    auth="staff",
    allow=SUPERVISING,
    response=DashboardSession,
    status=201,
)
def dashboard_session(call: Call, staff: StaffMember) -> Reply:
    session = DashboardSession(**container().dashboard.session(staff))
    return created(session, "/dashboard")


@operation(
    bp,
    "/dashboard",
    summary="The leaders' dashboard page (its data needs a link from /admin/dashboard/session)",
    tags=("dashboard",),
    content_type="text/html",
)
def dashboard_page(call: Call) -> Response:
    return Response(
        body=container().dashboard.page(),
        status_code=200,
        headers={
            "Content-Type": "text/html; charset=utf-8",
            "Content-Security-Policy": "default-src 'self'; script-src 'unsafe-inline'; "
            "style-src 'unsafe-inline'; img-src 'self' data:",
            "Cache-Control": "no-store",
        },
    )


@operation(
    bp,
    "/dashboard/data",
    summary="What the dashboard draws (bearer: the dashboard link's token)",
    tags=("dashboard",),
    query=StatsQuery,
    scheme="dashboardToken",
    caller=lambda call: container().dashboard.caller(call.header("authorization")),
)
def dashboard_data(call: Call, caller: StaffMember, query: StatsQuery) -> Response:
    import json

    data = container().dashboard.data(caller, query.scope, query.period)
    return Response(
        body=json.dumps(data, ensure_ascii=False),
        status_code=200,
        headers={"Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store"},
    )
