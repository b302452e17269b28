"""The county's WeChat official account as a channel, through the Chalice test client and a
local fake of WeChat's API (devstack/wechat_fake.py, driven by the real wechatpy client): a
citizen binds their WeChat by the web authorisation's code; each notification then goes as
a template message instead of a text (unless they want both); WeChat's pushed events —
signed with the account token — record delivery, and an unfollow sends texts again."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest

from chalicelib.clock import FixedClock
from chalicelib.settings import Settings
from devstack.wechat_fake import FakeWeChat, signature
from tests.conftest import ApiClient, RecordingSms, body, sign_in
from tests.support.requests import act, file
from tests.support.wechat import CASE_PAGE, TEMPLATE, hand_over, started, with_wechat
from tests.support.wechat import bind as bind_as

FILER = "13953700001"
OPENID = "oBianminFiler000000000001"


@pytest.fixture
def wechat(clock: FixedClock) -> Iterator[FakeWeChat]:
    fake = started(clock)
    yield fake
    fake.stop()


@pytest.fixture
def settings(settings: Settings, aws: Any, wechat: FakeWeChat) -> Settings:
    return with_wechat(settings, aws, wechat)


def bind(api: ApiClient, wechat: FakeWeChat, token: str, openid: str = OPENID) -> Any:
    return bind_as(api, wechat, token, openid)


def notices(api: ApiClient, token: str) -> dict[str, Any]:
    return {n["kind"]: n for n in body(api.get("/me/notifications?limit=50", token=token))["items"]}


def texts(sms: RecordingSms, phone: str = FILER) -> list[str]:
    return [m.purpose.value for m in sms.sent if m.phone == phone and m.purpose.value != "otp"]


def test_a_bound_follower_is_told_by_wechat_instead_of_sms_and_delivery_is_recorded(
    api: ApiClient, pump: Any, sms: RecordingSms, wechat: FakeWeChat
) -> None:
    token = sign_in(api, sms, FILER)
    assert body(api.get("/me/wechat", token=token)) == {"bound": False}
    code = wechat.authorize(OPENID)
    wechat.follow(OPENID)
    bound = api.put("/me/wechat", json_body={"code": code}, token=token)
    assert bound.status_code == 200 and body(bound)["bound"] is True
    again = api.put("/me/wechat", json_body={"code": code}, token=token)  # a code works once
    assert again.status_code == 422 and "body.code" in again.body.decode()

    filed = file(api, token)
    act(
        api,
        "wenshang-dispatcher",
        f"/admin/requests/{filed['request_id']}/triage",
        {"action": "assign", "departments": ["cgj"]},
    )
    pump.drain()
    assert texts(sms) == []  # WeChat carried them: no text costs the county
    sent = [m for m in wechat.sent if m["touser"] == OPENID]
    assert [m["data"]["phrase3"]["value"] for m in sent] == ["已收到", "办理中"]
    first = sent[0]
    assert first["template_id"] == TEMPLATE
    assert first["data"]["character_string1"]["value"] == filed["number"]
    assert first["url"] == CASE_PAGE.replace("{case_id}", filed["request_id"])
    told = notices(api, token)
    assert told["request_received"]["channels"] == {
        "inbox": "delivered",
        "sms": "carried_by_wechat",
        "wechat": "sent",
    }
    hand_over(api, wechat, 3)  # the follow, then two TEMPLATESENDJOBFINISH: success
    assert notices(api, token)["request_assigned"]["channels"]["wechat"] == "delivered"

    # A redelivered change feed sends nothing twice.
    pump.stream.replay()
    pump.drain()
    assert len([m for m in wechat.sent if m["touser"] == OPENID]) == 2

    stats = api.get(
        "/admin/notification-stats?county=370830&from=2026-11-27&to=2026-11-27",
        profile="county-leader",
    )
    counts = body(stats)["days"][0]["counts"]
    assert counts["wechat_sent"] == 2 and counts["wechat_delivered"] == 2
    assert counts["sms_carried_by_wechat"] == 2


def test_an_unfollowed_account_gets_the_text_instead_and_is_no_longer_tried(
    api: ApiClient, pump: Any, sms: RecordingSms, wechat: FakeWeChat
) -> None:
    token = sign_in(api, sms, FILER)
    assert bind(api, wechat, token).status_code == 200
    wechat.unfollow(OPENID)  # WeChat's unsubscribe event is not handed over yet
    filed = file(api, token)
    pump.drain()
    assert texts(sms) == ["request_received"]  # WeChat refused (43004): the text went
    received = notices(api, token)["request_received"]["channels"]
    assert received == {"inbox": "delivered", "sms": "queued", "wechat": "failed"}
    assert body(api.get("/me/wechat", token=token))["following"] is False
    act(
        api,
        "wenshang-dispatcher",
        f"/admin/requests/{filed['request_id']}/triage",
        {"action": "assign", "departments": ["cgj"]},
    )
    pump.drain()
    assert texts(sms) == ["request_received", "request_assigned"]
    assert "wechat" not in notices(api, token)["request_assigned"]["channels"]

    # Following again (the subscribe event) brings WeChat back.
    wechat.follow(OPENID)
    hand_over(api, wechat, len(wechat.events) + 1)
    assert body(api.get("/me/wechat", token=token))["following"] is True


def test_a_message_wechat_could_not_deliver_goes_by_text_after_all(
    api: ApiClient, pump: Any, sms: RecordingSms, wechat: FakeWeChat
) -> None:
    token = sign_in(api, sms, FILER)
    bind(api, wechat, token)
    wechat.script(status="failed:user block")
    file(api, token)
    pump.drain()
    assert texts(sms) == []  # WeChat took it …
    hand_over(api, wechat, 2)  # … the follow, then the job's outcome: blocked
    channels = notices(api, token)["request_received"]["channels"]
    assert channels == {"inbox": "delivered", "sms": "queued", "wechat": "failed"}
    assert texts(sms) == ["request_received"]  # the text went instead, once
    hand_over(api, wechat, 2)  # WeChat pushing it again changes nothing
    assert texts(sms) == ["request_received"]
    assert body(api.get("/me/wechat", token=token))["following"] is False


def test_preferences_choose_wechat_off_or_both(
    api: ApiClient, pump: Any, sms: RecordingSms, wechat: FakeWeChat
) -> None:
    token = sign_in(api, sms, FILER)
    bind(api, wechat, token)
    both = {"sms": "all", "wechat": "all", "sms_with_wechat": True}
    assert api.put("/me/notification-preferences", json_body=both, token=token).status_code == 200
    file(api, token)
    pump.drain()
    assert texts(sms) == ["request_received"] and len(wechat.sent) == 1
    off = {"sms": "all", "wechat": "off"}
    assert api.put("/me/notification-preferences", json_body=off, token=token).status_code == 200
    file(api, token, {**_light(), "description": "另一处路灯也不亮了"})
    pump.drain()
    assert Counter(texts(sms)) == Counter({"request_received": 2}) and len(wechat.sent) == 1


def test_an_openid_belongs_to_one_citizen_and_can_be_unbound(
    api: ApiClient, sms: RecordingSms, wechat: FakeWeChat
) -> None:
    token = sign_in(api, sms, FILER)
    assert bind(api, wechat, token).status_code == 200
    other = sign_in(api, sms, "13953700002")
    taken = bind(api, wechat, other)
    assert taken.status_code == 409 and "body.code" in taken.body.decode()
    assert api.request("DELETE", "/me/wechat", token=token).status_code == 204
    assert api.request("DELETE", "/me/wechat", token=token).status_code == 404
    assert bind(api, wechat, other).status_code == 200


def test_the_server_url_answers_only_what_the_account_token_signed(
    api: ApiClient, wechat: FakeWeChat
) -> None:
    stamp, nonce = "1795744800", "12345"
    good = signature(wechat.token, stamp, nonce)
    query = {"signature": good, "timestamp": stamp, "nonce": nonce, "echostr": "echo123"}
    checked = api.get("/wechat/events?" + urlencode(query))
    assert checked.status_code == 200 and checked.body == b"echo123"
    forged = dict(query, signature="0" * 40)
    assert api.get("/wechat/events?" + urlencode(forged)).status_code == 403
    stale = str(int(stamp) - 301)  # a signed URL of six minutes ago is not replayed
    old = dict(query, timestamp=stale, signature=signature(wechat.token, stale, nonce))
    assert api.get("/wechat/events?" + urlencode(old)).status_code == 403
    aes = api.get("/wechat/events?" + urlencode(dict(query, encrypt_type="aes")))
    assert aes.status_code == 422 and "encrypt_type" in aes.body.decode()
    pushed = api.post(
        "/wechat/events?" + urlencode(dict(forged, echostr="")),
        body=b"<xml><MsgType><![CDATA[event]]></MsgType></xml>",
        headers={"Content-Type": "text/xml"},
    )
    assert pushed.status_code in (403, 422)
    garbage = api.post(
        "/wechat/events?" + urlencode({k: v for k, v in query.items() if k != "echostr"}),
        body=b"<not xml",
        headers={"Content-Type": "text/xml"},
    )
    assert garbage.status_code == 200  # acknowledged, ignored: WeChat would only push it again


def _light() -> dict[str, Any]:
    from tests.support.requests import street_light

    return street_light()
