"""Staff administration: where each role may work, the bodies and views of the staff
administration API, and its audit trail.

Where a role works (`placement_errors`, a 422 naming the field when broken):

| role | jurisdiction | department |
| --- | --- | --- |
| clerk, terminal (a hall's device) | a county or a township (a hall) | the one window (`zwfw`) |
| issuer | a county | required: the one window (`zwfw`) |
| reviewer | a county | required |
| catalogue administrator | a county, or a city or province (the national calendar) | optional |
| dispatcher | a county or a township | optional |
| content editor (信息发布员) | a county (its news and phone directory) | optional |
| liaison officer | a grid | none |
| supervisor | a region, a county or a township | optional (a county's department head) |
| leader | a county, or a city or province | none |
| administrator | a county, or a city or province | none |

A city's or a province's staff belong to no department (a department is one county's).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, StringConstraints, model_validator

from chalicelib.domain.application_parts import ACCEPTANCE_WINDOW
from chalicelib.domain.common import (
    Cursor,
    DepartmentCode,
    Instant,
    QueryBool,
    QueryInt,
    Strict,
    Text,
)
from chalicelib.domain.county import is_region
from chalicelib.domain.identity import (
    Phone,
    PrincipalArn,
    Role,
    StaffId,
    StaffMember,
    StaffName,
    mask_phone,
)
from chalicelib.domain.reference import JurisdictionCode
from chalicelib.errors import FieldError

Level = Literal["region", "county", "township", "village", "grid"]
_LEVELS: dict[int, Level] = {9: "township", 12: "village", 15: "grid"}

PLACES: dict[Role, frozenset[Level]] = {
    Role.CLERK: frozenset({"county", "township"}),  # the county centre or a 便民服务中心
    Role.ISSUER: frozenset({"county"}),
    Role.REVIEWER: frozenset({"county"}),
    Role.CATALOGUE_ADMIN: frozenset({"region", "county"}),
    Role.DISPATCHER: frozenset({"county", "township"}),
    Role.LIAISON: frozenset({"grid"}),
    Role.SUPERVISOR: frozenset({"region", "county", "township"}),
    Role.LEADER: frozenset({"region", "county"}),
    Role.ADMINISTRATOR: frozenset({"region", "county"}),
    Role.TERMINAL: frozenset({"county", "township"}),  # the hall it stands in
    Role.CONTENT_EDITOR: frozenset({"county"}),  # publishes for one county
    Role.INSPECTOR: frozenset({"county"}),  # inspects for a county department
}
NEEDS_DEPARTMENT = frozenset(
    {Role.CLERK, Role.ISSUER, Role.REVIEWER, Role.TERMINAL, Role.INSPECTOR}
)
NO_DEPARTMENT = frozenset({Role.LIAISON, Role.LEADER, Role.ADMINISTRATOR})
WINDOW_ROLES = frozenset({Role.CLERK, Role.ISSUER, Role.TERMINAL})  # at the one window


def level_of(code: str) -> Level:
    if len(code) == 6:
        return "region" if is_region(code) else "county"
    return _LEVELS[len(code)]


def placement_errors(
    role: Role, department: str | None, jurisdiction: str, prefix: str = "body"
) -> list[FieldError]:
    """What is wrong with `role` working in `department` and `jurisdiction` (see the table
    above); empty when nothing is."""
    errors = []
    level = level_of(jurisdiction)
    if level not in PLACES[role]:
        places = " or ".join(sorted(PLACES[role]))
        errors.append(
            FieldError(
                f"{prefix}.jurisdiction", f"the {role.value} role works in a {places}", "place"
            )
        )
    if department is None:
        if role in NEEDS_DEPARTMENT:
            errors.append(
                FieldError(
                    f"{prefix}.department", f"the {role.value} role needs a department", "missing"
                )
            )
    elif role in NO_DEPARTMENT:
        errors.append(
            FieldError(f"{prefix}.department", f"the {role.value} role has no department", "place")
        )
    elif level == "region":
        errors.append(
            FieldError(
                f"{prefix}.department",
                "a city's or a province's staff have no department (departments are a county's)",
                "place",
            )
        )
    elif role in WINDOW_ROLES and department != ACCEPTANCE_WINDOW:
        errors.append(
            FieldError(
                f"{prefix}.department",
                f"the {role.value} role works at the one window ({ACCEPTANCE_WINDOW})",
                "place",
            )
        )
    return errors


# ---- bodies and queries --------------------------------------------------------------------

Reason = Annotated[str, StringConstraints(min_length=1, max_length=500)]


class StaffCreate(Strict):
    """A new staff member: their IAM principal signs their calls from now on."""

    staff_id: StaffId = Field(description="Unique on the platform; never reused")
    name: StaffName
    role: Role
    department: DepartmentCode | None = Field(
        default=None, description="A department of the jurisdiction's county"
    )
    jurisdiction: JurisdictionCode
    principal_arn: PrincipalArn = Field(
        description="The IAM user or assumed role (session) ARN that signs their requests, "
        "exactly as API Gateway reports it; registered to one record only"
    )
    phone: Phone | None = None


NOT_NULL = ("name", "role", "jurisdiction")


def _partial(schema: dict[str, Any], not_null: tuple[str, ...]) -> None:
    """A change's schema: at least one field, and no null default on those that take none."""
    schema["minProperties"] = 1
    for name in not_null:
        schema["properties"][name].pop("default", None)


