"""The filer's SMS follows the saved decision, never the attempt: a refusal the store saved
is texted once (the refusal template, without the reason); one the store refused (a
conflict) texts nothing; a failing SMS queue does not undo what was saved. RequestTriage
against in-memory fakes (no AWS)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from chalicelib.clock import FixedClock
from chalicelib.domain.calendar import WorkingCalendar
from chalicelib.domain.county import County
from chalicelib.domain.identity import Role, StaffMember
from chalicelib.domain.request import ServiceRequest
from chalicelib.domain.request_api import TriageRequest
from chalicelib.domain.request_parts import RequestStatus
from chalicelib.domain.sms import SmsMessage
from chalicelib.errors import Conflict
from chalicelib.paging import CursorCodec
from chalicelib.services.request_triage import RequestTriage
from devstack.seed import county_data
from tests.support.entities import NOW, service_request

DISPATCHER = StaffMember(
    staff_id="staff-d",
    name="信息管理员",
    role=Role.DISPATCHER,
    jurisdiction="370830001",
    principal_arn="arn:aws-cn:iam::123456789012:user/d",
)
REFUSAL = TriageRequest.model_validate({"action": "not_accept", "reason": "不属于受理范围"})
ACCEPTANCE = TriageRequest.model_validate({"action": "accept"})


@dataclass
class FakeStore:
    """RequestStore in memory: loads the one request; saves, or conflicts as DynamoDB does
    when another write got there first."""

    held: ServiceRequest
    conflict: bool = False
    saved: list[ServiceRequest] = field(default_factory=list)

    def load(self, request_id: str) -> tuple[ServiceRequest, list[Any]] | None:
        return (self.held, []) if request_id == self.held.request_id else None

    def save(self, before: ServiceRequest, after: ServiceRequest, *rest: Any) -> None:
        if self.conflict:
            raise Conflict("The request was changed meanwhile.")
        self.saved.append(after)


@dataclass
class FakeSms:
    sent: list[SmsMessage] = field(default_factory=list)
    down: bool = False

    def dispatch(self, message: SmsMessage) -> None:
        if self.down:
            raise RuntimeError("the SMS queue is unreachable")
        self.sent.append(message)


class FakeReference:
    @dataclass
    class Tree:
        nodes: dict[str, Any] = field(default_factory=dict)

    def departments(self, county: str) -> dict[str, Any]:
        return {}

    def calendar(self, county: str) -> WorkingCalendar:
        return WorkingCalendar()

    def jurisdictions(self, county: str) -> FakeReference.Tree:
        return FakeReference.Tree()

    def county_named(self, code: str, field: str) -> County:
        return county_data(code[:6]).county


class FakeRoster:
    def by_id(self, county: str, staff_id: str) -> None:
        return None

    def handlers(self, county: str, department: str) -> list[StaffMember]:
        return []


class FakeLists:
    def likely_duplicates(self, req: ServiceRequest, since: Any) -> list[ServiceRequest]:
        return []


class Settings:
    duplicate_days = 30
    request_rating_days = 7


def triage(store: FakeStore, sms: FakeSms) -> RequestTriage:
    return RequestTriage(
        store,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]  # citizens: a triage reads none
        FakeReference(),  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]  # router: nothing is routed again
        FakeRoster(),  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]  # storage: no photos on this request
        CursorCodec(b"k" * 32),
        sms,
        FixedClock(NOW),
        Settings(),  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        FakeLists(),  # type: ignore[arg-type]
    )


def submitted(**overrides: Any) -> ServiceRequest:
    return service_request(status=RequestStatus.SUBMITTED, dispatch_since=NOW, **overrides)


def test_a_saved_refusal_is_texted_once_naming_the_request_but_not_the_reason() -> None:
    req = submitted()
    store, sms = FakeStore(req), FakeSms()
    view = triage(store, sms).triage(DISPATCHER, req.request_id, REFUSAL)
    assert view.status is RequestStatus.NOT_ACCEPTED
    assert [s.status for s in store.saved] == [RequestStatus.NOT_ACCEPTED]
    assert [(m.phone, m.purpose) for m in sms.sent] == [("13953700001", "request_refused")]
    # The refusal template: the filing date and the number's sequence, never the free-text
    # reason (no SMS variable can carry it; the filer reads it after signing in).
    day, sequence = req.number[-11:-7], req.number[-6:]
    assert sms.sent[0].params == (f"{int(day[:2])}月{int(day[2:])}日", sequence)
    assert "不属于受理范围" not in sms.sent[0].text and "查看原因" in sms.sent[0].text
    assert sms.sent[0].rendered.startswith("【汶上便民】")  # the county's own signature


def test_a_refusal_the_store_did_not_save_texts_nothing() -> None:
    req = submitted()
    store, sms = FakeStore(req, conflict=True), FakeSms()
    with pytest.raises(Conflict):
        triage(store, sms).triage(DISPATCHER, req.request_id, REFUSAL)
    assert store.saved == [] and sms.sent == []
    assert req.status is RequestStatus.SUBMITTED  # the loaded request is not changed


def test_an_unreachable_sms_queue_does_not_undo_the_saved_refusal() -> None:
    req = submitted()
    store, sms = FakeStore(req), FakeSms(down=True)
    view = triage(store, sms).triage(DISPATCHER, req.request_id, REFUSAL)
    assert view.status is RequestStatus.NOT_ACCEPTED and len(store.saved) == 1


def test_no_text_without_a_phone_or_for_a_move_the_filer_is_not_told_of() -> None:
    sms = FakeSms()
    phoneless = submitted(owner_phone="")
    triage(FakeStore(phoneless), sms).triage(DISPATCHER, phoneless.request_id, REFUSAL)
    accepted = submitted()
    triage(FakeStore(accepted), sms).triage(DISPATCHER, accepted.request_id, ACCEPTANCE)
    assert sms.sent == []
