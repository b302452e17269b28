"""Where each role works, who an administrator manages, and what the audit trail records."""

from __future__ import annotations

import pytest

from chalicelib.domain.access import ADMINISTRATORS, ANY_STAFF, manages, sees
from chalicelib.domain.identity import Role, StaffMember
from chalicelib.domain.staff_admin import field_changes, placement_errors
from devstack.seed import staff_entries
from tests.support.entities import application, service_request

ARN = "arn:aws-cn:iam::123456789012:user/x"


def _member(role: Role, jurisdiction: str = "370830", **fields: object) -> StaffMember:
    return StaffMember.model_validate(
        {"staff_id": "xx", "name": "x", "role": role, "jurisdiction": jurisdiction}
        | {"principal_arn": ARN}
        | fields
    )


def test_every_demo_staff_member_works_where_their_role_may() -> None:
    for entry in staff_entries():
        role = Role(entry["role"])
        errors = placement_errors(role, entry.get("department"), entry["jurisdiction"])
        assert errors == [], (entry["profile"], errors)


def test_every_demo_county_and_the_city_have_an_administrator() -> None:
    admins = {e["jurisdiction"] for e in staff_entries() if e["role"] == "administrator"}
    assert admins == {"370800", "370830", "370829"}


@pytest.mark.parametrize(
    ("role", "department", "jurisdiction", "field"),
    [
        (Role.LIAISON, None, "370830001", "body.jurisdiction"),
        (Role.LIAISON, "jxj", "370830001001001", "body.department"),
        (Role.REVIEWER, None, "370830", "body.department"),
        (Role.ISSUER, "jxj", "370830", "body.department"),
        (Role.SUPERVISOR, "jxj", "370800", "body.department"),
        (Role.LEADER, "jxj", "370830", "body.department"),
        (Role.ADMINISTRATOR, None, "370830001", "body.jurisdiction"),
        (Role.DISPATCHER, None, "370830001001", "body.jurisdiction"),
    ],
)
def test_a_role_out_of_its_place_names_the_field(
    role: Role, department: str | None, jurisdiction: str, field: str
) -> None:
    assert [e.field for e in placement_errors(role, department, jurisdiction)] == [field]


def test_an_administrator_manages_their_jurisdiction_s_staff_only() -> None:
    county = _member(Role.ADMINISTRATOR)
    city = _member(Role.ADMINISTRATOR, "370800")
    assert manages(county, "370830001001001") and manages(county, "370830")
    assert not manages(county, "370829") and not manages(county, "370800")
    assert manages(city, "370829") and manages(city, "370800") and not manages(city, "370100")
    assert not manages(_member(Role.LEADER, "370800"), "370830")
    assert not manages(county.model_copy(update={"active": False}), "370830")
    assert ADMINISTRATORS.allows(county) and not ADMINISTRATORS.allows(_member(Role.LEADER))
    assert ANY_STAFF.allows(county)  # /admin/me


def test_administrators_see_no_case() -> None:
    for admin in (_member(Role.ADMINISTRATOR), _member(Role.ADMINISTRATOR, "370800")):
        assert not sees(admin, application())
        assert not sees(admin, service_request())


def test_the_trail_names_each_changed_field_and_keeps_no_phone_whole() -> None:
    before = _member(Role.REVIEWER, department="jxj", phone="13953700123")
    after = before.model_copy(update={"department": "gaj", "phone": "13953700223"})
    changes = [c.model_dump() for c in field_changes(before, after)]
    assert changes == [
        {"field": "department", "before": "jxj", "after": "gaj"},
        # the same mask either side, yet a change: compared whole, recorded masked
        {"field": "phone", "before": "139****0123", "after": "139****0223"},
    ]
    created = {c.field for c in field_changes(None, before)}
    assert created == {"name", "role", "department", "jurisdiction", "principal_arn", "phone"} | {
        "active"
    }
