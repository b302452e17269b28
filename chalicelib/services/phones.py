"""Use cases of the service phone directory (服务电话): the public reads a county's numbers,
by department or township; the county's content editors add, change and delete them."""

from __future__ import annotations

from chalicelib.clock import Clock
from chalicelib.domain.identity import StaffMember
from chalicelib.domain.phones import (
    PhoneDeletion,
    PhoneDirectory,
    PhoneEntry,
    PhoneEntryEdit,
    PhoneEntryInput,
    PhoneHistory,
    PhoneQuery,
)
from chalicelib.errors import FieldError, Forbidden, NotFound, PreconditionFailed
from chalicelib.ids import new_ulid
from chalicelib.services.reference import ReferenceData
from chalicelib.store.phones import PhoneStore


class PhoneDirectoryService:
    def __init__(self, store: PhoneStore, reference: ReferenceData, clock: Clock) -> None:
        self._store = store
        self._reference = reference
        self._clock = clock

    def directory(self, query: PhoneQuery) -> PhoneDirectory:
        """A county's numbers, those of one department or township if asked."""
        county = self._reference.county_named(query.county, "query.county").code
        items = [
            e
            for e in self._store.directory(county)
            if (query.department is None or e.department == query.department)
            and (query.township is None or e.township == query.township)
        ]
        return PhoneDirectory(county=county, items=items)

    def add(self, editor: StaffMember, entry: PhoneEntryInput) -> PhoneEntry:
        county = self._editor_county(editor)
        self._check_places(county, entry)
        now = self._clock.now()
        saved = PhoneEntry(
            **entry.model_dump(),
            entry_id=new_ulid(now),
            county=county,
            version=1,
            updated_at=now,
            updated_by=editor.staff_id,
        )
        self._store.save(saved)
        return saved

    def change(self, editor: StaffMember, entry_id: str, edit: PhoneEntryEdit) -> PhoneEntry:
        """The entry's next version, made from `edit.version` (an older one is a 412);
        repeating the current content writes nothing."""
        current = self._current(editor, entry_id, edit.version)
        self._check_places(current.county, edit)
        content = PhoneEntryInput.model_validate(edit.model_dump(exclude={"version"}))
        if (
            content.model_dump()
            == PhoneEntryInput.model_validate(
                current.model_dump(include=set(PhoneEntryInput.model_fields))
            ).model_dump()
        ):
            return current
        saved = current.model_copy(
            update={
                **content.model_dump(),
                "version": current.version + 1,
                "updated_at": self._clock.now(),
                "updated_by": editor.staff_id,
            }
        )
        self._store.save(saved)
        return saved

    def delete(self, editor: StaffMember, entry_id: str, deletion: PhoneDeletion) -> PhoneEntry:
        """Takes the entry out of the directory; its versions stay, the last marked deleted."""
        current = self._current(editor, entry_id, deletion.version)
        gone = current.model_copy(
            update={
                "version": current.version + 1,
                "updated_at": self._clock.now(),
                "updated_by": editor.staff_id,
                "deleted": True,
            }
        )
        self._store.save(gone)
        return gone

    def history(self, editor: StaffMember, entry_id: str) -> PhoneHistory:
        """An entry of the editor's county with its versions (a deleted one's too)."""
        county = self._editor_county(editor)
        versions = self._store.versions(entry_id)
        if not versions or versions[0].county != county:
            raise NotFound(f"No phone entry {entry_id} in your county.")
        return PhoneHistory(entry=versions[0], versions=versions)

    def _current(self, editor: StaffMember, entry_id: str, version: int) -> PhoneEntry:
        current = self._store.entry(self._editor_county(editor), entry_id)
        if current is None:
            raise NotFound(f"No phone entry {entry_id} in your county.")
        if current.version != version:
            raise PreconditionFailed(
                f"The entry is at version {current.version}; this change was made from "
                f"version {version}. Read it again.",
                errors=[FieldError("body.version", "not the current version", "stale")],
            )
        return current

    def _editor_county(self, editor: StaffMember) -> str:
        county = self._reference.county(editor.jurisdiction)
        if county is None or len(editor.jurisdiction) != 6:
            raise Forbidden("A content editor works for one county; yours is none served here.")
        return county.code

    def _check_places(self, county: str, entry: PhoneEntryInput) -> None:
        errors = []
        if entry.department is not None and entry.department not in self._reference.departments(
            county
        ):
            errors.append(FieldError("body.department", "unknown department", "unknown"))
        if entry.township is not None:
            node = self._reference.node(entry.township)
            if node is None or node.level != "township" or not entry.township.startswith(county):
                errors.append(FieldError("body.township", "no township of the county", "unknown"))
        if errors:
            raise NotFound("The entry names places the county does not have.", errors=errors)
