"""Locating a point: in which county's outline it lies, then in which of the county's grids
(网格) — the grid whose polygon holds it, or else the nearest grid (by centroid) in the
township, when only a point is known.

Lookups go through a uniform bucket index over the grids' bounding boxes, so finding the
grid of a point costs about the same with 100 grids as with 10,000.
"""

from __future__ import annotations

import itertools
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


def distance_to_ring_m(point: Point, ring: list[Point]) -> float:
    """The distance in metres from `point` to the nearest edge of `ring` (0 on an edge),
    projected locally around the point."""
    scale = math.cos(math.radians(point[1]))

    def local(p: Point) -> tuple[float, float]:
        return (p[0] - point[0]) * scale, p[1] - point[1]

    best = math.inf
    for a, b in itertools.pairwise(ring):
        (ax, ay), (bx, by) = local(a), local(b)
        dx, dy = bx - ax, by - ay
        length = dx * dx + dy * dy
        t = 0.0 if length == 0 else max(0.0, min(1.0, -(ax * dx + ay * dy) / length))
        best = min(best, math.hypot(ax + t * dx, ay + t * dy))
    return math.radians(best) * 6_371_000


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


# ---- datums ------------------------------------------------------------------------------
# The API stores and returns WGS-84 (GPS, and Open311's datum). Maps on Chinese phones give
# GCJ-02 (the state's obfuscated datum: AMap, Tencent, WeChat's wx.getLocation 'gcj02'),
# Baidu gives BD-09: both are converted here, before a point is routed to its grid.
# GCJ-02 is published as a forward transform only (WGS-84 → GCJ-02, on the Krasovsky
# ellipsoid); its inverse is found by fixed-point iteration, to well under a centimetre.

_A = 6_378_245.0
_EE = 0.006_693_421_622_965_943_23


def _outside_china(lng: float, lat: float) -> bool:
    return not (72.004 <= lng <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _shift(lng: float, lat: float) -> tuple[float, float]:
    x, y = lng - 105.0, lat - 35.0
    d_lat = (
        -100.0
        + 2.0 * x
        + 3.0 * y
        + 0.2 * y * y
        + 0.1 * x * y
        + 0.2 * math.sqrt(abs(x))
        + (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
        + (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
        + (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    )
    d_lng = (
        300.0
        + x
        + 2.0 * y
        + 0.1 * x * x
        + 0.1 * x * y
        + 0.1 * math.sqrt(abs(x))
        + (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
        + (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
        + (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    )
    rad = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(rad) ** 2
    sqrt_magic = math.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * math.pi)
    d_lng = (d_lng * 180.0) / (_A / sqrt_magic * math.cos(rad) * math.pi)
    return d_lng, d_lat


def wgs84_to_gcj02(lng: float, lat: float) -> Point:
    if _outside_china(lng, lat):
        return lng, lat
    d_lng, d_lat = _shift(lng, lat)
    return lng + d_lng, lat + d_lat


def gcj02_to_wgs84(lng: float, lat: float) -> Point:
    if _outside_china(lng, lat):
        return lng, lat
    guess = (lng, lat)
    for _ in range(30):
        forward = wgs84_to_gcj02(*guess)
        d_lng, d_lat = forward[0] - lng, forward[1] - lat
        guess = (guess[0] - d_lng, guess[1] - d_lat)
        if abs(d_lng) < 1e-10 and abs(d_lat) < 1e-10:
            break
    return guess


_BD = math.pi * 3000.0 / 180.0


def bd09_to_gcj02(lng: float, lat: float) -> Point:
    x, y = lng - 0.0065, lat - 0.006
    z = math.hypot(x, y) - 0.00002 * math.sin(y * _BD)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * _BD)
    return z * math.cos(theta), z * math.sin(theta)


def gcj02_to_bd09(lng: float, lat: float) -> Point:
    z = math.hypot(lng, lat) + 0.00002 * math.sin(lat * _BD)
    theta = math.atan2(lat, lng) + 0.000003 * math.cos(lng * _BD)
    return z * math.cos(theta) + 0.0065, z * math.sin(theta) + 0.006


def to_wgs84(lng: float, lat: float, datum: str) -> Point:
    """(lng, lat) in `datum` (wgs84, gcj02 or bd09) as WGS-84."""
    if datum == "gcj02":
        return gcj02_to_wgs84(lng, lat)
    if datum == "bd09":
        return gcj02_to_wgs84(*bd09_to_gcj02(lng, lat))
    return lng, lat
