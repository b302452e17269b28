"""The service halls' walk-in desk: a window clerk (or a self-service terminal) files for a
visitor, the visitor follows the case online with their phone, and takes home a receipt."""

from __future__ import annotations

import io
import threading
from typing import Any
from urllib.parse import unquote, urlparse

from pypdf import PdfReader

from chalicelib.deps import Container, container
from tests.conftest import ApiClient, RecordingSms, body, sign_in
from tests.support.applications import (
    PDF,
    SME,
    create,
    document_request,
    enterprise,
    id_number,
    mail_delivery,
    ready_sme,
)
from tests.support.requests import DUYING_GRID, upload_photo
from tests.support.requests import file as file_request

VISITOR_PHONE = "13953700021"
HALL_CLERK = "guolou-clerk"  # 郭楼镇便民服务中心 (a township's hall)
TERMINAL = "wenshang-terminal"


def visitor(**overrides: Any) -> dict[str, Any]:
    return {"name": "张桂兰", "id_number": id_number(), "phone": VISITOR_PHONE, **overrides}


def walk_in_payload(**overrides: Any) -> dict[str, Any]:
    return {
        "service_code": SME,
        "applicant": enterprise(contact={"name": "张桂兰", "phone": VISITOR_PHONE}),
        "delivery": mail_delivery(),
        "visitor": visitor(),
        **overrides,
    }


def file_walk_in(api: ApiClient, profile: str = HALL_CLERK, **kw: Any) -> Any:
    return api.post(
        "/admin/window/applications",
        json_body=walk_in_payload(**kw),
        profile=profile,
        headers={"Idempotency-Key": "walk-in-0001"},
    )


def signed_in(token: str) -> dict[str, str]:
    """A terminal's header naming the citizen signed in at it."""
    return {"X-Citizen-Token": token}


def scan(
    api: ApiClient,
    aws: Any,
    pump: Any,
    case_id: str,
    material: str,
    profile: str,
    headers: dict[str, str] | None = None,
) -> Any:
    """The clerk scans a paper material and uploads it like any applicant's file."""
    response = api.post(
        f"/admin/window/applications/{case_id}/documents",
        json_body=document_request(material),
        profile=profile,
        headers=headers,
    )
    assert response.status_code == 201, response.body
    fields = body(response)["upload"]["fields"]
    aws.client("s3").put_object(
        Bucket=container().settings.documents_bucket,
        Key=fields["key"],
        Body=PDF,
        ContentType=fields["Content-Type"],
    )
    pump.drain()
    checked = api.get(response.headers["Location"], profile=profile, headers=headers)
    assert checked.status_code == 200 and body(checked)["status"] == "clean", checked.body
    return body(response)


def _text(pdf: bytes) -> str:
    """The PDF's text, its lines joined (a phrase may wrap) and spaces dropped."""
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    return text.replace("\n", "").replace(" ", "")


def _download(aws: Any, url: str) -> bytes:
    """The object a presigned GET names (the test client does not fetch URLs)."""
    bucket = container().settings.documents_bucket
    key = unquote(urlparse(url).path.lstrip("/")).removeprefix(f"{bucket}/")
    return bytes(aws.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read())


