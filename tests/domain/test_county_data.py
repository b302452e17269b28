"""The platform's data files, no AWS: every county listed in data/platform.json parses and
names only its own things, its grids lie in its outline, no two outlines overlap, and every
staff member is a unique profile working in a department and a jurisdiction of their county."""

from __future__ import annotations

import itertools
import json
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from chalicelib.domain.county import County
from chalicelib.domain.geo import contains
from chalicelib.domain.identity import Role
from chalicelib.domain.reference import Level
from chalicelib.services.seeding import CountyData, check_county
from infra.definitions import DATA_DIR

Point = tuple[float, float]
Ring = list[Point]

COUNTY_FILES = (
    "county",
    "departments",
    "jurisdictions",
    "request-categories",
    "services",
    "staff",
)


def _json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


PLATFORM = _json(DATA_DIR / "platform.json")
COUNTIES: list[str] = PLATFORM["counties"]


@cache
def _files(code: str) -> dict[str, dict[str, Any]]:
    folder = DATA_DIR / "counties" / code
    return {name: _json(folder / f"{name}.json") for name in COUNTY_FILES}


@cache
def _county(code: str) -> CountyData:
    files = _files(code)
    return CountyData.parse(
        county=files["county"],
        departments=files["departments"],
        categories=files["request-categories"],
        jurisdictions=files["jurisdictions"],
        services=files["services"],
    )


def _boundary(code: str) -> Ring:
    return [tuple(p) for p in _county(code).county.boundary]


# ---- plane geometry on [lng, lat] (exact enough at a county's scale) ---------------------


def _orientation(a: Point, b: Point, c: Point) -> int:
    turn = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
    return 0 if abs(turn) < 1e-12 else (1 if turn > 0 else -1)


def _edges(ring: Ring) -> list[tuple[Point, Point]]:
    return list(itertools.pairwise(ring))


def _cross(p: tuple[Point, Point], q: tuple[Point, Point]) -> bool:
    """The segments cross at one point inside both (touching or running along is no crossing)."""
    return (
        _orientation(*p, q[0]) * _orientation(*p, q[1]) < 0
        and _orientation(*q, p[0]) * _orientation(*q, p[1]) < 0
    )


def _on_ring(ring: Ring, point: Point) -> bool:
    return any(
        _orientation(a, b, point) == 0
        and min(a[0], b[0]) <= point[0] <= max(a[0], b[0])
        and min(a[1], b[1]) <= point[1] <= max(a[1], b[1])
        for a, b in _edges(ring)
    )


def _strictly_inside(ring: Ring, point: Point) -> bool:
    return contains(ring, point) and not _on_ring(ring, point)


def _overlap(a: Ring, b: Ring) -> list[str]:
    """Why two outlines overlap (empty when they are apart or only touch): a vertex or an
    edge's midpoint of one strictly inside the other, or two edges crossing."""
    found = []
    for first, second in ((a, b), (b, a)):
        probes = first + [((p[0] + q[0]) / 2, (p[1] + q[1]) / 2) for p, q in _edges(first)]
        found += [f"{p} lies inside the other" for p in probes if _strictly_inside(second, p)]
    found += [f"{e} crosses {f}" for e in _edges(a) for f in _edges(b) if _cross(e, f)]
    return found


def _square(x: float, y: float, side: float = 1.0) -> Ring:
    return [(x, y), (x + side, y), (x + side, y + side), (x, y + side), (x, y)]


# ---- the tests ----------------------------------------------------------------------------


def test_the_overlap_check_tells_outlines_that_touch_from_outlines_that_overlap() -> None:
    assert _overlap(_square(0, 0), _square(1, 0)) == []  # a shared edge
    assert _overlap(_square(0, 0), _square(1, 1)) == []  # a shared corner
    assert _overlap(_square(0, 0), _square(5, 5)) == []
    assert _overlap(_square(0, 0), _square(0.5, 0.5)) != []  # a corner inside
    assert _overlap(_square(0, 0, 4), _square(1, 1)) != []  # one holds the other
    bar = [(-1.0, 1.0), (5.0, 1.0), (5.0, 2.0), (-1.0, 2.0), (-1.0, 1.0)]
    assert _overlap(_square(0, 0, 3), bar) != []  # a cross: no corner inside, edges crossing


