"""Supervision: every case (applications and requests) of a jurisdiction subtree or of a
department, filtered and paginated without a Scan, and the exports built on it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from chalicelib.clock import Clock
from chalicelib.domain.access import sees, within
from chalicelib.domain.application_parts import STATUS_LABELS
from chalicelib.domain.calendar import BEIJING, beijing_date
from chalicelib.domain.common import Text
from chalicelib.domain.county import is_region
from chalicelib.domain.identity import Role, StaffMember
from chalicelib.domain.request import ServiceRequest
from chalicelib.domain.request_parts import REQUEST_STATUS_LABELS, RequestStatus
from chalicelib.domain.stats import department_scope
from chalicelib.domain.supervision import CaseListQuery, CasePage, CaseSummary
from chalicelib.errors import FieldError, Forbidden, InvalidInput, NotFound
from chalicelib.paging import CursorCodec
from chalicelib.services.reference import ReferenceData
from chalicelib.store.listing import CaseFilter, CaseIndex, CaseRecord
from chalicelib.store.table import decode_key, encode_key

SUPERVISING = (Role.SUPERVISOR, Role.LEADER, Role.DISPATCHER)
PERIOD = re.compile(r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$")
# A synchronous response stays under Lambda's 6 MB: about 20,000 rows of CSV.
EXPORT_LIMIT = 20_000


# The days any record can carry: a query for earlier or later days means "since ever" or
# "until further notice", not an error.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)


def clamp(day: date) -> date:
    return min(max(day, FIRST_DAY), LAST_DAY)


def day_start(day: date) -> datetime:
    return datetime.combine(clamp(day), time(0), tzinfo=BEIJING)


def period_range(period: str) -> tuple[date, date]:
    """The first and last day of YYYY, YYYY-MM or YYYY-MM-DD."""
    parts = [int(p) for p in period.split("-")]
    if len(parts) == 1:
        return date(parts[0], 1, 1), date(parts[0], 12, 31)
    if len(parts) == 2:
        first = date(parts[0], parts[1], 1)
        following = date(parts[0] + parts[1] // 12, parts[1] % 12 + 1, 1)
        return first, following - timedelta(days=1)
    day = date(parts[0], parts[1], parts[2])
    return day, day


def checked_period(period: str, field: str = "query.period") -> str:
    """`period` if it is a real YYYY, YYYY-MM or YYYY-MM-DD; else a 422 naming `field` (the
    query models check it first; this guards the other callers)."""
    try:
        if not PERIOD.match(period) or int(period[:4]) < 1:
            raise ValueError(period)
        period_range(period)
    except ValueError:
        raise InvalidInput(
            "period is a year, month or day: YYYY, YYYY-MM or YYYY-MM-DD.",
            errors=[FieldError(field, "YYYY, YYYY-MM or YYYY-MM-DD (a real date)", "period")],
        ) from None
    return period


def sees_every_department(staff: StaffMember) -> bool:
    """Leaders and supervisors without a department, of a county or a region above it, see
    every department (of their counties)."""
    return (
        staff.department is None
        and staff.role in (Role.LEADER, Role.SUPERVISOR)
        and len(staff.jurisdiction) == 6
    )


def resolve_scope(reference: ReferenceData, staff: StaffMember, scope: str | None) -> str:
    """The caller's scope — a jurisdiction code (a city's or a province's too) or a county's
    department; by default their own — checked against what they supervise: a jurisdiction
    within theirs (a department head: none), or their own department (leaders and
    supervisors of a county or a region above it: any department of its counties). One rule
    for lists, figures, exports and the dashboard. Returns the scope in full
    (`dept:<county>:<department>` for a department)."""
    if staff.role not in SUPERVISING:
        raise Forbidden("Supervision is for supervisors, leaders and dispatchers.")
    head_of_department = staff.department is not None and staff.role is Role.SUPERVISOR
    if scope is None:
        scope = f"dept:{staff.department}" if head_of_department else staff.jurisdiction
    if scope.startswith("dept:"):
        return _department_scope(reference, staff, scope)
    known = (
        scope in reference.regions()
        if is_region(scope)
        else reference.county(scope) is not None and reference.node(scope) is not None
    )
    if not known:
        raise NotFound(
            "No such jurisdiction.",
            errors=[FieldError("query.scope", "a jurisdiction code or dept:<code>", "unknown")],
        )
    if head_of_department or not within(scope, staff.jurisdiction):
        raise Forbidden("This jurisdiction is not under your supervision.")
    return scope


def _department_scope(reference: ReferenceData, staff: StaffMember, scope: str) -> str:
    county, _, code = scope[5:].rpartition(":")
    if not county and is_region(staff.jurisdiction):
        raise InvalidInput(
            "Say whose department: dept:<county>:<department> (a city's or a province's "
            "departments are its counties').",
            errors=[FieldError("query.scope", "dept:<county>:<department>", "county_missing")],
        )
    county = county or staff.county
    if reference.county(county) is None or code not in reference.departments(county):
        raise NotFound(
            "No such department.",
            errors=[FieldError("query.scope", "unknown department", "unknown")],
        )
    own = staff.department == code and staff.county == county
    if not own and not (sees_every_department(staff) and within(county, staff.jurisdiction)):
        raise Forbidden("You do not head this department.")
    return department_scope(county, code)


def scope_counties(reference: ReferenceData, scope: str) -> list[str]:
    """The counties a scope's cases lie in, in code order (a region's: each of its counties
    this platform serves)."""
    if scope.startswith("dept:"):
        return [scope.split(":")[1]]
    if is_region(scope):
        return reference.counties_within(scope)
    return [scope[:6]]


def _summary(record: CaseRecord, now: datetime, names: dict[str, str]) -> CaseSummary:
    case = record.case
    overdue = bool(record.deadline and record.deadline < now)
    if isinstance(case, ServiceRequest):
        req = case
        zh, en = REQUEST_STATUS_LABELS[req.status]
        return CaseSummary(
            kind="request",
            id=req.request_id,
            number=req.number,
            title=Text(zh=req.category_name, en=req.category_name_en),
            category=req.category,
            status=req.status.value,
            status_label=Text(zh=zh, en=en),
            jurisdiction=req.jurisdiction,
            jurisdiction_name=names.get(req.jurisdiction, req.jurisdiction),
            departments=list(record.departments),
            created_at=req.created_at,
            deadline=req.deadline,
            overdue=overdue,
            escalated=bool(req.escalations),
            private=req.private,
            rating=req.rating.level if req.rating else None,
            on_time=req.on_time,
        )
    app = case
    zh, en = STATUS_LABELS[app.status]
    return CaseSummary(
        kind="application",
        id=app.application_id,
        number=app.number,
        title=Text(zh=app.service_name, en=app.service_name_en),
        category=app.service_code,
        status=app.status.value,
        status_label=Text(zh=zh, en=en),
        jurisdiction=app.jurisdiction,
        jurisdiction_name=names.get(app.jurisdiction, app.jurisdiction),
        departments=list(record.departments),
        created_at=app.submitted_at or app.created_at,
        deadline=record.deadline,
        overdue=overdue,
        escalated=False,
        private=False,
        rating=app.rating.level if app.rating else None,
        on_time=app.on_time,
    )


@dataclass
class SupervisionService:
    index: CaseIndex
    reference: ReferenceData
    cursors: CursorCodec
    clock: Clock

    def scope_for(self, staff: StaffMember, scope: str | None) -> str:
        return resolve_scope(self.reference, staff, scope)

    def _names(self, scope: str) -> dict[str, str]:
        """The names of the places the scope's cases lie in."""
        return {
            code: node.name
            for county in scope_counties(self.reference, scope)
            for code, node in self.reference.jurisdictions(county).nodes.items()
        }

    def cases(self, staff: StaffMember, query: CaseListQuery) -> CasePage:
        scope = self.scope_for(staff, query.scope)
        now = self.clock.now()
        cursor_scope = f"cases:{staff.staff_id}:{query.model_dump_json(exclude={'cursor'})}"
        start = (
            decode_key(self.cursors.decode(query.cursor, cursor_scope)) if query.cursor else None
        )
        records, last = self._page(scope, query, query.limit, start, now, staff)
        records = [r for r in records if sees(staff, r.case)]  # the one visibility rule
        next_cursor = self.cursors.encode(encode_key(last), cursor_scope) if last else None
        names = self._names(scope)
        return CasePage(
            scope=scope, items=[_summary(r, now, names) for r in records], next_cursor=next_cursor
        )

    def _page(
        self,
        scope: str,
        query: CaseListQuery,
        limit: int,
        start: dict[str, Any] | None,
        now: datetime,
        staff: StaffMember,
    ) -> tuple[list[CaseRecord], dict[str, Any] | None]:
        if query.from_ and query.to and clamp(query.from_) > clamp(query.to):
            return [], None  # an empty range
        received = CaseFilter(
            now=now,
            private_too=staff.role is Role.DISPATCHER,
            kind=query.kind,
            status=query.status,
            category=query.category,
            department=query.department,
            overdue=query.overdue,
            received_from=day_start(query.from_) if query.from_ else None,
            received_before=day_start(clamp(query.to) + timedelta(days=1)) if query.to else None,
        )
        if scope.startswith("dept:"):
            _, county, department = scope.split(":")
            return self.index.of_department(county, department, received, limit, start)
        if is_region(scope):
            counties = scope_counties(self.reference, scope)
            return self.index.in_counties(counties, received, limit, start)
        return self.index.in_jurisdiction(scope, received, limit, start)

    def all_cases(
        self, staff: StaffMember, scope: str | None, period: str
    ) -> Iterator[CaseSummary]:
        """Every case of a scope received in a period (an export), at most EXPORT_LIMIT."""
        first, last = period_range(checked_period(period))
        query = CaseListQuery(scope=scope, limit=100)
        query = query.model_copy(update={"from_": first, "to": last})
        resolved = self.scope_for(staff, scope)
        now = self.clock.now()
        names = self._names(resolved)
        start = None
        count = 0
        while True:
            records, start = self._page(resolved, query, 500, start, now, staff)
            for record in (r for r in records if sees(staff, r.case)):
                yield _summary(record, now, names)
                count += 1
                if count >= EXPORT_LIMIT:
                    return
            if not start:
                return


def status_values() -> set[str]:
    return {s.value for s in RequestStatus} | {s.value for s in STATUS_LABELS}


def default_period(clock: Clock) -> str:
    return f"{beijing_date(clock.now()):%Y}"
