"""The inspection-item list and the two directories in DynamoDB.

INSPITEMS#<county> / I#<item id>          an item as it stands (a county's list is one
                                          partition: a few hundred items, one Query)
INSPITEM#<county>#<item id> / V#000002    one immutable version
ENTITY#<credit code> / CURRENT            an entity; on GSI1 under ENTITIES#<township> /
                                          <credit code> (a plan freezes its scope township by
                                          township)
INSPECTORS#<county> / I#<inspector id>    an inspector (a county's directory: one Query)

Entity changes are conditional on the revision read (`rev`): a licence issued while a
complaint is linked cannot lose either.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from chalicelib.domain.inspection import InspectionEntity, InspectionItem, Inspector
from chalicelib.errors import Conflict
from chalicelib.store.refusals import is_conditional_failure
from chalicelib.store.table import Page, Table, revision_put

MOST_ITEMS = 1000
MOST_INSPECTORS = 2000


def _items(county: str) -> str:
    return f"INSPITEMS#{county}"


def _entity_pk(credit_code: str) -> str:
    return f"ENTITY#{credit_code}"


def entities_index(township: str) -> str:
    return f"ENTITIES#{township}"


def _conflict(what: str) -> Conflict:
    return Conflict(f"The {what} changed meanwhile; read it again and repeat your change.")


class InspectionDirectoryStore:
    def __init__(self, table: Table) -> None:
        self._table = table

    # The item list -------------------------------------------------------------------------

    def items(self, county: str) -> list[InspectionItem]:
        found = self._table.query_all(_items(county), sk_prefix="I#")
        return [InspectionItem.model_validate(raw["item"]) for raw in found][:MOST_ITEMS]

    def item(self, county: str, item_id: str) -> InspectionItem | None:
        raw = self._table.get(_items(county), f"I#{item_id}", consistent=True)
        return InspectionItem.model_validate(raw["item"]) if raw else None

    def item_versions(self, county: str, item_id: str) -> list[InspectionItem]:
        found = self._table.query_all(f"INSPITEM#{county}#{item_id}", sk_prefix="V#", forward=False)
        return [InspectionItem.model_validate(raw["item"]) for raw in found]

    def save_item(self, item: InspectionItem) -> None:
        """Writes `item` as its next version, on the condition it is still at the one before."""
        key = {"pk": _items(item.county), "sk": f"I#{item.item_id}"}
        body = item.model_dump(mode="json")
        condition: dict[str, Any] = (
            {"ConditionExpression": "attribute_not_exists(pk)"}
            if item.version == 1
            else {
                "ConditionExpression": "#v = :previous",
                "ExpressionAttributeNames": {"#v": "v"},
                "ExpressionAttributeValues": {":previous": item.version - 1},
            }
        )
        version = {
            "pk": f"INSPITEM#{item.county}#{item.item_id}",
            "sk": f"V#{item.version:06d}",
            "item": body,
        }
        try:
            self._table.transact(
                [
                    {"Put": {"Item": {**key, "v": item.version, "item": body}, **condition}},
                    {"Put": {"Item": version, "ConditionExpression": "attribute_not_exists(pk)"}},
                ]
            )
        except Exception as exc:
            if is_conditional_failure(exc):
                raise _conflict("item") from None
            raise

    # Entities -----------------------------------------------------------------------------

    def entity(self, credit_code: str) -> InspectionEntity | None:
        raw = self._table.get(_entity_pk(credit_code), "CURRENT", consistent=True)
        return InspectionEntity.model_validate(raw["entity"]) if raw else None

    def entities(self, credit_codes: list[str]) -> dict[str, InspectionEntity]:
        found = self._table.batch_get([(_entity_pk(c), "CURRENT") for c in credit_codes])
        entities = (InspectionEntity.model_validate(raw["entity"]) for raw in found)
        return {e.credit_code: e for e in entities}

    def township_entities(self, township: str) -> Iterator[InspectionEntity]:
        """Every entity of a township, in credit-code order (GSI1, read page by page)."""
        for raw in self._table.query_all(entities_index(township), index="gsi1"):
            yield InspectionEntity.model_validate(raw["entity"])

    def entity_page(
        self, township: str, limit: int, start: dict[str, Any] | None
    ) -> Page[InspectionEntity]:
        page = self._table.query(
            entities_index(township), index="gsi1", limit=limit, start_key=start
        )
        items = [InspectionEntity.model_validate(raw["entity"]) for raw in page.items]
        return Page(items=items, last_key=page.last_key)

    def save_entity(self, entity: InspectionEntity) -> InspectionEntity:
        """Writes the entity at its next revision, on the condition it is still at the one
        read (rev 0: new). Returns what was written."""
        saved = entity.model_copy(update={"rev": entity.rev + 1})
        item = {
            "pk": _entity_pk(entity.credit_code),
            "sk": "CURRENT",
            "gsi1pk": entities_index(entity.township),
            "gsi1sk": entity.credit_code,
            "rev": saved.rev,
            "entity": saved.model_dump(mode="json", exclude_none=True),
        }
        self._put_on_revision(item, entity.rev, "entity")
        return saved

    def _put_on_revision(self, item: dict[str, Any], previous_rev: int, what: str) -> None:
        """Puts `item` on the condition that it is new (rev 0) or still at `previous_rev`."""
        put = revision_put(item, previous_rev or None)
        try:
            self._table.put(
                item,
                condition=put["ConditionExpression"],
                names=put.get("ExpressionAttributeNames"),
                values=put.get("ExpressionAttributeValues"),
            )
        except Exception as exc:
            if is_conditional_failure(exc):
                raise _conflict(what) from None
            raise

    # Inspectors ---------------------------------------------------------------------------

    def inspectors(self, county: str) -> list[Inspector]:
        found = self._table.query_all(f"INSPECTORS#{county}", sk_prefix="I#")
        return [Inspector.model_validate(raw["inspector"]) for raw in found][:MOST_INSPECTORS]

    def inspector(self, county: str, inspector_id: str) -> Inspector | None:
        raw = self._table.get(f"INSPECTORS#{county}", f"I#{inspector_id}", consistent=True)
        return Inspector.model_validate(raw["inspector"]) if raw else None

    def save_inspector(self, inspector: Inspector) -> Inspector:
        """Writes the inspector at its next revision, on the condition it is still at the one
        read (rev 0: new): a head's edit and an inspector's declaration never undo each other."""
        saved = inspector.model_copy(update={"rev": inspector.rev + 1})
        item = {
            "pk": f"INSPECTORS#{inspector.county}",
            "sk": f"I#{inspector.inspector_id}",
            "rev": saved.rev,
            "inspector": saved.model_dump(mode="json", exclude_none=True),
        }
        self._put_on_revision(item, inspector.rev, "inspector")
        return saved
