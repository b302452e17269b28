"""Written notices in DynamoDB. Each notice is two items, written in the transaction of the
case move it belongs to (or, for the window's receipt, on its own):

CASE#<id> / NOTICE#<notice id>   the notice on its case (listing, download); the id is that
                                 of the timeline event it was issued with, so put-if-absent
                                 makes a repeated issue a no-op
CERT#<code> / CERT               its public verification, beside the certificates' (one code
                                 space: `doc` says which kind of document answers)
"""

from __future__ import annotations

from typing import Any

from chalicelib.domain.notice import Notice
from chalicelib.domain.review import Certificate
from chalicelib.store.keys import case_pk, event_put
from chalicelib.store.refusals import is_conditional_failure
from chalicelib.store.table import Table


class NoticeStore:
    def __init__(self, table: Table) -> None:
        self._table = table

    @staticmethod
    def operations(notice: Notice) -> list[dict[str, Any]]:
        """The transaction steps putting `notice` (each only if absent)."""
        data = notice.model_dump(mode="json")
        return [
            {
                "Put": {
                    "Item": {
                        "pk": case_pk(notice.case_id),
                        "sk": f"NOTICE#{notice.notice_id}",
                        "data": data,
                    },
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {
                "Put": {
                    "Item": {
                        "pk": f"CERT#{notice.code}",
                        "sk": "CERT",
                        "doc": "notice",
                        "data": data,
                    },
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
        ]

    def put(self, notice: Notice, event: Any) -> bool:
        """Writes `notice` with its timeline event on its own; False if it already exists."""
        try:
            self._table.transact([*self.operations(notice), event_put(notice.case_id, event)])
        except Exception as exc:
            if is_conditional_failure(exc):
                return False
            raise
        return True

    def of_case(self, case_id: str) -> list[Notice]:
        """The case's notices, oldest first."""
        items = self._table.query_all(case_pk(case_id), sk_prefix="NOTICE#", consistent=True)
        return [Notice.model_validate(raw["data"]) for raw in items]

    def notice(self, case_id: str, notice_id: str) -> Notice | None:
        raw = self._table.get(case_pk(case_id), f"NOTICE#{notice_id}", consistent=True)
        return Notice.model_validate(raw["data"]) if raw else None

    def verifiable(self, code: str) -> Certificate | Notice | None:
        """The certificate or notice a public verification code names."""
        raw = self._table.get(f"CERT#{code}", "CERT")
        if raw is None:
            return None
        if raw.get("doc") == "notice":
            return Notice.model_validate(raw["data"])
        return Certificate.model_validate(raw["data"])
