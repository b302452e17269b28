"""The directory of inspectors (执法检查人员名录库): a department head keeps their
department's inspectors (the administrator any); an inspector declares their own conflicts of
interest, kept apart from the head's record (`declared`), so no edit or reload drops them."""

from __future__ import annotations

from collections.abc import Callable

from chalicelib.clock import Clock
from chalicelib.domain.identity import Role, StaffMember
from chalicelib.domain.inspection import Declaration, Inspector, InspectorInput
from chalicelib.errors import Conflict, FieldError, Forbidden, NotFound
from chalicelib.services.reference import ReferenceData
from chalicelib.store.inspections import InspectionDirectoryStore

MOST_RELATIONS = 50  # InspectorInput.relations


class InspectorDirectory:
    def __init__(
        self,
        store: InspectionDirectoryStore,
        reference: ReferenceData,
        clock: Clock,
        accounts: Callable[[str], StaffMember | None] | None = None,
    ) -> None:
        self._store = store
        self._reference = reference
        self._clock = clock
        self._accounts = accounts

    def _department(self, county: str, code: str, where: str) -> None:
        if code not in self._reference.departments(county):
            raise NotFound(
                f"No department {code} in this county.",
                errors=[FieldError(where, "no such department of the county", "unknown")],
            )

    def inspectors(self, staff: StaffMember) -> list[Inspector]:
        found = self._store.inspectors(staff.county)
        if staff.role is Role.INSPECTOR:  # their own record: the others' grids are private
            return [i for i in found if i.staff_id == staff.staff_id]
        if staff.role is Role.SUPERVISOR and staff.department:
            return [i for i in found if i.department == staff.department]
        return found

    def save_inspector(
        self, staff: StaffMember, inspector_id: str, body: InspectorInput
    ) -> Inspector:
        """A department head keeps their department's inspectors (the administrator any)."""
        county = staff.county
        self._department(county, body.department, "body.department")
        if staff.role is Role.SUPERVISOR and staff.department != body.department:
            raise Forbidden("A department head keeps only their department's inspectors.")
        current = self._store.inspector(county, inspector_id)
        if (
            current is not None
            and staff.role is Role.SUPERVISOR
            and current.department != staff.department
        ):
            raise Forbidden("This inspector belongs to another department.")
        for code in body.relations:
            related = self._store.entity(code)
            if related is None or related.county != county:
                raise NotFound(
                    f"No entity {code} in the directory.",
                    errors=[
                        FieldError("body.relations", f"{code} is not in the directory", "unknown")
                    ],
                )
        check_staff_id(self._store, county, inspector_id, body.staff_id)
        self._check_account(county, body)
        inspector = Inspector(
            **body.model_dump(),
            inspector_id=inspector_id,
            county=county,
            declared=current.declared if current else [],  # theirs: the head cannot drop them
            rev=current.rev if current else 0,
            updated_at=self._clock.now(),
            updated_by=staff.staff_id,
        )
        return self._store.save_inspector(inspector)

    def _check_account(self, county: str, body: InspectorInput) -> None:
        """An active inspector signs in as an active inspector of the same department and
        county (else the draw would give tasks to someone who cannot record them)."""
        if not body.active or self._accounts is None:
            return
        member = self._accounts(body.staff_id)
        if (
            member is None
            or not member.active
            or member.role is not Role.INSPECTOR
            or member.department != body.department
            or member.county != county
        ):
            raise Conflict(
                f"{body.staff_id} is no active inspector account of {body.department}.",
                errors=[FieldError("body.staff_id", "not an inspector of the department", "role")],
            )

    def declare(self, staff: StaffMember, declaration: Declaration) -> Inspector:
        """The signed-in inspector declares (or withdraws) a conflict of interest."""
        mine = [i for i in self._store.inspectors(staff.county) if i.staff_id == staff.staff_id]
        if not mine:
            raise NotFound("You are not in the county's directory of inspectors.")
        related = self._store.entity(declaration.credit_code)
        if declaration.conflict and (related is None or related.county != staff.county):
            raise NotFound(
                f"No entity {declaration.credit_code} in the directory.",
                errors=[FieldError("body.credit_code", "not in the directory", "unknown")],
            )
        inspector = self._store.inspector(staff.county, mine[0].inspector_id) or mine[0]
        declared = set(inspector.declared) - {declaration.credit_code}
        if declaration.conflict:
            declared.add(declaration.credit_code)
        if len(declared) > MOST_RELATIONS:
            raise Conflict(
                f"An inspector declares at most {MOST_RELATIONS} conflicts; ask the department "
                "head to review them.",
                errors=[FieldError("body.credit_code", "too many declarations", "limit")],
            )
        updated = Inspector.model_validate(
            {
                **inspector.model_dump(),
                "declared": sorted(declared),
                "updated_at": self._clock.now(),
                "updated_by": staff.staff_id,
            }
        )
        return self._store.save_inspector(updated)


def check_staff_id(
    store: InspectionDirectoryStore, county: str, inspector_id: str, staff_id: str
) -> None:
    """One staff account is one inspector: two certificates on one account would let one
    person be both inspectors of a task."""
    for other in store.inspectors(county):
        if other.staff_id == staff_id and other.inspector_id != inspector_id:
            raise Conflict(
                f"{staff_id} is inspector {other.inspector_id} already.",
                errors=[FieldError("body.staff_id", "another inspector's account", "taken")],
            )
