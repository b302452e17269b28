"""Staff administration: an administrator lists, adds, changes, retires and reactivates the
staff of their jurisdiction (`domain/access.py: manages`), and reads each record's audit
trail. Every change is one transaction with its audit event, on the record's revision: an
`If-Match` that is not the record's ETag is a 412, a change that lost a race a 409.

A retired member's principal is refused on their next call once the signing cache has let
go of their record (`StaffDirectory`: at once in the container that made the change, within
`BIANMIN_STAFF_CACHE_SECONDS`, 60 s by default, everywhere else)."""

from __future__ import annotations

from typing import Literal

from chalicelib.clock import Clock
from chalicelib.domain.access import manages
from chalicelib.domain.common import Text
from chalicelib.domain.county import is_region
from chalicelib.domain.identity import ROLE_LABELS, Role, StaffMember, mask_phone
from chalicelib.domain.staff_admin import (
    AuditActor,
    HistoryQuery,
    StaffAuditEvent,
    StaffChange,
    StaffCreate,
    StaffHistory,
    StaffPage,
    StaffQuery,
    StaffRecord,
    StaffView,
    actor_of,
    field_changes,
    placement_errors,
)
from chalicelib.errors import (
    Conflict,
    FieldError,
    Forbidden,
    InvalidInput,
    NotFound,
    PreconditionFailed,
)
from chalicelib.ids import new_ulid
from chalicelib.paging import CursorCodec
from chalicelib.services.reference import ReferenceData
from chalicelib.services.staff import StaffDirectory
from chalicelib.store.staff import StaffStore
from chalicelib.store.table import decode_key, encode_key

Action = Literal["created", "changed", "retired", "reactivated"]


def check_known_place(reference: ReferenceData, code: str, field: str) -> None:
    """A 404 naming `field` unless `code` is a city or province the platform holds, or a
    node of one of its counties."""
    known = code in reference.regions() if is_region(code) else reference.node(code) is not None
    if not known:
        raise NotFound(
            f"This platform has no jurisdiction {code}.",
            errors=[FieldError(field, "not a jurisdiction of this platform", "unknown")],
        )


def check_exists(reference: ReferenceData, department: str | None, jurisdiction: str) -> None:
    """That the jurisdiction exists and the department is one of its county's (404s)."""
    check_known_place(reference, jurisdiction, "body.jurisdiction")
    if department is not None and department not in reference.departments(jurisdiction[:6]):
        raise NotFound(
            f"County {jurisdiction[:6]} has no department {department}.",
            errors=[FieldError("body.department", "not a department of the county", "unknown")],
        )


def audit_event(
    record: StaffRecord,
    before: StaffMember | None,
    action: Action,
    actor: AuditActor,
    request_id: str | None,
    reason: str | None = None,
) -> StaffAuditEvent:
    at = record.updated_at or record.created_at
    assert at is not None
    return StaffAuditEvent(
        event_id=new_ulid(at),
        staff_id=record.member.staff_id,
        action=action,
        at=at,
        actor=actor,
        request_id=request_id or None,
        revision=record.revision,
        changes=field_changes(before, record.member),
        reason=reason,
    )


