"""Statistics as counters: what each case contributes to the figures of its scopes and periods.

A case's contribution is a pure function of its stored root. Every write of a root reaches
the aggregator through the table's change feed (services/stats_feed.py), which adds the
difference between the contribution after and before to the counter items, exactly once
(store/stats.py: the items and their markers), so the figures follow the cases within
seconds and no case transaction touches a counter. Reading a scope's figures costs the same
whatever the number of cases. `make verify-stats` recomputes the counters from the raw cases
and reports any drift.

Figures are by cohort: a case counts in the periods (year, month, day; Beijing time) in which
it was received — an application when first submitted, a request when filed — and its later
acceptance, completion and rating count towards that same cohort. So a period's completion
rate is the share of the cases received then that are completed now, never above 100 %.

Attribute names: `<kind>.<metric>` (kind `app` or `req`), optionally `@<dimension>`:
`cat:<category or service code>`, `child:<child jurisdiction>`, `grid:<grid>` (requests at
county and township scopes) and `rep:<grid>:<category>` (repeated requests).

Scopes: the province and the city (their counties rolled up, GB/T 2260 codes 370000 and
370800; each kept in REGION_SHARDS shards, `370800~3`, summed when read, and broken down by
request category and child, not by catalogue item), the county and each level below it, and
`dept:<county>:<department>`.
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from datetime import date, datetime

from chalicelib.domain.application import Application
from chalicelib.domain.application_parts import Status as AppStatus
from chalicelib.domain.calendar import beijing_date
from chalicelib.domain.county import is_region, region_prefix
from chalicelib.domain.request import ServiceRequest
from chalicelib.domain.request_parts import RequestStatus

Counters = dict[tuple[str, str], dict[str, int]]

SATISFIED_MIN = 4  # 非常满意 and 满意
BAD_MAX = 2  # 不满意 and 非常不满意

# Metrics also broken down by category/service and by child jurisdiction.
BROKEN_DOWN = (
    "received",
    "accepted",
    "completed",
    "on_time",
    "rated",
    "satisfied",
    "bad",
    "rectified",
    "approved",
    "denied",
    "accept_minutes",
    "complete_days",
    "promised_days",
    "legal_days",
)

_ACCEPTED_APP = {
    AppStatus.ACCEPTED,
    AppStatus.IN_REVIEW,
    AppStatus.APPROVED,
    AppStatus.DENIED,
    AppStatus.ISSUED,
    AppStatus.COMPLETED,
}


def periods(day: date) -> list[str]:
    return [f"{day:%Y}", f"{day:%Y-%m}", f"{day:%Y-%m-%d}"]


# A city's or a province's figures take the writes of all its counties: each is kept in
# REGION_SHARDS items (a case's share goes to one, by a hash of its id), and a read sums them,
# so no counter item takes more than a county's share of a province's traffic.
REGION_SHARDS = 8
SHARD_MARK = "~"


def region_shard(case_id: str) -> int:
    return zlib.crc32(case_id.encode()) % REGION_SHARDS


def region_scopes(code: str, rollup: str | None = None) -> list[str]:
    """The province and the city (GB/T 2260: 370000, 370800) a county's code lies in — with
    `rollup` (the platform's scope), only those within it: a city's platform rolls its
    counties up to the city, a province's to the province too, a county's to nothing above
    the county (figures nobody may read are not kept)."""
    regions = [f"{code[:2]}0000", f"{code[:4]}00"]
    if rollup is None:
        return regions
    return [r for r in regions if r.startswith(region_prefix(rollup))]


def jurisdiction_scopes(code: str, rollup: str | None = None) -> list[str]:
    """The regions (up to `rollup`), county, township, community/village and grid a code lies
    in (as far as it goes)."""
    return [*region_scopes(code, rollup), *(code[:n] for n in (6, 9, 12, 15) if len(code) >= n)]


def stored_scopes(scope: str) -> list[str]:
    """Where a scope's counters are kept: a region's in its shards, any other's in one."""
    if is_region(scope):
        return [f"{scope}{SHARD_MARK}{n}" for n in range(REGION_SHARDS)]
    return [scope]


def shown_scope(stored: str) -> str:
    """The scope a stored counter scope belongs to (a region's shard: the region)."""
    return stored.partition(SHARD_MARK)[0]


def department_scope(county: str, code: str) -> str:
    """The figures of one county's department."""
    return f"dept:{county}:{code}"


def _minutes(start: datetime | None, end: datetime | None) -> int:
    if start is None or end is None:
        return 0
    return max(int((end - start).total_seconds() // 60), 0)


def _rating_figures(level: int) -> dict[str, int]:
    """The current (latest) rating: satisfied (4–5), or dissatisfied (1–2)."""
    figures = {"rated": 1}
    if level >= SATISFIED_MIN:
        figures["satisfied"] = 1
    elif level <= BAD_MAX:
        figures["dissatisfied"] = 1
    return figures


def application_figures(app: Application) -> tuple[date, dict[str, int], str, list[str]] | None:
    """(cohort day, metrics, service code, departments) — None before submission."""
    if app.submitted_at is None:
        return None
    figures: dict[str, int] = {"received": 1}
    accepted = app.status in _ACCEPTED_APP
    if accepted:
        figures["accepted"] = 1
        figures["accept_minutes"] = _minutes(app.submitted_at, app.decided_at)
    if app.status is AppStatus.NOT_ACCEPTED:
        figures["not_accepted"] = 1
    if app.status is AppStatus.WITHDRAWN:
        figures["withdrawn"] = 1
    if app.status in (AppStatus.APPROVED, AppStatus.ISSUED, AppStatus.COMPLETED):
        figures["approved"] = 1
    if app.status is AppStatus.DENIED:
        figures["denied"] = 1
    if app.status in (AppStatus.COMPLETED, AppStatus.DENIED):
        # 办结: a denial concludes the case as much as an issued certificate does.
        figures["completed"] = 1
        figures["complete_days"] = app.limits.used_days
        figures["promised_days"] = app.limits.promised_days
        figures["legal_days"] = app.limits.legal_days
        if app.on_time:
            figures["on_time"] = 1
        if app.within_legal:
            figures["within_legal"] = 1
    if app.status not in (
        AppStatus.COMPLETED,
        AppStatus.DENIED,
        AppStatus.NOT_ACCEPTED,
        AppStatus.WITHDRAWN,
    ):
        figures["open"] = 1
    if app.rating is not None:
        figures.update(_rating_figures(app.rating.level))
        if app.rating.level <= BAD_MAX:
            figures["bad"] = 1
            if app.rectification is not None and app.rectification.status == "done":
                figures["rectified"] = 1
    departments = sorted({"zwfw", app.lead_department, *app.review_departments})
    return beijing_date(app.submitted_at), figures, app.service_code, departments


def request_figures(req: ServiceRequest) -> tuple[date, dict[str, int], str, list[str]]:
    figures: dict[str, int] = {"received": 1}
    if req.accepted_at is not None:
        figures["accepted"] = 1
        figures["accept_minutes"] = _minutes(req.created_at, req.accepted_at)
    if req.status is RequestStatus.NOT_ACCEPTED:
        figures["not_accepted"] = 1
    if req.status is RequestStatus.MERGED:
        figures["merged"] = 1
    if req.resolved_at is not None:
        figures["completed"] = 1
        figures["complete_days"] = req.resolution_days or 0
        if req.on_time:
            figures["on_time"] = 1
    if req.status is RequestStatus.CLOSED:
        figures["closed"] = 1
    if req.status in (
        RequestStatus.SUBMITTED,
        RequestStatus.ACCEPTED,
        RequestStatus.ASSIGNED,
        RequestStatus.REPLIED,
        RequestStatus.REOPENED,
    ):
        figures["open"] = 1
    if req.escalations:
        figures["escalated"] = 1
    rating = req.rating
    if rating is not None:
        figures.update(_rating_figures(rating.level))
    if any(r.level <= BAD_MAX for r in req.ratings):
        figures["bad"] = 1
        if req.rectification is not None and req.rectification.closed_at is not None:
            figures["rectified"] = 1
    if req.repeat_of:
        figures["repeated"] = 1
    departments = sorted({a.department for a in req.active()})
    return beijing_date(req.created_at), figures, req.category, departments


def contribution(case: Application | ServiceRequest | None, rollup: str | None = None) -> Counters:
    """What `case` adds to every counter item it touches; its city's and province's figures
    only as far up as `rollup`, the platform's scope (None: both)."""
    counters: Counters = defaultdict(dict)
    if case is None:
        return counters
    if isinstance(case, ServiceRequest):
        kind, found = "req", request_figures(case)
        jurisdiction = case.jurisdiction
    else:
        kind, found = "app", application_figures(case)
        jurisdiction = case.jurisdiction
    if found is None:
        return counters
    day, figures, category, departments = found
    scopes = jurisdiction_scopes(jurisdiction, rollup)
    county_at = scopes.index(jurisdiction[:6])
    shard = region_shard(case_key(case))
    grid = jurisdiction if len(jurisdiction) == 15 else None
    for depth, scope in enumerate(scopes):
        child = scopes[depth + 1] if depth + 1 < len(scopes) else None
        region = depth < county_at
        stored = f"{scope}{SHARD_MARK}{shard}" if region else scope
        for period in periods(day):
            attrs = counters[(stored, period)]
            for metric, value in figures.items():
                if not value:
                    continue
                attrs[f"{kind}.{metric}"] = value
                if metric not in BROKEN_DOWN:
                    continue
                # A region's catalogue items are its counties' (one code each): a region is
                # broken down by request category and by child, never by catalogue item.
                if kind == "req" or not region:
                    attrs[f"{kind}.{metric}@cat:{category}"] = value
                if child:
                    attrs[f"{kind}.{metric}@child:{child}"] = value
            if kind == "req" and grid and county_at <= depth <= county_at + 1:
                attrs[f"req.received@grid:{grid}"] = 1
                if figures.get("repeated"):
                    attrs[f"req.repeated@rep:{grid}:{category}"] = 1
    for department in departments:
        for period in periods(day):
            attrs = counters[(department_scope(jurisdiction[:6], department), period)]
            for metric, value in figures.items():
                if value:
                    attrs[f"{kind}.{metric}"] = value
                    if metric in BROKEN_DOWN:
                        attrs[f"{kind}.{metric}@cat:{category}"] = value
    return counters


def case_key(case: Application | ServiceRequest) -> str:
    return case.request_id if isinstance(case, ServiceRequest) else case.application_id


def difference(before: Counters, after: Counters) -> Counters:
    """after − before, without zeros."""
    delta: Counters = {}
    for key in set(before) | set(after):
        old, new = before.get(key, {}), after.get(key, {})
        changes = {a: new.get(a, 0) - old.get(a, 0) for a in set(old) | set(new)}
        changes = {a: v for a, v in changes.items() if v}
        if changes:
            delta[key] = changes
    return delta


def add(total: Counters, more: Counters) -> Counters:
    for key, attrs in more.items():
        into = total.setdefault(key, {})
        for attr, value in attrs.items():
            into[attr] = into.get(attr, 0) + value
    return total
