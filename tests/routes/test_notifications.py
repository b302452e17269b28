"""Every change reaches the applicant: the change feed's events become one notification per
recipient and channel (inbox and SMS), once, through the Chalice test client and the pump."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from chalicelib.clock import FixedClock
from chalicelib.deps import Container
from tests.conftest import ApiClient, RecordingSms, body, sign_in
from tests.support.requests import act, file, street_light

FILER = "13953700001"


def notices(api: ApiClient, token: str) -> dict[str, Any]:
    return body(api.get("/me/notifications?limit=100", token=token))


def texts(sms: RecordingSms, phone: str) -> list[str]:
    return [m.purpose.value for m in sms.sent if m.phone == phone and m.purpose.value != "otp"]


def test_an_app_filers_request_story_reaches_inbox_and_sms_once_even_when_replayed(
    api: ApiClient, pump: Any, sms: RecordingSms, clock: FixedClock
) -> None:
    token = sign_in(api, sms, FILER)
    request_id = file(api, token, street_light())["request_id"]
    clock.advance(minutes=20)
    path = f"/admin/requests/{request_id}"
    act(api, "wenshang-dispatcher", f"{path}/triage", {"action": "assign", "departments": ["cgj"]})
    clock.advance(hours=2)
    act(api, "cgj-reviewer", f"{path}/reply", {"text": "已更换灯具，恢复照明", "done": True})
    pump.drain()
    token = sign_in(api, sms, FILER)
    inbox = notices(api, token)
    kinds = [n["kind"] for n in inbox["items"]]
    assert Counter(kinds) == Counter(
        ["request_received", "request_assigned", "request_replied", "request_resolved"]
    )
    assert kinds[0] == "request_resolved"  # newest first
    assert inbox["unread"] == 4
    replied = next(n for n in inbox["items"] if n["kind"] == "request_replied")
    assert "已更换灯具" in replied["text"] and replied["channels"]["inbox"] == "delivered"
    assert Counter(texts(sms, FILER)) == Counter(kinds)  # each by SMS too, once
    assert all("已更换灯具" not in m.text for m in sms.sent)  # no free text in a text

    # A redelivered stream (a retried batch, a replay) sends nothing twice.
    pump.stream.replay()
    pump.drain()
    assert Counter(texts(sms, FILER)) == Counter(kinds)
    assert len(notices(api, token)["items"]) == 4

    # Read: once, and idempotent.
    first = inbox["items"][0]["id"]
    for _ in range(2):
        read = api.post(f"/me/notifications/{first}/read", token=token)
        assert read.status_code == 200 and body(read)["read"] is True
    assert notices(api, token)["unread"] == 3
    assert (
        api.post("/me/notifications/01ARZ3NDEKTSV4RRFFQ69G5FAV/read", token=token).status_code
        == 404
    )


def test_an_sms_at_22_is_held_until_08_then_sent(
    api: ApiClient, pump: Any, sms: RecordingSms, clock: FixedClock, deps: Container
) -> None:
    clock.set(datetime(2026, 11, 27, 14, 0, tzinfo=UTC))  # 22:00 in Beijing
    token = sign_in(api, sms, FILER)
    file(api, token, street_light())
    pump.drain()
    assert texts(sms, FILER) == []
    (held,) = notices(api, token)["items"]
    assert held["channels"] == {"inbox": "delivered", "sms": "held"}
    clock.set(datetime(2026, 11, 27, 23, 0, tzinfo=UTC))  # 07:00: still quiet
    assert deps.held_texts.release() == 0
    clock.set(datetime(2026, 11, 28, 0, 5, tzinfo=UTC))  # 08:05
    assert deps.held_texts.release() == 1
    assert deps.held_texts.release() == 0  # once
    assert texts(sms, FILER) == ["request_received"]
    token = sign_in(api, sms, FILER)
    assert notices(api, token)["items"][0]["channels"]["sms"] == "queued"


def test_an_event_before_21_handled_after_it_is_held_too(
    api: ApiClient, pump: Any, sms: RecordingSms, clock: FixedClock
) -> None:
    """Quiet hours hold what would go out in them, whenever the event happened."""
    clock.set(datetime(2026, 11, 27, 12, 59, tzinfo=UTC))  # 20:59 in Beijing
    token = sign_in(api, sms, FILER)
    file(api, token, street_light())
    clock.advance(minutes=6)  # the feed reaches it at 21:05
    pump.drain()
    assert texts(sms, FILER) == []
    (held,) = notices(api, token)["items"]
    assert held["channels"]["sms"] == "held"


def test_an_opt_out_is_respected_but_essential_notices_still_go(
    api: ApiClient, pump: Any, sms: RecordingSms, clock: FixedClock
) -> None:
    token = sign_in(api, sms, FILER)
    wrong = api.put("/me/notification-preferences", json_body={"inbox": "essential"}, token=token)
    assert wrong.status_code == 422 and "inbox" in wrong.body.decode()
    chosen = api.put("/me/notification-preferences", json_body={"sms": "essential"}, token=token)
    assert body(chosen) == {
        "sms": "essential",
        "inbox": "all",
        "wechat": "all",
        "sms_with_wechat": False,
    }
    assert body(api.get("/me/notification-preferences", token=token))["sms"] == "essential"
    request_id = file(api, token, street_light())["request_id"]
    act(
        api,
        "wenshang-dispatcher",
        f"/admin/requests/{request_id}/triage",
        {"action": "not_accept", "reason": "不属于受理范围"},
    )
    pump.drain()
    assert texts(sms, FILER) == ["request_refused"]
    inbox = {n["kind"]: n for n in notices(api, token)["items"]}
    assert inbox["request_received"]["channels"]["sms"] == "skipped_by_preference"
    assert "不属于受理范围" in inbox["request_refused"]["text"]


def test_the_catalogue_administrator_lists_and_previews_templates(api: ApiClient) -> None:
    listed = body(api.get("/admin/notification-templates", profile="catalogue-admin"))["items"]
    assert len(listed) == 51 and all(t["version"] >= 1 for t in listed)
    denied = next(t for t in listed if t["id"] == "application_denied.inbox")
    assert "reason" in denied["placeholders"] and denied["essential"] is True
    preview = api.post(
        "/admin/notification-templates/application_denied.inbox/preview",
        json_body={"values": {"reason": "不符合法定条件"}},
        profile="catalogue-admin",
    )
    text = body(preview)["text"]
    assert "不符合法定条件" in text and "60日" in text and "6个月" in text
    sms = api.post(
        "/admin/notification-templates/request_resolved.sms/preview",
        json_body={},
        profile="catalogue-admin",
    )
    assert body(sms)["text"].startswith("您11月27日提交的诉求")
    unknown = api.post(
        "/admin/notification-templates/request_resolved.inbox/preview",
        json_body={"values": {"phone": "x"}},
        profile="catalogue-admin",
    )
    assert unknown.status_code == 422 and "body.values.phone" in unknown.body.decode()
    assert (
        api.get("/admin/notification-templates", profile="wenshang-dispatcher").status_code == 403
    )


def test_supervisors_see_notifications_by_channel_and_outcome_per_day(
    api: ApiClient, pump: Any, sms: RecordingSms, clock: FixedClock
) -> None:
    clock.set(datetime(2026, 11, 27, 2, 0, tzinfo=UTC))  # 10:00 in Beijing
    token = sign_in(api, sms, FILER)
    request_id = file(api, token, street_light())["request_id"]
    act(
        api,
        "wenshang-dispatcher",
        f"/admin/requests/{request_id}/triage",
        {"action": "not_accept", "reason": "不属于受理范围"},
    )
    pump.drain()
    query = "/admin/notification-stats?county=370830&from=2026-11-26&to=2026-11-27"
    figures = body(api.get(query, profile="county-leader"))
    assert [d["date"] for d in figures["days"]] == ["2026-11-26", "2026-11-27"]
    assert figures["days"][0]["counts"] == {}
    today = figures["days"][1]["counts"]
    assert today["inbox_delivered"] == 2 and today["sms_queued"] == 2
    # Another county's leader does not see this one; a range over 31 days is refused.
    assert api.get(query, profile="jx-county-leader").status_code == 404
    too_long = api.get(query.replace("2026-11-26", "2026-10-01"), profile="county-leader")
    assert too_long.status_code == 422


def test_without_an_official_account_wechat_cannot_be_bound(
    api: ApiClient, sms: RecordingSms
) -> None:
    token = sign_in(api, sms, FILER)
    assert body(api.get("/me/wechat", token=token)) == {"bound": False}
    refused = api.put("/me/wechat", json_body={"code": "061abcDEF"}, token=token)
    assert refused.status_code == 404 and "WeChat" in body(refused)["detail"]
