"""Regressions of the defects found from outside (issue 10): one visibility rule, roles
checked before bodies, masking, bounds enforced in the write, idempotency fingerprints, the
exact contract (Location, GET → PUT), time and datum conventions."""

from __future__ import annotations

import csv
import io
import threading
from datetime import datetime
from typing import Any

import pytest

from chalicelib.deps import Container
from chalicelib.domain.application_parts import Document, DocumentStatus
from chalicelib.domain.geo import wgs84_to_gcj02
from chalicelib.domain.request_parts import MAX_COMMENTS
from chalicelib.errors import Conflict
from tests.conftest import ApiClient, RecordingSms, body, sign_in
from tests.support.applications import (
    SME,
    create,
    enterprise,
    id_number,
    mail_delivery,
    ready_sme,
    upload,
)
from tests.support.requests import act, file, queue, staff_post, street_light

RESIDENT = "13953700001"
APPLICANT = "13953700002"


@pytest.fixture
def resident(api: ApiClient, sms: RecordingSms) -> str:
    return sign_in(api, sms, RESIDENT)


@pytest.fixture
def applicant(api: ApiClient, sms: RecordingSms) -> str:
    return sign_in(api, sms, APPLICANT)


def petition(api: ApiClient, token: str) -> dict[str, Any]:
    filed = file(api, token, street_light(category="petition", description="反映征地补偿问题"))
    path = f"/admin/requests/{filed['request_id']}/triage"
    act(api, "wenshang-dispatcher", path, {"action": "assign", "departments": ["xfj", "cgj"]})
    return filed


# ---- 1-3: one visibility rule; roles, not departments -------------------------------------


def test_a_private_request_is_in_no_department_scope_nor_export_of_those_who_may_not_read_it(
    api: ApiClient, resident: str
) -> None:
    private = petition(api, resident)["request_id"]
    public = file(api, resident)["request_id"]
    for scope in ("dept:xfj", "dept:cgj"):
        listed = body(api.get(f"/admin/cases?scope={scope}&kind=request", profile="county-leader"))
        assert private not in [c["id"] for c in listed["items"]], scope
        exported = api.get(f"/admin/exports/cases.csv?scope={scope}", profile="county-leader")
        assert exported.status_code == 200
        assert private not in exported.body.decode(), scope
    assert api.get(f"/admin/requests/{private}", profile="county-leader").status_code == 404
    # its handlers still read it, and the public request is listed
    assert api.get(f"/admin/requests/{private}", profile="xfj-reviewer").status_code == 200
    everything = body(api.get("/admin/cases?kind=request", profile="county-leader"))
    assert [c["id"] for c in everything["items"]] == [public]


def test_only_a_departments_handlers_reply_and_return_for_it(api: ApiClient, resident: str) -> None:
    asked = file(api, resident, street_light(category="consultation", description="咨询办事流程"))
    path = f"/admin/requests/{asked['request_id']}"
    act(api, "wenshang-dispatcher", f"{path}/triage", {"action": "assign", "departments": ["zwfw"]})
    done = {"text": "已电话答复", "done": True}
    for profile in ("catalogue-admin", "zwfw-clerk", "zwfw-issuer"):
        assert staff_post(api, profile, f"{path}/reply", done).status_code == 403, profile
        assert staff_post(api, profile, f"{path}/return", {"reason": "不归我"}).status_code == 403
        assert api.get("/admin/queues/requests", profile=profile).status_code == 403, profile
    assert asked["request_id"] in queue(api, "zwfw-reviewer")
    replied = act(api, "zwfw-reviewer", f"{path}/reply", done)
    assert replied["status"] == "resolved"


