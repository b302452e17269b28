"""The demo platform's counties as the workload, the load run, the benches and the stories
use them: where their grids are, who dispatches, replies, accepts and leads in each, and a
point anywhere in a county — all read from the data files (data/platform.json and
data/counties/<code>/), never restated."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from functools import cache
from typing import Any

from chalicelib.domain.county import County
from chalicelib.domain.geo import Point, contains
from infra.definitions import DATA_DIR


@dataclass(frozen=True)
class DemoCounty:
    county: County
    grids: dict[str, Point]  # grid code → centroid (lng, lat)
    townships: list[str]
    categories: dict[str, list[str]]  # category code → its default departments
    staff: list[dict[str, Any]]  # the county's demo staff (profile, role, department, …)

    @property
    def code(self) -> str:
        return self.county.code

    @property
    def sme(self) -> str:
        """The SME certification (中小微企业认定证明), in every demo county's catalogue."""
        return f"{self.code}-QR-0001"

    def profile(self, role: str, department: str | None = None, jurisdiction: str = "") -> str:
        """The first demo staff member of `role` (of `department`; at `jurisdiction`)."""
        for member in self.staff:
            if (
                member["role"] == role
                and member.get("department") == department
                and member["jurisdiction"] == (jurisdiction or member["jurisdiction"])
            ):
                return str(member["profile"])
        raise LookupError(f"no {role} of {department} at {jurisdiction or self.code}")

    def handler(self, department: str) -> str:
        """Who answers requests for a department: its reviewer."""
        return self.profile("reviewer", department)

    def dispatcher(self, unit: str) -> str:
        """The dispatcher of a township, else the county's (the service centre's)."""
        for member in self.staff:
            if member["role"] == "dispatcher" and member["jurisdiction"] == unit:
                return str(member["profile"])
        return self.profile("dispatcher", "zwfw")

    def liaison(self, grid: str) -> str | None:
        return next(
            (
                str(m["profile"])
                for m in self.staff
                if m["role"] == "liaison" and m["jurisdiction"] == grid
            ),
            None,
        )

    @property
    def clerk(self) -> str:
        return self.profile("clerk", "zwfw")

    @property
    def issuer(self) -> str:
        return self.profile("issuer", "zwfw")

    @property
    def leader(self) -> str:
        return self.profile("leader", None, self.code)

    def point_in(self, rng: random.Random) -> Point:
        """A random point inside the county's outline."""
        ring = self.county.boundary
        xs, ys = [p[0] for p in ring], [p[1] for p in ring]
        while True:
            point = (
                round(rng.uniform(min(xs), max(xs)), 5),
                round(rng.uniform(min(ys), max(ys)), 5),
            )
            if contains(ring, point):
                return point


def _json(path: str) -> Any:
    return json.loads((DATA_DIR / path).read_text(encoding="utf-8"))


def _walk(node: dict[str, Any]) -> list[dict[str, Any]]:
    return [node, *(n for child in node.get("children", []) for n in _walk(child))]


@cache
def demo_county(code: str) -> DemoCounty:
    folder = f"counties/{code}"
    nodes = _walk(_json(f"{folder}/jurisdictions.json"))
    return DemoCounty(
        county=County.model_validate(_json(f"{folder}/county.json")),
        grids={n["code"]: tuple(n["centroid"]) for n in nodes if n["level"] == "grid"},
        townships=[n["code"] for n in nodes if n["level"] == "township"],
        categories={
            c["code"]: list(c["departments"])
            for c in _json(f"{folder}/request-categories.json")["categories"]
        },
        staff=list(_json(f"{folder}/staff.json")["staff"]),
    )


def demo_counties() -> list[DemoCounty]:
    """Every county of the demo platform, in the platform's order (汶上 first)."""
    return [demo_county(code) for code in _json("platform.json")["counties"]]


def platform_staff() -> list[dict[str, Any]]:
    """The demo staff above the counties (a city's leader)."""
    return list(_json("people.json")["staff"])
