"""Every case (applications and requests) of a jurisdiction subtree or of a department, as
typed records, filtered in DynamoDB and paginated without a Scan.

A jurisdiction subtree is one Query of GSI3 (`JUR#<county>`, sort key starting with the
scope's code) with the filters as a FilterExpression; a city's or a province's is its
counties' partitions one after another. A department's cases are its `DEPT#<county>#<code>`
markers (one Query of GSI3, by when the case was received) and one BatchGetItem of their
roots, filtered here the same way.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.domain.application import Application
from chalicelib.domain.request import ServiceRequest
from chalicelib.paging import across
from chalicelib.store.keys import department_partition, utc_iso
from chalicelib.store.table import Table


@dataclass(frozen=True)
class CaseFilter:
    """What a list keeps: by kind, status, category (request category or catalogue item),
    department taking part, overdue at `now`, received in [received_from, received_before)."""

    now: datetime
    private_too: bool = False  # dispatchers' lists include private requests
    kind: str | None = None
    status: str | None = None
    category: str | None = None
    department: str | None = None
    overdue: bool | None = None
    received_from: datetime | None = None
    received_before: datetime | None = None


@dataclass(frozen=True)
class CaseRecord:
    """A case's root as the lists read it: the case, the departments taking part, and its
    current deadline (as stored: the next one that runs)."""

    case: Application | ServiceRequest
    departments: tuple[str, ...]
    deadline: datetime | None


def _record(raw: dict[str, Any]) -> CaseRecord:
    model = ServiceRequest if raw.get("kind") == "request" else Application
    deadline = raw.get("deadline")
    return CaseRecord(
        case=model.model_validate(raw["data"]),
        departments=tuple(raw.get("departments") or ()),
        deadline=datetime.fromisoformat(deadline) if deadline else None,
    )


def _expression(f: CaseFilter) -> tuple[str, dict[str, str], dict[str, Any]]:
    clauses = ["#st <> :draft"]
    names = {"#st": "status", "#k": "kind"}
    values: dict[str, Any] = {":draft": "draft"}
    if not f.private_too:  # private requests are for their filer and handlers only
        clauses.append("(attribute_not_exists(#pv) OR #pv = :public)")
        names["#pv"] = "private"
        values[":public"] = False
    if f.kind:
        clauses.append("#k = :kind")
        values[":kind"] = f.kind
    else:
        clauses.append("#k IN (:app, :req)")
        values.update({":app": "application", ":req": "request"})
    if f.status:
        clauses.append("#st = :status")
        values[":status"] = f.status
    if f.category:
        clauses.append("#c = :category")
        names["#c"] = "category"
        values[":category"] = f.category
    if f.department:
        clauses.append("contains(#d, :department)")
        names["#d"] = "departments"
        values[":department"] = f.department
    if f.overdue is not None:
        names["#dl"] = "deadline"
        values[":now"] = utc_iso(f.now)
        clauses.append("#dl < :now" if f.overdue else "(attribute_not_exists(#dl) OR #dl >= :now)")
    if f.received_from or f.received_before:
        names["#cr"] = "created"
        values[":from"] = utc_iso(f.received_from) if f.received_from else "0"
        values[":to"] = utc_iso(f.received_before) if f.received_before else "~"
        clauses.append("#cr BETWEEN :from AND :to")
    return " AND ".join(clauses), names, values


def _matches(raw: dict[str, Any], f: CaseFilter) -> bool:
    """The same filter, applied to a root read by key (a department's cases: private ones
    included, for the department's heads and handlers may read them; the visibility rule
    decides)."""
    if raw.get("status") == "draft":
        return False
    checks = (
        (f.kind, raw.get("kind")),
        (f.status, raw.get("status")),
        (f.category, raw.get("category")),
    )
    if any(wanted and wanted != actual for wanted, actual in checks):
        return False
    if f.department and f.department not in (raw.get("departments") or []):
        return False
    if f.overdue is not None:
        late = bool(raw.get("deadline") and raw["deadline"] < utc_iso(f.now))
        if late != f.overdue:
            return False
    created = str(raw.get("created", ""))
    if f.received_from and created < utc_iso(f.received_from):
        return False
    return not (f.received_before and created >= utc_iso(f.received_before))


class CaseIndex:
    def __init__(self, table: Table) -> None:
        self._table = table

    def every_case(self, county: str) -> Iterator[Application | ServiceRequest]:
        """Every case of a county, drafts included (one paged Query of GSI3, no Scan)."""
        for raw in self._table.query_all(f"JUR#{county}", index="gsi3"):
            if raw.get("kind") in ("application", "request"):
                yield _record(raw).case

    def in_jurisdiction(
        self, scope: str, f: CaseFilter, limit: int, start: dict[str, Any] | None
    ) -> tuple[list[CaseRecord], dict[str, Any] | None]:
        page = self._table.query(
            f"JUR#{scope[:6]}",
            index="gsi3",
            sk_prefix=scope,
            limit=limit,
            start_key=start,
            filter=_expression(f),
        )
        return [_record(raw) for raw in page.items], page.last_key

    def in_counties(
        self, counties: list[str], f: CaseFilter, limit: int, start: dict[str, Any] | None
    ) -> tuple[list[CaseRecord], dict[str, Any] | None]:
        """The cases of several counties (a city's or a province's), county after county in
        code order — the order one index of them all would give, since a county's partition
        sorts by jurisdiction code (see paging.across for the position)."""
        return across(
            counties, lambda county, n, key: self.in_jurisdiction(county, f, n, key), limit, start
        )

    def of_department(
        self,
        county: str,
        department: str,
        f: CaseFilter,
        limit: int,
        start: dict[str, Any] | None,
    ) -> tuple[list[CaseRecord], dict[str, Any] | None]:
        # Markers are stamped when the case is received (an application's when submitted),
        # as the roots' `created` is; the roots decide.
        lo = utc_iso(f.received_from) if f.received_from else "0"
        hi = utc_iso(f.received_before) if f.received_before else "~"
        page = self._table.query(
            department_partition(county, department),
            index="gsi3",
            sk_between=(lo, hi),
            forward=False,
            limit=limit,
            start_key=start,
        )
        keys = [(m["case_id"], "R" if m.get("kind") == "request" else "A") for m in page.items]
        roots = self._roots(keys)
        return [_record(r) for r in roots if _matches(r, f)], page.last_key

    def _roots(self, keys: list[tuple[str, str]]) -> list[dict[str, Any]]:
        items = self._table.batch_get([(f"CASE#{c}", sk) for c, sk in keys])
        found = {item["pk"][5:]: item for item in items}
        return [found[c] for c, _ in keys if c in found]
