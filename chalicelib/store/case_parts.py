"""An application's parts besides its root: documents (registered, checked, deleted), agent
grants and certificates — the items and transaction steps `CaseStore` writes them with."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.application_parts import AgentGrant, Document, DocumentStatus, Status
from chalicelib.domain.moves import TimelineEvent
from chalicelib.domain.review import Certificate
from chalicelib.errors import Conflict
from chalicelib.store.keys import (
    case_pk,
    event_put,
)
from chalicelib.store.limits import case_counter_step, case_release_step
from chalicelib.store.refusals import is_conditional_failure
from chalicelib.store.table import Guarded, Table

ROOT = "A"


def _document_item(case_id: str, document: Document) -> dict[str, Any]:
    return {
        "pk": case_pk(case_id),
        "sk": f"DOC#{document.document_id}",
        "status": document.status.value,
        "data": document.model_dump(mode="json", exclude_none=True),
    }


class CaseParts:
    """Documents, grants and certificates of applications (a base of `CaseStore`)."""

    _table: Table

    def document(self, case_id: str, document_id: str) -> Document | None:
        raw = self._table.get(case_pk(case_id), f"DOC#{document_id}", consistent=True)
        return Document.model_validate(raw["data"]) if raw else None

    @staticmethod
    def open_for_documents(case_id: str) -> dict[str, Any]:
        """A transaction step: the case still takes documents (a draft, or a supplement is
        outstanding), so no document changes once it is submitted."""
        return {
            "ConditionCheck": {
                "Key": {"pk": case_pk(case_id), "sk": ROOT},
                "ConditionExpression": "#s IN (:draft, :supplement)",
                "ExpressionAttributeNames": {"#s": "status"},
                "ExpressionAttributeValues": {
                    ":draft": Status.DRAFT.value,
                    ":supplement": Status.SUPPLEMENT_REQUIRED.value,
                },
            }
        }

    def put_document(self, case_id: str, document: Document, limit: int) -> None:
        """Registers a document while the case takes documents, at most `limit` of them
        (counted in the same transaction: concurrent registrations cannot pass it)."""
        self._table.transact_guarded(
            [
                {
                    "Put": {
                        "Item": _document_item(case_id, document),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
                Guarded(
                    self.open_for_documents(case_id),
                    Conflict("Documents can be added only before submission."),
                ),
                Guarded(
                    case_counter_step(case_id, "documents", limit),
                    Conflict(f"An application holds at most {limit} documents."),
                ),
            ],
            Conflict("The document could not be registered; retry."),
        )

    def document_op(
        self, case_id: str, document: Document, expected: DocumentStatus
    ) -> dict[str, Any]:
        """A transaction step replacing a document only if its status is still `expected`."""
        return {
            "Put": {
                "Item": _document_item(case_id, document),
                "ConditionExpression": "#s = :expected",
                "ExpressionAttributeNames": {"#s": "status"},
                "ExpressionAttributeValues": {":expected": expected.value},
            }
        }

    @staticmethod
    def document_check(case_id: str, document: Document) -> dict[str, Any]:
        """A transaction step: `document` still has the status it was read with."""
        return {
            "ConditionCheck": {
                "Key": {"pk": case_pk(case_id), "sk": f"DOC#{document.document_id}"},
                "ConditionExpression": "#s = :status",
                "ExpressionAttributeNames": {"#s": "status"},
                "ExpressionAttributeValues": {":status": document.status.value},
            }
        }

    def update_document(
        self,
        case_id: str,
        document: Document,
        expected: DocumentStatus,
        event: TimelineEvent | None = None,
        *,
        only_while_open: bool = False,
    ) -> bool:
        operations = [self.document_op(case_id, document, expected)]
        if event is not None:
            operations.append(event_put(case_id, event))
        if only_while_open:
            operations.append(self.open_for_documents(case_id))
        if document.status is DocumentStatus.DELETED:
            operations.append(case_release_step(case_id, "documents"))
        try:
            self._table.transact(operations)
        except Exception as exc:
            if is_conditional_failure(exc):
                return False
            raise
        return True

    @staticmethod
    def grant_op(case_id: str, grant: AgentGrant) -> dict[str, Any]:
        return {
            "Put": {
                "Item": {
                    "pk": case_pk(case_id),
                    "sk": f"GRANT#{grant.agent_id}",
                    "gsi1pk": f"AGENT#{grant.agent_id}",
                    "gsi1sk": case_id,
                    "data": grant.model_dump(mode="json"),
                }
            }
        }

    @staticmethod
    def revoke_op(case_id: str, agent_id: str) -> dict[str, Any]:
        return {"Delete": {"Key": {"pk": case_pk(case_id), "sk": f"GRANT#{agent_id}"}}}

    @staticmethod
    def certificate_op(certificate: Certificate) -> dict[str, Any]:
        return {
            "Put": {
                "Item": {
                    "pk": f"CERT#{certificate.code}",
                    "sk": "CERT",
                    "data": certificate.model_dump(mode="json"),
                },
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }

    def certificate(self, code: str) -> Certificate | None:
        raw = self._table.get(f"CERT#{code}", "CERT")
        return Certificate.model_validate(raw["data"]) if raw else None

    def next_certificate_number(self, county: str, year: str) -> int:
        """The county's next certificate number of the year (one counter item per county)."""
        item = self._table.update(
            f"COUNTER#CERT#{county}",
            year,
            UpdateExpression="ADD #n :one",
            ExpressionAttributeNames={"#n": "n"},
            ExpressionAttributeValues={":one": 1},
        )
        return int(item["n"])
