"""The service phone directory in DynamoDB.

PHONES#<county> / E#<entry id>     the entry as it stands (the whole directory of a county is
                                   one partition, read with one Query: a few hundred entries
                                   at most, MOST_ENTRIES)
PHONE#<entry id> / V#000002        one immutable version; a deletion's is marked deleted

A change is one transaction: the entry on the condition that it is still at the version
read, and the new version (must not exist). A lost race is a Conflict (409).
"""

from __future__ import annotations

from typing import Any

from chalicelib.domain.phones import PhoneEntry
from chalicelib.errors import Conflict
from chalicelib.store.refusals import is_conditional_failure
from chalicelib.store.table import Table

MOST_ENTRIES = 500  # one county's directory, read in one bounded Query


def _directory(county: str) -> str:
    return f"PHONES#{county}"


class PhoneStore:
    def __init__(self, table: Table) -> None:
        self._table = table

    def directory(self, county: str) -> list[PhoneEntry]:
        """A county's entries, in id order (the order they were added)."""
        page = self._table.query(_directory(county), sk_prefix="E#", limit=MOST_ENTRIES)
        return [PhoneEntry.model_validate(raw["entry"]) for raw in page.items]

    def entry(self, county: str, entry_id: str) -> PhoneEntry | None:
        raw = self._table.get(_directory(county), f"E#{entry_id}", consistent=True)
        return PhoneEntry.model_validate(raw["entry"]) if raw else None

    def versions(self, entry_id: str) -> list[PhoneEntry]:
        """Every version of an entry, newest first."""
        items = self._table.query_all(f"PHONE#{entry_id}", sk_prefix="V#", forward=False)
        return [PhoneEntry.model_validate(raw["entry"]) for raw in items]

    def save(self, entry: PhoneEntry) -> None:
        """Writes `entry` as its next version (a deleted one leaves the directory)."""
        key = {"pk": _directory(entry.county), "sk": f"E#{entry.entry_id}"}
        body = entry.model_dump(mode="json", exclude_none=True)
        condition: dict[str, Any]
        if entry.version == 1:
            condition = {"ConditionExpression": "attribute_not_exists(pk)"}
        else:
            condition = {
                "ConditionExpression": "#v = :previous",
                "ExpressionAttributeNames": {"#v": "v"},
                "ExpressionAttributeValues": {":previous": entry.version - 1},
            }
        if entry.deleted:
            current: dict[str, Any] = {"Delete": {"Key": key, **condition}}
        else:
            current = {"Put": {"Item": {**key, "v": entry.version, "entry": body}, **condition}}
        version = {
            "Put": {
                "Item": {
                    "pk": f"PHONE#{entry.entry_id}",
                    "sk": f"V#{entry.version:06d}",
                    "entry": body,
                },
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }
        try:
            self._table.transact([current, version])
        except Exception as exc:
            if is_conditional_failure(exc):
                raise Conflict(
                    "The entry changed meanwhile; read it again and repeat your change."
                ) from None
            raise
