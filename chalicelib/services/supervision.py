"""Supervision: every case (applications and requests) of a jurisdiction subtree or of a
department, filtered and paginated without a Scan, and the exports built on it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from chalicelib.clock import Clock
from chalicelib.domain.access import sees
from chalicelib.domain.application import STATUS_LABELS, Application
from chalicelib.domain.calendar import BEIJING, beijing_date
from chalicelib.domain.common import Text
from chalicelib.domain.identity import Role, StaffMember
from chalicelib.domain.request import REQUEST_STATUS_LABELS, RequestStatus, ServiceRequest
from chalicelib.domain.supervision import CaseListQuery, CasePage, CaseSummary
from chalicelib.errors import FieldError, Forbidden, InvalidInput, NotFound
from chalicelib.paging import CursorCodec
from chalicelib.services.reference import ReferenceData
from chalicelib.store.keys import utc_iso
from chalicelib.store.table import Table, decode_key, encode_key

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
    """County leaders and county supervisors without a department see every department."""
    return (
        staff.department is None
        and staff.role in (Role.LEADER, Role.SUPERVISOR)
        and len(staff.jurisdiction) == 6
    )


def resolve_scope(reference: ReferenceData, staff: StaffMember, scope: str | None) -> str:
    """The caller's scope — a jurisdiction code or dept:<code>; by default their own —
    checked against what they supervise: a jurisdiction within theirs (a department head:
    none), or their own department (county leaders: any). One rule for lists, figures,
    exports and the dashboard."""
    if staff.role not in SUPERVISING:
        raise Forbidden("Supervision is for supervisors, leaders and dispatchers.")
    head_of_department = staff.department is not None and staff.role is Role.SUPERVISOR
    if scope is None:
        scope = f"dept:{staff.department}" if head_of_department else staff.jurisdiction
    if scope.startswith("dept:"):
        if scope[5:] not in reference.departments():
            raise NotFound(
                "No such department.",
                errors=[FieldError("query.scope", "unknown department", "unknown")],
            )
        if staff.department != scope[5:] and not sees_every_department(staff):
            raise Forbidden("You do not head this department.")
        return scope
    if scope not in reference.jurisdictions().nodes:
        raise NotFound(
            "No such jurisdiction.",
            errors=[FieldError("query.scope", "a jurisdiction code or dept:<code>", "unknown")],
        )
    if head_of_department or not scope.startswith(staff.jurisdiction):
        raise Forbidden("This jurisdiction is not under your supervision.")
    return scope


def _case(raw: dict[str, Any]) -> Application | ServiceRequest:
    if raw.get("kind") == "request":
        return ServiceRequest.model_validate(raw["data"])
    return Application.model_validate(raw["data"])


def _summary(raw: dict[str, Any], now: datetime, names: dict[str, str]) -> CaseSummary:
    case = _case(raw)
    if isinstance(case, ServiceRequest):
        req = case
        zh, en = REQUEST_STATUS_LABELS[req.status]
        overdue = bool(raw.get("deadline") and raw["deadline"] < utc_iso(now))
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
            departments=list(raw.get("departments") or []),
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
    deadline = datetime.fromisoformat(raw["deadline"]) if raw.get("deadline") else None
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
        departments=list(raw.get("departments") or []),
        created_at=app.submitted_at or app.created_at,
        deadline=deadline,
        overdue=bool(deadline and deadline < now),
        escalated=False,
        private=False,
        rating=app.rating.level if app.rating else None,
        on_time=app.on_time,
    )


@dataclass
class SupervisionService:
    table: Table
    reference: ReferenceData
    cursors: CursorCodec
    clock: Clock

    def scope_for(self, staff: StaffMember, scope: str | None) -> str:
        return resolve_scope(self.reference, staff, scope)

    def _filter(
        self, query: CaseListQuery, now: datetime, private_too: bool
    ) -> tuple[str, dict, dict]:
        clauses = ["#st <> :draft"]
        names = {"#st": "status"}
        values: dict[str, Any] = {":draft": "draft"}
        if not private_too:  # private requests are for their filer and handlers only
            clauses.append("(attribute_not_exists(#pv) OR #pv = :public)")
            names["#pv"] = "private"
            values[":public"] = False
        if query.kind:
            clauses.append("#k = :kind")
            names["#k"] = "kind"
            values[":kind"] = query.kind
        else:
            clauses.append("#k IN (:app, :req)")
            names["#k"] = "kind"
            values.update({":app": "application", ":req": "request"})
        if query.status:
            clauses.append("#st = :status")
            values[":status"] = query.status
        if query.category:
            clauses.append("#c = :category")
            names["#c"] = "category"
            values[":category"] = query.category
        if query.department:
            clauses.append("contains(#d, :department)")
            names["#d"] = "departments"
            values[":department"] = query.department
        if query.overdue is not None:
            names["#dl"] = "deadline"
            values[":now"] = utc_iso(now)
            clauses.append(
                "#dl < :now" if query.overdue else "(attribute_not_exists(#dl) OR #dl >= :now)"
            )
        if query.from_ or query.to:
            names["#cr"] = "created"
            values[":from"] = utc_iso(day_start(query.from_ or FIRST_DAY))
            values[":to"] = utc_iso(day_start(clamp(query.to or LAST_DAY) + timedelta(days=1)))
            clauses.append("#cr BETWEEN :from AND :to")
        return " AND ".join(clauses), names, values

    def _names(self) -> dict[str, str]:
        return {code: node.name for code, node in self.reference.jurisdictions().nodes.items()}

    def cases(self, staff: StaffMember, query: CaseListQuery) -> CasePage:
        scope = self.scope_for(staff, query.scope)
        now = self.clock.now()
        cursor_scope = f"cases:{staff.staff_id}:{query.model_dump_json(exclude={'cursor'})}"
        start = (
            decode_key(self.cursors.decode(query.cursor, cursor_scope)) if query.cursor else None
        )
        items, last = self._page(scope, query, query.limit, start, now, staff)
        items = [raw for raw in items if sees(staff, _case(raw))]  # the one visibility rule
        next_cursor = self.cursors.encode(encode_key(last), cursor_scope) if last else None
        names = self._names()
        return CasePage(
            scope=scope, items=[_summary(raw, now, names) for raw in items], next_cursor=next_cursor
        )

    def _page(
        self,
        scope: str,
        query: CaseListQuery,
        limit: int,
        start: dict[str, Any] | None,
        now: datetime,
        staff: StaffMember,
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        if query.from_ and query.to and clamp(query.from_) > clamp(query.to):
            return [], None  # an empty range
        if not scope.startswith("dept:"):
            page = self.table.query(
                f"JUR#{scope[:6]}",
                index="gsi3",
                sk_prefix=scope,
                limit=limit,
                start_key=start,
                filter=self._filter(query, now, private_too=staff.role is Role.DISPATCHER),
            )
            return page.items, page.last_key
        # A department: its markers (one Query), then the roots (one BatchGetItem), filtered.
        # Markers are stamped when the case is received (an application's when submitted),
        # as the roots' `created` that the jurisdiction scopes filter on; the roots decide.
        lo = utc_iso(day_start(query.from_)) if query.from_ else "0"
        hi = utc_iso(day_start(clamp(query.to) + timedelta(days=1))) if query.to else "~"
        page = self.table.query(
            f"DEPT#{scope[5:]}",
            index="gsi3",
            sk_between=(lo, hi),
            forward=False,
            limit=limit,
            start_key=start,
        )
        keys = [(m["case_id"], "R" if m.get("kind") == "request" else "A") for m in page.items]
        roots = self._batch(keys)
        return [r for r in roots if self._matches(r, query, now)], page.last_key

    def _batch(self, keys: list[tuple[str, str]]) -> list[dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for offset in range(0, len(keys), 100):
            chunk = keys[offset : offset + 100]
            request = {
                self.table.name: {
                    "Keys": [{"pk": {"S": f"CASE#{c}"}, "sk": {"S": sk}} for c, sk in chunk],
                    "ConsistentRead": True,
                }
            }
            while request:
                response = self.table.client.batch_get_item(RequestItems=request)
                for raw in response.get("Responses", {}).get(self.table.name, []):
                    item = self.table.ser.load(raw)
                    found[item["pk"][5:]] = item
                request = response.get("UnprocessedKeys") or {}
        return [found[c] for c, _ in keys if c in found]

    @staticmethod
    def _matches(raw: dict[str, Any], query: CaseListQuery, now: datetime) -> bool:
        if raw.get("status") == "draft":
            return False
        if query.kind and raw.get("kind") != query.kind:
            return False
        if query.status and raw.get("status") != query.status:
            return False
        if query.category and raw.get("category") != query.category:
            return False
        if query.department and query.department not in (raw.get("departments") or []):
            return False
        if query.overdue is not None:
            late = bool(raw.get("deadline") and raw["deadline"] < utc_iso(now))
            if late != query.overdue:
                return False
        created = str(raw.get("created", ""))
        if query.from_ and created < utc_iso(day_start(query.from_)):
            return False
        return not (query.to and created >= utc_iso(day_start(clamp(query.to) + timedelta(days=1))))

    def all_cases(
        self, staff: StaffMember, scope: str | None, period: str
    ) -> Iterator[CaseSummary]:
        """Every case of a scope received in a period (an export), at most EXPORT_LIMIT."""
        first, last = period_range(checked_period(period))
        query = CaseListQuery(scope=scope, limit=100)
        query = query.model_copy(update={"from_": first, "to": last})
        resolved = self.scope_for(staff, scope)
        now = self.clock.now()
        names = self._names()
        start = None
        count = 0
        while True:
            items, start = self._page(resolved, query, 500, start, now, staff)
            for raw in (r for r in items if sees(staff, _case(r))):
                yield _summary(raw, now, names)
                count += 1
                if count >= EXPORT_LIMIT:
                    return
            if not start:
                return


def status_values() -> set[str]:
    return {s.value for s in RequestStatus} | {s.value for s in STATUS_LABELS}


def default_period(clock: Clock) -> str:
    return f"{beijing_date(clock.now()):%Y}"
