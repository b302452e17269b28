"""Every message of a whole licensing story reaches each person it concerns, once: the
applicant who follows the county's WeChat account (template messages and the inbox, no
texts), the proxy agent they granted (texts and the inbox), and a walk-in visitor a clerk
filed for (texts, then the inbox once they sign in with the phone) — even when the change
feed is delivered again."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.clock import FixedClock
from chalicelib.settings import Settings
from devstack.wechat_fake import FakeWeChat
from tests.conftest import ApiClient, RecordingSms, body, sign_in
from tests.routes.test_review_routes import status, tasks_of, wait_for
from tests.routes.test_window_routes import HALL_CLERK, VISITOR_PHONE, file_walk_in, scan
from tests.support.applications import create, upload
from tests.support.wechat import bind, hand_over, started, with_wechat

OWNER, AGENT = "13953700001", "13953700008"
OPENID = "oBianminOwner0000000000001"
STORY = [  # the applicant's kinds, in order
    "application_received",
    "application_supplement",
    "application_accepted",
    "application_in_review",
    "application_approved",
    "application_issued",
    "application_rating",
]


@pytest.fixture
def wechat(clock: FixedClock) -> Iterator[FakeWeChat]:
    fake = started(clock)
    yield fake
    fake.stop()


@pytest.fixture
def settings(settings: Settings, aws: Any, wechat: FakeWeChat) -> Settings:
    return with_wechat(settings, aws, wechat)


def kinds(api: ApiClient, token: str) -> list[str]:
    items = body(api.get("/me/notifications?limit=50", token=token))["items"]
    return [n["kind"] for n in reversed(items)]  # oldest first


def texts(sms: RecordingSms, phone: str) -> list[str]:
    return [m.purpose.value for m in sms.sent if m.phone == phone and m.purpose.value != "otp"]


def decide(api: ApiClient, case_id: str, decision: dict[str, Any]) -> None:
    answer = api.post(
        f"/admin/applications/{case_id}/acceptance", json_body=decision, profile="zwfw-clerk"
    )
    assert answer.status_code == 200, answer.body


def approve_and_issue(api: ApiClient, pump: Any, token: str, case_id: str) -> None:
    (task,) = wait_for(pump, lambda: tasks_of(api, "jxj-reviewer", case_id))
    opinion = {"decision": "approve", "opinion": "经审核，符合条件，同意。"}
    decided = api.post(
        f"/admin/reviews/{task['task_id']}/decision", json_body=opinion, profile="jxj-reviewer"
    )
    assert decided.status_code == 200, decided.body
    wait_for(pump, lambda: status(api, token, case_id) == "approved")
    mail = {"tracking_number": "EMS1234567890CN", "carrier": "EMS"}
    issued = api.post(
        f"/admin/applications/{case_id}/issuance", json_body=mail, profile="zwfw-issuer"
    )
    assert issued.status_code == 200, issued.body
    done = api.post(f"/admin/applications/{case_id}/delivered", json_body={}, profile="zwfw-issuer")
    assert done.status_code == 200, done.body
    pump.drain()


def test_the_applicant_by_wechat_and_the_agent_by_sms_each_get_every_message_once(
    api: ApiClient,
    sms: RecordingSms,
    aws: Any,
    pump: Any,
    clock: FixedClock,
    wechat: FakeWeChat,
) -> None:
    owner = sign_in(api, sms, OWNER)
    assert bind(api, wechat, owner, OPENID).status_code == 200
    case = create(api, owner)
    granted = api.post(
        f"/applications/{case['id']}/agents",
        json_body={"agent_phone": AGENT, "consent": True},
        token=owner,
    )
    assert granted.status_code == 200, granted.body
    for material in ("licence", "audit"):
        upload(api, aws, pump, owner, case["id"], material)
    assert api.post(f"/applications/{case['id']}/submit", token=owner).status_code == 200
    missing = [{"material_code": "audit", "reason": "审计报告缺少会计师事务所盖章"}]
    decide(api, case["id"], {"decision": "supplement", "materials": missing})
    pump.drain()
    hand_over(api, wechat, 3)  # WeChat pushes at once: the follow, received, supplement
    clock.advance(minutes=10)  # the applicant comes back with the stamped report
    upload(api, aws, pump, owner, case["id"], "audit")
    assert api.post(f"/applications/{case['id']}/supplement", token=owner).status_code == 200
    decide(api, case["id"], {"decision": "accept"})
    approve_and_issue(api, pump, owner, case["id"])
    pump.stream.replay()  # a redelivered change feed: nothing twice
    pump.drain()

    # The applicant: WeChat carried every message (no text), the inbox has every one.
    owner = sign_in(api, sms, OWNER)
    assert kinds(api, owner) == STORY
    assert texts(sms, OWNER) == []
    to_owner = [m for m in wechat.sent if m["touser"] == OPENID]
    assert len(to_owner) == len(STORY)
    assert all(m["data"]["character_string1"]["value"] == case["number"] for m in to_owner)
    hand_over(api, wechat, 1 + len(STORY))  # … and each later message's outcome
    delivered = body(api.get("/me/notifications?limit=50", token=owner))["items"]
    assert {n["channels"]["wechat"] for n in delivered} == {"delivered"}

    # The agent: the same story by text and in their own inbox, as agent.
    clock.advance(seconds=61)
    agent = sign_in(api, sms, AGENT)
    assert kinds(api, agent) == STORY
    assert Counter(texts(sms, AGENT)) == Counter(STORY)
    roles = {n["role"] for n in body(api.get("/me/notifications?limit=50", token=agent))["items"]}
    assert roles == {"agent"}


def test_a_walk_in_visitor_is_texted_each_step_and_finds_it_all_in_the_inbox(
    api: ApiClient, sms: RecordingSms, aws: Any, pump: Any, wechat: FakeWeChat
) -> None:
    filed = file_walk_in(api)
    assert filed.status_code == 201, filed.body
    case_id = body(filed)["id"]
    for material in ("licence", "audit"):
        scan(api, aws, pump, case_id, material, HALL_CLERK)
    submitted = api.post(
        f"/admin/window/applications/{case_id}/submit",
        profile=HALL_CLERK,
        headers={"Idempotency-Key": "walk-in-submit-story"},
    )
    assert submitted.status_code == 200, submitted.body
    decide(api, case_id, {"decision": "accept"})
    pump.drain()
    visitor = sign_in(api, sms, VISITOR_PHONE)
    approve_and_issue(api, pump, visitor, case_id)
    expected = [k for k in STORY if k != "application_supplement"]
    assert texts(sms, VISITOR_PHONE) == expected  # the phone the clerk recorded
    assert kinds(api, visitor) == expected
    assert wechat.sent == []  # never bound: WeChat is not tried
