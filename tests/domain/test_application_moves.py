"""An application's own moves (submit, withdraw, the window's decision, review, issuance,
delivery, rating, rectification) and the clock they keep: no AWS, no services."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from chalicelib.domain.application_parts import CaseMoment, Status, SupplementNote
from chalicelib.domain.moves import Actor
from chalicelib.domain.review import Certificate, DeliveryState
from chalicelib.errors import Conflict
from tests.support.entities import NOW, application

FILER = Actor(role="applicant", id="citizen")
CLERK = Actor(role="acceptance_clerk", id="c1")
ISSUER = Actor(role="issuer", id="i1")
TODAY = NOW.date()
WHEN = CaseMoment(at=NOW, today=TODAY, elapsed=1)
PROMISED, LEGAL = TODAY + timedelta(days=7), TODAY + timedelta(days=28)


def certificate() -> Certificate:
    return Certificate(
        code="ABCDEFGH2345",
        number="WS-2026-000001",
        case_id="01M8DBP780000000000000000C",
        service_code="SC001",
        service_name="食品经营许可",
        service_name_en="Food business licence",
        holder="张*",
        issuer="汶上县政务服务中心（统一出件）",
        issued_at=NOW,
        object_key="certificates/x.pdf",
    )


def test_the_first_submission_starts_the_acceptance_clock():
    app = application(
        status=Status.DRAFT, limits={**application().limits.model_dump(), "running_since": None}
    )
    events = app.submit(TODAY + timedelta(days=2), False, FILER, WHEN)
    assert app.status is Status.SUBMITTED and app.submitted_at == NOW
    assert (app.limits.running_since, app.limits.acceptance_due) == (
        TODAY,
        TODAY + timedelta(days=2),
    )
    assert [e.type for e in events] == ["submitted"]


def test_a_supplement_request_pauses_the_clock_and_the_supplement_resumes_it():
    app = application()
    notes = [SupplementNote(material_code="M1", reason="复印件不清晰")]
    events = app.ask_supplement(notes, "营业执照：复印件不清晰", CLERK, WHEN)
    assert app.status is Status.SUPPLEMENT_REQUIRED
    assert (app.limits.used_days, app.limits.running_since, app.limits.paused) == (1, None, True)
    assert events[0].data["materials"] == [{"material_code": "M1", "reason": "复印件不清晰"}]
    later = CaseMoment(at=NOW + timedelta(days=3), today=TODAY + timedelta(days=3), elapsed=0)
    assert [e.type for e in app.submit(TODAY + timedelta(days=4), False, FILER, later)] == [
        "supplemented"
    ]
    assert app.status is Status.SUBMITTED and not app.limits.paused


def test_acceptance_keeps_the_windows_days_apart_and_starts_processing():
    app = application()
    app.accept(PROMISED, LEGAL, False, CLERK, WHEN)
    limits = app.limits
    assert app.status is Status.ACCEPTED
    assert (limits.acceptance_used_days, limits.used_days, limits.running_since) == (1, 0, TODAY)
    assert (limits.promised_due, limits.legal_due) == (PROMISED, LEGAL)


@pytest.mark.parametrize("status", [Status.ACCEPTED, Status.DRAFT, Status.WITHDRAWN])
def test_only_a_submitted_application_is_decided_at_the_window(status):
    app = application(status=status)
    with pytest.raises(Conflict):
        app.accept(PROMISED, LEGAL, False, CLERK, WHEN)
    with pytest.raises(Conflict):
        app.refuse("不符合条件", CLERK, WHEN)
    assert app.status is status


def test_withdrawal_is_refused_once_accepted():
    app = application(status=Status.ACCEPTED)
    with pytest.raises(Conflict):
        app.withdraw(FILER, WHEN, None)
    submitted = application()
    assert [e.type for e in submitted.withdraw(FILER, WHEN, "不办了")] == ["withdrawn"]
    assert submitted.status is Status.WITHDRAWN and submitted.limits.used_days == 1


def test_a_denial_completes_the_case_and_stops_its_clock_against_the_limits():
    app = application(status=Status.IN_REVIEW)
    app.limits.promised_due = TODAY - timedelta(days=1)
    app.limits.legal_due = LEGAL
    events = app.deny({"wjw": "不符合卫生条件"}, "卫健局：不符合卫生条件", WHEN)
    assert app.status is Status.DENIED and app.completed_at == NOW
    assert (app.on_time, app.within_legal, app.limits.running_since) == (False, True, None)
    assert events[0].title.zh == "不予许可：卫健局：不符合卫生条件"


@pytest.mark.parametrize(
    ("method", "types", "status"),
    [
        ("electronic", ["issued", "completed"], Status.COMPLETED),
        ("pickup", ["issued", "ready_for_pickup"], Status.ISSUED),
        ("mail", ["issued", "mailed"], Status.ISSUED),
    ],
)
def test_issuance_by_delivery_method(method, types, status):
    app = application(status=Status.APPROVED)
    delivery = DeliveryState(method=method, dispatched_at=NOW)
    events = app.issue(certificate(), delivery, ISSUER, WHEN)
    assert [e.type for e in events] == types and app.status is status
    assert app.limits.running_since is None and app.on_time is True


def test_only_an_approved_application_is_issued_and_only_an_issued_one_delivered():
    app = application(status=Status.IN_REVIEW)
    with pytest.raises(Conflict):
        app.issue(certificate(), DeliveryState(method="pickup"), ISSUER, WHEN)
    with pytest.raises(Conflict):
        app.deliver("张三", ISSUER, NOW)
    issued = application(status=Status.ISSUED, delivery_state=DeliveryState(method="pickup"))
    assert [e.type for e in issued.deliver("张三", ISSUER, NOW)] == ["completed"]
    assert issued.delivery_state is not None and issued.delivery_state.received_by == "张三"


def test_a_bad_rating_opens_a_rectification_that_the_lead_department_closes():
    app = application(status=Status.COMPLETED)
    due = date(2026, 12, 4)
    assert [e.type for e in app.rate(1, "太慢", FILER, NOW, due)] == [
        "rated",
        "rectification_opened",
    ]
    assert app.rectification is not None and app.rectification.department == "scjgj"
    with pytest.raises(Conflict):
        app.rate(5, None, FILER, NOW, due)
    events = app.rectify("已改进流程", "回访满意", CLERK, WHEN)
    assert events[0].data["on_time"] is True and app.rectification.status == "done"
    with pytest.raises(Conflict):
        app.rectify("已改进流程", "回访满意", CLERK, WHEN)


def test_a_good_rating_opens_nothing_and_an_open_case_cannot_be_rated():
    assert [
        e.type for e in application(status=Status.COMPLETED).rate(5, None, FILER, NOW, TODAY)
    ] == ["rated"]
    with pytest.raises(Conflict):
        application(status=Status.ISSUED).rate(5, None, FILER, NOW, TODAY)


def test_an_electronic_issue_records_the_working_days_used_on_its_completion():
    app = application(status=Status.APPROVED)
    app.limits.used_days = 2
    events = app.issue(certificate(), DeliveryState(method="electronic"), ISSUER, WHEN)
    assert app.limits.used_days == 3  # two before, one since the clock last started
    assert (events[-1].data["used_days"], events[-1].data["on_time"]) == (3, True)


def test_an_empty_delivery_comment_is_not_recorded():
    issued = application(status=Status.ISSUED, delivery_state=DeliveryState(method="mail"))
    (done,) = issued.deliver(None, ISSUER, NOW, "")
    assert done.comment is None and done.title.en.startswith("Mail delivered")