def test_the_platform_lists_each_county_once_and_each_has_its_directory() -> None:
    assert len(COUNTIES) == len(set(COUNTIES))
    missing = [code for code in COUNTIES if not (DATA_DIR / "counties" / code).is_dir()]
    assert missing == []


@pytest.mark.parametrize("code", COUNTIES)
def test_each_county_parses_and_names_only_its_own_jurisdictions_services_and_departments(
    code: str,
) -> None:
    data = _county(code)
    check_county(data)
    assert data.county.code == code
    assert data.jurisdictions[0].code == code and data.jurisdictions[0].level is Level.COUNTY
    assert "zwfw" in {d.code for d in data.departments}  # the one window accepts and issues


@pytest.mark.parametrize("code", COUNTIES)
def test_every_catalogue_item_is_handled_by_departments_of_its_county(code: str) -> None:
    data = _county(code)
    known = {d.code for d in data.departments}
    for service, item in data.services:
        named = {item.lead_department, *item.review.departments}
        named |= {step.actor for step in item.process if step.actor != "applicant"}
        assert named <= known, f"{service} names {named - known}"


@pytest.mark.parametrize("code", COUNTIES)
def test_each_county_outline_is_a_closed_ring_that_never_crosses_itself(code: str) -> None:
    ring = _boundary(code)
    County.model_validate(_files(code)["county"])  # closed, and its city and province match
    edges = _edges(ring)
    crossings = [(e, f) for e, f in itertools.combinations(edges, 2) if _cross(e, f)]
    assert crossings == []


@pytest.mark.parametrize("code", COUNTIES)
def test_every_grid_and_its_centroid_lie_inside_the_county_outline(code: str) -> None:
    ring = _boundary(code)
    grids = [node for node in _county(code).jurisdictions if node.level is Level.GRID]
    assert grids, f"county {code} has no grid"
    for grid in grids:
        assert grid.centroid is not None and grid.polygon is not None
        assert _strictly_inside(ring, grid.centroid), f"{grid.code}'s centroid"
        assert all(_strictly_inside(ring, p) for p in grid.polygon), f"{grid.code}'s polygon"
        assert not any(_cross(e, f) for e in _edges(grid.polygon) for f in _edges(ring))
        assert contains(grid.polygon, grid.centroid), f"{grid.code}'s centroid is off its grid"


@pytest.mark.parametrize("code", COUNTIES)
def test_no_two_grids_of_a_county_overlap(code: str) -> None:
    grids = [node for node in _county(code).jurisdictions if node.level is Level.GRID]
    for a, b in itertools.combinations(grids, 2):
        assert a.polygon is not None and b.polygon is not None
        assert _overlap(a.polygon, b.polygon) == [], f"{a.code} and {b.code}"


@pytest.mark.parametrize(
    ("first", "second"),
    list(itertools.combinations(COUNTIES, 2)),
    ids=lambda code: code,
)
def test_no_two_county_outlines_overlap(first: str, second: str) -> None:
    assert _overlap(_boundary(first), _boundary(second)) == []


def _staff(code: str) -> list[dict[str, Any]]:
    return _files(code)["staff"]["staff"]


def test_staff_profiles_are_unique_across_the_counties_and_the_platform() -> None:
    profiles = [s["profile"] for code in COUNTIES for s in _staff(code)]
    profiles += [s["profile"] for s in _json(DATA_DIR / "people.json")["staff"]]
    assert [p for p, n in Counter(profiles).items() if n > 1] == []


@pytest.mark.parametrize("code", COUNTIES)
def test_every_staff_member_works_in_a_department_and_a_jurisdiction_of_their_county(
    code: str,
) -> None:
    data = _county(code)
    departments = {d.code for d in data.departments}
    jurisdictions = {node.code for node in data.jurisdictions}
    regions = {r.code for r in data.county.regions()}
    for member in _staff(code):
        Role(member["role"])
        department = member.get("department")
        assert department is None or department in departments, member["profile"]
        assert member["jurisdiction"] in jurisdictions | regions, member["profile"]


def test_the_platform_s_own_staff_work_for_a_city_or_province_of_its_counties() -> None:
    regions = {r.code for code in COUNTIES for r in _county(code).county.regions()}
    for member in _json(DATA_DIR / "people.json")["staff"]:
        Role(member["role"])
        assert member["jurisdiction"] in regions, member["profile"]
