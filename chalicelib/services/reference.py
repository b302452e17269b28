"""Read models of the platform's and its counties' reference data, cached per container.

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
from chalicelib.domain.county import (
    County,
    CountyList,
    CountyView,
    Platform,
    Region,
    is_region,
    region_prefix,
)
from chalicelib.domain.reference import Category, Department, Jurisdiction
from chalicelib.errors import FieldError, NotFound
from chalicelib.store.catalogue import CatalogueStore, RevisionStore, revision_kind
from chalicelib.store.reference import ReferenceStore

T = TypeVar("T")


@dataclass
class _Entry(Generic[T]):
    revision: tuple[int, ...]
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

    def get(self, kind: str, load: Callable[[], T], depends: tuple[str, ...] = ()) -> T:
        """The value of `kind`, reloaded when its revision moved (or, for a value derived
        from other kinds, when the revision of any kind it `depends` on moved)."""
        now = self.clock.now().timestamp()
        request = current_request_id.get()
        same_request = request is not None and request == self._checked_in
        if not same_request and now - self._checked_at >= self.max_age_seconds:
            self._seen = self.revisions.revisions()
            self._checked_at = now
            self._checked_in = request
        revision = tuple(self._seen.get(k, 0) for k in depends or (kind,))
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

    def root(self) -> Jurisdiction | None:
        """The county (a county's tree has one root)."""
        roots = self.roots()
        return roots[0] if roots else None

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


EMPTY_TREE = JurisdictionTree(nodes={}, children={})


class ReferenceData:
    """The platform, its counties, and each county's departments, categories, jurisdictions,
    current catalogue and calendar, from the cache. A county's collections load when a call
    first needs them (a province's container holds only the counties it has served), and an
    edit of one county's reloads that county's alone."""

    def __init__(
        self,
        reference: ReferenceStore,
        catalogue: CatalogueStore,
        cache: RevisionCache,
    ) -> None:
        self._reference = reference
        self._catalogue = catalogue
        self._cache = cache

    def platform(self) -> Platform:
        found = self._cache.get("platform", lambda: self._reference.load(Platform))
        if not found:
            raise LookupError("the platform is not loaded (seed the stage first)")
        return found[0]

    def counties(self) -> dict[str, County]:
        """Every county the platform serves, by code."""
        return self._cache.get(
            "counties", lambda: {c.code: c for c in self._reference.load(County)}
        )

    def county_list(self) -> CountyList:
        platform = self.platform()
        return CountyList(
            platform=platform.name,
            platform_en=platform.name_en,
            scope=platform.scope,
            items=[CountyView.of(c) for _, c in sorted(self.counties().items())],
        )

    def county(self, code: str) -> County | None:
        """The county `code` (a county's code or any code below it) lies in, if served here."""
        return self.counties().get(code[:6])

    def county_named(self, code: str, field: str) -> County:
        """The county `code` lies in; a code of no county served here is a 404 naming `field`."""
        found = self.county(code) if len(code) >= 6 else None
        if found is None:
            raise NotFound(
                f"This platform serves no county with code {code[:6]}.",
                errors=[FieldError(field, "not a county of this platform", "unknown")],
            )
        return found

    def _of_county(self, kind: str, county: str, load: Callable[[], T], empty: T) -> T:
        """A county's collection from the cache; a code of no county served here is not
        looked up (nor cached: a caller naming made-up counties fills no cache)."""
        if county not in self.counties():
            return empty
        return self._cache.get(revision_kind(kind, county), load)

    def departments(self, county: str) -> dict[str, Department]:
        return self._of_county(
            "departments",
            county,
            lambda: {d.code: d for d in self._reference.load(Department, county)},
            {},
        )

    def categories(self, county: str) -> list[Category]:
        return self._of_county(
            "categories", county, lambda: self._reference.load(Category, county), []
        )

    def category(self, county: str, code: str) -> Category | None:
        return next((c for c in self.categories(county) if c.code == code), None)

    def jurisdictions(self, county: str) -> JurisdictionTree:
        """One county's tree (a county not served here: an empty tree)."""
        return self._of_county(
            "jurisdictions",
            county,
            lambda: JurisdictionTree.build(self._reference.load(Jurisdiction, county)),
            EMPTY_TREE,
        )

    def node(self, code: str) -> Jurisdiction | None:
        """The jurisdiction `code`, in whichever county it lies."""
        return self.jurisdictions(code[:6]).nodes.get(code) if len(code) >= 6 else None

    def regions(self) -> dict[str, Region]:
        """The cities and provinces whose figures the platform holds whole, by code: those
        its counties lie in, within the platform's own scope (a city's platform holds the
        city's figures, not a partial province's)."""
        prefix = region_prefix(self.platform().scope)
        return {
            r.code: r
            for c in self.counties().values()
            for r in c.regions()
            if r.code.startswith(prefix)
        }

    def counties_within(self, scope: str) -> list[str]:
        """The codes of the counties served here that `scope` covers, in code order: a
        region's counties, a county itself, or the county a township or grid lies in."""
        return sorted(
            c for c in self.counties() if c.startswith(region_prefix(scope)) or scope[:6] == c
        )

    def place_name(self, code: str) -> str | None:
        """The name of a jurisdiction, a county or a city or province above the counties."""
        if is_region(code):
            region = self.regions().get(code)
            return region.name if region else None
        node = self.node(code)
        return node.name if node else None

    def catalogue(self, county: str) -> list[ServiceItem]:
        return self._of_county(
            "catalogue",
            county,
            lambda: sorted(self._catalogue.all_current(county), key=lambda i: i.code),
            [],
        )

    def calendar(self, county: str) -> WorkingCalendar:
        """The national arrangement of each year, with the county's own days added (a county
        may declare a local holiday, or a working day in its place)."""
        national = self._cache.get("calendar", lambda: self._reference.load(YearArrangement))
        local = self._of_county(
            "calendar", county, lambda: self._reference.load(YearArrangement, county), []
        )
        if not local:
            return self._cache.get(
                "calendar+", lambda: WorkingCalendar.of(national), depends=("calendar",)
            )
        return self._cache.get(
            f"calendar+{county}",
            lambda: WorkingCalendar.of(national, local),
            depends=("calendar", revision_kind("calendar", county)),
        )

    def invalidate(self) -> None:
        self._cache.invalidate()
