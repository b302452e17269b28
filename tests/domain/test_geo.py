"""Grid routing for requests: which grid holds a point, or the nearest one in the township."""

from __future__ import annotations

import pytest

from chalicelib.domain.geo import GridIndex, GridShape, contains, distance_m
from devstack.seed import county_data

SQUARE = [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0), (0.0, 0.0)]


@pytest.mark.parametrize(
    ("point", "inside"),
    [
        ((0.5, 0.5), True),
        ((1.5, 0.5), False),
        ((0.0, 0.5), True),
        ((1.0, 1.0), True),
        ((-0.1, 0.2), False),
    ],
)
def test_points_in_a_polygon(point: tuple[float, float], inside: bool) -> None:
    assert contains(SQUARE, point) is inside


def _county_index() -> GridIndex:
    grids = [
        GridShape(
            code=j.code,
            township=j.code[:9],
            centroid=j.centroid,  # type: ignore[arg-type]
            polygon=list(j.polygon or []),
        )
        for j in county_data().jurisdictions
        if j.level.value == "grid"
    ]
    return GridIndex(grids)


def test_a_point_in_qinshuiwan_is_routed_to_its_grid() -> None:
    grid, exact = _county_index().locate((116.4895, 35.7322))
    assert grid is not None and grid.code == "370830001001001" and exact


def test_a_point_outside_every_grid_goes_to_the_nearest_in_its_township() -> None:
    index = _county_index()
    grid, exact = index.locate((116.4800, 35.7400), township="370830001")
    assert grid is not None and grid.code == "370830001001002" and not exact
    grid, _ = index.locate((116.4800, 35.7400), township="370830007")
    assert grid is not None and grid.code == "370830007001001"
    assert index.locate((116.48, 35.74), township="370830015") == (None, False)


def test_distances_are_in_metres() -> None:
    # 0.01 degree of latitude is about 1.1 km
    assert 1100 < distance_m((116.0, 35.0), (116.0, 35.01)) < 1120


def test_gcj02_and_bd09_convert_to_wgs84_and_back() -> None:
    from chalicelib.domain.geo import (
        bd09_to_gcj02,
        gcj02_to_bd09,
        gcj02_to_wgs84,
        to_wgs84,
        wgs84_to_gcj02,
    )

    # The published reference point: Tiananmen, WGS-84 (116.3975, 39.9087) is GCJ-02
    # (116.40374, 39.91010) on Chinese maps.
    lng, lat = wgs84_to_gcj02(116.3975, 39.9087)
    assert abs(lng - 116.40374) < 1e-4 and abs(lat - 39.91010) < 1e-4
    back = gcj02_to_wgs84(lng, lat)
    assert abs(back[0] - 116.3975) < 1e-7 and abs(back[1] - 39.9087) < 1e-7
    bd = gcj02_to_bd09(lng, lat)
    assert abs(bd09_to_gcj02(*bd)[0] - lng) < 1e-5
    assert to_wgs84(116.3975, 39.9087, "wgs84") == (116.3975, 39.9087)
    assert abs(to_wgs84(*bd, "bd09")[0] - 116.3975) < 1e-5
    # outside China the datums agree
    assert wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)