@pytest.mark.parametrize(
    ("profile", "method", "path", "payload"),
    [
        ("zwfw-clerk", "POST", "/admin/requests/01M8DBP780000000000000000A/triage", {"x": 1}),
        ("ximen-liaison", "POST", "/admin/requests/01M8DBP780000000000000000A/reply", {}),
        ("jxj-reviewer", "POST", "/admin/applications/01M8DBP780000000000000000A/acceptance", {}),
        ("zwfw-clerk", "POST", "/admin/reviews/01M8DBP780000000000000000A-jxj/decision", {}),
        ("jxj-reviewer", "PUT", "/admin/services/370830-QR-0001", {"name": 1}),
        ("jxj-reviewer", "PUT", "/admin/calendar/2027", {"holidays": "no"}),
        ("county-leader", "POST", "/admin/open311/keys", {"partner": "BAD NAME"}),
        ("cgj-reviewer", "POST", "/admin/requests", {"resident_phone": "x"}),
        ("ximen-liaison", "GET", "/admin/stats?period=garbage", None),
        ("zwfw-clerk", "POST", "/admin/applications/not-an-id/issuance", None),
    ],
)
def test_a_staff_member_who_may_not_act_gets_403_before_the_body_is_looked_at(
    api: ApiClient, profile: str, method: str, path: str, payload: Any
) -> None:
    response = api.request(method, path, json_body=payload, profile=profile)
    assert response.status_code == 403, response.body
    assert "errors" not in body(response)


# ---- 4-5: masking -----------------------------------------------------------------------


def test_form_answers_and_free_text_are_masked_for_everyone_but_the_applicant(
    api: ApiClient, applicant: str, aws: Any, pump: Any, sms: RecordingSms
) -> None:
    typed = f"法人身份证{id_number()}，手机 139 5370 0002，地址：汶上县"
    case = create(api, applicant, form={"remarks": typed, "staff": 12})
    mine = body(api.get(f"/applications/{case['id']}", token=applicant))
    assert mine["form"]["remarks"] == typed
    api.post(
        f"/applications/{case['id']}/agents",
        json_body={"agent_phone": "13953700008", "consent": True},
        token=applicant,
    )
    agent = sign_in(api, sms, "13953700008")
    for_agent = body(api.get(f"/applications/{case['id']}", token=agent))
    number = id_number()
    assert for_agent["form"]["remarks"] == (
        f"法人身份证{number[:6]}********{number[-4:]}，手机 139****0002，地址：汶上县"
    )
    assert for_agent["form"]["staff"] == 12
    ready = ready_sme(api, aws, pump, applicant)
    api.post(f"/applications/{ready}/submit", token=applicant)
    refused = api.post(
        f"/admin/applications/{ready}/acceptance",
        json_body={"decision": "not_accept", "reason": "请联系13953700002补充营业执照"},
        profile="zwfw-clerk",
    )
    assert refused.status_code == 200
    staff_view = body(refused)
    assert staff_view["not_accepted_reason"] == "请联系139****0002补充营业执照"
    assert "13953700002" not in str(staff_view["timeline"])
    own = body(api.get(f"/applications/{ready}", token=applicant))
    assert own["not_accepted_reason"] == "请联系13953700002补充营业执照"


def test_request_text_is_masked_for_handlers_and_left_whole_for_the_filer(
    api: ApiClient, resident: str
) -> None:
    filed = file(
        api,
        resident,
        street_light(description="路灯坏了，我的电话１３９.５３７０.０００１，请回电"),
    )
    path = f"/admin/requests/{filed['request_id']}"
    seen = body(api.get(path, profile="wenshang-dispatcher"))
    assert seen["description"] == "路灯坏了，我的电话139****0001，请回电"
    own = body(api.get(f"/requests/{filed['request_id']}", token=resident))
    assert own["description"] == "路灯坏了，我的电话１３９.５３７０.０００１，请回电"
    public = body(api.get(f"/open311/v2/requests/{filed['request_id']}.json"))[0]
    assert public["description"] == "路灯坏了，我的电话139****0001，请回电"


# ---- 7-8: bounds in the write -------------------------------------------------------------


