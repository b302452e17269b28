"""Reading the statistics (one counter item per call), hot topics, the public figures, and
recomputing every counter from the raw cases to prove they have not drifted."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chalicelib.clock import Clock
from chalicelib.domain.calendar import BEIJING, beijing_date
from chalicelib.domain.county import County, Platform, is_region
from chalicelib.domain.identity import StaffMember
from chalicelib.domain.reference import Department, Jurisdiction
from chalicelib.domain.stats import (
    Counters,
    add,
    contribution,
    department_scope,
    region_scopes,
    stored_scopes,
)
from chalicelib.domain.stats_views import (
    Breakdown,
    Cluster,
    Figures,
    HotTopics,
    PublicStats,
    Ranked,
    StatsView,
    TrendPoint,
)
from chalicelib.errors import FieldError, NotFound
from chalicelib.services.reference import ReferenceData
from chalicelib.services.supervision import (
    checked_period,
    resolve_scope,
    scope_counties,
    sees_every_department,
)
from chalicelib.store.listing import CaseIndex
from chalicelib.store.reference import ReferenceStore
from chalicelib.store.stats import AS_OF, StatsStore


def _as_of(attrs: dict[str, int]) -> datetime | None:
    """When the figures last moved (they follow the cases through the change feed)."""
    moved = attrs.get(AS_OF)
    return datetime.fromtimestamp(moved, tz=BEIJING) if moved else None


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def figures(attrs: dict[str, int], kinds: tuple[str, ...], suffix: str = "") -> Figures:
    """The figures of `kinds` ('app', 'req' or both) from a counter item's attributes."""

    def get(metric: str) -> int:
        return sum(attrs.get(f"{kind}.{metric}{suffix}", 0) for kind in kinds)

    received, accepted, completed = get("received"), get("accepted"), get("completed")
    rated, satisfied = get("rated"), get("satisfied")
    app_completed = attrs.get(f"app.completed{suffix}", 0) if "app" in kinds else 0
    app_used = attrs.get(f"app.complete_days{suffix}", 0) if "app" in kinds else 0
    legal = attrs.get(f"app.legal_days{suffix}", 0) if "app" in kinds else 0
    promised = attrs.get(f"app.promised_days{suffix}", 0) if "app" in kinds else 0
    return Figures(
        received=received,
        accepted=accepted,
        acceptance_rate=_rate(accepted, received),
        not_accepted=get("not_accepted"),
        completed=completed,
        completion_rate=_rate(completed, received),
        on_time=get("on_time"),
        on_time_rate=_rate(get("on_time"), completed),
        avg_hours_to_accept=round(get("accept_minutes") / accepted / 60, 2) if accepted else None,
        avg_days_to_complete=round(get("complete_days") / completed, 2) if completed else None,
        rated=rated,
        satisfied=satisfied,
        satisfaction_rate=_rate(satisfied, rated),
        dissatisfied=get("dissatisfied"),
        bad_reviews=get("bad"),
        rectified=get("rectified"),
        open=get("open"),
        escalated=get("escalated"),
        approved=get("approved"),
        denied=get("denied"),
        avg_used_days=round(app_used / app_completed, 2) if app_completed else None,
        avg_promised_days=round(promised / app_completed, 2) if app_completed else None,
        avg_legal_days=round(legal / app_completed, 2) if app_completed else None,
        days_saved_vs_legal=legal - app_used if app_completed else None,
        repeated=get("repeated"),
    )


def _dimension(attrs: dict[str, int], prefix: str) -> list[str]:
    """The codes a counter item has figures for under a dimension (`cat`, `child` …)."""
    codes = set()
    for attr in attrs:
        _, _, dimension = attr.partition("@")
        if dimension.startswith(f"{prefix}:"):
            codes.add(dimension.split(":", 1)[1])
    return sorted(codes)


