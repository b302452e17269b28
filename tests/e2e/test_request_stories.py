"""Requests (诉求) end to end through the running local stack (`python -m devstack`, what
`make run` runs): the article's street-light story, a bad rating with its follow-up visit, a
mis-routed request returned and reassigned, an overdue request escalated by the scheduled
sweep the stack pumps, a private petition, and the same data read through Open311 in JSON
and XML. The stack runs with a seconds-long acceptance limit so the sweep has work to do."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from typing import Any
from xml.etree import ElementTree as ET

import pytest
import requests

from devstack.demo import demo_county
from tests.e2e.conftest import RunningStack, start_stack, stop_stack
from tests.e2e.test_application_story import sign_in
from tests.support.requests import JPEG, QINSHUIWAN

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]
ACCEPT_SECONDS = 4


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    running = start_stack(
        tmp_path_factory.mktemp("requests"),
        {
            "BIANMIN_REQUEST_ACCEPT_HOURS": str(ACCEPT_SECONDS / 3600),
            "BIANMIN_SCHEDULE_SECONDS": "1",
        },
    )
    yield running
    stop_stack(running)


@pytest.fixture(scope="module")
def du_ping(stack: RunningStack) -> dict[str, str]:
    return sign_in(stack, "13953700001")


@pytest.fixture(scope="module")
def neighbour(stack: RunningStack) -> dict[str, str]:
    return sign_in(stack, "13953700002")


def eventually(check: Callable[[], Any], seconds: float = 30) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError("not reached in time")


def photo(stack: RunningStack, auth: dict[str, str] | None = None, profile: str = "") -> str:
    declared = {
        "filename": "photo.jpg",
        "content_type": "image/jpeg",
        "size": len(JPEG),
        "sha256": hashlib.sha256(JPEG).hexdigest(),
    }
    if profile:
        registered = stack.signed("POST", "/admin/uploads", profile, declared)
    else:
        registered = requests.post(stack.url + "/uploads", json=declared, headers=auth, timeout=10)
    assert registered.status_code == 201, registered.text
    form = registered.json()["upload"]
    posted = requests.post(
        form["url"],
        data=form["fields"],
        files={"file": ("photo.jpg", JPEG, "image/jpeg")},
        timeout=30,
    )
    assert posted.status_code in (200, 201, 204), posted.text
    document_id = str(registered.json()["document_id"])

    def clean() -> bool:
        path = f"/admin/uploads/{document_id}" if profile else f"/uploads/{document_id}"
        response = (
            stack.signed("GET", path, profile)
            if profile
            else requests.get(stack.url + path, headers=auth, timeout=10)
        )
        return bool(response.json()["status"] == "clean")

    eventually(clean)
    return document_id


def file(
    stack: RunningStack,
    auth: dict[str, str],
    at: tuple[float, float] = QINSHUIWAN,
    **overrides: Any,
) -> dict[str, Any]:
    lng, lat = at
    payload = {
        "category": "streetlight",
        "description": "小区门前路灯不亮，晚上出行不便。",
        "location": {"lat": lat, "lng": lng, "address": "小区南门"},
        **overrides,
    }
    response = requests.post(stack.url + "/requests", json=payload, headers=auth, timeout=10)
    assert response.status_code == 201, response.text
    return dict(response.json())


def act(stack: RunningStack, profile: str, path: str, payload: dict[str, Any]) -> dict[str, Any]:
    response = stack.signed("POST", path, profile, payload)
    assert response.status_code == 200, response.text
    return dict(response.json())


def in_queue(stack: RunningStack, profile: str, request_id: str, query: str = "") -> bool:
    response = stack.signed("GET", f"/admin/queues/requests{query}", profile)
    assert response.status_code == 200, response.text
    return request_id in {i["request_id"] for i in response.json()["items"]}


def rate(stack: RunningStack, auth: dict[str, str], request_id: str, level: int) -> dict:
    response = requests.post(
        f"{stack.url}/requests/{request_id}/rating",
        json={"level": level, "comment": "谢谢" if level > 2 else "没修好"},
        headers=auth,
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


# Where the story happens in each county: a point, its grid, community and township, the
# grid's liaison officer and the township's dispatcher (names as seeded).
STREET_LIGHT = {
    "370830": ((116.4895, 35.7322), ("亲水湾小区网格", "西门社区", "汶上街道"), "孟昭海"),
    "370829": ((116.3405, 35.406), ("呈祥社区第一网格", "呈祥社区", "嘉祥街道"), "卢玉珍"),
}


@pytest.mark.parametrize("code", ["370830", "370829"])  # 汶上县, 嘉祥县: the same story in each
def test_the_street_light_story(stack: RunningStack, du_ping: dict[str, str], code: str) -> None:
    county = demo_county(code)
    point, places, liaison_name = STREET_LIGHT[code]
    created = file(stack, du_ping, at=point, photos=[photo(stack, du_ping)])
    request_id = created["request_id"]
    routing = created["routing"]
    assert (routing["grid_name"], routing["community_name"], routing["township_name"]) == places
    grid = created["jurisdiction"]
    dispatcher, liaison = county.dispatcher(grid[:9]), county.liaison(grid)
    assert liaison is not None
    assert routing["liaison"] == liaison_name
    assert routing["dispatcher"] == f"{places[2]}信息管理员"
    assert created["number"].startswith(f"{county.county.case_prefix}SQ")
    assert in_queue(stack, dispatcher, request_id)
    assert in_queue(stack, liaison, request_id)
    cgj, zjj = county.handler("cgj"), county.handler("zjj")

    path = f"/admin/requests/{request_id}"
    act(
        stack,
        dispatcher,
        f"{path}/triage",
        {
            "action": "assign",
            "departments": ["cgj", "zjj"],
            "note": "街道、市政、路灯所、开发商四方联动",
        },
    )
    act(stack, liaison, f"{path}/visit", {"kind": "visit", "note": "到现场确认路灯不亮"})
    evidence = photo(stack, profile=cgj)
    act(
        stack,
        cgj,
        f"{path}/reply",
        {"text": "路灯管理所已更换灯具，恢复照明", "photos": [evidence], "done": True},
    )
    resolved = act(stack, zjj, f"{path}/reply", {"text": "开发商已修复供电线路", "done": True})
    assert resolved["status"] == "resolved"
    closed = rate(stack, du_ping, request_id, 4)
    assert closed["status"] == "closed" and closed["rating"]["label"]["zh"] == "满意"
    types = [e["type"] for e in closed["timeline"]]
    for expected in ("submitted", "routed", "assigned", "visit", "replied", "resolved", "rated"):
        assert expected in types
    # The photo the department attached can be downloaded by the resident.
    url = closed["assignments"][0]["replies"][0]["photos"][0]["url"]
    assert requests.get(url, timeout=10).content == JPEG


def test_a_bad_rating_gets_a_follow_up_visit(stack: RunningStack, du_ping: dict[str, str]) -> None:
    resident = du_ping
    request_id = file(stack, resident, category="sanitation", description="垃圾清运不及时")[
        "request_id"
    ]
    path = f"/admin/requests/{request_id}"
    act(
        stack, "wenshang-dispatcher", f"{path}/triage", {"action": "assign", "departments": ["cgj"]}
    )
    act(stack, "cgj-reviewer", f"{path}/reply", {"text": "已清运", "done": True})
    reopened = rate(stack, resident, request_id, 1)
    assert reopened["status"] == "reopened"
    assert reopened["rectification"]["due"]
    assert in_queue(stack, "cgj-reviewer", request_id)
    act(stack, "cgj-reviewer", f"{path}/reply", {"text": "增加每日清运一次", "done": True})
    visited = act(
        stack,
        "ximen-liaison",
        f"{path}/visit",
        {"kind": "follow_up", "note": "回访：已每日清运，群众满意", "resident_satisfied": True},
    )
    assert visited["status"] == "resolved"
    assert rate(stack, resident, request_id, 5)["status"] == "closed"


def test_a_mis_routed_request_is_returned_and_reassigned(
    stack: RunningStack, du_ping: dict[str, str]
) -> None:
    resident = du_ping
    request_id = file(stack, resident, category="road", description="小区门口路面破损")[
        "request_id"
    ]
    path = f"/admin/requests/{request_id}"
    act(
        stack, "wenshang-dispatcher", f"{path}/triage", {"action": "assign", "departments": ["jtj"]}
    )
    returned = act(stack, "jtj-reviewer", f"{path}/return", {"reason": "小区内道路归住建部门管理"})
    assert returned["status"] == "accepted"
    assert in_queue(stack, "wenshang-dispatcher", request_id)
    act(
        stack, "wenshang-dispatcher", f"{path}/triage", {"action": "assign", "departments": ["zjj"]}
    )
    assert in_queue(stack, "zjj-reviewer", request_id)
    done = act(stack, "zjj-reviewer", f"{path}/reply", {"text": "已修补路面", "done": True})
    assert done["status"] == "resolved"


def test_an_overdue_request_escalates(stack: RunningStack, du_ping: dict[str, str]) -> None:
    resident = du_ping
    request_id = file(stack, resident, category="water_heat", description="小区停水一天")[
        "request_id"
    ]

    def escalated() -> bool:
        return in_queue(stack, "wenshang-supervisor", request_id)

    eventually(escalated, seconds=ACCEPT_SECONDS + 20)
    assert in_queue(stack, "county-leader", request_id)
    view = stack.signed("GET", f"/admin/requests/{request_id}", "wenshang-supervisor").json()
    assert view["escalated"] is True
    assert [e["type"] for e in view["timeline"]].count("escalated") == 1
    assert in_queue(stack, "wenshang-dispatcher", request_id, "?overdue=true")


def test_a_private_petition_and_open311(
    stack: RunningStack, du_ping: dict[str, str], neighbour: dict[str, str]
) -> None:
    resident = du_ping
    petition = file(stack, resident, category="petition", description="反映征地补偿问题")
    public = file(stack, resident, category="noise", description="夜间施工噪音扰民")
    assert petition["private"] is True
    hidden = requests.get(
        f"{stack.url}/requests/{petition['request_id']}", headers=neighbour, timeout=10
    )
    assert hidden.status_code == 404
    for outsider in ("ximen-liaison", "wenshang-supervisor", "cgj-reviewer"):
        response = stack.signed("GET", f"/admin/requests/{petition['request_id']}", outsider)
        assert response.status_code == 404
    dispatcher = stack.signed(
        "GET", f"/admin/requests/{petition['request_id']}", "wenshang-dispatcher"
    )
    assert dispatcher.status_code == 200

    listed = requests.get(
        stack.url + "/open311/v2/requests.json?jurisdiction_id=370830", timeout=10
    ).json()
    ids = {r["service_request_id"] for r in listed}
    assert public["request_id"] in ids and petition["request_id"] not in ids
    as_xml = ET.fromstring(
        requests.get(stack.url + "/open311/v2/requests.xml?jurisdiction_id=370830", timeout=10).text
    )
    assert {e.findtext("service_request_id") for e in as_xml.findall("request")} == ids
    one = requests.get(f"{stack.url}/open311/v2/requests/{public['request_id']}.xml", timeout=10)
    assert ET.fromstring(one.text).findtext("request/service_code") == "noise"
    assert (
        requests.get(
            f"{stack.url}/open311/v2/requests/{petition['request_id']}.json", timeout=10
        ).status_code
        == 404
    )
    key = (stack.local / "open311-key").read_text().strip()
    lng, lat = QINSHUIWAN
    posted = requests.post(
        stack.url + "/open311/v2/requests.json",
        data={
            "api_key": key,
            "service_code": "streetlight",
            "lat": lat,
            "long": lng,
            "description": "路灯闪烁",
            "phone": "13953700001",
        },
        timeout=10,
    )
    assert posted.status_code == 200, posted.text
    token = posted.json()[0]["token"]
    resolved = requests.get(f"{stack.url}/open311/v2/tokens/{token}.json", timeout=10).json()
    assert resolved[0]["service_request_id"] == posted.json()[0]["service_request_id"]