def test_comments_are_capped_and_come_back_one_by_one(api: ApiClient, resident: str) -> None:
    filed = file(api, resident)
    path = f"/requests/{filed['request_id']}/comments"
    first = api.post(path, json_body={"text": "晚上七点后最暗"}, token=resident)
    assert first.status_code == 201
    assert first.headers["Location"] == f"{path}/{body(first)['comment_id']}"
    assert body(api.get(first.headers["Location"], token=resident))["text"] == "晚上七点后最暗"
    for i in range(MAX_COMMENTS - 1):
        assert api.post(path, json_body={"text": f"补充{i}"}, token=resident).status_code == 201
    assert api.post(path, json_body={"text": "再补充"}, token=resident).status_code == 409
    page = body(api.get(f"{path}?limit=10", token=resident))
    assert len(page["items"]) == 10 and page["next_cursor"]
    assert page["items"][0]["text"] == f"补充{MAX_COMMENTS - 2}"  # newest first
    view = body(api.get(f"/requests/{filed['request_id']}", token=resident))
    assert len(view["timeline"]) == 50 and view["timeline_next_cursor"]
    older = body(
        api.get(
            f"/requests/{filed['request_id']}/timeline?cursor={view['timeline_next_cursor']}",
            token=resident,
        )
    )
    assert older["items"][0]["at"] <= view["timeline"][0]["at"]
    assert {e["event_id"] for e in older["items"]}.isdisjoint(
        e["event_id"] for e in view["timeline"]
    )


def test_uploads_and_filings_are_bounded_per_day(
    api: ApiClient, deps: Container, sms: RecordingSms
) -> None:
    deps.settings = deps.settings.model_copy(update={"uploads_per_day": 3, "requests_per_day": 2})
    token = sign_in(api, sms, RESIDENT)
    photo = _photo()
    assert [api.post("/uploads", json_body=photo, token=token).status_code for _ in range(4)] == [
        201,
        201,
        201,
        429,
    ]
    limited = api.post("/uploads", json_body=photo, token=token)
    assert int(limited.headers["Retry-After"]) > 0
    statuses = [
        api.post("/requests", json_body=street_light(), token=token).status_code for _ in range(3)
    ]
    assert statuses == [201, 201, 429]


