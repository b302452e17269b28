"""Staff records and their audit trail.

STAFF#<principal arn> / PROFILE  the record: `data` (the member), its revision `rev`, when it
                                 was created and last changed and by whom; GSI1
                                 STAFF#<county> / <staff id> lists a county's (a city's or a
                                 province's own staff under the region's code)
STAFFID#<staff id> / PRINCIPAL   the principal of a staff id: an id names one record, and
                                 is how the administration API finds it
STAFFID#<staff id> / EV#<ulid>   the audit trail: one event per change, written in the
                                 change's own transaction

A principal is registered once (a retired record keeps it: reactivate it, or retire it and
add another id for a new principal); an id is never given to another record.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from chalicelib.domain.identity import StaffMember
from chalicelib.domain.staff_admin import StaffAuditEvent, StaffRecord
from chalicelib.errors import Conflict, FieldError
from chalicelib.store.keys import utc_iso
from chalicelib.store.table import Guarded, Page, Table

PROFILE = "PROFILE"
PRINCIPAL = "PRINCIPAL"


def staff_partition(county: str) -> str:
    return f"STAFF#{county}"


def _principal_pk(arn: str) -> str:
    return f"STAFF#{arn}"


def _id_pk(staff_id: str) -> str:
    return f"STAFFID#{staff_id}"


def _instant(moment: datetime | None) -> str | None:
    return utc_iso(moment) if moment else None


def _record_item(record: StaffRecord) -> dict[str, Any]:
    member = record.member
    return {
        "pk": _principal_pk(member.principal_arn),
        "sk": PROFILE,
        "gsi1pk": staff_partition(member.county),
        "gsi1sk": member.staff_id,
        "data": member.model_dump(mode="json", exclude_none=True),
        "rev": record.revision,
        "created_at": _instant(record.created_at),
        "updated_at": _instant(record.updated_at),
        "updated_by": record.updated_by,
    }


def _record(raw: dict[str, Any]) -> StaffRecord:
    return StaffRecord(
        member=StaffMember.model_validate(raw["data"]),
        revision=int(raw.get("rev", 1)),
        created_at=raw.get("created_at"),
        updated_at=raw.get("updated_at"),
        updated_by=raw.get("updated_by"),
    )


def _claim_item(member: StaffMember) -> dict[str, Any]:
    return {"pk": _id_pk(member.staff_id), "sk": PRINCIPAL, "principal_arn": member.principal_arn}


def _event_put(event: StaffAuditEvent) -> dict[str, Any]:
    return {
        "Put": {
            "Item": {
                "pk": _id_pk(event.staff_id),
                "sk": f"EV#{event.event_id}",
                "event": event.model_dump(mode="json", exclude_none=True),
            },
            "ConditionExpression": "attribute_not_exists(pk)",
        }
    }


CHANGED_MEANWHILE = "The staff record changed meanwhile; read it again and repeat the change."


class StaffStore:
    def __init__(self, table: Table) -> None:
        self._table = table

    # ---- what signing and routing read -----------------------------------------------------
    def by_principal(self, principal_arn: str) -> StaffMember | None:
        raw = self._table.get(_principal_pk(principal_arn), PROFILE)
        return StaffMember.model_validate(raw["data"]) if raw else None

    def of_county(self, county: str) -> list[StaffMember]:
        """Every staff record of one county (hundreds, not millions; a city's or a province's
        own staff under its region code): one paged Query of GSI1 `STAFF#<county>`."""
        return [
            StaffMember.model_validate(raw["data"])
            for raw in self._table.query_all(staff_partition(county), index="gsi1")
        ]

    def save(self, staff: StaffMember, at: datetime | None = None) -> None:
        """Writes a record as it is, without an audit event (the demo seed's upsert)."""
        record = StaffRecord(member=staff, revision=1, created_at=at, updated_at=at)
        self._table.put(_record_item(record))
        self._table.put(_claim_item(staff))

    # ---- the administration API's --------------------------------------------------------
    def record(self, staff_id: str) -> StaffRecord | None:
        """The record of a staff id (two strongly consistent reads: the id, its principal)."""
        claim = self._table.get(_id_pk(staff_id), PRINCIPAL, consistent=True)
        return self.record_of_principal(claim["principal_arn"]) if claim else None

    def record_of_principal(self, principal_arn: str) -> StaffRecord | None:
        raw = self._table.get(_principal_pk(principal_arn), PROFILE, consistent=True)
        return _record(raw) if raw else None

    def page(
        self,
        county: str,
        limit: int,
        start: dict[str, Any] | None,
        *,
        role: str | None = None,
        department: str | None = None,
        active: bool | None = None,
    ) -> Page[StaffRecord]:
        """A page of a county's records by staff id, filtered by role, department, status."""
        wanted = {"role": role, "department": department, "active": active}
        given = {k: v for k, v in wanted.items() if v is not None}
        kwargs: dict[str, Any] = {"index": "gsi1", "start_key": start}
        if given:
            clauses = [f"#d.#{k} = :{k}" for k in given]
            names = {"#d": "data", **{f"#{k}": k for k in given}}
            values = {f":{k}": v for k, v in given.items()}
            kwargs["filter"] = (" AND ".join(clauses), names, values)
        page = self._table.query_filled(staff_partition(county), limit, **kwargs)
        return Page([_record(raw) for raw in page.items], page.last_key)

    def history(
        self, staff_id: str, limit: int, start: dict[str, Any] | None
    ) -> Page[StaffAuditEvent]:
        """A record's audit events, newest first."""
        page = self._table.query(
            _id_pk(staff_id), sk_prefix="EV#", forward=False, limit=limit, start_key=start
        )
        return Page(
            [StaffAuditEvent.model_validate(raw["event"]) for raw in page.items], page.last_key
        )

    def create(self, record: StaffRecord, event: StaffAuditEvent) -> None:
        """The new record, its id and its first audit event, in one transaction: a principal
        registered already or an id taken is a 409 naming the field."""
        member = record.member
        self._table.transact_guarded(
            [
                Guarded(
                    {
                        "Put": {
                            "Item": _record_item(record),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    Conflict(
                        "This IAM principal is registered already (to an active or a retired "
                        "record): change or reactivate that record.",
                        errors=[FieldError("body.principal_arn", "registered already", "taken")],
                    ),
                ),
                Guarded(
                    {
                        "Put": {
                            "Item": _claim_item(member),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    Conflict(
                        f"Staff id {member.staff_id} is taken (ids are never reused).",
                        errors=[FieldError("body.staff_id", "taken", "taken")],
                    ),
                ),
                _event_put(event),
            ],
            Conflict(CHANGED_MEANWHILE),
        )

    def replace(self, record: StaffRecord, previous: int, event: StaffAuditEvent) -> None:
        """The record at its next revision and the change's audit event, in one transaction
        on the condition that the record is still at revision `previous` (else 409)."""
        self._table.transact_guarded(
            [
                {
                    "Put": {
                        "Item": _record_item(record),
                        "ConditionExpression": "#rev = :previous",
                        "ExpressionAttributeNames": {"#rev": "rev"},
                        "ExpressionAttributeValues": {":previous": previous},
                    }
                },
                _event_put(event),
            ],
            Conflict(CHANGED_MEANWHILE),
        )

    def administrators(self, partitions: Iterable[str]) -> list[StaffMember]:
        """The active administrators of these counties and regions (the bootstrap's check)."""
        return [
            member
            for county in partitions
            for member in self.of_county(county)
            if member.role.value == "administrator" and member.active
        ]
