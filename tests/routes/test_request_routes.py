"""Citizen requests (诉求) through the API: filing and routing, triage, joint handling,
returns, replies, visits, rating and rectification, privacy, and the overdue sweep."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from chalicelib import resources
from chalicelib.clock import FixedClock
from chalicelib.deps import Container, container
from chalicelib.domain.request_parts import MAX_PROGRESS_REPLIES
from tests.conftest import ApiClient, RecordingSms, body, sign_in
from tests.support.requests import (
    DUYING_GRID,
    QINSHUIWAN_GRID,
    act,
    file,
    queue,
    staff_post,
    street_light,
    upload_photo,
)

DU_PING = "13953700001"
NEIGHBOUR = "13953700002"


@pytest.fixture
def du_ping(api: ApiClient, sms: RecordingSms) -> str:
    return sign_in(api, sms, DU_PING)


def test_the_street_light_story(
    api: ApiClient, aws: Any, pump: Any, sms: RecordingSms, du_ping: str, clock: FixedClock
) -> None:
    photo = upload_photo(api, aws, pump, token=du_ping)
    created = file(api, du_ping, street_light(photos=[photo]))
    request_id = created["request_id"]
    assert created["number"].startswith("WSSQ20261127-")  # the county's prefix, then SQ
    assert created["status"] == "submitted"
    routing = created["routing"]
    assert routing["grid"] == QINSHUIWAN_GRID and routing["exact"] is True
    assert routing["grid_name"] == "亲水湾小区网格"
    assert routing["community_name"] == "西门社区"
    assert routing["township_name"] == "汶上街道"
    assert routing["liaison"] == "孟昭海"
    assert routing["dispatcher"] == "汶上街道信息管理员"
    assert created["departments"] == ["cgj"]
    assert created["holders"][0]["role"] == "dispatcher"
    assert created["photos"][0]["document_id"] == photo
    assert created["deadline"] is not None and created["overdue"] is False

    # The dispatcher of 汶上街道 and the grid's liaison officer both see it; 郭楼镇's does not.
    assert request_id in queue(api, "wenshang-dispatcher")
    assert request_id in queue(api, "ximen-liaison")
    assert request_id not in queue(api, "guolou-dispatcher")
    assert api.get(f"/admin/requests/{request_id}", profile="duying-liaison").status_code == 404

    clock.advance(minutes=20)
    assigned = act(
        api,
        "wenshang-dispatcher",
        f"/admin/requests/{request_id}/triage",
        {"action": "assign", "departments": ["cgj", "zjj"], "note": "路灯所与开发商共同处理"},
    )
    assert assigned["status"] == "assigned"
    assert assigned["accepted_at"] is not None
    assert assigned["resolution_due"] is not None
    assert {h["department"] for h in assigned["holders"]} == {"cgj", "zjj"}
    assert request_id not in queue(api, "wenshang-dispatcher")
    assert request_id in queue(api, "cgj-reviewer")
    assert request_id in queue(api, "zjj-reviewer")

    clock.advance(hours=3)
    progress = act(
        api,
        "zjj-reviewer",
        f"/admin/requests/{request_id}/reply",
        {"text": "已通知开发商检修小区供电线路", "done": False},
    )
    assert progress["status"] == "assigned"
    repair_photo = upload_photo(api, aws, pump, profile="cgj-reviewer")
    replied = act(
        api,
        "cgj-reviewer",
        f"/admin/requests/{request_id}/reply",
        {"text": "路灯管理所已更换灯具，恢复照明", "photos": [repair_photo], "done": True},
    )
    assert replied["status"] == "replied"
    assert request_id not in queue(api, "cgj-reviewer")
    resolved = act(
        api,
        "zjj-reviewer",
        f"/admin/requests/{request_id}/reply",
        {"text": "开发商已修复线路", "done": True},
    )
    assert resolved["status"] == "resolved"

    du_ping = sign_in(api, sms, DU_PING)  # hours later: a fresh token
    mine = body(api.get(f"/requests/{request_id}", token=du_ping))
    assert mine["status"] == "resolved"
    assert mine["next_action"]["zh"].startswith("诉求已办结")
    replies = [r for a in mine["assignments"] for r in a["replies"]]
    assert len(replies) == 3
    assert any(r["photos"] for r in replies)
    listed = body(api.get("/requests", token=du_ping))["items"]
    assert [i["request_id"] for i in listed] == [request_id]

    rated = api.post(f"/requests/{request_id}/rating", json_body={"level": 4}, token=du_ping)
    assert rated.status_code == 200, rated.body
    closed = body(rated)
    assert closed["status"] == "closed"
    assert closed["rating"]["label"]["zh"] == "满意"
    types = [e["type"] for e in closed["timeline"]]
    assert types[:2] == ["submitted", "routed"]
    assert {"assigned", "replied", "resolved", "rated", "closed"} <= set(types)
    again = api.post(f"/requests/{request_id}/rating", json_body={"level": 5}, token=du_ping)
    assert again.status_code == 409


def test_a_bad_rating_reopens_for_rectification_and_a_follow_up_visit(
    api: ApiClient, du_ping: str
) -> None:
    request_id = file(api, du_ping)["request_id"]
    path = f"/admin/requests/{request_id}"
    act(api, "wenshang-dispatcher", f"{path}/triage", {"action": "assign", "departments": ["cgj"]})
    act(api, "cgj-reviewer", f"{path}/reply", {"text": "已维修", "done": True})
    reopened = body(
        api.post(
            f"/requests/{request_id}/rating",
            json_body={"level": 2, "comment": "修好两天又不亮了"},
            token=du_ping,
        )
    )
    assert reopened["status"] == "reopened"
    assert reopened["rectification"]["follow_up"] == "pending"
    assert reopened["stage"] == "rectification"
    assert reopened["deadline"] == reopened["rectification"]["due"]
    assert {h["role"] for h in reopened["holders"]} == {"department", "liaison"}
    assert request_id in queue(api, "cgj-reviewer")

    # Rating again, or a visit claiming to resolve it, is refused while it is reopened.
    assert (
        api.post(
            f"/requests/{request_id}/rating", json_body={"level": 5}, token=du_ping
        ).status_code
        == 409
    )
    # The department fixes it for good; the request waits for the follow-up visit.
    fixed = act(api, "cgj-reviewer", f"{path}/reply", {"text": "更换了整条线路", "done": True})
    assert fixed["status"] == "reopened"
    assert (
        staff_post(
            api, "cgj-reviewer", f"{path}/visit", {"kind": "follow_up", "note": "回访"}
        ).status_code
        == 403
    )
    visited = act(
        api,
        "ximen-liaison",
        f"{path}/visit",
        {"kind": "follow_up", "note": "上门回访，路灯正常，群众认可", "resident_satisfied": True},
    )
    assert visited["status"] == "resolved"
    assert visited["rectification"]["follow_up"] == "done"
    assert visited["rectification"]["closed_at"] is not None
    second = staff_post(
        api, "ximen-liaison", f"{path}/visit", {"kind": "follow_up", "note": "再访"}
    )
    assert second.status_code == 409
    closed = body(api.post(f"/requests/{request_id}/rating", json_body={"level": 5}, token=du_ping))
    assert closed["status"] == "closed"
    assert [r["level"] for r in [closed["rating"]]] == [5]


def test_a_mis_routed_request_is_returned_and_reassigned(api: ApiClient, du_ping: str) -> None:
    request_id = file(api, du_ping)["request_id"]
    path = f"/admin/requests/{request_id}"
    act(api, "wenshang-dispatcher", f"{path}/triage", {"action": "assign", "departments": ["jtj"]})
    # A department that does not hold it cannot return it.
    assert (
        staff_post(api, "cgj-reviewer", f"{path}/return", {"reason": "不是我们的"}).status_code
        == 404
    )
    returned = act(
        api,
        "jtj-reviewer",
        f"{path}/return",
        {"reason": "路灯不属于交通局职责", "suggested_departments": ["cgj"]},
    )
    assert returned["status"] == "accepted"
    assert returned["assignments"][0]["status"] == "returned"
    assert request_id in queue(api, "wenshang-dispatcher")
    assert request_id not in queue(api, "jtj-reviewer")
    # jtj took part, so it still sees the request it returned.
    assert api.get(path, profile="jtj-reviewer").status_code == 200
    again = act(
        api, "wenshang-dispatcher", f"{path}/triage", {"action": "assign", "departments": ["cgj"]}
    )
    assert again["status"] == "assigned"
    assert request_id in queue(api, "cgj-reviewer")
    assert [e["type"] for e in again["timeline"]].count("assigned") == 2
    # A returned department replies no more (its part is returned: a conflict of state).
    assert (
        staff_post(api, "jtj-reviewer", f"{path}/reply", {"text": "处理", "done": True}).status_code
        == 409
    )


def test_overdue_requests_escalate_to_township_and_county_supervisors(
    api: ApiClient, deps: Container, du_ping: str, clock: FixedClock
) -> None:
    late = file(api, du_ping)["request_id"]
    accepted = file(api, du_ping, street_light(category="sanitation", description="垃圾桶满溢"))
    act(
        api,
        "wenshang-dispatcher",
        f"/admin/requests/{accepted['request_id']}/triage",
        {"action": "accept"},
    )
    assert deps.request_sweep.sweep() == 0

    clock.advance(hours=deps.settings.request_accept_hours, minutes=1)
    assert deps.request_sweep.sweep() == 1
    assert deps.request_sweep.sweep() == 0  # escalated once per stage
    view = body(api.get(f"/admin/requests/{late}", profile="wenshang-supervisor"))
    assert view["overdue"] is True and view["escalated"] is True
    escalation = next(e for e in view["timeline"] if e["type"] == "escalated")
    assert set(escalation["data"]["to"]) == {"wenshang-supervisor", "county-leader"}
    assert queue(api, "wenshang-supervisor") == [late]
    assert queue(api, "county-leader") == [late]
    assert late in queue(api, "wenshang-dispatcher", "?overdue=true")
    assert late not in queue(api, "wenshang-dispatcher", "?overdue=false")

    # Accepting it starts the resolution clock: it leaves the overdue queue.
    act(api, "wenshang-dispatcher", f"/admin/requests/{late}/triage", {"action": "accept"})
    assert queue(api, "wenshang-supervisor") == []
    clock.advance(days=10)
    assert deps.request_sweep.sweep() == 2  # both now overdue for resolution
    assert set(queue(api, "county-leader")) == {late, accepted["request_id"]}


def test_a_private_petition_is_seen_only_by_the_filer_and_its_handlers(
    api: ApiClient, sms: RecordingSms, du_ping: str
) -> None:
    petition = file(
        api,
        du_ping,
        street_light(category="petition", description="反映拆迁补偿问题，请求依法处理。"),
    )
    assert petition["private"] is True
    request_id = petition["request_id"]
    neighbour = sign_in(api, sms, NEIGHBOUR)
    assert api.get(f"/requests/{request_id}", token=neighbour).status_code == 404
    for outsider in ("ximen-liaison", "wenshang-supervisor", "county-leader", "cgj-reviewer"):
        assert api.get(f"/admin/requests/{request_id}", profile=outsider).status_code == 404
    assert request_id not in queue(api, "ximen-liaison")
    assert (
        api.get(f"/admin/requests/{request_id}", profile="wenshang-dispatcher").status_code == 200
    )
    act(
        api,
        "wenshang-dispatcher",
        f"/admin/requests/{request_id}/triage",
        {"action": "assign", "departments": ["xfj"]},
    )
    assert api.get(f"/admin/requests/{request_id}", profile="xfj-reviewer").status_code == 200
    summary = body(api.get("/admin/queues/requests", profile="xfj-reviewer"))["items"][0]
    assert summary["private"] is True and "excerpt" not in summary
    # Never in the public Open311 listing.
    assert api.get(f"/open311/v2/requests/{request_id}.json").status_code == 404
    listed = body(api.get("/open311/v2/requests.json?jurisdiction_id=370830"))
    assert request_id not in {r["service_request_id"] for r in listed}


def test_a_liaison_officer_files_for_a_resident(
    api: ApiClient, sms: RecordingSms, aws: Any, pump: Any
) -> None:
    photo = upload_photo(api, aws, pump, profile="ximen-liaison")
    payload = {
        "category": "sanitation",
        "description": "居民反映小区北侧垃圾清运不及时",
        "photos": [photo],
        "resident_phone": "13953700009",
    }
    response = staff_post(api, "ximen-liaison", "/admin/requests", payload)
    assert response.status_code == 201, response.body
    filed = body(response)
    assert filed["channel"] == "liaison"
    assert filed["routing"]["grid"] == QINSHUIWAN_GRID
    assert filed["filer_phone"] == "139****0009"
    assert filed["timeline"][0]["actor"]["name"] == "孟昭海"
    # A dispatcher is not a liaison officer.
    assert staff_post(api, "wenshang-dispatcher", "/admin/requests", payload).status_code == 403
    # The resident signs in later and finds it among their requests.
    resident = sign_in(api, sms, "13953700009")
    mine = body(api.get("/requests", token=resident))["items"]
    assert [i["request_id"] for i in mine] == [filed["request_id"]]
    # An SMS tells the resident when it is resolved.
    path = f"/admin/requests/{filed['request_id']}"
    act(api, "wenshang-dispatcher", f"{path}/triage", {"action": "assign", "departments": ["cgj"]})
    act(api, "cgj-reviewer", f"{path}/reply", {"text": "已清运", "done": True})
    pump.drain()  # the change feed tells the resident
    assert any(m.phone == "13953700009" and "已办结" in m.text for m in sms.sent)


def test_likely_duplicates_are_offered_and_can_be_merged(
    api: ApiClient, sms: RecordingSms, du_ping: str
) -> None:
    first = file(api, du_ping)
    neighbour = sign_in(api, sms, NEIGHBOUR)
    second = file(api, neighbour, street_light(description="小区门口路灯坏了"))
    assert [d["request_id"] for d in second["likely_duplicates"]] == [first["request_id"]]
    other_grid = file(api, neighbour, street_light(location={"grid": DUYING_GRID}))
    assert other_grid["likely_duplicates"] == []
    staff_view = body(
        api.get(f"/admin/requests/{second['request_id']}", profile="wenshang-dispatcher")
    )
    assert [d["number"] for d in staff_view["likely_duplicates"]] == [first["number"]]

    merged = act(
        api,
        "wenshang-dispatcher",
        f"/admin/requests/{second['request_id']}/triage",
        {"action": "merge_into", "merge_into": first["request_id"]},
    )
    assert merged["status"] == "merged"
    assert merged["merged_into"] == first["number"]
    mine = body(api.get(f"/requests/{second['request_id']}", token=neighbour))
    assert mine["next_action"]["zh"] == f"已与诉求 {first['number']} 合并办理"
    target = body(api.get(f"/admin/requests/{first['request_id']}", profile="wenshang-dispatcher"))
    assert "merged_in" in [e["type"] for e in target["timeline"]]
    self_merge = staff_post(
        api,
        "wenshang-dispatcher",
        f"/admin/requests/{first['request_id']}/triage",
        {"action": "merge_into", "merge_into": first["request_id"]},
    )
    assert self_merge.status_code == 409


def test_not_accepted_with_a_reason(api: ApiClient, du_ping: str) -> None:
    request_id = file(api, du_ping)["request_id"]
    path = f"/admin/requests/{request_id}/triage"
    missing = staff_post(api, "wenshang-dispatcher", path, {"action": "not_accept"})
    assert missing.status_code == 422
    refused = act(
        api, "wenshang-dispatcher", path, {"action": "not_accept", "reason": "属于司法程序事项"}
    )
    assert refused["status"] == "not_accepted"
    assert refused["not_accepted_reason"] == "属于司法程序事项"
    assert staff_post(api, "wenshang-dispatcher", path, {"action": "accept"}).status_code == 409
    assert staff_post(api, "ximen-liaison", path, {"action": "accept"}).status_code == 403


def test_a_liaison_officer_solves_it_on_the_spot(api: ApiClient, du_ping: str) -> None:
    request_id = file(api, du_ping)["request_id"]
    path = f"/admin/requests/{request_id}"
    premature = staff_post(
        api, "ximen-liaison", f"{path}/visit", {"kind": "visit", "note": "已处理", "resolves": True}
    )
    assert premature.status_code == 409  # not accepted yet
    act(api, "wenshang-dispatcher", f"{path}/triage", {"action": "accept"})
    solved = act(
        api,
        "ximen-liaison",
        f"{path}/visit",
        {"kind": "visit", "note": "联系物业当场更换灯泡", "resolves": True},
    )
    assert solved["status"] == "resolved"
    assert solved["visits"][0]["by"] == "孟昭海"


def test_routing_by_grid_and_by_the_nearest_grid(api: ApiClient, du_ping: str) -> None:
    by_grid = file(api, du_ping, street_light(location={"grid": DUYING_GRID}))
    assert by_grid["routing"]["township_name"] == "郭楼镇"
    assert by_grid["routing"]["dispatcher"] == "郭楼镇信息管理员"
    assert by_grid["address"] == "都营村第一网格"
    # Just outside the grid's area but in its township: the nearest grid there.
    near = file(
        api,
        du_ping,
        street_light(
            location={"lat": 35.70, "lng": 116.575, "address": "都营村东", "township": "370830007"}
        ),
    )
    assert near["routing"]["grid"] == DUYING_GRID and near["routing"]["exact"] is False
    assert near["routing"]["distance_m"] > 0
    # In a township with no grids and no dispatcher: the county dispatcher takes it.
    remote = file(
        api,
        du_ping,
        street_light(
            location={"lat": 35.60, "lng": 116.40, "address": "南站镇", "township": "370830003"}
        ),
    )
    assert remote["jurisdiction"] == "370830003"
    assert remote["routing"]["dispatcher"] == "赵静"
    assert remote["request_id"] in queue(api, "zwfw-dispatcher")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"category": "Weather"}, "body.category"),
        ({"description": "x" * 4001}, "body.description"),
        ({"location": {"grid": "370830001001"}}, "body.location.grid"),
        ({"location": {"grid": "370830001001001", "extra": 1}}, "body.location.extra"),
        ({"location": {"lat": 95, "lng": 116.4, "address": "北京"}}, "body.location.lat"),
        ({"location": {"lat": 35.7, "lng": 116.5, "address": "x", "datum": "x"}}, "body.location"),
        ({"location": "here"}, "body.location"),
        ({"photos": ["bad"]}, "body.photos[0]"),
        ({"photos": ["01J0000000000000000000000Z"] * 2}, "body.photos"),
    ],
)
def test_bad_requests_name_the_field(
    api: ApiClient, du_ping: str, change: dict[str, Any], field: str
) -> None:
    response = api.post("/requests", json_body=street_light(**change), token=du_ping)
    assert response.status_code == 422, response.body
    fields = [e["field"] for e in body(response)["errors"]]
    assert any(f.startswith(field) for f in fields), fields
    assert body(api.get("/requests", token=du_ping))["items"] == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"category": "weather"}, "body.category"),
        ({"location": {"lat": 39.9, "lng": 116.4, "address": "北京"}}, "body.location.lat"),
        (
            {"location": {"lat": 35.7, "lng": 116.5, "address": "x镇", "township": "370830099"}},
            "body.location.township",
        ),
        ({"location": {"grid": "370830001001009"}}, "body.location.grid"),
        ({"photos": ["01J0000000000000000000000Z"]}, "body.photos[0]"),
    ],
)
def test_a_request_referring_to_nothing_is_a_404_naming_the_field(
    api: ApiClient, du_ping: str, change: dict[str, Any], field: str
) -> None:
    response = api.post("/requests", json_body=street_light(**change), token=du_ping)
    assert response.status_code == 404, response.body
    assert [e["field"] for e in body(response)["errors"]] == [field]
    assert body(api.get("/requests", token=du_ping))["items"] == []


def test_a_photo_is_attached_once_and_only_by_its_uploader(
    api: ApiClient, sms: RecordingSms, aws: Any, pump: Any, du_ping: str
) -> None:
    photo = upload_photo(api, aws, pump, token=du_ping)
    neighbour = sign_in(api, sms, NEIGHBOUR)
    stolen = api.post("/requests", json_body=street_light(photos=[photo]), token=neighbour)
    assert stolen.status_code == 404  # not an upload of the neighbour's
    file(api, du_ping, street_light(photos=[photo]))
    twice = api.post("/requests", json_body=street_light(photos=[photo]), token=du_ping)
    assert twice.status_code == 409
    assert len(body(api.get("/requests", token=du_ping))["items"]) == 1


def test_a_photo_nobody_attaches_is_left_to_expire_and_an_attached_one_is_kept(
    api: ApiClient, aws: Any, pump: Any, du_ping: str
) -> None:
    """The upload form tags the photo unclaimed (the bucket's lifecycle deletes those after
    30 days); the request that takes it retags the checked version claimed."""
    s3, bucket = aws.client("s3"), container().settings.documents_bucket

    def state(document_id: str) -> dict[str, str]:
        (key,) = [
            o["Key"]
            for o in s3.list_objects_v2(Bucket=bucket, Prefix="uploads/").get("Contents", [])
            if o["Key"].endswith(document_id)
        ]
        return {
            t["Key"]: t["Value"] for t in s3.get_object_tagging(Bucket=bucket, Key=key)["TagSet"]
        }

    kept, left = (
        upload_photo(api, aws, pump, token=du_ping),
        upload_photo(api, aws, pump, token=du_ping),
    )
    unclaimed = dict([resources.UPLOAD_STATE_TAG])
    assert state(kept) == state(left) == unclaimed
    file(api, du_ping, street_light(photos=[kept]))
    assert state(kept) == {resources.UPLOAD_STATE_TAG[0]: resources.UPLOAD_CLAIMED}
    assert state(left) == unclaimed


def test_retried_filing_and_concurrent_triage_act_once(api: ApiClient, du_ping: str) -> None:
    headers = {"Idempotency-Key": "req-1"}
    first = api.post("/requests", json_body=street_light(), token=du_ping, headers=headers)
    retry = api.post("/requests", json_body=street_light(), token=du_ping, headers=headers)
    assert (first.status_code, retry.status_code) == (201, 200)
    assert body(first)["request_id"] == body(retry)["request_id"]
    request_id = body(first)["request_id"]
    path = f"/admin/requests/{request_id}/triage"
    assert staff_post(api, "wenshang-dispatcher", path, {"action": "accept"}).status_code == 200
    assert staff_post(api, "wenshang-dispatcher", path, {"action": "accept"}).status_code == 409
    assign = {"action": "assign", "departments": ["cgj"]}
    assert staff_post(api, "wenshang-dispatcher", path, assign).status_code == 200
    assert staff_post(api, "wenshang-dispatcher", path, assign).status_code == 409


def test_an_unrated_resolved_request_closes_after_the_rating_period(
    api: ApiClient, deps: Container, sms: RecordingSms, du_ping: str, clock: FixedClock
) -> None:
    request_id = file(api, du_ping)["request_id"]
    path = f"/admin/requests/{request_id}"
    act(api, "wenshang-dispatcher", f"{path}/triage", {"action": "assign", "departments": ["cgj"]})
    act(api, "cgj-reviewer", f"{path}/reply", {"text": "已维修", "done": True})
    clock.advance(days=deps.settings.request_rating_days - 1)
    deps.request_sweep.sweep()
    du_ping = sign_in(api, sms, DU_PING)
    assert body(api.get(f"/requests/{request_id}", token=du_ping))["status"] == "resolved"
    clock.set(clock.now() + timedelta(days=2))
    assert deps.request_sweep.sweep() == 1
    du_ping = sign_in(api, sms, DU_PING)
    closed = body(api.get(f"/requests/{request_id}", token=du_ping))
    assert closed["status"] == "closed" and closed.get("rating") is None


# ---- regressions found in review ---------------------------------------------------------


def test_a_reopened_petition_is_followed_up_by_its_department(api: ApiClient, du_ping: str) -> None:
    petition = file(api, du_ping, street_light(category="petition", description="反映补偿问题"))
    path = f"/admin/requests/{petition['request_id']}"
    act(api, "wenshang-dispatcher", f"{path}/triage", {"action": "assign", "departments": ["xfj"]})
    act(api, "xfj-reviewer", f"{path}/reply", {"text": "已答复", "done": True})
    reopened = body(
        api.post(
            f"/requests/{petition['request_id']}/rating", json_body={"level": 1}, token=du_ping
        )
    )
    assert reopened["rectification"]["follow_up"] == "not_required"
    again = act(api, "xfj-reviewer", f"{path}/reply", {"text": "重新核查并答复", "done": True})
    assert again["status"] == "resolved"


def test_a_return_goes_back_to_the_dispatcher_and_the_others_keep_their_replies(
    api: ApiClient, du_ping: str
) -> None:
    request_id = file(api, du_ping, street_light(category="road", description="路面破损"))[
        "request_id"
    ]
    path = f"/admin/requests/{request_id}"
    assign = {"action": "assign", "departments": ["cgj", "jtj"]}
    act(api, "wenshang-dispatcher", f"{path}/triage", assign)
    act(api, "cgj-reviewer", f"{path}/reply", {"text": "已处理人行道部分", "done": True})
    returned = act(
        api,
        "jtj-reviewer",
        f"{path}/return",
        {"reason": "小区道路归住建", "suggested_departments": ["zjj"]},
    )
    # cgj's reply stands; the returned part waits for the dispatcher
    assert returned["status"] == "replied"
    assert [a["status"] for a in returned["assignments"]] == ["done", "returned"]
    assert "退回部分待信息管理员改派" in returned["timeline"][-1]["title"]["zh"]
    assert "back_to_dispatcher" not in [e["type"] for e in returned["timeline"]]
    assert request_id in queue(api, "wenshang-dispatcher")
    reassigned = act(
        api, "wenshang-dispatcher", f"{path}/triage", {"action": "assign", "departments": ["zjj"]}
    )
    assert reassigned["status"] == "replied"
    assert request_id not in queue(api, "wenshang-dispatcher")
    # During a rectification, a department's return also goes back to the dispatcher.
    act(api, "zjj-reviewer", f"{path}/reply", {"text": "已修复", "done": True})
    api.post(f"/requests/{request_id}/rating", json_body={"level": 2}, token=du_ping)
    act(api, "ximen-liaison", f"{path}/visit", {"kind": "follow_up", "note": "回访"})
    act(api, "cgj-reviewer", f"{path}/reply", {"text": "复查完毕", "done": True})
    back = act(api, "zjj-reviewer", f"{path}/return", {"reason": "需交通局处理"})
    assert back["status"] == "reopened" and request_id in queue(api, "wenshang-dispatcher")
    concluded = act(
        api,
        "wenshang-dispatcher",
        f"{path}/triage",
        {"action": "conclude", "note": "城管局已一并处理完毕"},
    )
    assert concluded["status"] == "resolved"
    assert request_id not in queue(api, "wenshang-dispatcher")


def test_the_filing_liaison_officer_sees_what_was_filed(api: ApiClient) -> None:
    payload = {
        "category": "petition",
        "description": "居民反映信访事项",
        "resident_phone": "13953700007",
    }
    response = staff_post(api, "ximen-liaison", "/admin/requests", payload)
    assert response.status_code == 201, response.body
    assert body(response)["private"] is True
    elsewhere = staff_post(
        api,
        "ximen-liaison",
        "/admin/requests",
        {**payload, "category": "road", "location": {"grid": DUYING_GRID}},
    )
    assert elsewhere.status_code == 201


def test_replies_and_photos_are_bounded(api: ApiClient, du_ping: str) -> None:
    request_id = file(api, du_ping)["request_id"]
    path = f"/admin/requests/{request_id}"
    act(api, "wenshang-dispatcher", f"{path}/triage", {"action": "assign", "departments": ["cgj"]})
    twice = ["01J0000000000000000000000Z", "01J0000000000000000000000Z"]
    repeated = staff_post(
        api, "cgj-reviewer", f"{path}/reply", {"text": "进展", "done": False, "photos": twice}
    )
    assert repeated.status_code == 422
    too_long = staff_post(api, "cgj-reviewer", f"{path}/reply", {"text": "进" * 501, "done": False})
    assert too_long.status_code == 422
    for _ in range(MAX_PROGRESS_REPLIES):
        act(api, "cgj-reviewer", f"{path}/reply", {"text": "进展" * 250, "done": False})
    too_many = staff_post(api, "cgj-reviewer", f"{path}/reply", {"text": "进展", "done": False})
    assert too_many.status_code == 409
    done = act(api, "cgj-reviewer", f"{path}/reply", {"text": "完成", "done": True})
    assert done["status"] == "resolved"


def test_resolution_deadlines_escalate_on_the_hour(
    api: ApiClient, deps: Container, du_ping: str, clock: FixedClock
) -> None:
    request_id = file(api, du_ping)["request_id"]
    accepted = act(
        api, "wenshang-dispatcher", f"/admin/requests/{request_id}/triage", {"action": "accept"}
    )
    from datetime import UTC, datetime

    due = datetime.fromisoformat(accepted["resolution_due"]).astimezone(UTC)
    clock.set(due - timedelta(minutes=1))
    assert deps.request_sweep.sweep() == 0  # a minute before the end of the due day: not yet
    clock.set(due + timedelta(minutes=1))
    assert deps.request_sweep.sweep() == 1
    assert request_id in queue(api, "wenshang-supervisor")


def test_an_overdue_private_request_escalates_to_its_dispatchers(
    api: ApiClient, deps: Container, du_ping: str, clock: FixedClock
) -> None:
    petition = file(api, du_ping, street_light(category="petition", description="信访事项"))
    clock.advance(hours=deps.settings.request_accept_hours, minutes=1)
    assert deps.request_sweep.sweep() == 1
    view = body(api.get(f"/admin/requests/{petition['request_id']}", profile="wenshang-dispatcher"))
    escalation = next(e for e in view["timeline"] if e["type"] == "escalated")
    assert escalation["data"]["to"] == ["wenshang-dispatcher"]
    assert "信息管理员" in escalation["title"]["zh"]
    assert queue(api, "wenshang-supervisor") == [] and queue(api, "county-leader") == []
