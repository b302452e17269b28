"""A platform of several counties (the demo: Jining's 汶上县 370830 and 嘉祥县 370829): each
county's identity, catalogue, categories, map, staff, queues, numbers and figures are its
own; a county's staff never see another county's cases; a city's leader sees both, with the
figures rolled up."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest

from chalicelib.deps import Container
from tests.conftest import ApiClient, RecordingSms, body, sign_in
from tests.support.applications import create, ready_sme, upload
from tests.support.requests import act, file, queue, street_light

# 呈祥社区第一网格 (嘉祥街道): a point inside its polygon.
CHENGXIANG = (116.3405, 35.406)
JX_SME = "370829-QR-0001"


def jiaxiang_light(**overrides: Any) -> dict[str, Any]:
    lng, lat = CHENGXIANG
    location = {"lat": lat, "lng": lng, "address": "嘉祥县嘉祥街道呈祥社区"}
    return street_light(location=location, **overrides)


@pytest.fixture
def citizen(api: ApiClient, sms: RecordingSms) -> str:
    return sign_in(api, sms)


def test_the_platform_lists_its_counties(api: ApiClient) -> None:
    listed = body(api.get("/counties"))
    assert listed["platform"] == "济宁便民" and listed["scope"] == "370800"
    assert [(c["code"], c["name"]) for c in listed["items"]] == [
        ("370829", "嘉祥县"),
        ("370830", "汶上县"),
    ]
    assert listed["items"][0]["city"] == {"code": "370800", "name": "济宁市", "name_en": "Jining"}
    assert "boundary" not in listed["items"][0] and "sms_signature" not in listed["items"][0]


def test_catalogues_categories_and_maps_are_each_countys(api: ApiClient) -> None:
    jiaxiang = [i["code"] for i in body(api.get("/services?county=370829&limit=100"))["items"]]
    wenshang = [i["code"] for i in body(api.get("/services?county=370830&limit=100"))["items"]]
    assert all(c.startswith("370829-") for c in jiaxiang)
    assert all(c.startswith("370830-") for c in wenshang)
    assert "370829-XK-0007" in jiaxiang and "370830-XK-0007" not in wenshang
    assert "370830-XK-0006" in wenshang and "370829-XK-0006" not in jiaxiang
    # The same item, promised faster in Jiaxiang.
    ws = body(api.get("/services/370830-XK-0001"))
    jx = body(api.get("/services/370829-XK-0001"))
    assert jx["promised_days"] < ws["promised_days"]

    def sla(county: str) -> int:
        items = body(api.get(f"/categories?county={county}"))["items"]
        return next(c["sla_days"] for c in items if c["code"] == "streetlight")

    assert (sla("370830"), sla("370829")) == (3, 2)
    tree = body(api.get("/jurisdictions?county=370829&depth=1"))["items"]
    assert tree[0]["name"] == "嘉祥县" and tree[0]["children"][0]["name"] == "嘉祥街道"
    other = api.get("/jurisdictions?county=370829&parent=370830001001")
    assert other.status_code == 404 and body(other)["errors"][0]["field"] == "query.parent"

    missing = api.get("/services")
    assert missing.status_code == 422 and body(missing)["errors"][0]["field"] == "query.county"
    unknown = api.get("/categories?county=110105")  # a real county, not served here
    assert unknown.status_code == 404 and body(unknown)["errors"][0]["field"] == "query.county"


def test_a_request_goes_to_the_county_its_location_lies_in(api: ApiClient, citizen: str) -> None:
    created = file(api, citizen, jiaxiang_light())
    assert created["number"].startswith("JXSQ20261127-000001")
    assert created["jurisdiction"] == "370829001001001"
    ws = file(api, citizen)
    assert ws["number"].startswith("WSSQ20261127-000001")  # each county numbers its own
    accept = {"action": "accept"}
    jx_due = act(api, "jx-jiaxiang-dispatcher", _triage(created), accept)["deadline"]
    ws_due = act(api, "wenshang-dispatcher", _triage(ws), accept)["deadline"]
    # Accepted Friday 27 Nov: a street light is due in 2 working days in Jiaxiang, 3 in Wenshang.
    assert (jx_due, ws_due) == ("2026-12-02T00:00:00+08:00", "2026-12-03T00:00:00+08:00")

    far = api.post("/requests", json_body=street_light(location=LHASA), token=citizen)
    assert far.status_code == 404 and body(far)["errors"][0]["field"] == "body.location.lat"
    # A township names its county; the point must lie there too.
    elsewhere = dict(street_light()["location"], township="370829001")
    crossed = api.post("/requests", json_body=street_light(location=elsewhere), token=citizen)
    assert crossed.status_code == 404
    assert body(crossed)["errors"][0]["field"] == "body.location.lat"


LHASA = {"lat": 29.65, "lng": 91.1, "address": "拉萨"}


def _triage(created: dict[str, Any]) -> str:
    return f"/admin/requests/{created['request_id']}/triage"


def test_a_countys_staff_never_see_another_countys_cases(api: ApiClient, citizen: str) -> None:
    jx = file(api, citizen, jiaxiang_light())["request_id"]
    ws = file(api, citizen)["request_id"]
    assert queue(api, "jx-jiaxiang-dispatcher") == [jx]
    assert queue(api, "wenshang-dispatcher") == [ws]
    for profile in ("wenshang-dispatcher", "county-leader", "cgj-reviewer", "zwfw-supervisor"):
        seen = api.get(f"/admin/requests/{jx}", profile=profile)
        assert seen.status_code == 404, profile
    # A department code names a department in each county: the same code, two queues.
    assign = {"action": "assign", "departments": ["cgj"]}
    act(api, "jx-jiaxiang-dispatcher", f"/admin/requests/{jx}/triage", assign)
    act(api, "wenshang-dispatcher", f"/admin/requests/{ws}/triage", assign)
    assert queue(api, "jx-cgj-reviewer") == [jx]
    assert queue(api, "cgj-reviewer") == [ws]
    refused = api.post(
        f"/admin/requests/{jx}/reply",
        json_body={"text": "已修复", "done": True},
        profile="cgj-reviewer",
    )
    assert refused.status_code == 404
    assert api.get(f"/admin/requests/{jx}", profile="city-leader").status_code == 200


def test_an_application_is_filed_and_accepted_in_its_items_county(
    api: ApiClient, aws: Any, pump: Any, citizen: str
) -> None:
    case = create(api, citizen, service=JX_SME)
    assert case["number"].startswith("JX20261127-")
    for material in ("licence", "audit"):
        upload(api, aws, pump, citizen, case["id"], material)
    assert api.post(f"/applications/{case['id']}/submit", token=citizen).status_code == 200
    wenshang = ready_sme(api, aws, pump, citizen)
    api.post(f"/applications/{wenshang}/submit", token=citizen)

    def accepting(profile: str) -> list[str]:
        return [
            i["id"] for i in body(api.get("/admin/queues/acceptance", profile=profile))["items"]
        ]

    assert accepting("jx-zwfw-clerk") == [case["id"]]
    assert accepting("zwfw-clerk") == [wenshang]
    stranger = api.get(f"/admin/applications/{case['id']}", profile="zwfw-clerk")
    assert stranger.status_code == 404
    misplaced = api.post(
        "/applications",
        json_body={**_sme_payload(), "service_code": JX_SME, "jurisdiction": "370830001"},
        token=citizen,
    )
    assert misplaced.status_code == 422
    assert body(misplaced)["errors"][0]["field"] == "body.jurisdiction"


def _sme_payload() -> dict[str, Any]:
    from tests.support.applications import enterprise, mail_delivery

    return {"applicant": enterprise(), "delivery": mail_delivery()}


def test_a_citys_leader_sees_its_counties_figures_rolled_up(api: ApiClient, citizen: str) -> None:
    for payload in (jiaxiang_light(), jiaxiang_light(), street_light()):
        file(api, citizen, payload)

    def stats(profile: str, scope: str) -> Any:
        return api.get(f"/admin/stats?scope={scope}&period=2026", profile=profile)

    city = body(stats("city-leader", "370800"))
    assert city["scope_name"] == "济宁市"
    assert city["requests"]["received"] == 3
    by_county = {row["code"]: row["figures"]["received"] for row in city["by_jurisdiction"]}
    assert by_county == {"370829": 2, "370830": 1}
    assert body(stats("city-leader", "370829"))["requests"]["received"] == 2
    assert body(stats("jx-county-leader", "370829"))["requests"]["received"] == 2
    assert stats("county-leader", "370800").status_code == 403  # above a county leader
    assert stats("county-leader", "370829").status_code == 403  # another county
    assert stats("city-leader", "370000").status_code == 404  # above the platform: not held
    own_department = stats("jx-county-leader", "dept:cgj")
    assert body(own_department)["scope"] == "dept:370829:cgj"
    assert stats("county-leader", "dept:370829:cgj").status_code == 403
    assert stats("city-leader", "dept:370829:cgj").status_code == 200

    public = body(api.get("/public/stats?period=2026"))  # the platform's own scope: the city
    assert public["scope"] == "370800" and public["requests"]["received"] == 3
    assert {row["code"] for row in public["townships"]} == {"370829", "370830"}
    unknown = api.get("/public/stats?scope=370900")
    assert unknown.status_code == 404 and body(unknown)["errors"][0]["field"] == "query.scope"
    # The province above a city's platform: its figures here would be only Jining's.
    assert api.get("/public/stats?scope=370000").status_code == 404
    whose = api.get("/admin/stats?scope=dept:cgj", profile="city-leader")
    assert whose.status_code == 422 and body(whose)["errors"][0]["field"] == "query.scope"

    cases = body(api.get("/admin/cases?scope=370800&limit=2", profile="city-leader"))
    more = body(
        api.get(
            f"/admin/cases?scope=370800&limit=2&cursor={cases['next_cursor']}",
            profile="city-leader",
        )
    )
    listed = [c["jurisdiction"][:6] for c in cases["items"] + more["items"]]
    assert listed == ["370829", "370829", "370830"]  # county after county
    assert more.get("next_cursor") is None


def test_unknown_counties_are_looked_up_once_and_cached_never(
    api: ApiClient, deps: Container
) -> None:
    from devstack.metering import CallCounter

    assert api.get("/jurisdictions/110105001").status_code == 404
    counter = CallCounter(deps.clients.dynamodb)
    for made_up in ("120101001", "999999", "130102001001"):
        assert api.get(f"/jurisdictions/{made_up}").status_code == 404
    assert counter.calls.get("Query", 0) == 0  # no county's partition is read for them


def test_a_position_in_a_county_no_longer_listed_starts_the_list_again() -> None:
    from chalicelib.paging import across

    seen: list[tuple[str, Any]] = []

    def fetch(part: str, n: int, key: Any) -> tuple[list[str], Any]:
        seen.append((part, key))
        return [part], None

    found, last = across(["370829"], fetch, 5, {"part": "370830", "key": {"pk": "x"}})
    assert found == ["370829"] and last is None
    assert seen == [("370829", None)]  # never another partition's key


def test_open311_serves_each_county_by_its_jurisdiction_id(api: ApiClient, seeded: Any) -> None:
    missing = api.get("/open311/v2/services.json")
    assert missing.status_code == 400
    assert "jurisdiction_id is required" in body(missing)[0]["description"]
    jx = body(api.get("/open311/v2/services.json?jurisdiction_id=370829"))
    light = next(s for s in jx if s["service_code"] == "streetlight")
    assert "within 2 working days" in light["description"]
    discovery = body(api.get("/open311/v2/discovery.json"))
    assert "嘉祥县政务服务中心" in discovery["contact"]

    lng, lat = CHENGXIANG
    fields = {
        "api_key": seeded.open311_key,
        "service_code": "streetlight",
        "lat": str(lat),
        "long": str(lng),
        "description": "路灯不亮",
        "phone": "13953700001",
    }
    wrong = form(api, "/open311/v2/requests.json", {**fields, "jurisdiction_id": "370830"})
    assert wrong.status_code == 422, wrong.body
    assert "370829" in body(wrong)[0]["description"]
    posted = form(api, "/open311/v2/requests.json", {**fields, "jurisdiction_id": "370829"})
    assert posted.status_code == 200, posted.body
    assert body(posted)[0]["service_notice"].startswith("JXSQ")
    request_id = body(posted)[0]["service_request_id"]
    mine = f"/open311/v2/requests/{request_id}.json"
    assert api.get(f"{mine}?jurisdiction_id=370829").status_code == 200
    assert api.get(f"{mine}?jurisdiction_id=370830").status_code == 404  # not that county's
    by_id = f"/open311/v2/requests.json?service_request_id={request_id}&jurisdiction_id="
    assert len(body(api.get(f"{by_id}370829"))) == 1 and body(api.get(f"{by_id}370830")) == []
    assert api.get("/open311/v2/requests.xml?page=276").status_code == 400  # county first


def form(api: ApiClient, path: str, fields: dict[str, Any]) -> Any:
    return api.post(
        path,
        body=urlencode(fields).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )


def test_a_countys_own_holiday_moves_only_its_own_time_limits(
    api: ApiClient, deps: Container, citizen: str
) -> None:
    """嘉祥 declares Monday 30 November a local day off; 汶上 works as usual."""
    local = {"holidays": ["2026-11-30"], "workdays": []}
    loaded = api.put("/admin/calendar/2026", json_body=local, profile="jx-catalogue-admin")
    assert loaded.status_code == 200, loaded.body
    assert deps.reference.calendar("370829").is_working_day(_day("2026-11-30")) is False
    assert deps.reference.calendar("370830").is_working_day(_day("2026-11-30")) is True
    # The national arrangement still holds in Jiaxiang (1 October is a national holiday).
    assert deps.reference.calendar("370829").is_working_day(_day("2026-10-01")) is False
    # A county's own day in a year with no national arrangement yet does not make the year
    # official: its dates stay estimates.
    early = {"holidays": ["2027-03-01"], "workdays": []}
    assert (
        api.put("/admin/calendar/2027", json_body=early, profile="jx-catalogue-admin").status_code
        == 200
    )
    assert deps.reference.calendar("370829").knows(_day("2027-10-01")) is False


def _day(text: str) -> Any:
    from datetime import date

    return date.fromisoformat(text)
