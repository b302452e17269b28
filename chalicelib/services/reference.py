"""Read models of the county's reference data, cached per container.

A request checks one small revision item (a strongly consistent GetItem) once, however many
kinds it reads, and not again within `max_age_seconds`; only when the revision moved does the
cache reload. So a warm read costs one DynamoDB call whatever the
size of the catalogue or the number of grids, and an edit is visible on the next request.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from chalicelib.clock import Clock
from chalicelib.context import current_request_id
from chalicelib.domain.calendar import WorkingCalendar, YearArrangement
from chalicelib.domain.catalogue import ServiceItem
from chalicelib.domain.reference import Category, Department, Jurisdiction
from chalicelib.store.catalogue import CatalogueStore, RevisionStore
from chalicelib.store.reference import ReferenceStore

T = TypeVar("T")


@dataclass
class _Entry(Generic[T]):
    revision: int
    value: T


@dataclass
class RevisionCache:
    """Holds one loaded value per kind, with the revision it was loaded at."""

    revisions: RevisionStore
    clock: Clock
    max_age_seconds: float
    _entries: dict[str, _Entry[object]] = field(default_factory=dict)
    _checked_at: float = float("-inf")
    _checked_in: str | None = None
    _seen: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, kind: str, load: Callable[[], T]) -> T:
        now = self.clock.now().timestamp()
        request = current_request_id.get()
        same_request = request is not None and request == self._checked_in
        if not same_request and now - self._checked_at >= self.max_age_seconds:
            self._seen = self.revisions.revisions()
            self._checked_at = now
            self._checked_in = request
        revision = self._seen.get(kind, 0)
        entry = self._entries.get(kind)
        if entry is None or entry.revision != revision:
            with self._lock:
                entry = _Entry(revision, load())
                self._entries[kind] = entry
        return entry.value  # type: ignore[return-value]

    def invalidate(self) -> None:
        self._checked_at = float("-inf")
        self._checked_in = None


@dataclass(frozen=True)
class JurisdictionTree:
    nodes: dict[str, Jurisdiction]
    children: dict[str | None, list[str]]

    @classmethod
    def build(cls, nodes: list[Jurisdiction]) -> JurisdictionTree:
        by_code = {n.code: n for n in nodes}
        children: dict[str | None, list[str]] = {}
        for node in sorted(nodes, key=lambda n: n.code):
            children.setdefault(node.parent, []).append(node.code)
        return cls(nodes=by_code, children=children)

    def roots(self) -> list[Jurisdiction]:
        return [self.nodes[c] for c in self.children.get(None, [])]

    def children_of(self, code: str) -> list[Jurisdiction]:
        return [self.nodes[c] for c in self.children.get(code, [])]

    def ancestors(self, code: str) -> list[Jurisdiction]:
        """From the county down to the node's parent."""
        chain = []
        node = self.nodes.get(code)
        while node is not None and node.parent is not None:
            node = self.nodes.get(node.parent)
            if node is not None:
                chain.append(node)
        return list(reversed(chain))


class ReferenceData:
    """Departments, categories, jurisdictions and the current catalogue, from the cache."""

    def __init__(
        self,
        reference: ReferenceStore,
        catalogue: CatalogueStore,
        cache: RevisionCache,
    ) -> None:
        self._reference = reference
        self._catalogue = catalogue
        self._cache = cache

    def departments(self) -> dict[str, Department]:
        return self._cache.get(
            "departments", lambda: {d.code: d for d in self._reference.load(Department)}
        )

    def categories(self) -> list[Category]:
        return self._cache.get("categories", lambda: self._reference.load(Category))

    def jurisdictions(self) -> JurisdictionTree:
        return self._cache.get(
            "jurisdictions", lambda: JurisdictionTree.build(self._reference.load(Jurisdiction))
        )

    def catalogue(self) -> list[ServiceItem]:
        return self._cache.get(
            "catalogue", lambda: sorted(self._catalogue.all_current(), key=lambda i: i.code)
        )

    def calendar(self) -> WorkingCalendar:
        return self._cache.get(
            "calendar", lambda: WorkingCalendar.of(self._reference.load(YearArrangement))
        )

    def invalidate(self) -> None:
        self._cache.invalidate()
