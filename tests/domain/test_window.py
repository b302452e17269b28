"""The walk-in desk's rules, with no AWS: the visitor's ID check, who the timeline names, who
may work a walk-in case, and where clerks and terminals may be placed."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from chalicelib.domain.applicant import id_card_check_digit
from chalicelib.domain.application_parts import ApplicationChannel
from chalicelib.domain.identity import Role, StaffMember
from chalicelib.domain.moves import Actor
from chalicelib.domain.request_parts import Channel
from chalicelib.domain.staff_admin import placement_errors
from chalicelib.domain.window import Visitor, at_desk, desk_actor

FIRST17 = "37083019900101123"
ARN = "arn:aws-cn:iam::123456789012:user/"


def staff(
    role: Role, staff_id: str = "guolou-clerk", jurisdiction: str = "370830007"
) -> StaffMember:
    return StaffMember(
        staff_id=staff_id,
        name="李娜",
        role=role,
        department="zwfw",
        jurisdiction=jurisdiction,
        principal_arn=ARN + staff_id,
    )


def test_a_visitor_s_id_number_must_carry_its_gb11643_check_digit() -> None:
    good = FIRST17 + id_card_check_digit(FIRST17)
    assert Visitor(name="张桂兰", id_number=good, phone="139 5370 0021").phone == "13953700021"
    wrong = FIRST17 + ("0" if good[-1] != "0" else "1")
    with pytest.raises(ValidationError) as raised:
        Visitor(name="张桂兰", id_number=wrong, phone="13953700021")
    assert raised.value.errors()[0]["loc"] == ("id_number",)


def test_the_clerk_is_named_acting_for_the_citizen_and_a_terminal_as_the_citizen() -> None:
    clerk = desk_actor(staff(Role.CLERK), "01CITIZEN")
    assert (clerk.role, clerk.id, clerk.on_behalf_of, clerk.via) == (
        "window_clerk",
        "guolou-clerk",
        "01CITIZEN",
        None,
    )
    terminal = desk_actor(staff(Role.TERMINAL, "t-01"), "01CITIZEN")
    assert (terminal.role, terminal.id, terminal.via) == ("applicant", "01CITIZEN", "t-01")


def test_a_walk_in_case_is_any_county_clerk_s_and_its_own_terminal_s_only() -> None:
    filed_at_terminal = Actor(role="applicant", id="01CITIZEN", via="t-01")
    owner = {"owner_id": "01CITIZEN"}
    clerk = {**owner, "signed_in": None}
    assert at_desk(staff(Role.CLERK), "window", "370830", None, **clerk)
    assert at_desk(staff(Role.CLERK, jurisdiction="370830"), "terminal", "370830", None, **clerk)
    assert not at_desk(staff(Role.CLERK), "app", "370830", None, **clerk)  # online never
    assert not at_desk(staff(Role.CLERK), "window", "370829", None, **clerk)  # another county
    assert not at_desk(staff(Role.ISSUER), "window", "370830", None, **clerk)
    # a terminal: the one it was filed at, while its citizen is the one signed in at it
    t01, t02 = staff(Role.TERMINAL, "t-01"), staff(Role.TERMINAL, "t-02")
    mine = {**owner, "signed_in": "01CITIZEN"}
    assert at_desk(t01, "terminal", "370830", filed_at_terminal, **mine)
    assert not at_desk(t02, "terminal", "370830", filed_at_terminal, **mine)
    next_visitor = {**owner, "signed_in": "01NEXTVISITOR"}
    assert not at_desk(t01, "terminal", "370830", filed_at_terminal, **next_visitor)
    assert not at_desk(t01, "terminal", "370830", filed_at_terminal, **clerk)


def test_the_desk_records_whom_it_served_with_the_id_number_masked() -> None:
    number = FIRST17 + id_card_check_digit(FIRST17)
    served = Visitor(name="张桂兰", id_number=number, phone="13953700021").served()
    assert served == {"name": "张桂兰", "id_number": number[:6] + "********" + number[-4:]}
    assert number not in str(served)


def test_clerks_and_terminals_work_at_the_county_centre_or_a_township_hall() -> None:
    for role in (Role.CLERK, Role.TERMINAL):
        assert placement_errors(role, "zwfw", "370830") == []
        assert placement_errors(role, "zwfw", "370830007") == []
        assert placement_errors(role, "zwfw", "370830007001")  # not a village
        assert placement_errors(role, None, "370830007")  # of the one window
        assert placement_errors(role, "jxj", "370830")


def test_both_kinds_of_case_know_the_offline_channels() -> None:
    assert {c.value for c in ApplicationChannel} == {"app", "window", "terminal"}
    assert {"window", "terminal"} <= {c.value for c in Channel}
