"""The leaders' dashboard: a page served by the API, and the figures it draws.

Browsers cannot sign SigV4, so a staff member asks for a dashboard link with a signed call
(`POST /admin/dashboard/session`); the link carries a short-lived token in its fragment (never
sent to servers or logs), and the page sends it as a bearer token to `/dashboard/data`,
which checks it, maps it back to the staff record and applies the same scope rules as the
signed statistics routes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chalicelib.auth.tokens import TokenError, TokenIssuer
from chalicelib.clock import Clock
from chalicelib.context import public_url
from chalicelib.domain.identity import ROLE_LABELS, StaffMember
from chalicelib.domain.inspection_api import (
    FIRST_YEAR,
    LAST_YEAR,
    FiguresQuery,
    InspectionFigures,
)
from chalicelib.domain.supervision import CaseListQuery
from chalicelib.errors import NotAuthenticated
from chalicelib.services.inspection_figures import InspectionFiguresService
from chalicelib.services.staff import StaffDirectory
from chalicelib.services.stats import StatsService
from chalicelib.services.supervision import SupervisionService

PAGE = Path(__file__).resolve().parent.parent / "web" / "dashboard.html"


@dataclass
class DashboardService:
    tokens: TokenIssuer
    staff: StaffDirectory
    stats: StatsService
    supervision: SupervisionService
    clock: Clock
    public_url: str
    inspections: InspectionFiguresService

    def session(self, staff: StaffMember) -> dict[str, Any]:
        self.stats.scope_check(staff)
        token = self.tokens.issue(staff.principal_arn, self.clock.now())
        return {
            "url": f"{public_url(self.public_url)}/dashboard#token={token}",
            "expires_in": self.tokens.ttl_seconds,
        }

    def page(self) -> str:
        return PAGE.read_text(encoding="utf-8")

    def caller(self, authorization: str | None) -> StaffMember:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise NotAuthenticated(
                "Open the dashboard through a link from /admin/dashboard/session."
            )
        try:
            claims = self.tokens.verify(token.strip(), self.clock.now())
        except TokenError:
            raise NotAuthenticated("The dashboard link has expired; ask for a new one.") from None
        return self.staff.resolve(claims.subject)

    def data(self, staff: StaffMember, scope: str | None, period: str | None) -> dict[str, Any]:
        view = self.stats.view(staff, scope, period)
        trend = self.stats.trend(staff, view.scope, view.period[:4])
        hot = self.stats.hot(staff, view.scope, view.period)
        departments = self.stats.departments(staff, view.scope, view.period)
        overdue = []
        if not view.scope.startswith("dept:"):
            page = self.supervision.cases(
                staff, CaseListQuery(scope=view.scope, overdue=True, limit=20)
            )
            overdue = [item.model_dump(mode="json") for item in page.items]
        zh, en = ROLE_LABELS[staff.role]
        year = int(view.period[:4])
        inspections = (
            self.inspections.figures(staff, FiguresQuery(scope=view.scope, year=year))
            if FIRST_YEAR <= year <= LAST_YEAR
            else InspectionFigures(
                scope=view.scope, year=year, plans=[], items=[], departments=[], townships=[]
            )
        )
        return {
            "staff": {"name": staff.name, "role": {"zh": zh, "en": en}},
            "stats": view.model_dump(mode="json"),
            "trend": [p.model_dump(mode="json") for p in trend],
            "hot": hot.model_dump(mode="json"),
            "departments": [
                {"code": code, "name": name, "figures": f.model_dump(mode="json")}
                for code, name, f in departments
            ],
            "overdue": overdue,
            "inspections": inspections.model_dump(mode="json"),
        }
