"""Reference data of a county: departments, request categories, jurisdictions and grids."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints, model_validator

from chalicelib.domain.common import (
    COUNTY_PARAMETER,
    Code,
    CountyCode,
    DepartmentCode,
    Name,
    QueryInt,
    Strict,
    Text,
)

JurisdictionCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{6}([0-9]{3}){0,3}$")]


class Department(Strict):
    code: DepartmentCode
    name: Name
    name_en: Name


class Category(Strict):
    """A kind of citizen request (诉求) and who handles it by default."""

    code: Code
    name: Name
    name_en: Name
    departments: list[DepartmentCode] = Field(min_length=1)
    sla_days: int = Field(ge=1, le=60)
    private: bool = False


class Level(StrEnum):
    COUNTY = "county"
    TOWNSHIP = "township"
    COMMUNITY = "community"
    VILLAGE = "village"
    GRID = "grid"


LEVEL_LABELS: dict[Level, tuple[str, str]] = {
    Level.COUNTY: ("县", "County"),
    Level.TOWNSHIP: ("乡镇（街道）", "Township / sub-district"),
    Level.COMMUNITY: ("社区", "Community"),
    Level.VILLAGE: ("村", "Village"),
    Level.GRID: ("网格", "Grid"),
}

# Codes follow GB/T 2260 for the county (6 digits) and add three digits per level below it.
DEPTH_BY_LEVEL = {
    Level.COUNTY: 0,
    Level.TOWNSHIP: 1,
    Level.COMMUNITY: 2,
    Level.VILLAGE: 2,
    Level.GRID: 3,
}

Position = tuple[float, float]  # (longitude, latitude)


class Jurisdiction(Strict):
    """One node of the county → township → community/village → grid tree."""

    code: JurisdictionCode
    name: Name
    level: Level
    parent: JurisdictionCode | None = None
    households: int | None = Field(default=None, ge=0)
    centroid: Position | None = None
    polygon: list[Position] | None = Field(default=None, min_length=4)

    @model_validator(mode="after")
    def _consistent(self) -> Jurisdiction:
        depth = (len(self.code) - 6) // 3
        if depth != DEPTH_BY_LEVEL[self.level]:
            raise ValueError(
                f"a {self.level.value} code has {6 + 3 * DEPTH_BY_LEVEL[self.level]} digits"
            )
        expected_parent = self.code[:-3] if depth else None
        if self.parent != expected_parent:
            raise ValueError("parent must be the code without its last three digits")
        if self.polygon is not None and self.polygon[0] != self.polygon[-1]:
            raise ValueError("a polygon must be a closed ring")
        return self


def parent_code(code: str) -> str | None:
    return code[:-3] if len(code) > 6 else None


class CategoryList(Strict):
    county: str = Field(description="The county these are the categories of")
    items: list[Category]


class JurisdictionView(Strict):
    code: str
    name: str
    level: Level
    level_label: Text
    parent: str | None = None
    households: int | None = None
    centroid: Position | None = None
    polygon: list[Position] | None = None
    children: list[JurisdictionView] | None = None
    path: list[str] | None = Field(default=None, description="Names from the county down")


class JurisdictionList(Strict):
    items: list[JurisdictionView]


class CategoryQuery(Strict):
    county: CountyCode = Field(description=COUNTY_PARAMETER)


class JurisdictionQuery(Strict):
    county: CountyCode = Field(description=COUNTY_PARAMETER)
    parent: JurisdictionCode | None = Field(
        default=None, description="List this node's children (a node of the county)"
    )
    depth: QueryInt = Field(
        default=2, ge=0, le=3, description="Levels below the county in the tree"
    )
