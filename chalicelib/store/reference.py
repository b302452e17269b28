"""Reference data: small item collections, one per kind and county.

COUNTY / <code>                  each county's identity          PLATFORM / PLATFORM  the deployment
DEPARTMENT#<county> / <code>     a county's departments          CALENDAR / <year>    national
CATEGORY#<county> / <code>       a county's request categories   CALENDAR#<county> / <year>
JURISDICTION#<county> / <code>   a county's tree (codes sort       a county's own days
                                 parent-first)

A container loads one county's collection when a call first needs it, never the province's;
each county's collections have revisions of their own (`departments#370830`), so an edit in
one county reloads nothing of another's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import BaseModel

from chalicelib.domain.calendar import YearArrangement
from chalicelib.domain.county import County, Platform
from chalicelib.domain.reference import Category, Department, Jurisdiction
from chalicelib.store.catalogue import bump_revision, revision_kind
from chalicelib.store.table import Table

M = TypeVar("M", bound=BaseModel)

PARTITIONS: dict[type[BaseModel], tuple[str, str]] = {
    Department: ("DEPARTMENT", "departments"),
    Category: ("CATEGORY", "categories"),
    Jurisdiction: ("JURISDICTION", "jurisdictions"),
    YearArrangement: ("CALENDAR", "calendar"),
    County: ("COUNTY", "counties"),
    Platform: ("PLATFORM", "platform"),
}
PER_COUNTY = (Department, Category, Jurisdiction)
MAY_BE_LOCAL = (YearArrangement,)  # national, or one county's own


def partition(model: type[BaseModel], county: str | None) -> str:
    pk, _ = PARTITIONS[model]
    if model in PER_COUNTY and county is None:
        raise ValueError(f"{model.__name__} records belong to a county")
    if county is not None and model not in (*PER_COUNTY, *MAY_BE_LOCAL):
        raise ValueError(f"{model.__name__} records belong to the platform")
    return f"{pk}#{county}" if county else pk


def _sort_key(record: BaseModel) -> str:
    if isinstance(record, YearArrangement):
        return str(record.year)
    if isinstance(record, Platform):
        return "PLATFORM"
    return str(record.code)  # type: ignore[attr-defined]


class ReferenceStore:
    def __init__(self, table: Table) -> None:
        self._table = table

    def load(self, model: type[M], county: str | None = None) -> list[M]:
        pk = partition(model, county)
        return [
            model.model_validate(raw["data"]) for raw in self._table.query_all(pk, consistent=True)
        ]

    def replace(
        self, model: type[BaseModel], records: Sequence[BaseModel], county: str | None = None
    ) -> None:
        """Writes every record of one kind (of one county, for the kinds that are a county's),
        then bumps the revision. Records are upserts keyed by code; it never deletes one that
        cases may refer to."""
        pk, kind = partition(model, county), revision_kind(PARTITIONS[model][1], county)
        client = self._table.client
        requests: list[dict[str, Any]] = [
            {
                "PutRequest": {
                    "Item": self._table.ser.dump(
                        {
                            "pk": pk,
                            "sk": _sort_key(r),
                            "data": r.model_dump(mode="json", exclude_none=True),
                        }
                    )
                }
            }
            for r in records
        ]
        for start in range(0, len(requests), 25):
            pending = {self._table.name: requests[start : start + 25]}
            while pending:
                response = client.batch_write_item(RequestItems=pending)
                pending = response.get("UnprocessedItems") or {}
        self._table.transact([bump_revision(kind)])
