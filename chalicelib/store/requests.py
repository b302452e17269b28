"""Citizen requests (诉求) in DynamoDB: loading, creating and saving a request with its
timeline, side items and figures in one transaction, its comments and its photo uploads.
The item layout is in `store/request_items.py`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.domain.application_parts import Document, DocumentStatus
from chalicelib.domain.moves import TimelineEvent
from chalicelib.domain.open311 import PublicRecord
from chalicelib.domain.request import ServiceRequest
from chalicelib.domain.request_parts import (
    check_request_move,
)
from chalicelib.errors import Conflict
from chalicelib.store.keys import (
    case_pk,
    event_put,
    timeline_page,
    utc_iso,
)
from chalicelib.store.limits import case_counter_step
from chalicelib.store.refusals import is_conditional_failure
from chalicelib.store.request_items import (
    ROOT,
    due_partitions,
    index_operations,
    public_partition,
    root_item,
)
from chalicelib.store.table import Guarded, Page, Table


@dataclass(frozen=True)
class Change:
    before: ServiceRequest
    after: ServiceRequest
    events: list[TimelineEvent]
    public: PublicRecord | None


@dataclass(frozen=True)
class PublicFilter:
    """Which public records a GeoReport search keeps: received in [since, until], with one
    of `statuses` (open, closed) and of `categories`, when given."""

    since: datetime
    until: datetime
    statuses: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()


class RequestStore:
    def __init__(self, table: Table) -> None:
        self._table = table

    # reads ---------------------------------------------------------------------------------
    def load(self, request_id: str) -> tuple[ServiceRequest, list[TimelineEvent]] | None:
        """The root and its timeline (oldest first): one Query."""
        root = None
        events = []
        for raw in self._table.query_all(case_pk(request_id), consistent=True):
            if raw["sk"] == ROOT:
                root = ServiceRequest.model_validate(raw["data"])
            elif raw["sk"].startswith("EV#"):
                events.append(TimelineEvent.model_validate(raw["data"]))
        return (root, events) if root is not None else None

    def get(self, request_id: str) -> ServiceRequest | None:
        raw = self._table.get(case_pk(request_id), ROOT, consistent=True)
        return ServiceRequest.model_validate(raw["data"]) if raw else None

    def due(self, counties: list[str], until: datetime, limit: int) -> list[str]:
        """Ids of the counties' requests whose running stage fell due by `until`, oldest
        first: each shard of each county read up to `limit`, merged."""
        found: list[tuple[str, str]] = []
        for county in counties:
            for partition in due_partitions(county):
                page = self._table.query(
                    partition, index="gsi4", sk_between=("0", f"{utc_iso(until)}#~"), limit=limit
                )
                found += [(raw["gsi4sk"], raw["pk"].removeprefix("CASE#")) for raw in page.items]
        return [request_id for _, request_id in sorted(found)[:limit]]

    def public_page(
        self,
        county: str,
        month: str,
        chosen: PublicFilter,
        limit: int,
        start: dict[str, Any] | None = None,
    ) -> tuple[list[PublicRecord], dict[str, Any] | None]:
        """One page of a month's public records (their GeoReport rendering) received in
        the filter's window, newest first, and where to go on."""
        clauses: list[str] = []
        names: dict[str, str] = {}
        values: dict[str, Any] = {}
        for attribute, name, wanted in (
            ("status", "st", chosen.statuses),
            ("category", "c", chosen.categories),
        ):
            if wanted:
                clauses.append(
                    f"#{name} IN ({', '.join(f':{name}{i}' for i in range(len(wanted)))})"
                )
                names[f"#{name}"] = attribute
                values.update({f":{name}{i}": v for i, v in enumerate(wanted)})
        filter = (" AND ".join(clauses), names, values) if clauses else None
        page = self._table.query(
            public_partition(county, month),
            index="gsi1",
            sk_between=(utc_iso(chosen.since), f"{utc_iso(chosen.until)}#~"),
            forward=False,
            limit=limit,
            filter=filter,
            start_key=start,
        )
        return [PublicRecord.model_validate(raw["data"]) for raw in page.items], page.last_key

    def public(self, request_id: str) -> PublicRecord | None:
        """A request's public record (None: private, or no such request)."""
        raw = self._table.get(case_pk(request_id), "PUB")
        return PublicRecord.model_validate(raw["data"]) if raw else None

    # writes --------------------------------------------------------------------------------
    def next_number(self, county: str, day: str) -> int:
        """The county's next request number of the day (one counter item per county)."""
        return self._table.next_in_sequence(f"COUNTER#REQ#{county}", day)

    def create(
        self,
        req: ServiceRequest,
        events: list[TimelineEvent],
        public: PublicRecord | None,
        guards: list[Guarded],
    ) -> None:
        """The new request with its events and queue items, in one transaction
        with its `guards` (quota, Idempotency-Key, photo claims), each failing with its own
        error."""
        operations: list[dict[str, Any] | Guarded] = [
            {"Put": {"Item": root_item(req), "ConditionExpression": "attribute_not_exists(pk)"}},
            *(event_put(req.request_id, e) for e in events),
            *index_operations(None, req, public),
            *guards,
        ]
        self._table.transact_guarded(
            operations, Conflict("The same request is being processed; retry shortly.")
        )

    def timeline(
        self, request_id: str, limit: int, after: str | None, type: str | None = None
    ) -> Page[TimelineEvent]:
        return timeline_page(self._table, request_id, limit, after, type)

    def add_comment(self, request_id: str, event: TimelineEvent, limit: int) -> None:
        """The filer's comment, counted against the request's `limit` in the same write."""
        self._table.transact_guarded(
            [
                Guarded(
                    case_counter_step(request_id, "comments", limit),
                    Conflict(f"A request takes at most {limit} comments."),
                ),
                event_put(request_id, event),
            ],
            Conflict("The comment could not be added; retry."),
        )

    def save(
        self,
        before: ServiceRequest,
        after: ServiceRequest,
        events: list[TimelineEvent],
        public: PublicRecord | None,
        extra: list[Guarded] | None = None,
        also: list[Change] | None = None,
    ) -> None:
        """Writes `after` only if the stored root is still at `before.rev`, with its events,
        index items and statistics, in one transaction; Conflict if someone acted first.
        `extra`: guarded steps (photo claims); `also`: other roots changed in the same
        transaction (a merge's target)."""
        changes = [Change(before, after, events, public), *(also or [])]
        for change in changes:  # every move checked against the transition table
            check_request_move(change.before.status, change.after.status)
        operations: list[dict[str, Any] | Guarded] = []
        for change in changes:
            if change.after.rev != change.before.rev + 1:
                raise ValueError("save() needs after.rev == before.rev + 1")
            operations += [
                {
                    "Put": {
                        "Item": root_item(change.after),
                        "ConditionExpression": "#rev = :rev",
                        "ExpressionAttributeNames": {"#rev": "rev"},
                        "ExpressionAttributeValues": {":rev": change.before.rev},
                    }
                },
                *(event_put(change.after.request_id, e) for e in change.events),
                *index_operations(change.before, change.after, change.public),
            ]
        operations += extra or []
        self._table.transact_guarded(
            operations,
            Conflict(
                "The request changed meanwhile (someone else acted on it first);"
                " reload it and try again."
            ),
        )

    def append_event(self, request_id: str, event: TimelineEvent) -> None:
        self._table.transact([event_put(request_id, event)])

    # uploads (photos) ----------------------------------------------------------------------
    def upload(self, owner: str, document_id: str) -> Document | None:
        raw = self._table.get(f"UPLOAD#{owner}", f"DOC#{document_id}", consistent=True)
        return Document.model_validate(raw["data"]) if raw else None

    def uploads(self, owner: str, document_ids: list[str]) -> dict[str, Document]:
        if not document_ids:
            return {}
        items = self._table.batch_get([(f"UPLOAD#{owner}", f"DOC#{d}") for d in document_ids])
        documents = (Document.model_validate(raw["data"]) for raw in items)
        return {doc.document_id: doc for doc in documents}

    def put_upload(self, owner: str, document: Document, quota: Guarded) -> None:
        """Registers an upload, within the owner's daily quota (one transaction)."""
        self._table.transact_guarded(
            [
                quota,
                {
                    "Put": {
                        "Item": {
                            "pk": f"UPLOAD#{owner}",
                            "sk": f"DOC#{document.document_id}",
                            "status": document.status.value,
                            "data": document.model_dump(mode="json", exclude_none=True),
                            "expires_at": int(document.requested_at.timestamp()) + 30 * 86_400,
                        },
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ],
            Conflict("The upload could not be registered; retry."),
        )

    def update_upload(self, owner: str, document: Document, expected: DocumentStatus) -> bool:
        try:
            self._table.put(
                {
                    "pk": f"UPLOAD#{owner}",
                    "sk": f"DOC#{document.document_id}",
                    "status": document.status.value,
                    "data": document.model_dump(mode="json", exclude_none=True),
                },
                condition="#s = :expected",
                names={"#s": "status"},
                values={":expected": expected.value},
            )
        except Exception as exc:
            if is_conditional_failure(exc):
                return False
            raise
        return True

    @staticmethod
    def claim_upload(owner: str, document_id: str, request_id: str) -> dict[str, Any]:
        """A transaction step: the upload is clean and not yet attached to anything; afterwards
        it belongs to `request_id` (a photo is attached once, never to two cases)."""
        return {
            "Update": {
                "Key": {"pk": f"UPLOAD#{owner}", "sk": f"DOC#{document_id}"},
                "UpdateExpression": "SET #a = :req REMOVE expires_at",
                "ConditionExpression": "#s = :clean AND attribute_not_exists(#a)",
                "ExpressionAttributeNames": {"#s": "status", "#a": "attached_to"},
                "ExpressionAttributeValues": {
                    ":clean": DocumentStatus.CLEAN.value,
                    ":req": request_id,
                },
            }
        }
