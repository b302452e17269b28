"""Bounds enforced in the write itself (OWASP API4), and idempotency records.

A bound is a counter item moved in the same transaction as what it counts, on a condition
(`n < limit`): concurrent writes cannot slip past it the way a check on an earlier read
would let them.

QUOTA#<owner> / <what>#<window>   how many of something an owner made in a window (TTL)
CASE#<id> / COUNT#<what>          how many of something a case holds (documents, comments)
IDEMP#<caller> / <key>            an Idempotency-Key: what it created or did, and a
                                  fingerprint of the request that used it (TTL, 24 hours)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.store.table import Table

IDEMPOTENCY_SECONDS = 86_400


def counter_step(pk: str, sk: str, limit: int, *, expires_at: int | None = None) -> dict[str, Any]:
    """A transaction step adding one to a counter, refused when it already holds `limit`."""
    update = "ADD #n :one"
    names = {"#n": "n"}
    values: dict[str, Any] = {":one": 1, ":limit": limit}
    if expires_at is not None:
        update += " SET #ttl = if_not_exists(#ttl, :ttl)"
        names["#ttl"] = "expires_at"
        values[":ttl"] = expires_at
    return {
        "Update": {
            "Key": {"pk": pk, "sk": sk},
            "UpdateExpression": update,
            "ConditionExpression": "attribute_not_exists(#n) OR #n < :limit",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
    }


def release_step(pk: str, sk: str) -> dict[str, Any]:
    """A transaction step taking one off a counter (never below zero)."""
    return {
        "Update": {
            "Key": {"pk": pk, "sk": sk},
            "UpdateExpression": "ADD #n :minus",
            "ConditionExpression": "#n > :zero",
            "ExpressionAttributeNames": {"#n": "n"},
            "ExpressionAttributeValues": {":minus": -1, ":zero": 0},
        }
    }


def quota_step(owner: str, what: str, window: str, limit: int, expires_at: int) -> dict[str, Any]:
    return counter_step(f"QUOTA#{owner}", f"{what}#{window}", limit, expires_at=expires_at)


def case_counter_step(case_id: str, what: str, limit: int) -> dict[str, Any]:
    return counter_step(f"CASE#{case_id}", f"COUNT#{what}", limit)


def case_release_step(case_id: str, what: str) -> dict[str, Any]:
    return release_step(f"CASE#{case_id}", f"COUNT#{what}")


@dataclass(frozen=True)
class IdempotencyRecord:
    case_id: str
    fingerprint: str


class IdempotencyStore:
    """Idempotency-Keys are the caller's: a citizen's, or a staff member's (`staff-<id>`)."""

    def __init__(self, table: Table, now: Callable[[], datetime]) -> None:
        self._table = table
        self._now = now

    def get(self, caller: str, key: str) -> IdempotencyRecord | None:
        """The key's record while it lives (24 hours): DynamoDB's TTL deletes expired items
        only eventually (often days later), so an expired one counts as absent."""
        raw = self._table.get(f"IDEMP#{caller}", key, consistent=True)
        if raw is None or int(raw.get("expires_at", 0)) <= self._now().timestamp():
            return None
        return IdempotencyRecord(str(raw["case_id"]), str(raw.get("fingerprint", "")))

    @staticmethod
    def put_step(caller: str, key: str, case_id: str, fingerprint: str, now: int) -> dict[str, Any]:
        """A transaction step recording the key; refused if the key was used already (and
        has not expired: a key may be used again after its 24 hours)."""
        return {
            "Put": {
                "Item": {
                    "pk": f"IDEMP#{caller}",
                    "sk": key,
                    "case_id": case_id,
                    "fingerprint": fingerprint,
                    "expires_at": now + IDEMPOTENCY_SECONDS,
                },
                "ConditionExpression": "attribute_not_exists(pk) OR expires_at <= :now",
                "ExpressionAttributeValues": {":now": now},
            }
        }