class StaffChange(Strict):
    """The fields to change (JSON merge-patch style): a field left out stays as it is;
    `department` and `phone` set to null are removed. A new principal is a new record:
    retire this one and add another."""

    model_config = ConfigDict(
        extra="forbid", defer_build=True, json_schema_extra=lambda s: _partial(s, NOT_NULL)
    )

    # Not nullable: left out, they stay (the default is never validated, so None means "not
    # given"); sent as null, they fail their type. The schema states no default for them.
    name: StaffName = None  # type: ignore[assignment]
    role: Role = None  # type: ignore[assignment]
    department: DepartmentCode | None = None
    jurisdiction: JurisdictionCode = None  # type: ignore[assignment]
    phone: Phone | None = None

    @model_validator(mode="after")
    def _something(self) -> StaffChange:
        if not self.model_fields_set:
            raise ValueError("say what to change: name, role, department, jurisdiction, phone")
        return self

    def applied_to(self, member: StaffMember) -> StaffMember:
        return member.model_copy(update={f: getattr(self, f) for f in self.model_fields_set})


class StaffStatusChange(Strict):
    reason: Reason = Field(description="Why (kept in the audit trail)")


class StaffQuery(Strict):
    county: Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")] | None = Field(
        default=None,
        description="A county's code, or a city's or a province's for its own staff; "
        "default: your jurisdiction's",
    )
    role: Role | None = None
    department: DepartmentCode | None = None
    active: QueryBool | None = Field(default=None, description="Only active or only retired")
    limit: QueryInt = Field(default=20, ge=1, le=100)
    cursor: Cursor | None = None


class HistoryQuery(Strict):
    limit: QueryInt = Field(default=20, ge=1, le=100)
    cursor: Cursor | None = None


# ---- records, views and the audit trail ----------------------------------------------------


class StaffRecord(Strict):
    """A staff record as stored: the member, its revision and when and by whom it changed."""

    member: StaffMember
    revision: int = Field(ge=1)
    created_at: datetime | None = None
    updated_at: datetime | None = None
    updated_by: str | None = None

    @property
    def etag(self) -> str:
        return f'"{self.member.staff_id}@{self.revision}"'


class StaffView(Strict):
    staff_id: str
    name: str
    role: Role
    role_label: Text
    department: str | None = None
    department_name: str | None = None
    jurisdiction: str
    jurisdiction_name: str | None = None
    principal_arn: str
    phone: str | None = Field(default=None, description="Masked")
    active: bool
    revision: int = Field(description="Moves with every change")
    etag: str = Field(description="For If-Match: the record as read")
    created_at: Instant | None = None
    updated_at: Instant | None = None
    updated_by: str | None = None


class StaffPage(Strict):
    county: str
    items: list[StaffView]
    next_cursor: str | None = None


AuditValue = str | bool | None
AUDITED = ("name", "role", "department", "jurisdiction", "principal_arn", "phone", "active")


class FieldChange(Strict):
    field: str
    before: AuditValue = None
    after: AuditValue = None


class AuditActor(Strict):
    """Who made a change: an administrator through the API, or an operator's AWS identity
    running the bootstrap commands."""

    via: Literal["api", "bootstrap"]
    principal_arn: str
    staff_id: str | None = None
    name: str | None = None


class StaffAuditEvent(Strict):
    event_id: str
    staff_id: str
    action: Literal["created", "changed", "retired", "reactivated"]
    at: Instant
    actor: AuditActor
    request_id: str | None = None
    revision: int = Field(description="The record's revision after the change")
    changes: list[FieldChange] = Field(description="Each changed field, before and after")
    reason: str | None = None


class StaffHistory(Strict):
    """The audit trail of one record, newest first."""

    staff_id: str
    items: list[StaffAuditEvent]
    next_cursor: str | None = None


def _audited(member: StaffMember | None, field: str) -> AuditValue:
    if member is None:
        return None
    value = getattr(member, field)
    if field == "phone" and value:
        return mask_phone(value)  # the trail, like every view, keeps no phone whole
    return value.value if isinstance(value, Role) else value


def field_changes(before: StaffMember | None, after: StaffMember) -> list[FieldChange]:
    """The fields that differ, each before and after (a new record: every field it has)."""
    found = []
    for name in AUDITED:
        new = getattr(after, name)
        changed = new is not None if before is None else getattr(before, name) != new
        if changed:
            found.append(
                FieldChange(field=name, before=_audited(before, name), after=_audited(after, name))
            )
    return found


def actor_of(staff: StaffMember) -> AuditActor:
    return AuditActor(
        via="api", principal_arn=staff.principal_arn, staff_id=staff.staff_id, name=staff.name
    )