def test_a_clerk_files_for_a_walk_in_visitor_who_then_follows_it_online(
    api: ApiClient, sms: RecordingSms, aws: Any, pump: Any
) -> None:
    # GIVEN an online application already waiting at the acceptance window
    online_owner = sign_in(api, sms, "13953700002")
    online = ready_sme(api, aws, pump, online_owner)
    assert api.post(f"/applications/{online}/submit", token=online_owner).status_code == 200
    # WHEN a township hall's clerk files one for a visitor who never signed in
    first = file_walk_in(api)
    assert first.status_code == 201, first.body
    case = body(first)
    assert case["channel"] == "window" and case["hall"] == "370830007"
    assert case["status"] == "draft"
    # the same filing repeated with its Idempotency-Key creates nothing new
    again = file_walk_in(api)
    assert again.status_code == 200 and body(again)["id"] == case["id"]
    for material in ("licence", "audit"):
        scan(api, aws, pump, case["id"], material, HALL_CLERK)
    checked = body(api.get(f"/admin/window/applications/{case['id']}", profile=HALL_CLERK))
    assert {d["status"] for d in checked["documents"]} == {"clean"}
    submitted = api.post(
        f"/admin/window/applications/{case['id']}/submit",
        profile=HALL_CLERK,
        headers={"Idempotency-Key": "walk-in-submit-1"},
    )
    assert submitted.status_code == 200, submitted.body
    assert body(submitted)["status"] == "submitted"
    # THEN the window's queue shows it with the online one, each with its channel
    queue = body(api.get("/admin/queues/acceptance", profile="zwfw-clerk"))["items"]
    assert {(i["id"], i["channel"]) for i in queue} == {(online, "app"), (case["id"], "window")}
    # the visitor signs in with the phone and finds it; the timeline names the clerk for them
    token = sign_in(api, sms, VISITOR_PHONE)
    me = body(api.get("/me", token=token))["citizen_id"]
    mine = body(api.get("/applications", token=token))["items"]
    assert [(i["id"], i["channel"]) for i in mine] == [(case["id"], "window")]
    timeline = body(api.get(f"/applications/{case['id']}", token=token))["timeline"]
    for step in ("created", "submitted"):
        actor = next(e["actor"] for e in timeline if e["type"] == step)
        assert actor["role"] == "window_clerk" and actor["id"] == HALL_CLERK
        assert actor["on_behalf_of"] == me
    # whom the clerk served: the name and the ID number masked, never the whole number
    served = next(e["data"]["visitor"] for e in timeline if e["type"] == "created")
    number = id_number()
    assert served == {"name": "张桂兰", "id_number": number[:6] + "********" + number[-4:]}
    assert number not in str(timeline)
    # the printed receipt was issued as it was submitted, before anyone read a receipt
    printed = [e for e in timeline if e["type"] == "notice_issued"]
    assert [e["data"]["kind"] for e in printed] == ["receipt"]
    # the receipt before acceptance: the latest promised date; after it, the promised one
    before = body(api.get(f"/admin/window/receipts/{case['id']}", profile=HALL_CLERK))
    assert before["number"] == case["number"] and before["promised_basis"] == "latest"
    assert before["visitor_name"] == "张桂兰"
    assert {m["material_code"] for m in before["materials"]} == {"licence", "audit"}
    accepted = api.post(
        f"/admin/applications/{case['id']}/acceptance",
        json_body={"decision": "accept"},
        profile="zwfw-clerk",
    )
    assert accepted.status_code == 200, accepted.body
    receipt = body(api.get(f"/applications/{case['id']}/receipt", token=token))
    assert receipt["number"] == case["number"] and receipt["promised_basis"] == "promised"
    assert receipt["promised_date"] == body(accepted)["time"]["promised_due"]
    assert receipt["promised_date"] <= before["promised_date"]
    assert receipt["follow_url"].endswith(f"/applications/{case['id']}")
    assert receipt["visitor_phone"] == "139****0021"
    # printed: the PDF receipt issued at submission, once, with the case number, verifiable
    assert receipt["verify_code"] == before["verify_code"] is not None
    text = _text(_download(aws, receipt["document_url"]))
    assert case["number"] in text and "受理回执" in text
    verified = api.get(f"/certificates/{receipt['verify_code']}")
    assert verified.status_code == 200 and body(verified)["number"] == case["number"]
    # nobody else's: another citizen, an online case at the desk, a reviewer
    assert api.get(f"/applications/{case['id']}/receipt", token=online_owner).status_code == 404
    assert api.get(f"/admin/window/receipts/{online}", profile=HALL_CLERK).status_code == 404
    # an online case's owner reads the same receipt, never printed (nobody walked in)
    online_receipt = body(api.get(f"/applications/{online}/receipt", token=online_owner))
    assert online_receipt["channel"] == "app" and "document_url" not in online_receipt
    assert file_walk_in(api, profile="jxj-reviewer").status_code == 403


