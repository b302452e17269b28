"""Where a request goes: location → county (by its outline, or the grid or township code) →
grid (and its community and township) → the grid's liaison officer and the township's
dispatcher; category (of that county) → default departments."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.domain.county import County
from chalicelib.domain.geo import (
    GridIndex,
    GridShape,
    Point,
    contains,
    distance_m,
    distance_to_ring_m,
)
from chalicelib.domain.identity import Role
from chalicelib.domain.reference import Category, Level
from chalicelib.domain.request_api import GridLocation, PointLocation
from chalicelib.domain.request_parts import Routing
from chalicelib.errors import FieldError, NotFound
from chalicelib.services.reference import JurisdictionTree, ReferenceData
from chalicelib.services.staff import StaffDirectory

# A point outside every grid snaps to the nearest grid only if that grid is this close;
# farther out, the township (when given) or the county dispatcher takes it. A point just
# outside every county's outline (GPS drift at a border, a simplified outline) belongs to the
# county whose outline is within the same distance.
SNAP_METRES = 3_000


@dataclass(frozen=True)
class Place:
    """Where a location lies: its county, and the grid (else township, else county) code."""

    county: County
    jurisdiction: str
    exact: bool = False
    distance: int | None = None


class Router:
    def __init__(self, reference: ReferenceData, roster: StaffDirectory) -> None:
        self._reference = reference
        self._roster = roster
        self._indexes: dict[str, tuple[JurisdictionTree, GridIndex]] = {}

    def grids(self, county: str) -> GridIndex:
        """The county's grid index, rebuilt when its tree was reloaded."""
        tree = self._reference.jurisdictions(county)
        cached = self._indexes.get(county)
        if cached is None or cached[0] is not tree:
            shapes = [
                GridShape(
                    code=node.code,
                    township=node.code[:9],
                    centroid=node.centroid,
                    polygon=node.polygon,
                )
                for node in tree.nodes.values()
                if node.level is Level.GRID and node.polygon and node.centroid
            ]
            cached = self._indexes[county] = (tree, GridIndex(shapes))
        return cached[1]

    def place(self, location: PointLocation | GridLocation, field: str) -> Place:
        """The county and the place a location names; a location that names no place of a
        county this platform serves is a 404 naming `field` (like any reference to something
        that does not exist)."""
        if isinstance(location, GridLocation):
            county = self._reference.county_named(location.grid, f"{field}.grid")
            return Place(county, _grid_of(self._reference, location, field), exact=True)
        return self._place_of(location, field)

    def route(self, place: Place, category: Category) -> Routing:
        """Who serves the place: the township's dispatchers (else the county's), the grid's
        liaison officer, and the category's departments."""
        return self._routing(place.jurisdiction, place.exact, place.distance, category)

    def county_at(self, point: Point, field: str, among: list[County] | None = None) -> County:
        """The county whose outline holds `point` (or lies within SNAP_METRES of it), of
        `among` (default: every county served); else a 404 naming `field`.lat."""
        counties = among if among is not None else list(self._reference.counties().values())
        for county in counties:
            if contains(county.boundary, point):
                return county
        near = [(distance_to_ring_m(point, c.boundary), c.code, c) for c in counties]
        if near:
            distance, _, county = min(near)
            if distance <= SNAP_METRES:
                return county
        where = "the township's county" if among is not None else "every county served"
        raise NotFound(
            f"The location is outside {where}.",
            errors=[FieldError(f"{field}.lat", f"outside {where}", "out_of_area")],
        )

    def _place_of(self, location: PointLocation, field: str) -> Place:
        """Where a point lies: its grid (exact), the nearest grid within SNAP_METRES (or in
        the township given), else the township or the county."""
        point = (location.lng, location.lat)
        township = location.township
        if township is not None:
            county = self._reference.county_named(township, f"{field}.township")
            node = self._reference.node(township)
            if node is None or node.level is not Level.TOWNSHIP:
                raise NotFound(
                    "The location's township is not a township of a county served here.",
                    errors=[FieldError(f"{field}.township", "unknown township", "unknown")],
                )
            self.county_at(point, field, among=[county])
        else:
            county = self.county_at(point, field)
        grid, exact = self.grids(county.code).locate(point, township)
        distance: int | None = None
        if grid is not None and not exact:
            distance = round(distance_m(point, grid.centroid))
            if township is None and distance > SNAP_METRES:
                grid = None
        if grid is not None:
            return Place(county, grid.code, exact, distance)
        return Place(county, township or county.code, exact, distance)

    def _routing(
        self, jurisdiction: str, exact: bool, distance: int | None, category: Category
    ) -> Routing:
        """Who serves the place: the township's dispatchers (else the county's), the grid's
        liaison officer, and the category's departments."""
        community = jurisdiction[:12] if len(jurisdiction) >= 12 else None
        township_code = jurisdiction[:9] if len(jurisdiction) >= 9 else None
        county = jurisdiction[:6]
        dispatchers = self._roster.find(Role.DISPATCHER, township_code) if township_code else []
        unit = township_code if dispatchers else county
        if not dispatchers:
            dispatchers = self._roster.find(Role.DISPATCHER, county)
        liaisons = self._roster.find(Role.LIAISON, jurisdiction) if len(jurisdiction) == 15 else []
        return Routing(
            grid=jurisdiction if len(jurisdiction) == 15 else None,
            community=community,
            township=township_code,
            dispatch_unit=unit,
            exact=exact,
            distance_m=distance,
            liaison_id=liaisons[0].staff_id if liaisons else None,
            dispatcher_id=dispatchers[0].staff_id if dispatchers else None,
            departments=list(category.departments),
        )


def _grid_of(reference: ReferenceData, location: GridLocation, field: str) -> str:
    """The grid a location names, if it is a grid of a county served here."""
    node = reference.node(location.grid)
    if node is None or node.level is not Level.GRID:
        raise NotFound(
            "The location's grid is not a grid of a county served here.",
            errors=[FieldError(f"{field}.grid", "unknown grid code", "unknown")],
        )
    return node.code
