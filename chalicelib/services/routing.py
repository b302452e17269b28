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
        exact = True
        distance: int | None = None
        if isinstance(location, GridLocation):
            node = tree.nodes.get(location.grid)
            if node is None or node.level is not Level.GRID:
                raise NotFound(
                    "The location's grid is not a grid of this county.",
                    errors=[FieldError(f"{field}.grid", "unknown grid code", "unknown")],
                )
            jurisdiction = node.code
        else:
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
            if grid is not None and not exact:
                distance = round(distance_m(point, grid.centroid))
                if township is None and distance > SNAP_METRES:
                    grid = None
            if grid is not None:
                jurisdiction = grid.code
            else:
                jurisdiction = township or next(iter(tree.roots())).code
        community = jurisdiction[:12] if len(jurisdiction) >= 12 else None
        township_code = jurisdiction[:9] if len(jurisdiction) >= 9 else None
        county = jurisdiction[:6]
        dispatchers = self._roster.find(Role.DISPATCHER, township_code) if township_code else []
        unit = township_code if dispatchers else county
        if not dispatchers:
            dispatchers = self._roster.find(Role.DISPATCHER, county)
        liaisons = self._roster.find(Role.LIAISON, jurisdiction) if len(jurisdiction) == 15 else []
        return jurisdiction, Routing(
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