class StaffAdministration:
    def __init__(
        self,
        store: StaffStore,
        reference: ReferenceData,
        directory: StaffDirectory,
        cursors: CursorCodec,
        clock: Clock,
    ) -> None:
        self._store = store
        self._reference = reference
        self._directory = directory
        self._cursors = cursors
        self._clock = clock

    # ---- reading -------------------------------------------------------------------------
    def list(self, admin: StaffMember, query: StaffQuery) -> StaffPage:
        county = query.county or admin.jurisdiction[:6]
        check_known_place(self._reference, county, "query.county")
        if not manages(admin, county):
            raise Forbidden(
                f"The staff of {county} are not under your administration.",
                errors=[FieldError("query.county", "outside your jurisdiction", "forbidden")],
            )
        role = query.role.value if query.role else None
        scope = f"staff|{county}|{role}|{query.department}|{query.active}|{admin.staff_id}"
        start = decode_key(self._cursors.decode(query.cursor, scope)) if query.cursor else None
        page = self._store.page(
            county,
            query.limit,
            start,
            role=role,
            department=query.department,
            active=query.active,
        )
        return StaffPage(
            county=county,
            items=[self.view(r) for r in page.items],
            next_cursor=self._cursors.encode(encode_key(page.last_key), scope)
            if page.last_key
            else None,
        )

    def record(self, admin: StaffMember, staff_id: str) -> StaffRecord:
        """A record the administrator manages (any other: 404, as if it did not exist)."""
        record = self._store.record(staff_id)
        if record is None or not manages(admin, record.member.jurisdiction):
            raise NotFound(f"No staff member {staff_id} under your administration.")
        return record

    def history(self, admin: StaffMember, staff_id: str, query: HistoryQuery) -> StaffHistory:
        self.record(admin, staff_id)
        scope = f"staff-history|{staff_id}|{admin.staff_id}"
        start = decode_key(self._cursors.decode(query.cursor, scope)) if query.cursor else None
        page = self._store.history(staff_id, query.limit, start)
        return StaffHistory(
            staff_id=staff_id,
            items=page.items,
            next_cursor=self._cursors.encode(encode_key(page.last_key), scope)
            if page.last_key
            else None,
        )

    def view(self, record: StaffRecord) -> StaffView:
        member = record.member
        department = self._reference.departments(member.county).get(member.department or "")
        zh, en = ROLE_LABELS[member.role]
        return StaffView(
            staff_id=member.staff_id,
            name=member.name,
            role=member.role,
            role_label=Text(zh=zh, en=en),
            department=member.department,
            department_name=department.name if department else None,
            jurisdiction=member.jurisdiction,
            jurisdiction_name=self._reference.place_name(member.jurisdiction),
            principal_arn=member.principal_arn,
            phone=mask_phone(member.phone) if member.phone else None,
            active=member.active,
            revision=record.revision,
            etag=record.etag,
            created_at=record.created_at,
            updated_at=record.updated_at,
            updated_by=record.updated_by,
        )

    # ---- changing ------------------------------------------------------------------------
    def add(self, admin: StaffMember, body: StaffCreate, request_id: str | None) -> StaffRecord:
        self._check_scope(admin, body.role, body.department, body.jurisdiction)
        member = StaffMember(**body.model_dump())
        now = self._clock.now()
        record = StaffRecord(
            member=member, revision=1, created_at=now, updated_at=now, updated_by=admin.staff_id
        )
        event = audit_event(record, None, "created", actor_of(admin), request_id)
        self._store.create(record, event)
        self._directory.forget(member.principal_arn, member.county)
        return record

    def change(
        self,
        admin: StaffMember,
        staff_id: str,
        body: StaffChange,
        if_match: str | None,
        request_id: str | None,
    ) -> StaffRecord:
        """Applies the fields given; the same values again change nothing (no new revision,
        no event), so a repeated PATCH does not act twice."""
        record = self._current(admin, staff_id, if_match)
        member = body.applied_to(record.member)
        if member == record.member:
            return record
        placed = (member.role, member.department, member.jurisdiction)
        if placed != (record.member.role, record.member.department, record.member.jurisdiction):
            if staff_id == admin.staff_id:
                raise Forbidden(
                    "You cannot change your own role, department or jurisdiction: another "
                    "administrator does."
                )
            self._check_scope(admin, *placed)
        return self._save(admin, record, member, "changed", request_id)

    def set_active(
        self,
        admin: StaffMember,
        staff_id: str,
        active: bool,
        reason: str,
        if_match: str | None,
        request_id: str | None,
    ) -> StaffRecord:
        """Retires (the principal can no longer sign in) or reactivates a record."""
        record = self._current(admin, staff_id, if_match)
        if staff_id == admin.staff_id:
            raise Forbidden("You cannot retire or reactivate yourself: another administrator does.")
        if record.member.active is active:
            state = "active" if active else "retired"
            raise Conflict(f"Staff member {staff_id} is {state} already.")
        member = record.member.model_copy(update={"active": active})
        action: Action = "reactivated" if active else "retired"
        return self._save(admin, record, member, action, request_id, reason)

    def _current(self, admin: StaffMember, staff_id: str, if_match: str | None) -> StaffRecord:
        record = self.record(admin, staff_id)
        if if_match is not None and if_match not in ("*", record.etag):
            raise PreconditionFailed(
                f"The record is at {record.etag}; the change was made from another revision "
                "(If-Match). Read it again."
            )
        return record

    def _check_scope(
        self, admin: StaffMember, role: Role, department: str | None, jurisdiction: str
    ) -> None:
        placement = placement_errors(role, department, jurisdiction)
        if placement:
            raise InvalidInput("The role cannot work there.", errors=placement)
        if not manages(admin, jurisdiction):
            raise Forbidden(
                f"Jurisdiction {jurisdiction} is not under your administration.",
                errors=[FieldError("body.jurisdiction", "outside your jurisdiction", "forbidden")],
            )
        check_exists(self._reference, department, jurisdiction)

    def _save(
        self,
        admin: StaffMember,
        record: StaffRecord,
        member: StaffMember,
        action: Action,
        request_id: str | None,
        reason: str | None = None,
    ) -> StaffRecord:
        updated = record.model_copy(
            update={
                "member": member,
                "revision": record.revision + 1,
                "updated_at": self._clock.now(),
                "updated_by": admin.staff_id,
            }
        )
        event = audit_event(updated, record.member, action, actor_of(admin), request_id, reason)
        self._store.replace(updated, record.revision, event)
        self._directory.forget(member.principal_arn, record.member.county, member.county)
        return updated
