"""End to end, the seed's story through the running local stack: 山东凯鲁建设工程有限公司 applies
for the SME certification, uploads its licence scan and audit report through presigned
POSTs, submits; the clerk asks for a supplement; the applicant replaces the audit report;
the clerk accepts and the parallel review starts; the applicant reads the whole timeline.
Bad inputs on the way each get their 4xx and change nothing."""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

import pytest
import requests

from devstack.demo import demo_county
from tests.e2e.conftest import RunningStack
from tests.support.applications import PDF, PNG, document_request, enterprise, mail_delivery

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def sign_in(stack: RunningStack, phone: str) -> dict[str, str]:
    assert requests.post(
        stack.url + "/auth/otp", json={"phone": phone}, timeout=10
    ).status_code in (
        202,
        429,
    )
    code = stack.outbox_code(phone)
    response = requests.post(
        stack.url + "/auth/token", json={"phone": phone, "code": code}, timeout=10
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def upload(
    stack: RunningStack,
    auth: dict[str, str],
    case_id: str,
    material: str,
    content: bytes,
    declared: dict[str, Any] | None = None,
) -> dict[str, Any]:
    request = declared or document_request(material, content)
    registered = requests.post(
        f"{stack.url}/applications/{case_id}/documents", json=request, headers=auth, timeout=10
    )
    assert registered.status_code == 201, registered.text
    form = registered.json()["upload"]
    posted = requests.post(
        form["url"],
        data=form["fields"],
        files={"file": (request["filename"], content, request["content_type"])},
        timeout=30,
    )
    assert posted.status_code in (200, 201, 204), posted.text
    return dict(registered.json()["document"])


def wait_checked(
    stack: RunningStack, auth: dict[str, str], case_id: str, document_id: str
) -> dict[str, Any]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        docs = requests.get(
            f"{stack.url}/applications/{case_id}/documents", headers=auth, timeout=10
        ).json()["items"]
        document = next(d for d in docs if d["document_id"] == document_id)
        if document["status"] != "pending":
            return dict(document)
        time.sleep(0.2)
    raise AssertionError("the document was never checked")


@pytest.fixture(scope="module")
def owner(stack: RunningStack) -> dict[str, str]:
    return sign_in(stack, "13953700002")  # a code is sent once a minute: sign in once


@pytest.fixture(scope="module")
def stranger(stack: RunningStack) -> dict[str, str]:
    return sign_in(stack, "13953700001")


@pytest.mark.parametrize("code", ["370830", "370829"])  # 汶上县, 嘉祥县: the same story in each
def test_the_sme_certificate_story(
    stack: RunningStack, owner: dict[str, str], stranger: dict[str, str], code: str
) -> None:
    county = demo_county(code)
    clerk, reviewer = county.clerk, county.handler("jxj")
    created = requests.post(
        stack.url + "/applications",
        json={"service_code": county.sme, "applicant": enterprise(), "delivery": mail_delivery()},
        headers=owner,
        timeout=10,
    )
    assert created.status_code == 201, created.text
    case_id = created.json()["id"]
    assert created.json()["number"].startswith(county.county.case_prefix)

    # bad inputs first: none of them changes the case
    too_big = document_request("licence", PDF) | {"size": 25 * 1024 * 1024}
    response = requests.post(
        f"{stack.url}/applications/{case_id}/documents", json=too_big, headers=owner, timeout=10
    )
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "body.size"
    missing = requests.post(f"{stack.url}/applications/{case_id}/submit", headers=owner, timeout=10)
    assert missing.status_code == 409  # materials missing: the draft is not ready
    assert {e["field"] for e in missing.json()["errors"]} == {
        "materials.licence",
        "materials.audit",
    }
    png_as_pdf = upload(
        stack,
        owner,
        case_id,
        "licence",
        PNG,
        document_request("licence", PNG)
        | {"content_type": "application/pdf", "filename": "licence.pdf"},
    )
    assert wait_checked(stack, owner, case_id, png_as_pdf["document_id"])["status"] == "rejected"
    wrong_sum = upload(
        stack,
        owner,
        case_id,
        "audit",
        PDF,
        document_request("audit", PDF) | {"sha256": hashlib.sha256(b"other").hexdigest()},
    )
    assert wait_checked(stack, owner, case_id, wrong_sum["document_id"])["status"] == "rejected"
    refused = requests.post(f"{stack.url}/applications/{case_id}/submit", headers=owner, timeout=10)
    assert refused.status_code == 409  # the materials are not all clean
    reasons = {e["field"]: e["message"] for e in refused.json()["errors"]}
    assert "image/png" in reasons["materials.licence"]
    assert "SHA-256" in reasons["materials.audit"]
    assert (
        requests.get(
            f"{stack.url}/applications/{case_id}", headers=stranger, timeout=10
        ).status_code
        == 404
    )

    # the real uploads
    for material in ("licence", "audit"):
        document = upload(stack, owner, case_id, material, PDF)
        assert wait_checked(stack, owner, case_id, document["document_id"])["status"] == "clean"
    submit_headers = owner | {"Idempotency-Key": f"submit-{case_id}"}
    submitted = requests.post(
        f"{stack.url}/applications/{case_id}/submit", headers=submit_headers, timeout=10
    )
    assert submitted.status_code == 200, submitted.text
    retried = requests.post(
        f"{stack.url}/applications/{case_id}/submit", headers=submit_headers, timeout=10
    )
    assert retried.status_code == 200
    assert [e["type"] for e in retried.json()["timeline"]].count("submitted") == 1
    assert (
        requests.post(
            f"{stack.url}/applications/{case_id}/submit", headers=owner, timeout=10
        ).status_code
        == 409
    )

    # the clerk's queue and the supplement request
    queue = stack.signed("GET", "/admin/queues/acceptance", clerk).json()["items"]
    assert case_id in [i["id"] for i in queue]
    seen = stack.signed("GET", f"/admin/applications/{case_id}", clerk).json()
    clean = [d for d in seen["documents"] if d["status"] == "clean"]
    assert len(clean) == 2
    assert requests.get(clean[0]["download_url"], timeout=10).content == PDF
    assert seen["applicant"]["contact"]["phone"] == "139****0002"
    supplement = {
        "decision": "supplement",
        "materials": [{"material_code": "audit", "reason": "审计报告缺少事务所签章页"}],
    }
    asked = stack.signed("POST", f"/admin/applications/{case_id}/acceptance", clerk, supplement)
    assert asked.status_code == 200, asked.text
    view = requests.get(f"{stack.url}/applications/{case_id}", headers=owner, timeout=10).json()
    assert view["status"] == "supplement_required" and view["time"]["paused"]
    assert view["next_action"]["materials"] == ["audit"]

    replacement = upload(stack, owner, case_id, "audit", PDF + b"% signed page\n")
    assert wait_checked(stack, owner, case_id, replacement["document_id"])["status"] == "clean"
    sent = requests.post(
        f"{stack.url}/applications/{case_id}/supplement", headers=owner, timeout=10
    )
    assert sent.status_code == 200, sent.text

    accepted = stack.signed(
        "POST", f"/admin/applications/{case_id}/acceptance", clerk, {"decision": "accept"}
    )
    assert accepted.status_code == 200, accepted.text
    again = stack.signed(
        "POST", f"/admin/applications/{case_id}/acceptance", clerk, {"decision": "accept"}
    )
    assert again.status_code in (200, 409)

    final = requests.get(f"{stack.url}/applications/{case_id}", headers=owner, timeout=10).json()
    assert final["status"] == "in_review"
    assert final["applicant"]["contact"]["phone"] == "13953700002"
    types = [e["type"] for e in final["timeline"]]
    for expected in (
        "created",
        "document_rejected",
        "document_checked",
        "submitted",
        "documents_accessed",
        "supplement_requested",
        "supplemented",
        "accepted",
        "review_started",
    ):
        assert expected in types, (expected, types)
    assert types.index("submitted") < types.index("supplement_requested") < types.index("accepted")
    assert final["current_step"]["holder"]["departments"] == ["jxj"]
    assert final["time"]["promised_due"] and final["time"]["legal_due"]

    # the parallel review really started: one execution named after the case, and a review
    # task with its token for the one reviewing department on the review queue
    import boto3

    local = json.loads((stack.local / "stack.json").read_text())
    session = boto3.session.Session(
        aws_access_key_id="x", aws_secret_access_key="x", region_name=local["region"]
    )
    sfn = session.client("stepfunctions", endpoint_url=local["aws_endpoint"])
    execution = sfn.describe_execution(
        executionArn=local["state_machine_arn"].replace(":stateMachine:", ":execution:")
        + f":{case_id}"
    )
    assert execution["status"] == "RUNNING"
    deadline = time.monotonic() + 15
    tasks: list[dict[str, Any]] = []
    while not tasks and time.monotonic() < deadline:
        queue = stack.signed("GET", "/admin/queues/review", reviewer).json()["items"]
        tasks = [t for t in queue if t["case_id"] == case_id]
        time.sleep(0.2)
    assert [(t["department"], t["status"]) for t in tasks] == [("jxj", "open")]
