"""How a citizen request (诉求) is laid out in DynamoDB: one item collection per request,
beside applications. The store (`store/requests.py`) writes these items; the lists
(`store/request_lists.py`) read the indexes.

CASE#<id> / R              the root, with its index keys:
                           GSI1 REQOWNER#<citizen> newest first (a citizen's requests);
                           GSI2 QUEUE#dispatch#<unit> while the dispatcher holds it (oldest first);
                           GSI3 JUR#<county> / <jurisdiction>#<created>#<id> (a subtree's cases
                           by begins_with — grid, community, township, county);
                           GSI4 DUE#<county>#<shard> / <deadline>#<id> while a stage's clock
                           runs un-escalated (the overdue sweep reads only what fell due, shard
                           by shard: no one partition takes every county's clocks)
CASE#<id> / EV#<ulid>      timeline events, append-only
CASE#<id> / ASG#<dept>     a department's pending assignment on GSI2 QUEUE#requests#<county>#<dept>
CASE#<id> / OVERDUE        while escalated: GSI2 QUEUE#overdue#<county> / <township>#<deadline>
CASE#<id> / PUB            the public Open311 projection (never for private requests):
                           GSI1 O311#<county>#<yyyy-mm> / <created>#<id>
CASE#<id> / COUNT#comments the filer's comments so far (bounded in the write, store/limits.py)
UPLOAD#<owner> / DOC#<id>  a photo uploaded before it is attached (scanned like documents)
COUNTER#REQ#<county> / <yyyymmdd>  the county's request numbers of the day
"""

from __future__ import annotations

import zlib
from datetime import UTC
from typing import Any

from chalicelib.domain.open311 import PublicRecord
from chalicelib.domain.request import ServiceRequest
from chalicelib.domain.request_parts import DISPATCH_STATUSES, OPEN_STATUSES, Stage
from chalicelib.store.keys import case_pk, involvement_item, jurisdiction_keys, utc_iso

ROOT = "R"
DUE_SHARDS = 8  # partitions of a county's running clocks (a sweep reads them all)


def due_partition(county: str, request_id: str) -> str:
    """The GSI4 partition of a request's running clock: its county, and a shard from a hash
    of its id (so a county's clocks spread evenly over DUE_SHARDS keys)."""
    return f"DUE#{county}#{zlib.crc32(request_id.encode()) % DUE_SHARDS}"


def due_partitions(county: str) -> list[str]:
    return [f"DUE#{county}#{shard}" for shard in range(DUE_SHARDS)]


def request_of(raw: dict[str, Any]) -> ServiceRequest:
    """The request a root item holds."""
    return ServiceRequest.model_validate(raw["data"])


def dispatch_queue(unit: str) -> str:
    return f"QUEUE#dispatch#{unit}"


def department_queue(county: str, department: str) -> str:
    return f"QUEUE#requests#{county}#{department}"


def overdue_queue(county: str) -> str:
    return f"QUEUE#overdue#{county}"


def public_partition(county: str, month: str) -> str:
    return f"O311#{county}#{month}"


def root_item(req: ServiceRequest) -> dict[str, Any]:
    item: dict[str, Any] = {
        "pk": case_pk(req.request_id),
        "sk": ROOT,
        "kind": "request",
        "rev": req.rev,
        "status": req.status.value,
        "category": req.category,
        "private": req.private,
        "gsi1pk": f"REQOWNER#{req.owner_id}",
        "gsi1sk": req.request_id,
        **jurisdiction_keys(req.jurisdiction, req.created_at, req.request_id),
        "data": req.model_dump(mode="json", exclude_none=True),
    }
    item["created"] = utc_iso(req.created_at)
    item["departments"] = sorted({a.department for a in req.active()})
    if req.deadline is not None and req.stage is not Stage.RATING:
        item["deadline"] = utc_iso(req.deadline)
    if (req.status in DISPATCH_STATUSES or req.needs_dispatch) and req.dispatch_since is not None:
        item["gsi2pk"] = dispatch_queue(req.routing.dispatch_unit)
        item["gsi2sk"] = f"{utc_iso(req.dispatch_since)}#{req.request_id}"
    if req.stage is not None and req.deadline is not None and not req.escalated(req.stage):
        item["gsi4pk"] = due_partition(req.county, req.request_id)
        item["gsi4sk"] = f"{utc_iso(req.deadline)}#{req.request_id}"
    return item


def mirror_items(req: ServiceRequest) -> dict[str, dict[str, Any]]:
    """The items that mirror the root into queues, by sort key: each department's marker
    (DEPT#), a pending assignment in the department's queue (ASG#), the overdue marker."""
    items: dict[str, dict[str, Any]] = {}
    for assignment in req.assignments:
        marker = involvement_item(
            "request", req.county, assignment.department, req.created_at, req.request_id
        )
        items[marker["sk"]] = marker
        if assignment.status == "pending" and req.status in OPEN_STATUSES:
            sk = f"ASG#{assignment.department}"
            items[sk] = {
                "pk": case_pk(req.request_id),
                "sk": sk,
                "gsi2pk": department_queue(req.county, assignment.department),
                "gsi2sk": f"{utc_iso(assignment.assigned_at)}#{req.request_id}",
                "request_id": req.request_id,
                "status": req.status.value,
                "deadline": utc_iso(req.deadline or req.created_at),
            }
    if req.stage is not None and req.stage is not Stage.RATING and req.escalated(req.stage):
        assert req.deadline is not None
        unit = req.township or req.county
        items["OVERDUE"] = {
            "pk": case_pk(req.request_id),
            "sk": "OVERDUE",
            "gsi2pk": overdue_queue(req.county),
            "gsi2sk": f"{unit}#{utc_iso(req.deadline)}#{req.request_id}",
            "request_id": req.request_id,
            "status": req.status.value,
            "private": req.private,
            "deadline": utc_iso(req.deadline),
        }
    return items


def index_operations(
    before: ServiceRequest | None, after: ServiceRequest, public: PublicRecord | None
) -> list[dict[str, Any]]:
    """Transaction steps that bring the mirror items from `before`'s to `after`'s: only the
    items that changed are put, only those that went away are deleted (every write of a
    root goes through here, so `before` describes what is stored). Written in the root's
    transaction, so a queue never disagrees with its case. Plus the public projection."""
    old = mirror_items(before) if before is not None else {}
    new = mirror_items(after)
    operations: list[dict[str, Any]] = [
        {"Put": {"Item": item}} for sk, item in new.items() if old.get(sk) != item
    ]
    operations += [
        {"Delete": {"Key": {"pk": case_pk(after.request_id), "sk": sk}}}
        for sk in old
        if sk not in new
    ]
    if public is not None:
        operations.append(
            {
                "Put": {
                    "Item": {
                        "pk": case_pk(after.request_id),
                        "sk": "PUB",
                        "gsi1pk": public_partition(
                            after.county, after.created_at.astimezone(UTC).strftime("%Y-%m")
                        ),
                        "gsi1sk": f"{utc_iso(after.created_at)}#{after.request_id}",
                        "status": "open" if after.status in OPEN_STATUSES else "closed",
                        "category": after.category,
                        "data": public.model_dump(mode="json"),
                    }
                }
            }
        )
    return operations
