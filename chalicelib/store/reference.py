"""Departments, request categories and jurisdictions: small item collections, one per kind.

DEPARTMENT / <code>, CATEGORY / <code>, JURISDICTION / <code> (codes sort parent-first).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import BaseModel

from chalicelib.domain.calendar import YearArrangement
from chalicelib.domain.reference import Category, Department, Jurisdiction
from chalicelib.store.catalogue import bump_revision
from chalicelib.store.table import Table

M = TypeVar("M", bound=BaseModel)

PARTITIONS: dict[type[BaseModel], tuple[str, str]] = {
    Department: ("DEPARTMENT", "departments"),
    Category: ("CATEGORY", "categories"),
    Jurisdiction: ("JURISDICTION", "jurisdictions"),
    YearArrangement: ("CALENDAR", "calendar"),
}


def _sort_key(record: BaseModel) -> str:
    if isinstance(record, YearArrangement):
        return str(record.year)
    return str(record.code)  # type: ignore[attr-defined]


class ReferenceStore:
    def __init__(self, table: Table) -> None:
        self._table = table

    def load(self, model: type[M]) -> list[M]:
        pk, _ = PARTITIONS[model]
        return [
            model.model_validate(raw["data"]) for raw in self._table.query_all(pk, consistent=True)
        ]

    def replace(self, model: type[BaseModel], records: Sequence[BaseModel]) -> None:
        """Writes every record of one kind (seeding and admin loads), then bumps the revision.
        Records are upserts keyed by code; it never deletes one that cases may refer to."""
        pk, kind = PARTITIONS[model]
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