def test_concurrent_document_registrations_never_pass_the_cap(
    api: ApiClient, deps: Container, applicant: str, clock: Any
) -> None:
    case_id = create(api, applicant)["id"]
    results: list[str] = []

    def register(i: int) -> None:
        document = Document(
            document_id=f"01M8DBP78000000000000000{i:02d}",
            material_code="licence",
            filename="licence.pdf",
            content_type="application/pdf",
            size=10,
            sha256="0" * 64,
            status=DocumentStatus.PENDING,
            requested_at=clock.now(),
            uploaded_by="citizen",
        )
        try:
            deps.case_store.put_document(case_id, document, 3)
            results.append("stored")
        except Conflict:
            results.append("refused")

    threads = [threading.Thread(target=register, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count("stored") == 3
    listed = body(api.get(f"/applications/{case_id}/documents", token=applicant))["items"]
    assert len(listed) == 3


def test_one_client_cannot_have_codes_sent_to_any_number_of_phones(
    api: ApiClient, deps: Container
) -> None:
    deps.settings = deps.settings.model_copy(update={"otp_max_per_source_hour": 3})
    statuses = [
        api.post("/auth/otp", json_body={"phone": f"1395370010{i}"}).status_code for i in range(5)
    ]
    assert statuses == [202, 202, 202, 429, 429]


# ---- 11: Idempotency-Key fingerprints -----------------------------------------------------


def test_an_idempotency_key_reused_for_another_request_is_refused(
    api: ApiClient, resident: str, applicant: str
) -> None:
    key = {"Idempotency-Key": "k-2026-001"}
    first = api.post("/requests", json_body=street_light(), token=resident, headers=key)
    again = api.post("/requests", json_body=street_light(), token=resident, headers=key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.headers["Location"] == first.headers["Location"]
    other = api.post(
        "/requests", json_body=street_light(description="另一件事情"), token=resident, headers=key
    )
    assert other.status_code == 422
    assert body(other)["errors"][0]["field"] == "header.idempotency-key"
    elsewhere = api.post(
        "/applications",
        json_body={"service_code": SME, "applicant": enterprise(), "delivery": mail_delivery()},
        token=resident,
        headers=key,
    )
    assert elsewhere.status_code == 422
    # keys are the caller's own: another citizen's same key is a new request
    theirs = api.post("/requests", json_body=street_light(), token=applicant, headers=key)
    assert theirs.status_code == 201
    assert len(body(api.get("/requests", token=resident))["items"]) == 1


# ---- 14-15: one time convention, the datum, Location, GET → PUT ----------------------------


def test_instants_are_beijing_time_everywhere(api: ApiClient, resident: str) -> None:
    filed = file(api, resident)
    assert filed["created_at"] == "2026-11-27T10:00:00+08:00"
    public = body(api.get(f"/open311/v2/requests/{filed['request_id']}.json"))[0]
    assert public["requested_datetime"] == "2026-11-27T10:00:00+08:00"
    exported = api.get("/admin/exports/cases.csv", profile="county-leader").body.decode()
    rows = list(csv.reader(io.StringIO(exported.lstrip("\ufeff"))))
    assert rows[1][9] == "2026-11-27T10:00:00+08:00"
    assert datetime.fromisoformat(filed["deadline"]).utcoffset().total_seconds() == 8 * 3600


def _photo() -> dict[str, Any]:
    return {"filename": "a.jpg", "content_type": "image/jpeg", "size": 100, "sha256": "0" * 64}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"anonymous": 0}, "body.anonymous"),
        ({"private": "true"}, "body.private"),
        ({"description": 12345678}, "body.description"),
        ({"location": {"lat": "35.73", "lng": 116.49, "address": "南门"}}, "body.location.lat"),
    ],
)
def test_json_values_are_taken_as_their_json_type(
    api: ApiClient, resident: str, overrides: dict[str, Any], field: str
) -> None:
    refused = api.post("/requests", json_body=street_light(**overrides), token=resident)
    assert refused.status_code == 422, refused.body
    assert field in [e["field"] for e in body(refused)["errors"]]
    not_a_number = api.post(
        "/requests",
        body=b'{"category": "streetlight", "description": "no light", "location": '
        b'{"lat": NaN, "lng": 116.49, "address": "x"}}',
        headers={"Content-Type": "application/json"},
        token=resident,
    )
    assert not_a_number.status_code == 400
    whole = api.post("/uploads", json_body={**_photo(), "size": 2048.0}, token=resident)
    assert whole.status_code == 201, whole.body  # JSON Schema: 2048.0 is an integer


def test_a_gcj02_point_is_converted_before_it_is_routed(api: ApiClient, resident: str) -> None:
    # 西门社区第二网格 (…002, lng 116.4816-116.4866) lies just west of 亲水湾 (…001,
    # 116.487-116.492). GCJ-02 shifts this area about 500 m east, so a point of the second
    # grid written in GCJ-02 and read as WGS-84 would land in 亲水湾.
    wgs = (116.4850, 35.7325)
    gcj = wgs84_to_gcj02(*wgs)
    assert 116.487 < gcj[0] < 116.492
    as_gcj = file(
        api,
        resident,
        street_light(location={"lat": gcj[1], "lng": gcj[0], "datum": "gcj02", "address": "南门"}),
    )
    as_wgs = file(
        api, resident, street_light(location={"lat": wgs[1], "lng": wgs[0], "address": "南门"})
    )
    assert as_gcj["routing"]["grid"] == as_wgs["routing"]["grid"] == "370830001001002"
    assert as_gcj["datum"] == "wgs84"
    assert abs(as_gcj["location"][0] - wgs[0]) < 1e-6
    assert abs(as_gcj["location"][1] - wgs[1]) < 1e-6
    # and the other way round: the same numbers taken as WGS-84 are in 亲水湾
    misread = file(
        api, resident, street_light(location={"lat": gcj[1], "lng": gcj[0], "address": "南门"})
    )
    assert misread["routing"]["grid"] == "370830001001001"


