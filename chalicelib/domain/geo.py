"""Locating a point in the county's grids (网格): which grid's polygon holds it, or else the
nearest grid (by centroid) in the township, when only a point is known.

Lookups go through a uniform bucket index over the grids' bounding boxes, so finding the
grid of a point costs about the same with 100 grids as with 10,000.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

Point = tuple[float, float]  # (longitude, latitude)

DEFAULT_CELL_DEGREES = 0.01  # about 1 km


def contains(polygon: list[Point], point: Point) -> bool:
    """Ray casting; points on an edge count as inside."""
    x, y = point
    inside = False
    for (x1, y1), (x2, y2) in zip(polygon, polygon[1:] + polygon[:1], strict=True):
        if (y1 > y) != (y2 > y):
            crossing = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
            if x == crossing:
                return True
            if x < crossing:
                inside = not inside
        elif y1 == y2 == y and min(x1, x2) <= x <= max(x1, x2):
            return True
    return inside


def distance_m(a: Point, b: Point) -> float:
    """Equirectangular distance in metres: exact enough within a county."""
    mean_lat = math.radians((a[1] + b[1]) / 2)
    dx = math.radians(b[0] - a[0]) * math.cos(mean_lat)
    dy = math.radians(b[1] - a[1])
    return 6_371_000 * math.hypot(dx, dy)


@dataclass(frozen=True)
class GridShape:
    code: str
    township: str
    centroid: Point
    polygon: list[Point]


def _bounds(polygon: list[Point]) -> tuple[float, float, float, float]:
    xs = [p[0] for p in polygon]
    ys = [p[1] for p in polygon]
    return min(xs), min(ys), max(xs), max(ys)


class GridIndex:
    def __init__(self, grids: Iterable[GridShape]) -> None:
        self._grids = list(grids)
        # Buckets as big as a typical grid: each holds a handful of grids whatever their count.
        spans = sorted(
            max(b[2] - b[0], b[3] - b[1]) for b in (_bounds(g.polygon) for g in self._grids)
        )
        self._cell_size = spans[len(spans) // 2] if spans and spans[0] > 0 else DEFAULT_CELL_DEGREES
        self._buckets: dict[tuple[int, int], list[GridShape]] = defaultdict(list)
        self._by_township: dict[str, list[GridShape]] = defaultdict(list)
        for grid in self._grids:
            self._by_township[grid.township].append(grid)
            x_min, y_min, x_max, y_max = _bounds(grid.polygon)
            (x0, y0), (x1, y1) = self._cell((x_min, y_min)), self._cell((x_max, y_max))
            for cx in range(x0, x1 + 1):
                for cy in range(y0, y1 + 1):
                    self._buckets[(cx, cy)].append(grid)

    def __len__(self) -> int:
        return len(self._grids)

    def _cell(self, point: Point) -> tuple[int, int]:
        return math.floor(point[0] / self._cell_size), math.floor(point[1] / self._cell_size)

    def containing(self, point: Point) -> GridShape | None:
        """The grid whose polygon holds `point` (the smallest, if grids overlap)."""
        hits = [g for g in self._buckets.get(self._cell(point), []) if contains(g.polygon, point)]
        return min(hits, key=lambda g: _area(g.polygon)) if hits else None

    def nearest(self, point: Point, township: str | None = None) -> GridShape | None:
        """The grid with the nearest centroid, within `township` when given."""
        candidates = self._by_township.get(township, []) if township else self._grids
        if not candidates:
            return None
        return min(candidates, key=lambda g: distance_m(point, g.centroid))

    def locate(self, point: Point, township: str | None = None) -> tuple[GridShape | None, bool]:
        """(grid, exact): exact when a polygon holds the point, else the nearest grid."""
        hit = self.containing(point)
        if hit is not None and (township is None or hit.township == township):
            return hit, True
        return self.nearest(point, township), False


def _area(polygon: list[Point]) -> float:
    return (
        abs(
            sum(
                x1 * y2 - x2 * y1
                for (x1, y1), (x2, y2) in zip(polygon, polygon[1:] + polygon[:1], strict=True)
            )
        )
        / 2
    )