def test_a_clerk_files_a_request_with_scanned_papers_for_a_visitor(
    api: ApiClient, sms: RecordingSms, aws: Any, pump: Any
) -> None:
    paper = upload_photo(api, aws, pump, profile=HALL_CLERK)
    payload = {
        "category": "road",
        "description": "来访群众反映都营村村口道路塌陷，雨天积水严重",
        "location": {"grid": DUYING_GRID},
        "photos": [paper],
        "visitor": visitor(),
    }
    headers = {"Idempotency-Key": "walk-in-request-1"}
    response = api.post(
        "/admin/window/requests", json_body=payload, profile=HALL_CLERK, headers=headers
    )
    assert response.status_code == 201, response.body
    filed = body(response)
    assert filed["channel"] == "window"
    repeated = api.post(
        "/admin/window/requests", json_body=payload, profile=HALL_CLERK, headers=headers
    )
    assert repeated.status_code == 200 and body(repeated)["request_id"] == filed["request_id"]
    token = sign_in(api, sms, VISITOR_PHONE)
    mine = body(api.get("/requests", token=token))["items"]
    assert [i["request_id"] for i in mine] == [filed["request_id"]]
    me = body(api.get("/me", token=token))["citizen_id"]
    seen = body(api.get(f"/requests/{filed['request_id']}", token=token))
    actor = seen["timeline"][0]["actor"]
    assert actor["role"] == "window_clerk" and actor["on_behalf_of"] == me
    receipt = body(api.get(f"/admin/window/receipts/{filed['request_id']}", profile=HALL_CLERK))
    assert receipt["kind"] == "request" and receipt["number"] == filed["number"]
    assert receipt["visitor_name"] == "张桂兰"
    number = id_number()
    assert (
        seen["timeline"][0]["data"]["visitor"]["id_number"]
        == number[:6] + "********" + (number[-4:])
    )
    assert receipt["promised_date"] and len(receipt["materials"]) == 1
    assert receipt["materials"][0]["filename"] == "light.jpg"  # as the desk uploaded it
    assert receipt["hall_name"] == "郭楼镇"
    own = api.get(f"/requests/{filed['request_id']}/receipt", token=token)
    assert own.status_code == 200 and body(own)["number"] == filed["number"]
    # printed as it was filed, like an application's receipt: the PDF names the hall, the
    # case, its category and what was received, and its code verifies publicly
    assert body(own)["verify_code"] == receipt["verify_code"] is not None
    text = _text(_download(aws, body(own)["document_url"]))
    for phrase in ("受理回执", filed["number"], receipt["title"]["zh"], "郭楼镇便民服务中心"):
        assert phrase in text, (phrase, text)
    assert "light.jpg" in text and "139****0021" in text
    verified = api.get(f"/certificates/{receipt['verify_code']}")
    assert verified.status_code == 200, verified.body
    assert body(verified)["number"] == filed["number"]
    assert body(verified)["document"] == "notice:receipt"
    assert body(verified)["case_status"] == receipt["status"]
    # once: the filing replayed with its Idempotency-Key gives back the same receipt
    again = api.post(
        "/admin/window/requests", json_body=payload, profile=HALL_CLERK, headers=headers
    )
    assert again.status_code == 200 and body(again)["request_id"] == filed["request_id"]
    reread = body(api.get(f"/admin/window/receipts/{filed['request_id']}", profile=HALL_CLERK))
    assert reread["verify_code"] == receipt["verify_code"]
    timeline = body(api.get(f"/requests/{filed['request_id']}", token=token))["timeline"]
    assert [e["data"]["kind"] for e in timeline if e["type"] == "notice_issued"] == ["receipt"]
    # an online request's receipt is never printed (nobody walked in)
    online = file_request(api, token)
    online_receipt = body(api.get(f"/requests/{online['request_id']}/receipt", token=token))
    assert online_receipt["channel"] == "app"
    assert "document_url" not in online_receipt and "verify_code" not in online_receipt


