"""Written notices through the routes: each is produced at its step (once, even when the
step is repeated), downloadable by the applicant and the case's staff only, and verified by
the public certificates' endpoint."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import ApiClient, RecordingSms, body, sign_in
from tests.routes.test_review_routes import in_review, status, tasks_of, wait_for
from tests.support.applications import COMPANY, ready_sme

OWNER = "13953700002"


@pytest.fixture
def owner(api: ApiClient, sms: RecordingSms) -> str:
    return sign_in(api, sms, OWNER)


def kinds(api: ApiClient, token: str, case_id: str) -> list[str]:
    response = api.get(f"/applications/{case_id}/notices", token=token)
    assert response.status_code == 200, response.body
    return [n["kind"] for n in body(response)["items"]]


def decide(api: ApiClient, case_id: str, decision: dict[str, Any]) -> Any:
    return api.post(
        f"/admin/applications/{case_id}/acceptance", json_body=decision, profile="zwfw-clerk"
    )


def test_supplement_and_acceptance_notices_at_their_steps_for_the_applicant_only(
    api: ApiClient, owner: str, aws: Any, pump: Any, sms: RecordingSms
) -> None:
    case_id = ready_sme(api, aws, pump, owner)
    assert api.post(f"/applications/{case_id}/submit", token=owner).status_code == 200
    assert kinds(api, owner, case_id) == []
    supplement = {
        "decision": "supplement",
        "materials": [{"material_code": "audit", "reason": "审计报告缺少骑缝章"}],
    }
    assert decide(api, case_id, supplement).status_code == 200
    assert decide(api, case_id, supplement).status_code == 409  # repeated: no second notice
    assert kinds(api, owner, case_id) == ["supplement"]
    case_id = ready_sme(api, aws, pump, owner)
    assert api.post(f"/applications/{case_id}/submit", token=owner).status_code == 200
    assert decide(api, case_id, {"decision": "accept"}).status_code == 200
    assert decide(api, case_id, {"decision": "accept"}).status_code == 409  # repeated
    assert kinds(api, owner, case_id) == ["acceptance"]
    timeline = body(api.get(f"/applications/{case_id}", token=owner))["timeline"]
    assert sum(e["type"] == "notice_issued" for e in timeline) == 1

    (accepted,) = body(api.get(f"/applications/{case_id}/notices", token=owner))["items"]
    link = api.get(f"/applications/{case_id}/notices/{accepted['notice_id']}", token=owner)
    assert link.status_code == 200 and body(link)["expires_in"] == 300
    pdf = (
        aws.client("s3")
        .get_object(
            Bucket=container_bucket(), Key=f"notices/{case_id}/{accepted['verify_code']}.pdf"
        )["Body"]
        .read()
    )
    assert pdf.startswith(b"%PDF") and b"/FontFile2" in pdf

    stranger = sign_in(api, sms, "13953700009")
    assert api.get(f"/applications/{case_id}/notices", token=stranger).status_code == 404
    path = f"/applications/{case_id}/notices/{accepted['notice_id']}"
    assert api.get(path, token=stranger).status_code == 404
    assert api.get(f"/admin{path}", profile="zwfw-clerk").status_code == 200
    staff_list = api.get(f"/admin/applications/{case_id}/notices", profile="zwfw-clerk")
    assert [n["kind"] for n in body(staff_list)["items"]] == ["acceptance"]
    assert api.get(f"/admin{path}", profile="gaj-reviewer").status_code == 404

    verified = body(api.get(f"/certificates/{accepted['verify_code']}"))
    assert verified["document"] == "notice:acceptance" and verified["title"] == "受理通知书"
    assert "*" in verified["holder"] and verified["number"].startswith("WS")


def test_a_refusal_gives_the_non_acceptance_notice(
    api: ApiClient, owner: str, aws: Any, pump: Any
) -> None:
    case_id = ready_sme(api, aws, pump, owner)
    assert api.post(f"/applications/{case_id}/submit", token=owner).status_code == 200
    refused = decide(api, case_id, {"decision": "not_accept", "reason": "不属于本机关职权范围"})
    assert refused.status_code == 200, refused.body
    assert kinds(api, owner, case_id) == ["non_acceptance"]


def test_a_denial_gives_the_decision_with_the_remedy(
    api: ApiClient, owner: str, aws: Any, pump: Any
) -> None:
    case_id = in_review(api, aws, pump, owner, COMPANY, delivery={"method": "pickup"})
    (gaj,) = wait_for(pump, lambda: tasks_of(api, "gaj-reviewer", case_id))
    denial = {"decision": "deny", "opinion": "经营场所不符合消防要求"}
    decided = api.post(
        f"/admin/reviews/{gaj['task_id']}/decision", json_body=denial, profile="gaj-reviewer"
    )
    assert decided.status_code == 200, decided.body
    wait_for(pump, lambda: status(api, owner, case_id) == "denied")
    pump.drain()
    assert kinds(api, owner, case_id) == ["acceptance", "denial"]
    code = body(api.get(f"/applications/{case_id}/notices", token=owner))["items"][1]
    assert body(api.get(f"/certificates/{code['verify_code']}"))["document"] == "notice:denial"


def container_bucket() -> str:
    from chalicelib.deps import container

    return container().settings.documents_bucket
