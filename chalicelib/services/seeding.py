"""Loads a county's reference data and catalogue (validated by the domain models) into the
table. Used by the local stack's seed and by the deploy-time `python -m devstack seed`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from chalicelib.clock import Clock
from chalicelib.domain.calendar import YearArrangement
from chalicelib.domain.catalogue import ServiceItem, ServiceItemInput
from chalicelib.domain.reference import Category, Department, Jurisdiction
from chalicelib.store.catalogue import CatalogueStore
from chalicelib.store.reference import ReferenceStore


@dataclass(frozen=True)
class CountyData:
    departments: list[Department]
    categories: list[Category]
    jurisdictions: list[Jurisdiction]
    services: list[tuple[str, ServiceItemInput]]
    calendar: list[YearArrangement]

    @classmethod
    def parse(
        cls,
        departments: dict[str, Any],
        categories: dict[str, Any],
        jurisdictions: dict[str, Any],
        services: dict[str, Any],
        holidays: dict[str, Any],
    ) -> CountyData:
        return cls(
            calendar=[
                YearArrangement(year=int(year), **days) for year, days in holidays["years"].items()
            ],
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


def _flatten(node: dict[str, Any], parent: str | None) -> Iterator[Jurisdiction]:
    fields = {k: v for k, v in node.items() if k != "children"}
    yield Jurisdiction.model_validate({**fields, "parent": parent})
    for child in node.get("children", []):
        yield from _flatten(child, node["code"])


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
    known = {d.code for d in data.departments}
    for category in data.categories:
        missing = set(category.departments) - known
        if missing:
            raise ValueError(f"category {category.code} names unknown departments {missing}")
    reference.replace(Department, data.departments)
    reference.replace(Category, data.categories)
    reference.replace(Jurisdiction, data.jurisdictions)
    reference.replace(YearArrangement, data.calendar)
    published = 0
    for code, change in data.services:
        if catalogue.current(code) is not None:
            continue
        catalogue.save(
            ServiceItem(
                **change.model_dump(),
                code=code,
                version=1,
                updated_at=clock.now(),
                updated_by=actor,
            )
        )
        published += 1
    return published
