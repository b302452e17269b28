"""A request's own moves (rating, the sweep's close and escalation): no AWS, no services."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.domain.moves import Actor
from chalicelib.domain.request_parts import (
    MAX_REOPENINGS,
    Assignment,
    RequestStatus,
    Routing,
    Stage,
)
from chalicelib.domain.review import Rating
from chalicelib.errors import Conflict
from tests.support.entities import NOW, service_request

FILER = Actor(role="applicant", id="citizen")
DUE = NOW + timedelta(days=7)


def resolved(**overrides):
    done = Assignment(department="jtj", status="done", assigned_at=NOW, assigned_by="d1")
    fields = {
        "status": RequestStatus.RESOLVED,
        "stage": Stage.RATING,
        "deadline": NOW,
        "assignments": [done],
        **overrides,
    }
    return service_request(**fields)


def test_a_good_rating_closes_the_request():
    req = resolved()
    events = req.rate(5, "很好", FILER, NOW, DUE)
    assert req.status is RequestStatus.CLOSED
    assert (req.closed_at, req.stage, req.deadline) == (NOW, None, None)
    assert [e.type for e in events] == ["rated", "closed"]
    assert req.rating is not None and req.rating.level == 5


def test_a_bad_rating_reopens_every_active_part_for_a_new_round():
    routing = Routing(dispatch_unit="370830001", exact=True, departments=[], liaison_id="l1")
    req = resolved(routing=routing)
    events = req.rate(1, "没修好", FILER, NOW, DUE)
    assert req.status is RequestStatus.REOPENED
    assert (req.stage, req.deadline) == (Stage.RECTIFICATION, DUE)
    assert req.rectification is not None and req.rectification.follow_up == "pending"
    assert [(a.status, a.round) for a in req.assignments] == [("pending", 2)]
    assert [e.type for e in events] == ["rated", "reopened"]


def test_a_private_request_needs_no_liaison_follow_up():
    routing = Routing(dispatch_unit="370830001", exact=True, departments=[], liaison_id="l1")
    req = resolved(routing=routing, private=True)
    req.rate(2, None, FILER, NOW, DUE)
    assert req.rectification is not None and req.rectification.follow_up == "not_required"


def test_after_max_reopenings_a_bad_rating_closes_it():
    bad = Rating(level=1, label={"zh": "非常不满意", "en": "Very dissatisfied"}, rated_at=NOW)
    req = resolved(ratings=[bad] * MAX_REOPENINGS)
    req.rate(1, None, FILER, NOW, DUE)
    assert req.status is RequestStatus.CLOSED


@pytest.mark.parametrize("status", [RequestStatus.ASSIGNED, RequestStatus.CLOSED])
def test_only_a_resolved_request_can_be_rated(status):
    req = resolved(status=status)
    with pytest.raises(Conflict):
        req.rate(5, None, FILER, NOW, DUE)
    assert req.status is status and req.ratings == []


def test_the_sweep_closes_an_unrated_request_and_cannot_close_an_open_one():
    req = resolved()
    assert [e.type for e in req.close_unrated(NOW)] == ["closed"]
    assert req.status is RequestStatus.CLOSED
    with pytest.raises(Conflict):
        service_request(status=RequestStatus.ASSIGNED).close_unrated(NOW)


def test_an_overdue_stage_escalates_once():
    req = service_request(stage=Stage.RESOLUTION, deadline=NOW)
    events = req.escalate(["sup1"], NOW + timedelta(hours=1))
    assert events[0].data["to"] == ["sup1"] and events[0].data["stage"] == "resolution"
    assert req.escalated(Stage.RESOLUTION)
    with pytest.raises(Conflict):
        req.escalate(["sup1"], NOW + timedelta(hours=2))
