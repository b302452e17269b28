"""Counts AWS calls per operation with a botocore event hook (tests and `make bench`), and
DynamoDB's consumed capacity units (asked for on every call the meter sees; the local
DynamoDB computes them by DynamoDB's rules, devstack/moto_capacity.py)."""

from __future__ import annotations

from collections import Counter
from typing import Any


class CallCounter:
    def __init__(self, client: Any) -> None:
        self.calls: Counter[str] = Counter()
        self.items_read = 0
        client.meta.events.register("before-call.*.*", self._count)
        client.meta.events.register("after-call.*.*", self._items)

    def _count(self, model: Any, **_: Any) -> None:
        self.calls[model.name] += 1

    def _items(self, parsed: Any = None, **_: Any) -> None:
        """Items a read returned (GetItem, Query, BatchGetItem)."""
        if not isinstance(parsed, dict):
            return
        if parsed.get("Item"):
            self.items_read += 1
        self.items_read += len(parsed.get("Items") or [])
        for items in (parsed.get("Responses") or {}).values():
            self.items_read += len(items)

    def reset(self) -> None:
        self.calls.clear()
        self.items_read = 0

    @property
    def total(self) -> int:
        return sum(self.calls.values())


# The DynamoDB operations that take ReturnConsumedCapacity.
METERED = frozenset(
    {
        "GetItem",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "Query",
        "Scan",
        "BatchGetItem",
        "BatchWriteItem",
        "TransactWriteItems",
        "TransactGetItems",
    }
)
READS = frozenset({"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"})


class CapacityMeter:
    """Read and write capacity units consumed through `client`, and the items written in
    transactions (from the API parameters, before they become an HTTP request)."""

    def __init__(self, client: Any) -> None:
        self.read_units = 0.0
        self.write_units = 0.0
        self.transact_items = 0
        client.meta.events.register("provide-client-params.dynamodb.*", self._ask)
        client.meta.events.register("after-call.dynamodb.*", self._add)

    def _ask(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name in METERED:
            params.setdefault("ReturnConsumedCapacity", "TOTAL")
        if model.name == "TransactWriteItems":
            self.transact_items += len(params.get("TransactItems", []))

    def _add(self, parsed: Any = None, model: Any = None, **_: Any) -> None:
        consumed = parsed.get("ConsumedCapacity") if isinstance(parsed, dict) else None
        if not consumed or model is None:
            return
        entries = consumed if isinstance(consumed, list) else [consumed]
        units = sum(float(e.get("CapacityUnits", 0)) for e in entries)
        if model.name in READS:
            self.read_units += units
        else:
            self.write_units += units

    def reset(self) -> None:
        self.read_units = self.write_units = 0.0
        self.transact_items = 0
