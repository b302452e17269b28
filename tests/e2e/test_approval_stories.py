"""End to end on moto's executing Step Functions through the running local stack: the SME
certificate from application to rating; company registration reviewed by four departments
in parallel; a denial; an any-rule (或签) item; and, on a stack with second-long time limits,
a review that times out and escalates. Each timeline tells the whole story."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from devstack.demo import demo_county
from tests.e2e.conftest import RunningStack, start_stack, stop_stack
from tests.e2e.test_application_story import sign_in, upload, wait_checked
from tests.support.applications import COMPANY, PDF, SME, enterprise, mail_delivery

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]
FREIGHT = "370830-XK-0006"
MATERIALS = {
    SME: ("licence", "audit"),
    COMPANY: ("application", "articles", "id", "premises"),
    FREIGHT: ("application", "vehicles", "drivers"),
}


def eventually(check: Callable[[], Any], seconds: float = 30) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError("not reached in time")


def accepted_case(
    stack: RunningStack,
    auth: dict[str, str],
    service: str,
    delivery: dict[str, Any],
    clerk: str = "zwfw-clerk",
) -> str:
    created = requests.post(
        stack.url + "/applications",
        json={"service_code": service, "applicant": enterprise(), "delivery": delivery},
        headers=auth,
        timeout=10,
    )
    assert created.status_code == 201, created.text
    case_id = str(created.json()["id"])
    for material in MATERIALS[service.replace(service[:6], "370830")]:  # alike in each county
        document = upload(stack, auth, case_id, material, PDF)
        assert wait_checked(stack, auth, case_id, document["document_id"])["status"] == "clean"
    assert (
        requests.post(
            f"{stack.url}/applications/{case_id}/submit", headers=auth, timeout=10
        ).status_code
        == 200
    )
    accepted = stack.signed(
        "POST", f"/admin/applications/{case_id}/acceptance", clerk, {"decision": "accept"}
    )
    assert accepted.status_code == 200, accepted.text
    return case_id


def open_task(
    stack: RunningStack, department: str, case_id: str, reviewer: str = ""
) -> dict[str, Any]:
    def found() -> Any:
        items = stack.signed("GET", "/admin/queues/review", reviewer or f"{department}-reviewer")
        items = items.json()["items"]
        return next((t for t in items if t["case_id"] == case_id), None)

    return dict(eventually(found))


def decide(
    stack: RunningStack,
    task: dict[str, Any],
    department: str,
    decision: str,
    opinion: str,
    reviewer: str = "",
) -> None:
    response = stack.signed(
        "POST",
        f"/admin/reviews/{task['task_id']}/decision",
        reviewer or f"{department}-reviewer",
        {"decision": decision, "opinion": opinion},
    )
    assert response.status_code == 200, response.text


def case(stack: RunningStack, auth: dict[str, str], case_id: str) -> dict[str, Any]:
    return dict(
        requests.get(f"{stack.url}/applications/{case_id}", headers=auth, timeout=10).json()
    )


def wait_status(
    stack: RunningStack, auth: dict[str, str], case_id: str, status: str
) -> dict[str, Any]:
    return dict(eventually(lambda: (c := case(stack, auth, case_id))["status"] == status and c))


@pytest.fixture(scope="module")
def owner(stack: RunningStack) -> dict[str, str]:
    return sign_in(stack, "13953700002")


@pytest.mark.parametrize("code", ["370830", "370829"])  # 汶上县, 嘉祥县: the same story in each
def test_sme_certificate_from_application_to_rating(
    stack: RunningStack, owner: dict[str, str], code: str
) -> None:
    county = demo_county(code)
    reviewer, issuer = county.handler("jxj"), county.issuer
    case_id = accepted_case(stack, owner, county.sme, mail_delivery(), county.clerk)
    decide(
        stack,
        open_task(stack, "jxj", case_id, reviewer),
        "jxj",
        "approve",
        "符合中小微企业认定条件，同意认定",
        reviewer,
    )
    wait_status(stack, owner, case_id, "approved")
    issued = stack.signed(
        "POST",
        f"/admin/applications/{case_id}/issuance",
        issuer,
        {"tracking_number": "1187654321098", "carrier": "EMS"},
    )
    assert issued.status_code == 200, issued.text
    verification = issued.json()["certificate"]["code"]
    public = requests.get(f"{stack.url}/certificates/{verification}", timeout=10).json()
    assert public["status"] == "valid" and "公司" in public["holder"]
    # The county's own numbering and issuing authority.
    assert public["number"].startswith(f"{county.county.case_prefix}-")
    assert public["issuer"] == f"{county.county.service_centre}（统一出件）"
    link = requests.get(
        f"{stack.url}/applications/{case_id}/certificate", headers=owner, timeout=10
    ).json()
    assert requests.get(link["url"], timeout=10).content.startswith(b"%PDF-")
    delivered = stack.signed("POST", f"/admin/applications/{case_id}/delivered", issuer, {})
    assert delivered.json()["status"] == "completed"
    rated = requests.post(
        f"{stack.url}/applications/{case_id}/rating",
        json={"level": 5, "comment": "一天办好"},
        headers=owner,
        timeout=10,
    )
    assert rated.status_code == 200, rated.text
    final = rated.json()
    assert final["on_time"] is True and final["rating"]["label"]["zh"] == "非常满意"
    types = [e["type"] for e in final["timeline"]]
    story = [
        "created",
        "document_checked",
        "submitted",
        "accepted",
        "review_started",
        "review_requested",
        "review_decided",
        "approved",
        "issued",
        "mailed",
        "completed",
        "rated",
    ]
    positions = [types.index(t) for t in story]
    assert positions == sorted(positions), types


def test_company_registration_four_departments_in_parallel(
    stack: RunningStack, owner: dict[str, str]
) -> None:
    case_id = accepted_case(stack, owner, COMPANY, {"method": "pickup"})
    tasks = {d: open_task(stack, d, case_id) for d in ("scjg", "gaj", "swj", "rsj")}
    for department, task in tasks.items():
        decide(stack, task, department, "approve", f"{department} 同意")
    approved = wait_status(stack, owner, case_id, "approved")
    assert [r["status"] for r in approved["reviews"]] == ["approved"] * 4
    issued = stack.signed(
        "POST", f"/admin/applications/{case_id}/issuance", "zwfw-issuer", {}
    ).json()
    pickup = case(stack, owner, case_id)["delivery_state"]["pickup_code"]
    handed = stack.signed(
        "POST",
        f"/admin/applications/{case_id}/handover",
        "zwfw-issuer",
        {"pickup_code": pickup, "received_by": "赵成凯"},
    )
    assert issued["status"] == "issued" and handed.json()["status"] == "completed"


def test_a_denial_by_one_department(stack: RunningStack, owner: dict[str, str]) -> None:
    case_id = accepted_case(stack, owner, COMPANY, {"method": "pickup"})
    open_task(stack, "rsj", case_id)
    decide(stack, open_task(stack, "swj", case_id), "swj", "deny", "纳税信用记录存在异常")
    denied = wait_status(stack, owner, case_id, "denied")
    statuses = {r["department"]: r["status"] for r in denied["reviews"]}
    assert statuses["swj"] == "denied" and set(statuses.values()) == {"denied", "closed"}
    assert any("纳税信用" in e["title"]["zh"] for e in denied["timeline"] if e["type"] == "denied")


def test_an_any_rule_item(stack: RunningStack, owner: dict[str, str]) -> None:
    case_id = accepted_case(stack, owner, FREIGHT, {"method": "pickup"})
    open_task(stack, "jtj", case_id)
    decide(stack, open_task(stack, "gaj", case_id), "gaj", "approve", "驾驶员无违法记录，同意")
    approved = wait_status(stack, owner, case_id, "approved")
    assert {r["department"]: r["status"] for r in approved["reviews"]} == {
        "jtj": "closed",
        "gaj": "approved",
    }


@pytest.fixture(scope="module")
def fast_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """A stack whose review time limit is two seconds per promised working day."""
    running = start_stack(tmp_path_factory.mktemp("fast"), {"BIANMIN_REVIEW_SECONDS_PER_DAY": "2"})
    yield running
    stop_stack(running)


def test_a_review_timeout_escalates(fast_stack: RunningStack) -> None:
    owner = sign_in(fast_stack, "13953700002")
    case_id = accepted_case(fast_stack, owner, SME, mail_delivery())
    task = open_task(fast_stack, "jxj", case_id)

    def escalated() -> Any:
        items = fast_stack.signed("GET", "/admin/queues/escalated", "county-leader").json()["items"]
        return next((t for t in items if t["case_id"] == case_id), None)

    assert eventually(escalated)["escalations"] >= 1
    pressed = fast_stack.signed(
        "POST",
        f"/admin/reviews/{task['task_id']}/press",
        "county-leader",
        {"comment": "请立即办理"},
    )
    assert pressed.status_code == 200, pressed.text
    decide(fast_stack, task, "jxj", "approve", "同意")
    approved = wait_status(fast_stack, owner, case_id, "approved")
    types = [e["type"] for e in approved["timeline"]]
    assert "review_escalated" in types and "review_pressed" in types