def test_a_wrong_id_check_digit_is_a_422_naming_the_field(api: ApiClient) -> None:
    good = id_number()
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    response = file_walk_in(api, visitor=visitor(id_number=wrong))
    assert response.status_code == 422
    assert response.headers["Content-Type"].startswith("application/problem+json")
    fields = [e["field"] for e in body(response)["errors"]]
    assert "body.visitor.id_number" in fields


def test_a_terminal_files_as_the_citizen_signed_in_at_it(api: ApiClient, sms: RecordingSms) -> None:
    token = sign_in(api, sms, VISITOR_PHONE)
    missing = file_walk_in(api, profile=TERMINAL)
    assert missing.status_code == 422
    assert [e["field"] for e in body(missing)["errors"]] == ["body.citizen_token"]
    other = file_walk_in(
        api, profile=TERMINAL, visitor=visitor(phone="13953700022"), citizen_token=token
    )
    assert other.status_code == 422
    assert [e["field"] for e in body(other)["errors"]] == ["body.visitor.phone"]
    response = api.post(
        "/admin/window/applications",
        json_body=walk_in_payload(citizen_token=token),
        profile=TERMINAL,
    )
    assert response.status_code == 201, response.body
    case = body(response)
    assert case["channel"] == "terminal" and case["hall"] == "370830001"
    me = body(api.get("/me", token=token))["citizen_id"]
    actor = case["timeline"][0]["actor"]
    assert actor == {"role": "applicant", "id": me, "name": actor["name"], "via": TERMINAL}
    assert [i["id"] for i in body(api.get("/applications", token=token))["items"]] == [case["id"]]
    # a clerk sends no citizen token: they act for the visitor
    clerk = file_walk_in(api, citizen_token=token)
    assert clerk.status_code == 422


def test_two_halls_filing_at_once_for_a_new_phone_make_one_citizen(
    api: ApiClient, sms: RecordingSms
) -> None:
    """The visitor's citizen record is created once, whoever files first."""
    phone = "13953700023"
    statuses: list[int] = []

    def file_at(profile: str) -> None:
        response = api.post(
            "/admin/window/applications",
            json_body=walk_in_payload(visitor=visitor(phone=phone)),
            profile=profile,
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=file_at, args=(p,)) for p in (HALL_CLERK, "zwfw-clerk")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [201, 201]
    token = sign_in(api, sms, phone)
    assert len(body(api.get("/applications", token=token))["items"]) == 2


def test_a_terminal_scans_and_submits_what_it_filed_and_no_other_terminal_can(
    api: ApiClient, sms: RecordingSms, aws: Any, pump: Any
) -> None:
    token = sign_in(api, sms, VISITOR_PHONE)
    filed = api.post(
        "/admin/window/applications",
        json_body=walk_in_payload(citizen_token=token),
        profile=TERMINAL,
    )
    case_id = body(filed)["id"]
    for material in ("licence", "audit"):
        scan(api, aws, pump, case_id, material, TERMINAL, signed_in(token))
    submitted = api.post(
        f"/admin/window/applications/{case_id}/submit",
        profile=TERMINAL,
        headers=signed_in(token),
    )
    assert submitted.status_code == 200, submitted.body
    event = body(submitted)["timeline"][-1]
    assert event["type"] == "submitted" and event["actor"]["via"] == TERMINAL
    # a window clerk of the county may print its receipt; a clerk of another county may not
    assert api.get(f"/admin/window/receipts/{case_id}", profile="zwfw-clerk").status_code == 200
    assert api.get(f"/admin/window/receipts/{case_id}", profile="jx-zwfw-clerk").status_code == 404