def test_created_resources_say_where_they_are(api: ApiClient, resident: str) -> None:
    response = api.post("/requests", json_body=street_light(), token=resident)
    assert response.status_code == 201
    assert api.get(response.headers["Location"], token=resident).status_code == 200
    issued = api.post(
        "/admin/open311/keys", json_body={"partner": "map-app"}, profile="catalogue-admin"
    )
    assert issued.status_code == 201
    record = api.get(issued.headers["Location"], profile="catalogue-admin")
    assert body(record)["partner"] == "map-app" and "api_key" not in body(record)


def test_the_guide_read_with_get_can_be_put_back_edited(api: ApiClient) -> None:
    guide = body(api.get(f"/services/{SME}"))
    guide["promised_days"] = guide["promised_days"] + 1
    saved = api.put(f"/admin/services/{SME}", json_body=guide, profile="catalogue-admin")
    assert saved.status_code == 200, saved.body
    assert body(saved)["version"] == 2
    # the read-only fields must still match what GET returned for the current version
    stale = dict(guide)  # still says version 1
    stale["promised_days"] = guide["promised_days"] + 1
    assert (
        api.put(f"/admin/services/{SME}", json_body=stale, profile="catalogue-admin").status_code
        == 412
    )
    fresh = body(api.get(f"/services/{SME}"))
    fresh["type_label"] = {"zh": "改了", "en": "changed"}
    wrong = api.put(f"/admin/services/{SME}", json_body=fresh, profile="catalogue-admin")
    assert wrong.status_code == 422
    assert [e["field"] for e in body(wrong)["errors"]] == ["body.type_label"]


# ---- found by a review pass over the fixes above ------------------------------------------


def test_a_number_cut_by_an_excerpt_is_masked_before_the_cut(api: ApiClient, resident: str) -> None:
    number = id_number()
    text = "路灯坏" + "了" * 61 + f"，身份证{number}"  # the ID straddles the 80-character excerpt
    filed = file(api, resident, street_light(description=text))
    listed = body(api.get("/admin/queues/requests", profile="wenshang-dispatcher"))
    excerpt = next(i["excerpt"] for i in listed["items"] if i["request_id"] == filed["request_id"])
    assert number[6:14] not in excerpt  # the birth date, which the cut used to leave in
    assert excerpt.endswith("身份证370830******")


def test_only_the_staff_who_work_on_an_application_see_it_and_its_documents(
    api: ApiClient, applicant: str, aws: Any, pump: Any
) -> None:
    ready = ready_sme(api, aws, pump, applicant)
    assert api.post(f"/applications/{ready}/submit", token=applicant).status_code == 200
    path = f"/admin/applications/{ready}"
    for profile in ("catalogue-admin", "zwfw-dispatcher", "zwfw-reviewer", "wenshang-dispatcher"):
        assert api.get(path, profile=profile).status_code == 404, profile
    clerk = body(api.get(path, profile="zwfw-clerk"))
    assert all(d["download_url"] for d in clerk["documents"])
    leader = body(api.get(path, profile="county-leader"))  # reads the case, not the scans
    assert leader["documents"] and not any(d.get("download_url") for d in leader["documents"])


def test_numbers_in_form_numbers_names_addresses_and_filenames_are_masked_for_others(
    api: ApiClient, applicant: str, aws: Any, pump: Any, sms: RecordingSms
) -> None:
    number = id_number()
    delivery = mail_delivery()
    delivery["address"]["recipient"] = "赵成凯13953700002"
    case = create(
        api,
        applicant,
        form={"contact": 13953700002, "staff": 12},
        applicant=enterprise(legal_representative=f"赵成凯{number}"),
        delivery=delivery,
    )
    upload(api, aws, pump, applicant, case["id"], "licence", filename=f"身份证{number}.pdf")
    api.post(
        f"/applications/{case['id']}/agents",
        json_body={"agent_phone": "13953700008", "consent": True},
        token=applicant,
    )
    agent = sign_in(api, sms, "13953700008")
    seen = body(api.get(f"/applications/{case['id']}", token=agent))
    assert seen["form"] == {"contact": "139****0002", "staff": 12}
    assert seen["applicant"]["legal_representative"] == f"赵成凯{number[:6]}********{number[-4:]}"
    assert seen["delivery"]["address"]["recipient"] == "赵成凯139****0002"
    assert seen["documents"][0]["filename"] == f"身份证{number[:6]}********{number[-4:]}.pdf"
    listed = body(api.get(f"/applications/{case['id']}/documents", token=agent))
    assert number not in str(listed)
    own = body(api.get(f"/applications/{case['id']}", token=applicant))
    assert own["form"]["contact"] == 13953700002
    assert own["documents"][0]["filename"] == f"身份证{number}.pdf"


