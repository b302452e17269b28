"""Open311 GeoReport v2: responses validated against the GeoReport JSON schemas kept in
reference/open311 (copied from the spec), XML equal to JSON, partner keys, error arrays."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from xml.etree import ElementTree as ET

import pytest
from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from chalicelib.clock import FixedClock
from tests.conftest import ApiClient, RecordingSms, body, sign_in
from tests.support.requests import QINSHUIWAN, act, file, street_light

SCHEMAS = Path(__file__).resolve().parents[2] / "reference" / "open311"


def _schema(name: str) -> dict[str, Any]:
    return dict(json.loads((SCHEMAS / name).read_text(encoding="utf-8")))


# The schemas refer to each other as "request.json", "service.json" …
REGISTRY = Registry().with_resources(
    (
        f"{stem}.json",
        Resource.from_contents(_schema(f"{stem}.schema.json"), default_specification=DRAFT7),
    )
    for stem in ("request", "service", "service-definition")
)


def validate(payload: Any, schema_file: str) -> None:
    Draft7Validator(_schema(schema_file), registry=REGISTRY).validate(payload)


def xml_records(response: Any, root: str, item: str) -> list[dict[str, str | None]]:
    assert response.headers["Content-Type"].startswith("text/xml")
    document = ET.fromstring(response.body)
    assert document.tag == root
    return [{child.tag: child.text for child in element} for element in document.findall(item)]


def form(api: ApiClient, path: str, fields: dict[str, Any]) -> Any:
    return api.post(
        path,
        body=urlencode(fields).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )


@pytest.fixture
def citizen(api: ApiClient, sms: RecordingSms) -> str:
    return sign_in(api, sms, "13953700001")


def test_discovery_and_services_in_json_and_xml(api: ApiClient) -> None:
    discovery = body(api.get("/open311/v2/discovery.json"))
    assert discovery["endpoints"][0]["specification"] == "http://wiki.open311.org/GeoReport_v2"
    xml = ET.fromstring(api.get("/open311/v2/discovery.xml").body)
    assert xml.find("endpoints/endpoint/url").text.endswith("/open311/v2")

    services = body(api.get("/open311/v2/services.json?jurisdiction_id=370830"))
    validate(services, "services.schema.json")
    codes = [s["service_code"] for s in services]
    assert "streetlight" in codes and "petition" in codes
    light = next(s for s in services if s["service_code"] == "streetlight")
    assert light["service_name"] == "路灯照明 (Street lights)"
    assert light["metadata"] is False and light["type"] == "realtime"
    as_xml = xml_records(
        api.get("/open311/v2/services.xml?jurisdiction_id=370830"), "services", "service"
    )
    assert [s["service_code"] for s in as_xml] == codes
    assert as_xml[0]["metadata"] == "false"

    definition = body(api.get("/open311/v2/services/streetlight.json?jurisdiction_id=370830"))
    validate(definition, "service-definition.schema.json")
    assert ET.fromstring(
        api.get("/open311/v2/services/streetlight.xml?jurisdiction_id=370830").body
    ).tag == ("service_definition")


def test_errors_are_geo_report_error_arrays(api: ApiClient) -> None:
    missing = api.get("/open311/v2/services/weather.json?jurisdiction_id=370830")
    assert missing.status_code == 404
    assert body(missing) == [{"code": 404, "description": "service_code weather not found"}]
    xml = api.get("/open311/v2/services/weather.xml?jurisdiction_id=370830")
    assert xml.status_code == 404
    assert xml_records(xml, "errors", "error") == [
        {"code": "404", "description": "service_code weather not found"}
    ]
    assert api.get("/open311/v2/services.yaml").status_code == 404
    assert (
        api.get("/open311/v2/requests.json?jurisdiction_id=370830&status=pending").status_code
        == 400
    )
    assert (
        api.get("/open311/v2/requests.json?jurisdiction_id=370830&start_date=yesterday").status_code
        == 400
    )
    assert api.get("/open311/v2/requests.json?jurisdiction_id=110101").status_code == 404
    assert api.get("/open311/v2/requests/nope.json").status_code == 404
    assert api.get("/open311/v2/tokens/nope.json").status_code == 404


def test_requests_read_through_open311_carry_no_personal_data(
    api: ApiClient, citizen: str, clock: FixedClock
) -> None:
    light = file(
        api,
        citizen,
        street_light(description="路灯不亮，联系我13953700001，身份证370830199001011234"),
    )
    act(
        api,
        "wenshang-dispatcher",
        f"/admin/requests/{light['request_id']}/triage",
        {"action": "assign", "departments": ["cgj"]},
    )
    act(
        api,
        "cgj-reviewer",
        f"/admin/requests/{light['request_id']}/reply",
        {"text": "已更换灯具", "done": True},
    )
    noise = file(api, citizen, street_light(category="noise", description="夜间施工噪音"))
    listed = body(api.get("/open311/v2/requests.json?jurisdiction_id=370830"))
    validate(listed, "requests.schema.json")
    by_id = {r["service_request_id"]: r for r in listed}
    assert set(by_id) == {light["request_id"], noise["request_id"]}
    closed = by_id[light["request_id"]]
    assert closed["status"] == "closed"
    assert closed["status_notes"].startswith("已办结") and "已更换灯具" in closed["status_notes"]
    assert closed["agency_responsible"] == "县城市管理局"
    assert closed["lat"] == QINSHUIWAN[1] and closed["long"] == QINSHUIWAN[0]
    text = json.dumps(listed, ensure_ascii=False)
    assert "13953700001" not in text and "370830199001011234" not in text
    assert "139****0001" in closed["description"]
    assert by_id[noise["request_id"]]["status"] == "open"

    assert [
        r["service_request_id"]
        for r in body(api.get("/open311/v2/requests.json?jurisdiction_id=370830&status=open"))
    ] == [noise["request_id"]]
    only_noise = body(
        api.get("/open311/v2/requests.json?jurisdiction_id=370830&service_code=noise")
    )
    assert [r["service_code"] for r in only_noise] == ["noise"]
    future = body(
        api.get(
            "/open311/v2/requests.json?jurisdiction_id=370830&start_date=2027-01-01T00:00:00Z&end_date=2027-02-01T00:00:00Z"
        )
    )
    assert future == []
    unknown = "01" + "0" * 24
    picked = body(
        api.get(
            f"/open311/v2/requests.json?jurisdiction_id=370830&service_request_id={noise['request_id']},{unknown}"
        )
    )
    assert [r["service_request_id"] for r in picked] == [noise["request_id"]]
    for malformed in ("null", f"{noise['request_id']},nonexistent", f"{unknown}, {unknown}"):
        refused = api.get(
            f"/open311/v2/requests.json?jurisdiction_id=370830&service_request_id={malformed}"
        )
        assert refused.status_code == 400
        assert "service_request_id" in body(refused)[0]["description"]
    ignored_but_checked = api.get(
        f"/open311/v2/requests.json?jurisdiction_id=370830&service_request_id={unknown}&end_date=yesterday"
    )
    assert ignored_but_checked.status_code == 400
    assert "end_date" in body(ignored_but_checked)[0]["description"]

    one = body(api.get(f"/open311/v2/requests/{light['request_id']}.json"))
    validate(one, "requests.schema.json")
    as_xml = xml_records(
        api.get(f"/open311/v2/requests/{light['request_id']}.xml"), "service_requests", "request"
    )
    assert as_xml[0]["service_request_id"] == light["request_id"]
    assert as_xml[0]["status"] == "closed"
    assert as_xml[0]["description"] == one[0]["description"]
    assert as_xml[0]["lat"] == str(one[0]["lat"])
    all_xml = xml_records(
        api.get("/open311/v2/requests.xml?jurisdiction_id=370830"), "service_requests", "request"
    )
    assert {r["service_request_id"] for r in all_xml} == set(by_id)


def test_a_partner_app_posts_with_an_api_key(
    api: ApiClient, seeded: Any, sms: RecordingSms
) -> None:
    lng, lat = QINSHUIWAN
    fields = {
        "service_code": "streetlight",
        "lat": lat,
        "long": lng,
        "address_string": "亲水湾小区南门",
        "description": "路灯不亮",
        "phone": "13953700001",
        "first_name": "平",
        "last_name": "杜",
    }
    refused = form(api, "/open311/v2/requests.json", fields)
    assert refused.status_code == 403
    assert body(refused)[0]["code"] == 403
    wrong = form(api, "/open311/v2/requests.json", {**fields, "api_key": "guess"})
    assert wrong.status_code == 403

    posted = form(api, "/open311/v2/requests.json", {**fields, "api_key": seeded.open311_key})
    assert posted.status_code == 200, posted.body
    created = body(posted)
    assert created[0]["service_request_id"] and created[0]["token"]
    token = body(api.get(f"/open311/v2/tokens/{created[0]['token']}.json"))
    assert token == [
        {"service_request_id": created[0]["service_request_id"], "token": created[0]["token"]}
    ]
    public = body(api.get(f"/open311/v2/requests/{created[0]['service_request_id']}.json"))
    assert public[0]["status"] == "open" and "杜" not in json.dumps(public, ensure_ascii=False)
    # Not yet accepted: no expected date, and a field with no value is left out, not null.
    assert "expected_datetime" not in public[0] and None not in public[0].values()
    # The request is the resident's: it shows among their own requests, channel open311.
    mine = body(api.get("/requests", token=sign_in(api, sms, "13953700001")))["items"]
    assert [i["request_id"] for i in mine] == [created[0]["service_request_id"]]

    as_xml = form(api, "/open311/v2/requests.xml", {**fields, "api_key": seeded.open311_key})
    assert xml_records(as_xml, "service_requests", "request")[0]["token"]
    by_grid = form(
        api,
        "/open311/v2/requests.json",
        {
            "service_code": "sanitation",
            "address_id": "370830007001001",
            "description": "垃圾",
            "phone": "13953700001",
            "api_key": seeded.open311_key,
        },
    )
    assert by_grid.status_code == 200, by_grid.body

    for bad, word in (
        ({"service_code": "weather"}, "service_code"),
        ({"lat": "north"}, "lat"),
        ({"phone": "12345"}, "phone"),
        ({"description": ""}, "description"),
        ({"lat": "39.9", "long": "116.4"}, "lat"),
    ):
        response = form(
            api, "/open311/v2/requests.json", {**fields, **bad, "api_key": seeded.open311_key}
        )
        assert response.status_code in (400, 404), (bad, response.body)
        assert word in body(response)[0]["description"], (bad, body(response))
    no_place = {k: v for k, v in fields.items() if k not in ("lat", "long")}
    response = form(api, "/open311/v2/requests.json", {**no_place, "api_key": seeded.open311_key})
    assert response.status_code == 400


def test_the_catalogue_admin_issues_partner_keys(api: ApiClient) -> None:
    issued = api.post(
        "/admin/open311/keys", json_body={"partner": "city-app"}, profile="catalogue-admin"
    )
    assert issued.status_code == 201, issued.body
    key = body(issued)["api_key"]
    assert len(key) >= 24
    denied = api.post(
        "/admin/open311/keys", json_body={"partner": "x-app"}, profile="ximen-liaison"
    )
    assert denied.status_code == 403
    lng, lat = QINSHUIWAN
    posted = form(
        api,
        "/open311/v2/requests.json",
        {
            "service_code": "road",
            "lat": lat,
            "long": lng,
            "description": "路面塌陷",
            "phone": "13953700008",
            "api_key": key,
        },
    )
    assert posted.status_code == 200, posted.body


def test_edge_values_answer_geo_report_errors(api: ApiClient, citizen: str) -> None:
    for query in (
        "end_date=0001-02-01",  # a date, not a date-time
        "start_date=2026-01-01T00:00:00&end_date=2026-01-02T00:00:00",  # no offset
        "start_date=2026-02-30T00:00:00Z",
        "page_size=0",
        "page=2&page_size=600",
        "status=pending",
    ):
        response = api.get(f"/open311/v2/requests.json?jurisdiction_id=370830&{query}")
        assert response.status_code == 400, (query, response.body)
        assert body(response)[0]["code"] == 400
    for query in (  # years no record carries: ever since, until further notice
        "start_date=0001-01-01T00:00:00Z&end_date=0001-01-02T00:00:00Z",
        "start_date=9999-12-30T00:00:00-10:00&end_date=9999-12-31T20:00:00-10:00",
        "start_date=2026-11-02T00:00:00Z&end_date=2026-11-01T00:00:00Z",  # an empty range
    ):
        response = api.get(f"/open311/v2/requests.json?jurisdiction_id=370830&{query}")
        assert response.status_code == 200, (query, response.body)
        assert body(response) == []
    pasted = file(
        api,
        citizen,
        street_light(
            description="路灯不亮\x01\x02，电话１３９５３７０００01 或 +86 139-5370-0001",
            location={"lat": QINSHUIWAN[1], "lng": QINSHUIWAN[0], "address": "南门 13953700001"},
        ),
    )
    one = api.get(f"/open311/v2/requests/{pasted['request_id']}.xml")
    parsed = ET.fromstring(one.body)
    description = parsed.findtext("request/description")
    assert "\x01" not in description and "13953700001" not in description
    assert "1395370" not in description and "139****0001" in description
    assert "13953700001" not in parsed.findtext("request/address")
    far = api.post(
        "/requests",
        json_body=street_light(
            location={"lat": 0, "lng": 0, "address": "零点", "township": "370830003"}
        ),
        token=citizen,
    )
    assert far.status_code == 404
