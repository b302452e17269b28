"""Counts AWS calls per operation with a botocore event hook (tests and `make bench`)."""

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
