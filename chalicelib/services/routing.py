"""Where a request goes: location → grid (and its community and township) → the grid's
liaison officer and the township's dispatcher; category → default departments."""

from __future__ import annotations

from chalicelib.domain.geo import GridIndex, GridShape, distance_m
from chalicelib.domain.identity import Role
from chalicelib.domain.reference import Category, Level
from chalicelib.domain.request_api import GridLocation, PointLocation
from chalicelib.domain.request_parts import Routing
from chalicelib.errors import FieldError, NotFound
from chalicelib.services.reference import JurisdictionTree, ReferenceData
from chalicelib.services.staff import StaffDirectory

# A point outside every grid snaps to the nearest grid only if that grid is this close;
# farther out, the township (when given) or the county dispatcher takes it.
SNAP_METRES = 3_000
# Farther than this from every grid, the point is not in the county at all.
COUNTY_RADIUS_METRES = 60_000


class Router:
    def __init__(self, reference: ReferenceData, roster: StaffDirectory) -> None:
        self._reference = reference
        self._roster = roster
        self._index: tuple[JurisdictionTree, GridIndex] | None = None

    def grids(self) -> GridIndex:
        tree = self._reference.jurisdictions()
        if self._index is None or self._index[0] is not tree:
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
            self._index = (tree, GridIndex(shapes))
        return self._index[1]

    def route(
        self, location: PointLocation | GridLocation, category: Category, field: str
    ) -> tuple[str, Routing]:
        """(jurisdiction code, routing); a location that names no place of the county is a 404
        naming `field` (like any reference to something that does not exist)."""
        tree = self._reference.jurisdictions()
        if isinstance(location, GridLocation):
            jurisdiction, exact, distance = _grid_of(tree, location, field), True, None
        else:
            jurisdiction, exact, distance = self._place_of(tree, location, field)
        return jurisdiction, self._routing(jurisdiction, exact, distance, category)

    def _place_of(
        self, tree: JurisdictionTree, location: PointLocation, field: str
    ) -> tuple[str, bool, int | None]:
        """Where a point lies: its grid (exact), the nearest grid within SNAP_METRES (or in
        the township given), else the township or the county; far outside it is a 404."""
        point = (location.lng, location.lat)
        township = location.township
        if township is not None:
            node = tree.nodes.get(township)
            if node is None or node.level is not Level.TOWNSHIP:
                raise NotFound(
                    "The location's township is not a township of this county.",
                    errors=[FieldError(f"{field}.township", "unknown township", "unknown")],
                )
        index = self.grids()
        grid, exact = index.locate(point, township)
        if not exact:
            nearest_anywhere = index.nearest(point)
            if (
                nearest_anywhere is not None
                and distance_m(point, nearest_anywhere.centroid) > COUNTY_RADIUS_METRES
            ):
                raise NotFound(
                    "The location is outside this county.",
                    errors=[FieldError(f"{field}.lat", "outside the county", "out_of_area")],
                )
        distance: int | None = None
        if grid is not None and not exact:
            distance = round(distance_m(point, grid.centroid))
            if township is None and distance > SNAP_METRES:
                grid = None
        if grid is not None:
            return grid.code, exact, distance
        return township or next(iter(tree.roots())).code, exact, distance

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


def _grid_of(tree: JurisdictionTree, location: GridLocation, field: str) -> str:
    """The grid a location names, if it is a grid of this county."""
    node = tree.nodes.get(location.grid)
    if node is None or node.level is not Level.GRID:
        raise NotFound(
            "The location's grid is not a grid of this county.",
            errors=[FieldError(f"{field}.grid", "unknown grid code", "unknown")],
        )
    return node.code