@pytest.mark.parametrize(
    ("content_type", "payload"),
    [
        (
            "multipart/form-data; boundary=b",
            b'--b\r\nContent-Disposition: form-data; name="phone"\r\n'
            b"Content-Type: text/plain; charset=foo\r\n\r\n13953700001\r\n--b--\r\n",
        ),
        (
            "multipart/form-data; boundary=b",
            b'--b\r\nContent-Disposition: form-data; name="phone"\r\n'
            b"Content-Type: message/rfc822\r\n\r\nSubject: x\r\n\r\nhi\r\n--b--\r\n",
        ),
        (
            "multipart/form-data; boundary=b",
            b'--b\r\nContent-Disposition: form-data; name="phone"\r\n'
            b"Content-Type: multipart/mixed; boundary=c\r\n\r\n--c\r\n\r\nx\r\n--c--\r\n--b--\r\n",
        ),
        ("application/json", b"[" * 100_000),
        ("application/json", b'{"phone": ' + b"[" * 2_000 + b"]" * 2_000 + b"}"),
    ],
)
def test_hostile_open311_bodies_get_a_geo_report_4xx(
    api: ApiClient, content_type: str, payload: bytes
) -> None:
    response = api.request(
        "POST", "/open311/v2/requests.json", body=payload, headers={"Content-Type": content_type}
    )
    # 400; or, where the part is readable after all (an unknown charset is read as UTF-8),
    # the 403 for the missing api_key
    assert response.status_code in (400, 403), response.body
    assert body(response)[0]["code"] == response.status_code


def test_open311_takes_form_multipart_or_json_and_refuses_other_media_types(
    api: ApiClient,
) -> None:
    response = api.request(
        "POST",
        "/open311/v2/requests.json",
        body=b"api_key=x",
        headers={"Content-Type": "text/plain"},
    )
    assert response.status_code == 415
    assert body(response)[0]["code"] == 415


@pytest.mark.parametrize("depth", [33, 900, 5_000])
def test_deeply_nested_bodies_are_a_400_naming_the_body(
    api: ApiClient, resident: str, depth: int
) -> None:
    payload = b'{"category": ' + b"[" * depth + b"]" * depth + b"}"
    for path in ("/requests", "/applications/01JXXXXXXXXXXXXXXXXXXXXXXX/submit"):
        response = api.request(
            "POST",
            path,
            body=payload,
            headers={"Content-Type": "application/json", "Idempotency-Key": f"deep-{depth}"},
            token=resident,
        )
        assert response.status_code in (400, 404), (path, response.body)
        if path == "/requests":
            assert body(response)["errors"][0]["field"] == "body"


def test_a_document_deleted_while_the_application_is_submitted_stops_the_submission(
    api: ApiClient, applicant: str, aws: Any, pump: Any, deps: Container
) -> None:
    ready = ready_sme(api, aws, pump, applicant)
    stale = deps.case_store.load(ready)  # what submit read, a moment before the delete landed
    licence = next(d for d in stale.documents if d.material_code == "licence")
    deleted = api.request(
        "DELETE", f"/applications/{ready}/documents/{licence.document_id}", token=applicant
    )
    assert deleted.status_code == 204, deleted.body
    original = deps.case_store.load
    deps.case_store.load = lambda case_id: stale  # type: ignore[method-assign]
    try:
        response = api.post(f"/applications/{ready}/submit", token=applicant)
    finally:
        deps.case_store.load = original  # type: ignore[method-assign]
    assert response.status_code == 409, response.body
    assert body(api.get(f"/applications/{ready}", token=applicant))["status"] == "draft"