@dataclass
class StatsService:
    store: StatsStore
    reference: ReferenceData
    clock: Clock

    def _names(self, scope: str) -> dict[str, str]:
        """Names of what a scope's figures break down into: its counties' places, categories
        and catalogue items, their departments (`dept:<county>:<code>`), and the cities and
        counties a region rolls up."""
        names: dict[str, str] = {}
        for county in scope_counties(self.reference, scope):
            about = self.reference.county(county)
            if about is not None:
                names.update({r.code: r.name for r in about.regions()})
            tree = self.reference.jurisdictions(county)
            names.update({code: node.name for code, node in tree.nodes.items()})
            names.update({c.code: c.name for c in self.reference.categories(county)})
            names.update({s.code: s.name for s in self.reference.catalogue(county)})
            names.update(
                {
                    department_scope(county, d.code): d.name
                    for d in self.reference.departments(county).values()
                }
            )
        return names

    def _check(
        self, staff: StaffMember | None, scope: str | None, period: str | None
    ) -> tuple[str, str]:
        period = checked_period(period or f"{beijing_date(self.clock.now()):%Y}")
        if staff is not None:
            return resolve_scope(self.reference, staff, scope), period
        return self.public_scope(scope), period

    def public_scope(self, scope: str | None) -> str:
        """A public scope: the platform's own (its county, city or province) by default, or
        any county or region it serves (their figures are public); below a county, nothing."""
        platform = self.reference.platform()
        scope = scope or platform.scope
        if is_region(scope):
            known = scope in self.reference.regions()
        else:
            known = self.reference.county(scope) is not None and len(scope) == 6
        if not known:
            raise NotFound(
                "This platform publishes no figures for that scope.",
                errors=[
                    FieldError("query.scope", "a county, city or province served here", "unknown")
                ],
            )
        return scope

    def default_period(self) -> str:
        return f"{beijing_date(self.clock.now()):%Y}"

    def scope_check(self, staff: StaffMember) -> str:
        """The caller's own scope, or Forbidden if the caller supervises nothing."""
        return self._check(staff, None, None)[0]

    def departments(
        self, staff: StaffMember, scope: str, period: str
    ) -> list[tuple[str, str, Figures]]:
        """The figures of the departments of the scope's county that the caller may see
        (every department for leaders and supervisors without a department, their own for a
        department head, none otherwise; none for a region, whose rows are its counties):
        one BatchGetItem."""
        if is_region(scope):
            return []
        county = scope_counties(self.reference, scope)[0]
        departments = {
            code: d
            for code, d in self.reference.departments(county).items()
            if sees_every_department(staff) or (staff.department == code and staff.county == county)
        }
        if not departments:
            return []
        keys = {code: department_scope(county, code) for code in departments}
        found = self.store.many([(key, period) for key in keys.values()])
        rows = [
            (code, d.name, figures(found.get((keys[code], period), {}), ("app", "req")))
            for code, d in departments.items()
        ]
        return sorted(rows, key=lambda r: (-r[2].received, r[0]))

    def view(self, staff: StaffMember, scope: str | None, period: str | None) -> StatsView:
        scope, period = self._check(staff, scope, period)
        return self._view(scope, period)

    def _view(self, scope: str, period: str) -> StatsView:
        attrs = self.store.get(scope, period)
        names = self._names(scope)
        both = ("app", "req")
        return StatsView(
            scope=scope,
            scope_name=names.get(scope, scope),
            period=period,
            as_of=_as_of(attrs),
            total=figures(attrs, both),
            requests=figures(attrs, ("req",)),
            applications=figures(attrs, ("app",)),
            by_category=[
                Breakdown(
                    code=c, name=names.get(c, c), figures=figures(attrs, ("req",), f"@cat:{c}")
                )
                for c in _dimension(attrs, "cat")
                if any(a.startswith("req.") and a.endswith(f"@cat:{c}") for a in attrs)
            ],
            by_service=[
                Breakdown(
                    code=c, name=names.get(c, c), figures=figures(attrs, ("app",), f"@cat:{c}")
                )
                for c in _dimension(attrs, "cat")
                if any(a.startswith("app.") and a.endswith(f"@cat:{c}") for a in attrs)
            ],
            by_jurisdiction=[
                Breakdown(code=c, name=names.get(c, c), figures=figures(attrs, both, f"@child:{c}"))
                for c in _dimension(attrs, "child")
            ],
        )

    def hot(
        self, staff: StaffMember, scope: str | None, period: str | None, top: int = 10
    ) -> HotTopics:
        scope, period = self._check(staff, scope, period)
        attrs = self.store.get(scope, period)
        names = self._names(scope)
        categories = sorted(
            ((c, attrs.get(f"req.received@cat:{c}", 0)) for c in _dimension(attrs, "cat")),
            key=lambda x: (-x[1], x[0]),
        )
        grids = sorted(
            ((g, attrs.get(f"req.received@grid:{g}", 0)) for g in _dimension(attrs, "grid")),
            key=lambda x: (-x[1], x[0]),
        )
        clusters = []
        for key in _dimension(attrs, "rep"):
            grid, _, category = key.partition(":")
            count = attrs.get(f"req.repeated@rep:{key}", 0)
            if count:
                clusters.append(
                    Cluster(
                        grid=grid,
                        grid_name=names.get(grid, grid),
                        category=category,
                        category_name=names.get(category, category),
                        repeats=count,
                    )
                )
        clusters.sort(key=lambda c: (-c.repeats, c.grid, c.category))
        return HotTopics(
            scope=scope,
            period=period,
            categories=[Ranked(code=c, name=names.get(c, c), count=n) for c, n in categories if n][
                :top
            ],
            grids=[Ranked(code=g, name=names.get(g, g), count=n) for g, n in grids if n][:top],
            repeated=clusters[:top],
        )

    def trend(self, staff: StaffMember, scope: str | None, year: str | None) -> list[TrendPoint]:
        scope, year = self._check(staff, scope, year)
        points = []
        for period, attrs in self.store.periods(scope, year[:4] + "-"):
            if len(period) == 7:  # months only
                points.append(TrendPoint(period=period, figures=figures(attrs, ("app", "req"))))
        return points

    def public(self, scope: str | None, period: str | None) -> PublicStats:
        scope, period = self._check(None, scope, period)
        view = self._view(scope, period)

        def clean(f: Figures) -> dict[str, Any]:
            return {
                "received": f.received,
                "acceptance_rate": f.acceptance_rate,
                "completion_rate": f.completion_rate,
                "on_time_rate": f.on_time_rate,
                "satisfaction_rate": f.satisfaction_rate,
                "avg_days_to_complete": f.avg_days_to_complete,
            }

        return PublicStats(
            scope=scope,
            county=view.scope_name,
            period=period,
            as_of=view.as_of,
            requests=clean(view.requests),
            applications=clean(view.applications),
            townships=[
                {"code": row.code, "name": row.name, **clean(row.figures)}
                for row in view.by_jurisdiction
            ],
        )


