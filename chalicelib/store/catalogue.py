"""The service catalogue in DynamoDB.

SERVICE#<code> / V#000003   one immutable version of an item (never overwritten)
SERVICE#<code> / CURRENT    a copy of the newest version, listed on GSI1 under
                            CATALOGUE#<county> (an item's code starts with its county's)
META / REVISION             counters that tell caches whether reference data changed
"""

from __future__ import annotations

from typing import Any

from chalicelib.domain.catalogue import ServiceItem
from chalicelib.errors import Conflict
from chalicelib.store.refusals import is_conditional_failure
from chalicelib.store.table import Table

META_PK, META_SK = "META", "REVISION"


def _version_sk(version: int) -> str:
    return f"V#{version:06d}"


def catalogue_partition(county: str) -> str:
    return f"CATALOGUE#{county}"


def _item(item: ServiceItem) -> dict[str, Any]:
    return item.model_dump(mode="json", exclude_none=True)


class CatalogueStore:
    def __init__(self, table: Table) -> None:
        self._table = table

    def current(self, code: str) -> ServiceItem | None:
        raw = self._table.get(f"SERVICE#{code}", "CURRENT")
        return ServiceItem.model_validate(raw["item"]) if raw else None

    def version(self, code: str, version: int) -> ServiceItem | None:
        raw = self._table.get(f"SERVICE#{code}", _version_sk(version))
        return ServiceItem.model_validate(raw["item"]) if raw else None

    def versions(self, code: str) -> list[ServiceItem]:
        """Every version of an item, oldest first."""
        items = self._table.query_all(f"SERVICE#{code}", sk_prefix="V#", consistent=True)
        return [ServiceItem.model_validate(raw["item"]) for raw in items]

    def all_current(self, county: str) -> list[ServiceItem]:
        """A county's current catalogue."""
        items = self._table.query_all(catalogue_partition(county), index="gsi1")
        return [ServiceItem.model_validate(raw["item"]) for raw in items]

    def save(self, item: ServiceItem) -> None:
        """Stores `item` as the next version. Fails with Conflict if another writer got there
        first (the previous version is no longer current, or this version already exists)."""
        try:
            self._table.transact(
                [*_version_steps(item), bump_revision(revision_kind("catalogue", item.code[:6]))]
            )
        except Exception as exc:
            if is_conditional_failure(exc):
                raise Conflict(
                    f"Service {item.code} changed meanwhile; reload it and apply your edit again."
                ) from None
            raise

    def publish_new(self, county: str, items: list[ServiceItem]) -> list[ServiceItem]:
        """Publishes the first versions of those of a county's `items` it does not have yet,
        many to a transaction (a county's catalogue loads in a few calls); returns them. An
        item another writer creates meanwhile fails its transaction with Conflict."""
        current = [(f"SERVICE#{i.code}", "CURRENT") for i in items]
        present = {raw["pk"].removeprefix("SERVICE#") for raw in self._table.batch_get(current)}
        new = [i for i in items if i.code not in present and i.version == 1]
        per_call = (TRANSACTION_STEPS - 1) // 2
        for start in range(0, len(new), per_call):
            chunk = new[start : start + per_call]
            steps = [step for item in chunk for step in _version_steps(item)]
            try:
                self._table.transact([*steps, bump_revision(revision_kind("catalogue", county))])
            except Exception as exc:
                if is_conditional_failure(exc):
                    raise Conflict("Some of these items were created meanwhile.") from None
                raise
        return new


TRANSACTION_STEPS = 100  # DynamoDB's limit of items in one transaction


def _version_steps(item: ServiceItem) -> list[dict[str, Any]]:
    """The two puts that make `item` its code's current version: the immutable version (must
    not exist) and the CURRENT copy (on the condition that the previous version is current)."""
    pk = f"SERVICE#{item.code}"
    body = _item(item)
    if item.version == 1:
        current_condition = "attribute_not_exists(pk)"
        values: dict[str, Any] | None = None
    else:
        current_condition = "#v = :previous"
        values = {":previous": item.version - 1}
    current: dict[str, Any] = {
        "Item": {
            "pk": pk,
            "sk": "CURRENT",
            "gsi1pk": catalogue_partition(item.code[:6]),
            "gsi1sk": item.code,
            "v": item.version,
            "item": body,
        },
        "ConditionExpression": current_condition,
    }
    if values:
        current["ExpressionAttributeNames"] = {"#v": "v"}
        current["ExpressionAttributeValues"] = values
    return [
        {
            "Put": {
                "Item": {"pk": pk, "sk": _version_sk(item.version), "item": body},
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        },
        {"Put": current},
    ]


def revision_kind(kind: str, county: str | None) -> str:
    """The name a kind's revision goes by: one county's collection has its own."""
    return f"{kind}#{county}" if county else kind


def bump_revision(kind: str) -> dict[str, Any]:
    """A transaction step that tells every container's cache that `kind` changed."""
    return {
        "Update": {
            "Key": {"pk": META_PK, "sk": META_SK},
            "UpdateExpression": "ADD #k :one",
            "ExpressionAttributeNames": {"#k": kind},
            "ExpressionAttributeValues": {":one": 1},
        }
    }


class RevisionStore:
    def __init__(self, table: Table) -> None:
        self._table = table

    def revisions(self) -> dict[str, int]:
        raw = self._table.get(META_PK, META_SK, consistent=True) or {}
        return {k: int(v) for k, v in raw.items() if k not in ("pk", "sk")}