def test_location_carries_the_stage_when_the_client_called_through_it() -> None:
    from chalice.app import Request

    from chalicelib.domain.common import Strict
    from chalicelib.http.api import base_path, created, render

    def request(path: str, stage: str | None) -> Request:
        context = {"path": path, "resourcePath": "/requests", "httpMethod": "POST"}
        if stage:
            context["stage"] = stage
        event = {
            "multiValueQueryStringParameters": None,
            "headers": {},
            "pathParameters": None,
            "requestContext": context,
            "body": None,
            "isBase64Encoded": False,
            "stageVariables": None,
        }
        return Request(event)

    class Empty(Strict):
        pass

    reply = created(Empty(), "/requests/01J")
    assert (
        render(reply, 201, base_path(request("/api/requests", "api"))).headers["Location"]
        == "/api/requests/01J"
    )
    for path, stage in (("/requests", "api"), ("/requests", None)):  # custom domain, locally
        reply = created(Empty(), "/requests/01J")
        assert (
            render(reply, 201, base_path(request(path, stage))).headers["Location"]
            == "/requests/01J"
        )


def test_documented_headers_and_query_booleans_are_held_to_the_document(api: ApiClient) -> None:
    code = "370830-QR-0001"
    guide = body(api.get(f"/services/{code}"))
    bad = api.request(
        "PUT",
        f"/admin/services/{code}",
        json_body=guide,
        headers={"If-Match": "not-an-etag"},
        profile="catalogue-admin",
    )
    assert bad.status_code == 422, bad.body
    assert body(bad)["errors"][0]["field"] == "header.if-match"
    listed = api.get("/admin/cases?overdue=yes", profile="county-leader")
    assert listed.status_code == 422
    assert body(listed)["errors"][0]["field"] == "query.overdue"


def test_the_dashboard_data_asks_for_its_token_before_it_looks_at_the_query(
    api: ApiClient,
) -> None:
    response = api.get("/dashboard/data?period=nonsense")
    assert response.status_code == 401, response.body


def test_an_idempotency_key_lives_24_hours(
    api: ApiClient, resident: str, clock: Any, sms: RecordingSms
) -> None:
    headers = {"Idempotency-Key": "day-old"}
    first = api.post("/requests", json_body=street_light(), headers=headers, token=resident)
    assert first.status_code == 201
    clock.advance(hours=25)  # the record is still in the table: TTL deletes lazily
    other = street_light(description="另一处路灯也不亮了，在亲水湾小区北门。")
    token = sign_in(api, sms, RESIDENT)
    again = api.post("/requests", json_body=other, headers=headers, token=token)
    assert again.status_code == 201, again.body
    assert body(again)["request_id"] != body(first)["request_id"]


def test_department_and_jurisdiction_scopes_cut_periods_by_the_same_moment(
    api: ApiClient, applicant: str, aws: Any, pump: Any, clock: Any, sms: RecordingSms
) -> None:
    ready = ready_sme(api, aws, pump, applicant)  # drafted on 27 November
    clock.advance(days=5)
    token = sign_in(api, sms, APPLICANT)
    assert api.post(f"/applications/{ready}/submit", token=token).status_code == 200
    for scope in ("370830", "dept:zwfw"):  # received (submitted) on 2 December
        december = body(
            api.get(f"/admin/cases?scope={scope}&from=2026-12-01", profile="county-leader")
        )
        assert ready in [c["id"] for c in december["items"]], scope
        november = body(
            api.get(f"/admin/cases?scope={scope}&to=2026-11-30", profile="county-leader")
        )
        assert ready not in [c["id"] for c in november["items"]], scope
