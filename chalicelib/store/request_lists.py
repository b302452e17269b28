"""The request lists: a citizen's own requests, the work queues of each role, and the likely
duplicates a dispatcher is shown — each one Query, returned as typed requests.

Queues live on GSI2 (`QUEUE#dispatch#<unit>`, `QUEUE#requests#<county>#<department>`,
`QUEUE#overdue#<county>`), the grid's and the duplicates' on GSI3 (`JUR#<county>`, by
jurisdiction code and time).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from chalicelib.domain.request import ServiceRequest
from chalicelib.domain.request_parts import OPEN_STATUSES, RequestStatus
from chalicelib.store.keys import case_pk, utc_iso
from chalicelib.store.request_items import (
    ROOT,
    department_queue,
    dispatch_queue,
    overdue_queue,
    request_of,
)
from chalicelib.store.table import Page, Table

Expression = tuple[str, dict[str, str], dict[str, Any]]
QueueKind = Literal["dispatch", "grid", "department", "overdue"]


def open_filter(statuses: frozenset[RequestStatus] | None = None) -> Expression:
    """A FilterExpression keeping items whose `status` is one of `statuses` (default: open)."""
    chosen = sorted(s.value for s in (statuses or OPEN_STATUSES))
    values = {f":s{i}": s for i, s in enumerate(chosen)}
    return (f"#st IN ({', '.join(values)})", {"#st": "status"}, values)


@dataclass(frozen=True)
class Queue:
    """Whose queue: a dispatcher's unit, a liaison officer's grid (public and open requests,
    unless a status is asked for), a department's assignments, or the overdue requests
    below a supervisor or leader (public ones only); filtered by status and overdue."""

    kind: QueueKind
    jurisdiction: str  # the caller's
    now: datetime
    department: str | None = None
    status: RequestStatus | None = None
    overdue: bool | None = None


def _and(*parts: Expression) -> Expression | None:
    parts = tuple(p for p in parts if p[0])
    if not parts:
        return None
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    for _, n, v in parts:
        names.update(n)
        values.update(v)
    return " AND ".join(p[0] for p in parts), names, values


def _status_and_overdue(queue: Queue) -> Expression:
    clauses: list[str] = []
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    if queue.status is not None:
        clauses.append("#st = :status")
        names["#st"] = "status"
        values[":status"] = queue.status.value
    if queue.overdue is not None:
        names["#dl"] = "deadline"
        values[":now"] = utc_iso(queue.now)
        clauses.append(
            "#dl < :now" if queue.overdue else "(attribute_not_exists(#dl) OR #dl >= :now)"
        )
    return " AND ".join(clauses), names, values


PUBLIC: Expression = ("#pv = :public", {"#pv": "private"}, {":public": False})
REQUESTS: Expression = ("#k = :request", {"#k": "kind"}, {":request": "request"})


class RequestLists:
    def __init__(self, table: Table) -> None:
        self._table = table

    def owned(
        self, owner_id: str, limit: int, start: dict[str, Any] | None
    ) -> Page[ServiceRequest]:
        page = self._table.query(
            f"REQOWNER#{owner_id}", index="gsi1", forward=False, limit=limit, start_key=start
        )
        return Page([request_of(raw) for raw in page.items], page.last_key)

    def queue(self, queue: Queue, limit: int, start: dict[str, Any] | None) -> Page[ServiceRequest]:
        county = queue.jurisdiction[:6]
        asked = _status_and_overdue(queue)
        if queue.kind == "dispatch":
            page = self._table.query(
                dispatch_queue(queue.jurisdiction),
                index="gsi2",
                limit=limit,
                start_key=start,
                filter=_and(asked),
            )
            return Page([request_of(raw) for raw in page.items], page.last_key)
        if queue.kind == "grid":
            still_open = open_filter() if queue.status is None else ("", {}, {})
            page = self._table.query(
                f"JUR#{county}",
                index="gsi3",
                sk_prefix=queue.jurisdiction,
                limit=limit,
                start_key=start,
                filter=_and(asked, REQUESTS, PUBLIC, still_open),
            )
            return Page([request_of(raw) for raw in page.items], page.last_key)
        if queue.kind == "department":
            if queue.department is None:
                raise ValueError("a department queue needs the department")
            key, prefix, extra = department_queue(county, queue.department), None, ("", {}, {})
        else:
            # A private request escalates to its dispatchers, not to supervisors who may
            # not read it.
            below = queue.jurisdiction if queue.jurisdiction != county else None
            key, prefix, extra = overdue_queue(county), f"{below}#" if below else None, PUBLIC
        page = self._table.query(
            key,
            index="gsi2",
            sk_prefix=prefix,
            limit=limit,
            start_key=start,
            filter=_and(asked, extra),
        )
        return Page(self.roots([raw["request_id"] for raw in page.items]), page.last_key)

    def roots(self, request_ids: list[str]) -> list[ServiceRequest]:
        """BatchGetItem of roots, in the order asked for (duplicates and missing dropped)."""
        wanted = list(dict.fromkeys(request_ids))
        items = self._table.batch_get([(case_pk(r), ROOT) for r in wanted])
        found = {req.request_id: req for req in (request_of(raw) for raw in items)}
        return [found[r] for r in wanted if r in found]

    def likely_duplicates(
        self, req: ServiceRequest, since: datetime, most: int = 5
    ) -> list[ServiceRequest]:
        """Open, non-private requests of the same category in the same place since `since`,
        newest first, page by page within the look-back only."""
        same = (
            "#k = :k AND #c = :c AND #p = :f",
            {"#k": "kind", "#c": "category", "#p": "private"},
            {":k": "request", ":c": req.category, ":f": False},
        )
        found: list[ServiceRequest] = []
        start = None
        while len(found) < most:
            page = self._table.query(
                f"JUR#{req.county}",
                index="gsi3",
                sk_between=(f"{req.jurisdiction}#{utc_iso(since)}", f"{req.jurisdiction}#~"),
                forward=False,
                limit=100,
                start_key=start,
                filter=_and(same, open_filter()),
            )
            found += [r for r in map(request_of, page.items) if r.request_id != req.request_id]
            start = page.last_key
            if not start:
                break
        return found[:most]
