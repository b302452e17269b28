"""A request's dispatch and handling moves (accept, assign, conclude, refuse, merge, return,
reply, visit) and where they settle: no AWS, no services."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.domain.moves import Actor
from chalicelib.domain.request_parts import (
    MAX_ASSIGNMENTS,
    Assignment,
    Moment,
    RequestRectification,
    RequestStatus,
    Stage,
    Visit,
)
from chalicelib.errors import Conflict, Forbidden
from tests.support.entities import NOW, service_request

DISPATCHER = Actor(role="dispatcher", id="d1")
REVIEWER = Actor(role="department_reviewer", id="r1", department="jtj")
LIAISON = Actor(role="liaison", id="l1")
WHEN = Moment(
    at=NOW,
    due=NOW + timedelta(days=7),
    working_days=2,
    rating_until=NOW + timedelta(days=3),
)
NAMES = {"jtj": "交通运输局", "zjj": "住建局"}


def part(department: str, status: str = "pending") -> Assignment:
    return Assignment(department=department, status=status, assigned_at=NOW, assigned_by="d1")


def submitted(**overrides):
    return service_request(status=RequestStatus.SUBMITTED, **overrides)


def test_accept_starts_the_resolution_clock_once():
    req = submitted()
    events = req.accept(DISPATCHER, WHEN, "收到")
    assert req.status is RequestStatus.ACCEPTED
    assert (req.stage, req.deadline, req.resolution_due) == (Stage.RESOLUTION, WHEN.due, WHEN.due)
    assert [e.type for e in events] == ["accepted"]
    with pytest.raises(Conflict):
        req.accept(DISPATCHER, WHEN)


def test_assigning_a_submitted_request_accepts_it_and_names_joint_handling():
    req = submitted()
    events = req.assign(NAMES, DISPATCHER, WHEN)
    assert req.status is RequestStatus.ASSIGNED and req.accepted_at == NOW
    assert [a.department for a in req.assignments] == ["jtj", "zjj"]
    assert events[0].title.zh == "已分派至交通运输局、住建局联合办理"


def test_assigning_only_departments_that_hold_it_changes_nothing():
    req = service_request(assignments=[part("jtj")])
    with pytest.raises(Conflict):
        req.assign({"jtj": "交通运输局"}, DISPATCHER, WHEN)
    assert len(req.assignments) == 1


def test_more_than_max_assignments_is_refused_before_any_change():
    held = [part(f"d{i}") for i in range(MAX_ASSIGNMENTS)]
    req = service_request(assignments=held)
    with pytest.raises(Conflict):
        req.assign({"new": "新部门"}, DISPATCHER, WHEN)
    assert req.assignments == held


def test_a_refusal_or_merge_is_only_the_dispatchers_while_it_is_with_them():
    req = service_request(status=RequestStatus.ASSIGNED, assignments=[part("jtj")])
    with pytest.raises(Conflict):
        req.refuse("不属于受理范围", DISPATCHER, NOW)
    refused = submitted()
    assert [e.type for e in refused.refuse("不属于受理范围", DISPATCHER, NOW)] == ["not_accepted"]
    assert refused.status is RequestStatus.NOT_ACCEPTED and refused.closed_at == NOW


def test_a_merge_closes_this_request_and_lists_it_on_the_target():
    req = submitted()
    target = service_request(request_id="01M8DBP780000000000000000B", number="SQ-2")
    mine, theirs = req.merge_into(target, DISPATCHER, NOW)
    assert req.status is RequestStatus.MERGED and req.merged_into_number == "SQ-2"
    assert target.merged == [req.request_id]
    assert ([e.type for e in mine], [e.type for e in theirs]) == (["merged"], ["merged_in"])


@pytest.mark.parametrize(
    "target",
    [
        {"request_id": "01M8DBP780000000000000000A"},  # itself
        {"private": True},
        {"status": RequestStatus.CLOSED},
    ],
)
def test_a_merge_into_an_unsuitable_target_is_refused(target):
    req = submitted()
    other = service_request(**{"request_id": "01M8DBP780000000000000000B", **target})
    with pytest.raises(Conflict):
        req.merge_into(other, DISPATCHER, NOW)
    assert req.status is RequestStatus.SUBMITTED and other.merged == []


def test_the_last_done_reply_resolves_and_starts_the_rating_period():
    req = service_request(assignments=[part("jtj")], resolution_due=NOW + timedelta(days=1))
    events = req.reply("jtj", "交通运输局", "已修复", True, [], REVIEWER, WHEN)
    assert [e.type for e in events] == ["replied", "resolved"]
    assert req.status is RequestStatus.RESOLVED
    assert (req.on_time, req.resolution_days, req.deadline) == (True, 2, WHEN.rating_until)


def test_a_reply_from_a_department_without_a_pending_part_is_refused():
    req = service_request(assignments=[part("jtj", "done")])
    with pytest.raises(Forbidden):
        req.reply("zjj", "住建局", "…", True, [], REVIEWER, WHEN)
    with pytest.raises(Conflict):
        req.reply("jtj", "交通运输局", "…", True, [], REVIEWER, WHEN)


def test_returning_the_only_part_sends_it_back_to_the_dispatcher():
    req = service_request(assignments=[part("jtj")])
    events = req.return_part("jtj", "交通运输局", "非本单位职责", [], REVIEWER, WHEN)
    assert [e.type for e in events] == ["returned", "back_to_dispatcher"]
    assert req.status is RequestStatus.ACCEPTED and req.needs_dispatch


def test_a_return_beside_a_done_part_waits_for_the_dispatcher_to_conclude():
    req = service_request(
        status=RequestStatus.REPLIED, assignments=[part("jtj", "done"), part("zjj")]
    )
    req.return_part("zjj", "住建局", "非本单位职责", [], REVIEWER, WHEN)
    assert req.status is RequestStatus.REPLIED and req.needs_dispatch
    events = req.conclude(DISPATCHER, WHEN)
    assert [e.type for e in events] == ["return_concluded", "resolved"]
    with pytest.raises(Conflict):
        req.conclude(DISPATCHER, WHEN)


def test_a_visit_resolves_only_an_accepted_request_nobody_holds():
    visit = Visit(at=NOW, by=LIAISON, kind="visit", note="现场已处理")
    held = service_request(assignments=[part("jtj")])
    with pytest.raises(Conflict):
        held.visit(visit, True, WHEN)
    assert held.visits == []
    free = service_request(status=RequestStatus.ACCEPTED)
    assert [e.type for e in free.visit(visit, True, WHEN)] == ["visit", "resolved"]


def test_the_follow_up_visit_settles_a_rectification_whose_parts_are_done():
    rectification = RequestRectification(opened_at=NOW, due=WHEN.due, rating_level=1)
    req = service_request(
        status=RequestStatus.REOPENED,
        assignments=[part("jtj", "done")],
        rectification=rectification,
    )
    follow_up = Visit(at=NOW, by=LIAISON, kind="follow_up", note="群众认可整改")
    assert [e.type for e in req.visit(follow_up, False, WHEN)] == ["follow_up_visit", "resolved"]
    assert req.rectification is not None and req.rectification.closed_at == NOW
    with pytest.raises(Conflict):
        req.visit(follow_up, False, WHEN)


def test_a_refusal_clears_the_clock_and_keeps_the_reason():
    req = submitted(stage=Stage.ACCEPTANCE, deadline=NOW, needs_dispatch=True)
    req.refuse("不属于受理范围", DISPATCHER, NOW)
    assert (req.stage, req.deadline, req.needs_dispatch) == (None, None, False)
    assert req.not_accepted_reason == "不属于受理范围"


def test_a_returned_department_assigned_again_starts_its_next_round():
    returned = Assignment(
        department="jtj", status="returned", assigned_at=NOW, assigned_by="d1", round=1
    )
    req = service_request(
        status=RequestStatus.ACCEPTED, assignments=[returned], needs_dispatch=True
    )
    req.assign({"jtj": "交通运输局"}, DISPATCHER, WHEN)
    assert [(a.status, a.round) for a in req.assignments] == [("pending", 2)]
    assert req.status is RequestStatus.ASSIGNED and not req.needs_dispatch