# ---- verification -----------------------------------------------------------------------


@dataclass
class Drift:
    scope: str
    period: str
    attribute: str
    counted: int
    recomputed: int


@dataclass
class VerifyReport:
    cases: int
    counters: int
    drift: list[Drift] = field(default_factory=list)


@dataclass(frozen=True)
class PlatformScopes:
    counties: list[str]
    scopes: list[str]  # every scope counters may be kept under (a region's: its shards)
    rollup: str  # the platform's scope: figures roll up to it and no further


def platform_scopes(reference: ReferenceStore) -> PlatformScopes:
    """The platform's counties and every scope its counters may be kept under: each county's
    jurisdictions and departments, and the shards of the cities and provinces above them."""
    rollup = reference.load(Platform)[0].scope
    counties = sorted(c.code for c in reference.load(County))
    scopes: list[str] = []
    for county in counties:
        scopes += [j.code for j in reference.load(Jurisdiction, county)]
        scopes += [department_scope(county, d.code) for d in reference.load(Department, county)]
    regions = sorted({r for county in counties for r in region_scopes(county)})
    scopes += [shard for region in regions for shard in stored_scopes(region)]
    return PlatformScopes(counties, scopes, rollup)


def recompute(
    index: CaseIndex, counties: list[str], rollup: str | None = None
) -> tuple[int, Counters]:
    """Every case of the counties (one paged Query of GSI3 each, no Scan), summed afresh,
    rolled up to `rollup`. A city's and a province's figures take every county's cases:
    verify them together."""
    total: Counters = {}
    cases = 0
    for county in counties:
        for case in index.every_case(county):
            add(total, contribution(case, rollup))
            cases += 1
    return cases, total


def verify(index: CaseIndex, store: StatsStore, platform: PlatformScopes) -> VerifyReport:
    """Compares the stored counters of the platform's scopes (a region's shards one by one)
    with counters recomputed from its counties' cases."""
    cases, expected = recompute(index, platform.counties, platform.rollup)
    scopes = platform.scopes
    report = VerifyReport(cases=cases, counters=0)
    stored: Counters = {}
    for scope in sorted(set(scopes) | {s for s, _ in expected}):
        for period, attrs in store.periods(scope, breakdowns=True):
            stored[(scope, period)] = {k: v for k, v in attrs.items() if k != AS_OF}
            report.counters += 1
    for key in sorted(set(stored) | set(expected)):
        have, want = stored.get(key, {}), expected.get(key, {})
        for attr in sorted(set(have) | set(want)):
            if have.get(attr, 0) != want.get(attr, 0):
                report.drift.append(
                    Drift(key[0], key[1], attr, have.get(attr, 0), want.get(attr, 0))
                )
    return report


def repair(store: StatsStore, report: VerifyReport, now: datetime) -> int:
    """Moves every figure `report` found drifted to the value recomputed from the cases (one
    change of its own, applied once like any other); returns how many it moved. Run it with
    the change feed paused (or after letting it settle, as `make verify-stats --repair`
    does): a change in flight would otherwise count in both the cases and the correction."""
    delta: Counters = {}
    for drift in report.drift:
        delta.setdefault((drift.scope, drift.period), {})[drift.attribute] = (
            drift.recomputed - drift.counted
        )
    if delta:
        store.apply(f"repair-{now:%Y%m%dT%H%M%S%f}", delta, now)
    return len(report.drift)
