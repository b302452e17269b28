"""Online applications through the routes: create, documents, submit, acceptance decisions,
supplements, agents, and who may see what."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from chalicelib.clock import FixedClock
from chalicelib.deps import container
from tests.conftest import ApiClient, RecordingSms, body, sign_in
from tests.support.applications import (
    COMPANY,
    PDF,
    PNG,
    SME,
    create,
    document_request,
    enterprise,
    mail_delivery,
    person,
    ready_sme,
    upload,
)

OWNER = "13953700002"


@pytest.fixture
def owner(api: ApiClient, sms: RecordingSms) -> str:
    return sign_in(api, sms, OWNER)


def test_an_enterprise_creates_a_draft(api: ApiClient, owner: str) -> None:
    case = create(api, owner)
    assert case["status"] == "draft" and case["status_label"]["zh"] == "草稿"
    assert case["number"].startswith("WS20261127-")
    assert case["service"]["name"] == "中小微企业认定证明"
    assert case["applicant"]["credit_code"] == enterprise()["credit_code"]
    assert case["next_action"]["code"] == "upload_materials"
    assert case["next_action"]["materials"] == ["licence", "audit"]
    assert case["timeline"][0]["type"] == "created"
    assert case["your_role"] == "applicant"
    assert case["time"]["promised_days"] == 1 and case["time"]["legal_days"] == 7


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            {"applicant": enterprise(credit_code="91370830MA3C4B5F1X")},
            "body.applicant.credit_code",
        ),
        ({"applicant": person(id_number="370830199001011230")}, "body.applicant.id_number"),
        ({"applicant": person(id_number="370830199002301234")}, "body.applicant.id_number"),
        ({"delivery": {"method": "mail"}}, "body.delivery.address"),
        ({"delivery": {"method": "drone"}}, "body.delivery.method"),
        ({"delivery": {"method": "pickup", "address": {}}}, "body.delivery.address"),
        ({"service_code": "370830-xx-0009"}, "body.service_code"),
        ({"applicant": {"kind": "robot"}}, "body.applicant.kind"),
        ({"applicant": {"name": "庞凯"}}, "body.applicant.kind"),
        ({"surprise": 1}, "body.surprise"),
    ],
)
def test_bad_applications_name_the_field(
    api: ApiClient, owner: str, change: dict[str, Any], field: str
) -> None:
    payload = {"service_code": SME, "applicant": enterprise(), "delivery": mail_delivery()}
    payload.update(change)
    response = api.post("/applications", json_body=payload, token=owner)
    assert response.status_code == 422, response.body
    assert any(e["field"].startswith(field) for e in body(response)["errors"]), body(response)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"service_code": "370830-XX-0009"}, "body.service_code"),
        ({"jurisdiction": "370830999"}, "body.jurisdiction"),
    ],
)
def test_an_application_referring_to_nothing_is_a_404_naming_the_field(
    api: ApiClient, owner: str, change: dict[str, Any], field: str
) -> None:
    payload = {"service_code": SME, "applicant": enterprise(), "delivery": mail_delivery()}
    response = api.post("/applications", json_body=payload | change, token=owner)
    assert response.status_code == 404, response.body
    assert [e["field"] for e in body(response)["errors"]] == [field]


def test_delivery_must_be_one_the_item_offers(api: ApiClient, owner: str) -> None:
    payload = {
        "service_code": COMPANY,
        "applicant": enterprise(),
        "delivery": {"method": "electronic"},
    }
    response = api.post("/applications", json_body=payload, token=owner)
    assert response.status_code == 409
    assert body(response)["errors"][0]["field"] == "body.delivery.method"


def test_a_repeated_create_with_the_same_idempotency_key_creates_one(
    api: ApiClient, owner: str
) -> None:
    payload = {"service_code": SME, "applicant": enterprise(), "delivery": mail_delivery()}
    headers = {"Idempotency-Key": "create-1"}
    first = api.post("/applications", json_body=payload, token=owner, headers=headers)
    again = api.post("/applications", json_body=payload, token=owner, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert body(first)["id"] == body(again)["id"]
    assert len(body(api.get("/applications", token=owner))["items"]) == 1


def test_documents_are_checked_by_type_size_and_checksum(
    api: ApiClient, owner: str, aws: Any, pump: Any
) -> None:
    case = create(api, owner)
    good = upload(api, aws, pump, owner, case["id"], "licence")
    png_as_pdf = upload(
        api,
        aws,
        pump,
        owner,
        case["id"],
        "audit",
        content=PNG,
        **document_request("audit", PNG) | {"content_type": "application/pdf"},
    )
    wrong_sum = upload(
        api,
        aws,
        pump,
        owner,
        case["id"],
        "audit",
        content=PDF,
        **document_request("audit", PDF) | {"sha256": "0" * 64},
    )
    docs = {
        d["document_id"]: d
        for d in body(api.get(f"/applications/{case['id']}/documents", token=owner))["items"]
    }
    assert docs[good["document"]["document_id"]]["status"] == "clean"
    assert docs[png_as_pdf["document"]["document_id"]]["status"] == "rejected"
    assert "image/png" in docs[png_as_pdf["document"]["document_id"]]["reason"]
    assert docs[wrong_sum["document"]["document_id"]]["status"] == "rejected"
    assert "SHA-256" in docs[wrong_sum["document"]["document_id"]]["reason"]
    submit = api.post(f"/applications/{case['id']}/submit", token=owner)
    assert submit.status_code == 409
    assert body(submit)["errors"][0]["field"] == "materials.audit"
    assert body(api.get(f"/applications/{case['id']}", token=owner))["status"] == "draft"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"size": 25 * 1024 * 1024}, "body.size"),
        ({"content_type": "application/zip"}, "body.content_type"),
        ({"sha256": "xyz"}, "body.sha256"),
        ({"material_code": "Passport!"}, "body.material_code"),
        ({"filename": "../etc/passwd"}, "body.filename"),
        ({"filename": "scan\x07.pdf"}, "body.filename"),
    ],
)
def test_bad_upload_requests_are_refused(
    api: ApiClient, owner: str, change: dict[str, Any], field: str
) -> None:
    case = create(api, owner)
    response = api.post(
        f"/applications/{case['id']}/documents",
        json_body=document_request("licence") | change,
        token=owner,
    )
    assert response.status_code == 422, response.body
    assert field in [e["field"] for e in body(response)["errors"]]


def test_the_upload_form_carries_the_conditions(api: ApiClient, owner: str) -> None:
    case = create(api, owner)
    created = body(
        api.post(
            f"/applications/{case['id']}/documents",
            json_body=document_request("licence"),
            token=owner,
        )
    )
    fields = created["upload"]["fields"]
    assert fields["Content-Type"] == "application/pdf"
    assert fields["x-amz-checksum-sha256"] and fields["key"].startswith(f"cases/{case['id']}/")
    assert created["document"]["status"] == "pending"
    assert created["upload"]["expires_in"] == 900


def test_submit_needs_every_required_material_and_acts_once(
    api: ApiClient, owner: str, aws: Any, pump: Any, clock: FixedClock
) -> None:
    case = create(api, owner)
    missing = api.post(f"/applications/{case['id']}/submit", token=owner)
    assert missing.status_code == 409
    assert {e["field"] for e in body(missing)["errors"]} == {"materials.licence", "materials.audit"}
    for material in ("licence", "audit"):
        upload(api, aws, pump, owner, case["id"], material)
    key = {"Idempotency-Key": "submit-1"}
    first = api.post(f"/applications/{case['id']}/submit", token=owner, headers=key)
    assert first.status_code == 200, first.body
    submitted = body(first)
    assert submitted["status"] == "submitted"
    # Friday 27 Nov 2026 + 1 working day = Monday 30 Nov
    assert submitted["time"]["acceptance_due"] == "2026-11-30"
    assert submitted["current_step"]["holder"]["kind"] == "window"
    retried = api.post(f"/applications/{case['id']}/submit", token=owner, headers=key)
    assert retried.status_code == 200
    assert [e["type"] for e in body(retried)["timeline"]].count("submitted") == 1
    other = api.post(f"/applications/{case['id']}/submit", token=owner)
    assert other.status_code == 409


def test_the_clerk_requests_a_supplement_once_and_the_applicant_replaces_it(
    api: ApiClient, owner: str, aws: Any, pump: Any, clock: FixedClock, sms: RecordingSms
) -> None:
    case_id = ready_sme(api, aws, pump, owner)
    api.post(f"/applications/{case_id}/submit", token=owner)
    queue = body(api.get("/admin/queues/acceptance", profile="zwfw-clerk"))["items"]
    assert [i["id"] for i in queue] == [case_id]
    decision = {
        "decision": "supplement",
        "materials": [{"material_code": "audit", "reason": "审计报告缺少会计师事务所盖章"}],
    }
    asked = api.post(
        f"/admin/applications/{case_id}/acceptance", json_body=decision, profile="zwfw-clerk"
    )
    assert asked.status_code == 200, asked.body
    assert body(asked)["status"] == "supplement_required"
    assert body(api.get("/admin/queues/acceptance", profile="zwfw-clerk"))["items"] == []
    mine = body(api.get(f"/applications/{case_id}", token=owner))
    assert mine["next_action"]["code"] == "supplement"
    assert mine["supplement"][0]["material_name"] == "第三方会计审计报告"
    assert mine["time"]["paused"] is True
    early = api.post(f"/applications/{case_id}/supplement", token=owner)
    assert early.status_code == 409 and body(early)["errors"][0]["field"] == "materials.audit"
    clock.advance(days=3)  # Monday 30 Nov; the applicant signs in again
    owner = sign_in(api, sms, OWNER)
    upload(api, aws, pump, owner, case_id, "audit")
    sent = api.post(f"/applications/{case_id}/supplement", token=owner)
    assert sent.status_code == 200, sent.body
    resumed = body(sent)
    assert resumed["status"] == "submitted" and resumed["time"]["paused"] is False
    assert resumed["time"]["acceptance_due"] == "2026-12-01"
    accepted = api.post(
        f"/admin/applications/{case_id}/acceptance",
        json_body={"decision": "accept"},
        profile="zwfw-clerk",
    )
    assert accepted.status_code == 200, accepted.body
    final = body(api.get(f"/applications/{case_id}", token=owner))
    assert final["status"] == "in_review"
    assert final["time"]["promised_due"] == "2026-12-01"
    assert final["time"]["legal_due"] == "2026-12-09"
    types = [e["type"] for e in final["timeline"]]
    # The written notices issued at their steps are on the timeline too (notice_issued).
    steps = [t for t in types if t != "notice_issued"]
    assert steps[:1] == ["created"] and steps[-4:] == [
        "document_checked",
        "supplemented",
        "accepted",
        "review_started",
    ]
    assert types.count("notice_issued") == 2  # the supplement notice, the acceptance notice
    assert "supplement_requested" in types
    executions = aws.client("stepfunctions").list_executions(stateMachineArn=_machine(aws))[
        "executions"
    ]
    assert [e["name"] for e in executions] == [case_id]


def _machine(aws: Any) -> str:
    return aws.client("stepfunctions").list_state_machines()["stateMachines"][0]["stateMachineArn"]


def test_two_clerks_deciding_at_once_one_wins(
    api: ApiClient, owner: str, aws: Any, pump: Any
) -> None:
    case_id = ready_sme(api, aws, pump, owner)
    api.post(f"/applications/{case_id}/submit", token=owner)
    statuses: list[int] = []

    def decide(decision: dict[str, Any]) -> None:
        response = api.post(
            f"/admin/applications/{case_id}/acceptance", json_body=decision, profile="zwfw-clerk"
        )
        statuses.append(response.status_code)

    threads = [
        threading.Thread(target=decide, args=({"decision": "accept"},)),
        threading.Thread(target=decide, args=({"decision": "not_accept", "reason": "材料不符"},)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 409]


@pytest.mark.parametrize(
    ("decision", "field"),
    [
        ({"decision": "not_accept"}, "body.reason"),
        ({"decision": "supplement"}, "body.materials"),
        ({"decision": "supplement", "materials": []}, "body.materials"),
        ({"decision": "maybe"}, "body.decision"),
        ({}, "body.decision"),
        (
            {"decision": "accept", "materials": [{"material_code": "audit", "reason": "xx"}]},
            "body.materials",
        ),
    ],
)
def test_bad_decisions_are_refused_and_change_nothing(
    api: ApiClient, owner: str, aws: Any, pump: Any, decision: dict[str, Any], field: str
) -> None:
    case_id = ready_sme(api, aws, pump, owner)
    api.post(f"/applications/{case_id}/submit", token=owner)
    response = api.post(
        f"/admin/applications/{case_id}/acceptance", json_body=decision, profile="zwfw-clerk"
    )
    assert response.status_code == 422, response.body
    assert field in [e["field"] for e in body(response)["errors"]]
    assert body(api.get(f"/applications/{case_id}", token=owner))["status"] == "submitted"


def test_a_supplement_naming_a_material_the_item_lacks_is_a_404(
    api: ApiClient, owner: str, aws: Any, pump: Any
) -> None:
    case_id = ready_sme(api, aws, pump, owner)
    api.post(f"/applications/{case_id}/submit", token=owner)
    decision = {
        "decision": "supplement",
        "materials": [{"material_code": "passport", "reason": "缺少"}],
    }
    response = api.post(
        f"/admin/applications/{case_id}/acceptance", json_body=decision, profile="zwfw-clerk"
    )
    assert response.status_code == 404, response.body
    assert body(response)["errors"][0]["field"] == "body.materials[0].material_code"
    assert body(api.get(f"/applications/{case_id}", token=owner))["status"] == "submitted"


def test_a_material_listed_twice_keeps_both_reasons(
    api: ApiClient, owner: str, aws: Any, pump: Any
) -> None:
    case_id = ready_sme(api, aws, pump, owner)
    api.post(f"/applications/{case_id}/submit", token=owner)
    decision = {
        "decision": "supplement",
        "materials": [
            {"material_code": "audit", "reason": "缺少盖章页"},
            {"material_code": "licence", "reason": "复印件不清晰"},
            {"material_code": "audit", "reason": "日期有误"},
        ],
    }
    response = api.post(
        f"/admin/applications/{case_id}/acceptance", json_body=decision, profile="zwfw-clerk"
    )
    assert response.status_code == 200, response.body
    mine = body(api.get(f"/applications/{case_id}", token=owner))
    assert [(m["material_code"], m["reason"]) for m in mine["supplement"]] == [
        ("audit", "缺少盖章页；日期有误"),
        ("licence", "复印件不清晰"),
    ]


def test_not_accepting_needs_the_clerk_role(
    api: ApiClient, owner: str, aws: Any, pump: Any
) -> None:
    case_id = ready_sme(api, aws, pump, owner)
    api.post(f"/applications/{case_id}/submit", token=owner)
    for profile in ("jxj-reviewer", "county-leader", "zwfw-issuer"):
        response = api.post(
            f"/admin/applications/{case_id}/acceptance",
            json_body={"decision": "accept"},
            profile=profile,
        )
        assert response.status_code == 403
    refused = api.post(
        f"/admin/applications/{case_id}/acceptance",
        json_body={"decision": "not_accept", "reason": "不属于本县管辖"},
        profile="zwfw-clerk",
    )
    assert body(refused)["status"] == "not_accepted"
    again = api.post(
        f"/admin/applications/{case_id}/acceptance",
        json_body={"decision": "accept"},
        profile="zwfw-clerk",
    )
    assert again.status_code == 409


def test_a_citizen_never_sees_another_citizens_application(
    api: ApiClient, owner: str, sms: RecordingSms, clock: FixedClock
) -> None:
    case = create(api, owner)
    clock.advance(seconds=61)
    stranger = sign_in(api, sms, "13953700009")
    for method, path in (
        ("GET", f"/applications/{case['id']}"),
        ("GET", f"/applications/{case['id']}/documents"),
        ("POST", f"/applications/{case['id']}/submit"),
        ("DELETE", f"/applications/{case['id']}/documents/01ARZ3NDEKTSV4RRFFQ69G5FAV"),
    ):
        response = api.request(method, path, token=stranger)
        assert response.status_code == 404, (method, path)
    response = api.post(
        f"/applications/{case['id']}/documents",
        json_body=document_request("licence"),
        token=stranger,
    )
    assert response.status_code == 404
    assert body(api.get("/applications", token=stranger))["items"] == []
    assert api.get("/applications/not-an-id", token=owner).status_code == 404


def test_an_agent_acts_on_the_granted_case_only(
    api: ApiClient, owner: str, sms: RecordingSms, clock: FixedClock, aws: Any, pump: Any
) -> None:
    case = create(api, owner)
    other = create(api, owner)
    granted = api.post(
        f"/applications/{case['id']}/agents",
        json_body={"agent_phone": "13953700008", "consent": True},
        token=owner,
    )
    assert granted.status_code == 200, granted.body
    agent_id = body(granted)["agents"][0]["agent_id"]
    assert body(granted)["agents"][0]["agent_phone"] == "139****0008"
    clock.advance(seconds=61)
    agent = sign_in(api, sms, "13953700008")
    view = body(api.get(f"/applications/{case['id']}", token=agent))
    assert view["your_role"] == "agent"
    assert view["applicant"]["contact"]["phone"] == "139****0002"
    assert "agents" not in view
    assert api.get(f"/applications/{other['id']}", token=agent).status_code == 404
    for material in ("licence", "audit"):
        upload(api, aws, pump, agent, case["id"], material)
    assert api.post(f"/applications/{case['id']}/submit", token=agent).status_code == 200
    assert (
        api.post(f"/applications/{case['id']}/withdraw", json_body={}, token=agent).status_code
        == 403
    )
    listed = body(api.get("/applications?role=agent", token=agent))["items"]
    assert [i["id"] for i in listed] == [case["id"]]
    revoked = api.request("DELETE", f"/applications/{case['id']}/agents/{agent_id}", token=owner)
    assert revoked.status_code == 200
    assert api.get(f"/applications/{case['id']}", token=agent).status_code == 404
    assert body(api.get("/applications?role=agent", token=agent))["items"] == []


def test_granting_needs_consent(api: ApiClient, owner: str) -> None:
    case = create(api, owner)
    response = api.post(
        f"/applications/{case['id']}/agents",
        json_body={"agent_phone": "13953700008", "consent": False},
        token=owner,
    )
    assert response.status_code == 422


def test_staff_see_cases_of_their_department_or_jurisdiction_only(
    api: ApiClient, owner: str, aws: Any, pump: Any
) -> None:
    case_id = ready_sme(api, aws, pump, owner)
    api.post(f"/applications/{case_id}/submit", token=owner)
    for profile, status in (
        ("zwfw-clerk", 200),
        ("jxj-reviewer", 200),
        ("county-leader", 200),
        ("scjg-reviewer", 404),
        ("wenshang-supervisor", 404),
        ("ximen-liaison", 404),
    ):
        response = api.get(f"/admin/applications/{case_id}", profile=profile)
        assert response.status_code == status, profile
    view = body(api.get(f"/admin/applications/{case_id}", profile="zwfw-clerk"))
    assert view["applicant"]["contact"]["phone"] == "139****0002"
    assert view["delivery"]["address"]["phone"] == "139****0002"
    assert all(d["download_url"] for d in view["documents"])
    assert view["timeline"][-1]["type"] == "documents_accessed"


def test_person_applicants_are_masked_for_staff(
    api: ApiClient, sms: RecordingSms, aws: Any, pump: Any, clock: FixedClock
) -> None:
    token = sign_in(api, sms, "13953700003")
    case = create(api, token, applicant=person())
    assert api.get(f"/admin/applications/{case['id']}", profile="zwfw-clerk").status_code == 404
    for material in ("licence", "audit"):
        upload(api, aws, pump, token, case["id"], material)
    assert api.post(f"/applications/{case['id']}/submit", token=token).status_code == 200
    assert body(api.get(f"/applications/{case['id']}", token=token))["applicant"][
        "id_number"
    ].endswith(person()["id_number"][-4:])
    staff = body(api.get(f"/admin/applications/{case['id']}", profile="zwfw-clerk"))
    assert (
        staff["applicant"]["id_number"]
        == person()["id_number"][:6] + "********" + person()["id_number"][-4:]
    )
    assert staff["applicant"]["phone"] == "139****0003"


def test_withdraw_before_a_decision(api: ApiClient, owner: str) -> None:
    case = create(api, owner)
    response = api.post(
        f"/applications/{case['id']}/withdraw", json_body={"reason": "不需要了"}, token=owner
    )
    assert body(response)["status"] == "withdrawn"
    again = api.post(f"/applications/{case['id']}/withdraw", json_body={}, token=owner)
    assert again.status_code == 409


def test_documents_can_be_removed_before_submission_only(
    api: ApiClient, owner: str, aws: Any, pump: Any
) -> None:
    case_id = ready_sme(api, aws, pump, owner)
    docs = body(api.get(f"/applications/{case_id}/documents", token=owner))["items"]
    removed = api.request(
        "DELETE", f"/applications/{case_id}/documents/{docs[0]['document_id']}", token=owner
    )
    assert removed.status_code == 204
    assert len(body(api.get(f"/applications/{case_id}/documents", token=owner))["items"]) == 1
    upload(api, aws, pump, owner, case_id, docs[0]["material_code"])
    api.post(f"/applications/{case_id}/submit", token=owner)
    remaining = body(api.get(f"/applications/{case_id}/documents", token=owner))["items"]
    locked = api.request(
        "DELETE", f"/applications/{case_id}/documents/{remaining[0]['document_id']}", token=owner
    )
    assert locked.status_code == 409


def test_my_applications_page_newest_first(api: ApiClient, owner: str, clock: FixedClock) -> None:
    ids = []
    for _ in range(5):
        clock.advance(seconds=1)
        ids.append(create(api, owner)["id"])
    first = body(api.get("/applications?limit=2", token=owner))
    assert [i["id"] for i in first["items"]] == ids[::-1][:2]
    second = body(api.get(f"/applications?limit=2&cursor={first['next_cursor']}", token=owner))
    assert [i["id"] for i in second["items"]] == ids[::-1][2:4]
    assert (
        api.get(f"/applications?role=agent&cursor={first['next_cursor']}", token=owner).status_code
        == 404
    )


def test_an_agent_removes_only_documents_the_agent_uploaded(
    api: ApiClient, owner: str, sms: RecordingSms, clock: FixedClock, aws: Any, pump: Any
) -> None:
    case = create(api, owner)
    mine = upload(api, aws, pump, owner, case["id"], "licence")
    api.post(
        f"/applications/{case['id']}/agents",
        json_body={"agent_phone": "13953700008", "consent": True},
        token=owner,
    )
    clock.advance(seconds=61)
    agent = sign_in(api, sms, "13953700008")
    theirs = upload(api, aws, pump, agent, case["id"], "audit")
    path = f"/applications/{case['id']}/documents/"
    assert (
        api.request("DELETE", path + mine["document"]["document_id"], token=agent).status_code
        == 403
    )
    assert (
        api.request("DELETE", path + theirs["document"]["document_id"], token=agent).status_code
        == 204
    )


def test_documents_cannot_change_once_the_case_is_submitted_even_by_a_stale_request(
    api: ApiClient, owner: str, aws: Any, pump: Any
) -> None:
    """The document writes carry a condition on the case's status, not only the document's."""
    from chalicelib.errors import Conflict

    case_id = ready_sme(api, aws, pump, owner)
    stale = container().case_store.load(case_id)
    assert api.post(f"/applications/{case_id}/submit", token=owner).status_code == 200
    document = stale.documents[0]
    from chalicelib.domain.application_parts import DocumentStatus

    deleted = document.model_copy(update={"status": DocumentStatus.DELETED})
    assert not container().case_store.update_document(
        case_id, deleted, document.status, only_while_open=True
    )
    with pytest.raises(Conflict):
        container().case_store.put_document(
            case_id, document.model_copy(update={"document_id": "X"}), 60
        )
    assert len(body(api.get(f"/applications/{case_id}/documents", token=owner))["items"]) == 2


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (b'{"service_code": "370830-QR-0001", "form": {"n": ' + b"9" * 40 + b"}}", 422),
        (b"[" * 100_000, 400),
        (b'{"a": ' + b"1" * 5000 + b"}", 400),
    ],
)
def test_pathological_bodies_are_client_errors(
    api: ApiClient, owner: str, raw: bytes, status: int
) -> None:
    response = api.post(
        "/applications",
        body=raw,
        headers={"Content-Type": "application/json"},
        token=owner,
    )
    assert response.status_code == status, response.body


def test_full_width_digits_are_not_a_phone(api: ApiClient) -> None:
    response = api.post("/auth/otp", json_body={"phone": "13９５３７０００08"})
    assert response.status_code == 422


def test_days_used_restart_at_acceptance(
    api: ApiClient, owner: str, aws: Any, pump: Any, clock: FixedClock, sms: RecordingSms
) -> None:
    case_id = ready_sme(api, aws, pump, owner)
    api.post(f"/applications/{case_id}/submit", token=owner)  # Friday 27 Nov
    clock.advance(days=4)  # Tuesday 1 Dec: two working days later
    accepted = api.post(
        f"/admin/applications/{case_id}/acceptance",
        json_body={"decision": "accept"},
        profile="zwfw-clerk",
    )
    time = body(accepted)["time"]
    assert time["acceptance_used_days"] == 2
    assert time["used_days"] == 0 and time["left_days"] == 1
    assert time["promised_due"] == "2026-12-02"
