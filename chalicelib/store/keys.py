"""Index keys every kind of case shares."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from chalicelib.domain.moves import TimelineEvent
from chalicelib.store.table import Page


def case_pk(case_id: str) -> str:
    """The partition of a case (either kind): its root, events, documents and markers."""
    return f"CASE#{case_id}"


def jurisdiction_keys(jurisdiction: str, created: datetime, case_id: str) -> dict[str, str]:
    """GSI3: one partition per county (the code's first six digits), sorted by the full
    jurisdiction code, then creation time: any subtree — county, township, community or
    village, grid — is one begins_with query, and a grid's recent cases one range query."""
    return {
        "gsi3pk": f"JUR#{jurisdiction[:6]}",
        "gsi3sk": f"{jurisdiction}#{utc_iso(created)}#{case_id}",
    }


def utc_iso(moment: datetime) -> str:
    """Timestamps in keys and filtered attributes are UTC ISO strings, so that comparing the
    strings compares the instants (a +08:00 deadline would sort wrongly against UTC)."""
    return moment.astimezone(UTC).isoformat()


def department_partition(county: str, department: str) -> str:
    """GSI3 partition of one county's department (a department code names a department in
    every county: 汶上's jxj and 嘉祥's jxj are two departments)."""
    return f"DEPT#{county}#{department}"


def involvement_item(
    kind: str, county: str, department: str, created: datetime, case_id: str
) -> dict:
    """A department's marker on a case it takes part in, on GSI3 `DEPT#<county>#<department>`
    by creation: a department head's view of every case of the department is one Query."""
    return {
        "pk": f"CASE#{case_id}",
        "sk": f"DEPT#{department}",
        "kind": kind,
        "case_id": case_id,
        "gsi3pk": department_partition(county, department),
        "gsi3sk": f"{utc_iso(created)}#{case_id}",
    }


def event_put(case_id: str, event: Any) -> dict[str, Any]:
    """A transaction step appending a timeline event (put if absent: events never change)."""
    return {
        "Put": {
            "Item": {
                "pk": f"CASE#{case_id}",
                "sk": f"EV#{event.event_id}",
                "type": event.type,
                "data": event.model_dump(mode="json", exclude_none=True),
            },
            "ConditionExpression": "attribute_not_exists(pk)",
        }
    }


def timeline_page(
    table: Any, case_id: str, limit: int, after: str | None, type: str | None = None
) -> Page[TimelineEvent]:
    """A case's events newest first, older than event `after` if given (only those of
    `type`, if given): one Query page."""
    filter = ("#t = :t", {"#t": "type"}, {":t": type}) if type else None
    start = {"pk": {"S": case_pk(case_id)}, "sk": {"S": f"EV#{after}"}} if after else None
    page = table.query_filled(
        f"CASE#{case_id}",
        limit,
        sk_prefix="EV#",
        forward=False,
        consistent=True,
        start_key=start,
        filter=filter,
    )
    return Page([TimelineEvent.model_validate(raw["data"]) for raw in page.items], page.last_key)
