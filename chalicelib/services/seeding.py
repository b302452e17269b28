"""Loads the platform (its identity and the national calendar) and each county's identity,
reference data and catalogue (validated by the domain models) into the table. Used by the
local stack's demo seed; a real stage is loaded by the bootstrap commands
(`python -m infra.bootstrap`, services/bootstrap.py), which check the same rules and write
only what differs."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from chalicelib.clock import Clock
from chalicelib.domain.calendar import YearArrangement
from chalicelib.domain.catalogue import ServiceItem, ServiceItemInput
from chalicelib.domain.county import County, Platform
from chalicelib.domain.reference import Category, Department, Jurisdiction
from chalicelib.store.catalogue import CatalogueStore
from chalicelib.store.reference import ReferenceStore


@dataclass(frozen=True)
class CountyData:
    """One county's files: its identity, departments, request categories, jurisdiction tree
    and catalogue."""

    county: County
    departments: list[Department]
    categories: list[Category]
    jurisdictions: list[Jurisdiction]
    services: list[tuple[str, ServiceItemInput]]

    @classmethod
    def parse(
        cls,
        county: dict[str, Any],
        departments: dict[str, Any],
        categories: dict[str, Any],
        jurisdictions: dict[str, Any],
        services: dict[str, Any],
    ) -> CountyData:
        return cls(
            county=County.model_validate(_data(county)),
            departments=[Department.model_validate(d) for d in departments["departments"]],
            categories=[Category.model_validate(c) for c in categories["categories"]],
            jurisdictions=list(_flatten(jurisdictions, None)),
            services=[
                (
                    s["code"],
                    ServiceItemInput.model_validate({k: v for k, v in s.items() if k != "code"}),
                )
                for s in services["services"]
            ],
        )


@dataclass(frozen=True)
class PlatformData:
    """The platform's identity, the national working-day calendar and its counties."""

    platform: Platform
    calendar: list[YearArrangement]
    counties: list[CountyData]

    @classmethod
    def parse(
        cls, platform: dict[str, Any], holidays: dict[str, Any], counties: list[CountyData]
    ) -> PlatformData:
        return cls(
            platform=Platform.model_validate(_data(platform)),
            calendar=[
                YearArrangement(year=int(year), **days) for year, days in holidays["years"].items()
            ],
            counties=counties,
        )


def _data(record: dict[str, Any]) -> dict[str, Any]:
    """A record without its human notes (`comment`, `*_comment`)."""
    return {k: v for k, v in record.items() if k != "comment" and not k.endswith("_comment")}


def _flatten(node: dict[str, Any], parent: str | None) -> Iterator[Jurisdiction]:
    fields = {k: v for k, v in node.items() if k != "children"}
    yield Jurisdiction.model_validate({**fields, "parent": parent})
    for child in node.get("children", []):
        yield from _flatten(child, node["code"])


def check_county(data: CountyData) -> None:
    """Everything a county's files name is that county's."""
    code = data.county.code
    known = {d.code for d in data.departments}
    for category in data.categories:
        missing = set(category.departments) - known
        if missing:
            raise ValueError(f"category {category.code} names unknown departments {missing}")
    for node in data.jurisdictions:
        if node.code[:6] != code:
            raise ValueError(f"jurisdiction {node.code} is not in county {code}")
    roots = [node.code for node in data.jurisdictions if node.parent is None]
    if roots != [code]:
        raise ValueError(f"county {code}'s tree must have the county as its one root, not {roots}")
    for service, _ in data.services:
        if not service.startswith(f"{code}-"):
            raise ValueError(f"service {service} is not numbered in county {code}")


def check_platform(data: PlatformData) -> None:
    """The platform lists exactly the counties given, each of them consistent."""
    listed, given = data.platform.counties, [c.county.code for c in data.counties]
    if sorted(listed) != sorted(given) or len(set(given)) != len(given):
        raise ValueError(f"the platform lists counties {listed}, the files hold {given}")
    prefixes = [c.county.case_prefix for c in data.counties]
    shared = sorted({p for p in prefixes if prefixes.count(p) > 1})
    if shared:  # two counties would issue the same case and certificate numbers
        raise ValueError(f"case prefixes {shared} are used by more than one county")
    for county in data.counties:
        check_county(county)


def load_platform(
    data: PlatformData,
    reference: ReferenceStore,
    catalogue: CatalogueStore,
    clock: Clock,
    *,
    actor: str = "seed",
) -> int:
    """Writes the platform, the national calendar and every county (upserts; see
    load_county). Returns how many catalogue items were published."""
    check_platform(data)
    reference.replace(Platform, [data.platform])
    reference.replace(YearArrangement, data.calendar)
    return sum(
        load_county(county, reference, catalogue, clock, actor=actor) for county in data.counties
    )


def load_county(
    data: CountyData,
    reference: ReferenceStore,
    catalogue: CatalogueStore,
    clock: Clock,
    *,
    actor: str = "seed",
) -> int:
    """Writes reference data (upserts) and publishes every catalogue item that is not in the
    table yet as its version 1. Returns how many items were published."""
    check_county(data)
    code = data.county.code
    reference.replace(County, [data.county])
    reference.replace(Department, data.departments, code)
    reference.replace(Category, data.categories, code)
    reference.replace(Jurisdiction, data.jurisdictions, code)
    items = [
        ServiceItem(
            **change.model_dump(),
            code=service,
            version=1,
            updated_at=clock.now(),
            updated_by=actor,
        )
        for service, change in data.services
    ]
    return len(catalogue.publish_new(code, items))