def test_the_next_visitor_at_a_terminal_cannot_reach_the_previous_visitor_s_case(
    api: ApiClient, sms: RecordingSms, aws: Any, pump: Any
) -> None:
    first = sign_in(api, sms, VISITOR_PHONE)
    filed = api.post(
        "/admin/window/applications",
        json_body=walk_in_payload(citizen_token=first),
        profile=TERMINAL,
    )
    case_id = body(filed)["id"]
    scanned = scan(api, aws, pump, case_id, "licence", TERMINAL, signed_in(first))
    document = (
        f"/admin/window/applications/{case_id}/documents/{scanned['document']['document_id']}"
    )
    # the next visitor signs in at the same terminal
    following = sign_in(api, sms, "13953700024")
    theirs = signed_in(following)
    case = f"/admin/window/applications/{case_id}"
    assert api.get(case, profile=TERMINAL, headers=theirs).status_code == 404
    assert api.get(document, profile=TERMINAL, headers=theirs).status_code == 404
    upload = api.post(
        f"{case}/documents",
        json_body=document_request("audit"),
        profile=TERMINAL,
        headers=theirs,
    )
    assert upload.status_code == 404
    submit = api.post(f"{case}/submit", profile=TERMINAL, headers=theirs)
    assert submit.status_code == 404
    # without a token at all: 422 naming the header, whatever the route
    for response in (
        api.get(case, profile=TERMINAL),
        api.get(document, profile=TERMINAL),
        api.post(f"{case}/documents", json_body=document_request("audit"), profile=TERMINAL),
        api.post(f"{case}/submit", profile=TERMINAL),
        api.get(f"/admin/window/receipts/{case_id}", profile=TERMINAL),
    ):
        assert response.status_code == 422, response.body
        assert [e["field"] for e in body(response)["errors"]] == ["header.x-citizen-token"]
    # the owner submits; the next visitor cannot fetch the receipt (nor its PDF link)
    scan(api, aws, pump, case_id, "audit", TERMINAL, signed_in(first))
    assert api.post(f"{case}/submit", profile=TERMINAL, headers=signed_in(first)).status_code == 200
    receipts = f"/admin/window/receipts/{case_id}"
    assert api.get(receipts, profile=TERMINAL, headers=theirs).status_code == 404
    own = api.get(receipts, profile=TERMINAL, headers=signed_in(first))
    assert own.status_code == 200 and body(own)["document_url"]
    # the timeline names only its owner acting through the terminal
    me = body(api.get("/me", token=first))["citizen_id"]
    timeline = body(api.get(f"/applications/{case_id}", token=first))["timeline"]
    assert {e["actor"]["id"] for e in timeline if e["actor"].get("via")} == {me}


def test_a_terminal_charges_the_citizen_s_own_daily_quota(
    api: ApiClient, deps: Container, sms: RecordingSms
) -> None:
    deps.settings = deps.settings.model_copy(
        update={"applications_per_day": 1, "requests_per_day": 1}
    )
    token = sign_in(api, sms, VISITOR_PHONE)
    create(api, token)  # the day's one application, online
    at_terminal = api.post(
        "/admin/window/applications",
        json_body=walk_in_payload(citizen_token=token),
        profile=TERMINAL,
    )
    assert at_terminal.status_code == 429, at_terminal.body
    # a clerk's filing for the same visitor counts against the desk's quota only
    assert file_walk_in(api).status_code == 201
    # requests too: the day's one online, then none at the terminal
    payload = {
        "category": "road",
        "description": "来访群众反映都营村村口道路塌陷，雨天积水严重",
        "location": {"grid": DUYING_GRID},
    }
    assert api.post("/requests", json_body=payload, token=token).status_code == 201
    request = api.post(
        "/admin/window/requests",
        json_body={**payload, "visitor": visitor(), "citizen_token": token},
        profile=TERMINAL,
    )
    assert request.status_code == 429, request.body
