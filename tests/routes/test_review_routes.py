"""Parallel review on moto's executing Step Functions, issuance, delivery and rating."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from typing import Any

import pytest
from pypdf import PdfReader

from chalicelib.clock import FixedClock
from chalicelib.deps import Container, container
from tests.conftest import ApiClient, RecordingSms, body, sign_in
from tests.routes.test_application_routes import OWNER, create, upload
from tests.support.applications import COMPANY, SME, enterprise

FREIGHT = "370830-XK-0006"  # 或签: jtj or gaj
MATERIALS = {
    SME: ("licence", "audit"),
    COMPANY: ("application", "articles", "id", "premises"),
    FREIGHT: ("application", "vehicles", "drivers"),
}


@pytest.fixture
def owner(api: ApiClient, sms: RecordingSms) -> str:
    return sign_in(api, sms, OWNER)


def wait_for(pump: Any, check: Callable[[], Any], seconds: float = 15) -> Any:
    """Pumps the queues until `check` holds: the workflow runs in moto's own threads."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        pump.drain()
        result = check()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError("the workflow did not get there in time")


def in_review(api: ApiClient, aws: Any, pump: Any, token: str, service: str, **kw: Any) -> str:
    case = create(api, token, service, **kw)
    for material in MATERIALS[service]:
        upload(api, aws, pump, token, case["id"], material)
    assert api.post(f"/applications/{case['id']}/submit", token=token).status_code == 200
    accepted = api.post(
        f"/admin/applications/{case['id']}/acceptance",
        json_body={"decision": "accept"},
        profile="zwfw-clerk",
    )
    assert accepted.status_code == 200, accepted.body
    return str(case["id"])


def tasks_of(api: ApiClient, profile: str, case_id: str) -> list[dict[str, Any]]:
    items = body(api.get("/admin/queues/review", profile=profile))["items"]
    return [t for t in items if t["case_id"] == case_id]


def status(api: ApiClient, token: str, case_id: str) -> str:
    return str(body(api.get(f"/applications/{case_id}", token=token))["status"])


def test_the_sme_certificate_from_review_to_rating(
    api: ApiClient, owner: str, aws: Any, pump: Any, clock: FixedClock
) -> None:
    case_id = in_review(api, aws, pump, owner, SME)
    (task,) = wait_for(pump, lambda: tasks_of(api, "jxj-reviewer", case_id))
    assert task["department_name"] == "县经济和信息化局" and task["status"] == "open"
    # only the jxj reviewer decides it
    decision = {"decision": "approve", "opinion": "经审核，符合中小微企业认定条件，同意认定。"}
    other = api.post(
        f"/admin/reviews/{task['task_id']}/decision", json_body=decision, profile="scjg-reviewer"
    )
    assert other.status_code in (403, 404)
    decided = api.post(
        f"/admin/reviews/{task['task_id']}/decision", json_body=decision, profile="jxj-reviewer"
    )
    assert decided.status_code == 200, decided.body
    again = api.post(
        f"/admin/reviews/{task['task_id']}/decision", json_body=decision, profile="jxj-reviewer"
    )
    assert again.status_code == 409
    wait_for(pump, lambda: status(api, owner, case_id) == "approved")
    view = body(api.get(f"/applications/{case_id}", token=owner))
    assert view["reviews"][0]["status"] == "approved"
    assert view["reviews"][0]["opinion"].startswith("经审核")
    queue = body(api.get("/admin/queues/issuance", profile="zwfw-issuer"))["items"]
    assert [i["id"] for i in queue] == [case_id]
    missing = api.post(
        f"/admin/applications/{case_id}/issuance", json_body={}, profile="zwfw-issuer"
    )
    assert missing.status_code == 409  # this case goes by mail: it needs a tracking number
    issued = api.post(
        f"/admin/applications/{case_id}/issuance",
        json_body={"tracking_number": "EMS1234567890CN", "carrier": "EMS"},
        profile="zwfw-issuer",
    )
    assert issued.status_code == 200, issued.body
    assert body(issued)["status"] == "issued"
    certificate = body(issued)["certificate"]
    public = body(api.get(f"/certificates/{certificate['code']}"))
    assert public["status"] == "valid" and public["service_name"] == "中小微企业认定证明"
    assert public["holder"] != enterprise()["name"] and public["holder"].endswith("公司")
    assert api.get("/certificates/NOSUCHCODE22").status_code == 404
    link = body(api.get(f"/applications/{case_id}/certificate", token=owner))
    pdf = (
        aws.client("s3")
        .get_object(
            Bucket=container().settings.documents_bucket,
            Key=f"certificates/{case_id}/{certificate['code']}.pdf",
        )["Body"]
        .read()
    )
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF") and link["url"]
    # The text, in the embedded font (nothing borrowed from the reader), extracts: the
    # number, the code and the Chinese around them.
    reader = PdfReader(io.BytesIO(pdf))
    text = "".join(page.extract_text() for page in reader.pages).replace(" ", "")
    for phrase in (certificate["number"], certificate["code"], "持证人", "中小微企业认定证明"):
        assert phrase in text, (phrase, text)
    assert b"/FontFile2" in pdf and b"/STSong-Light" not in pdf
    assert (
        api.post(f"/applications/{case_id}/rating", json_body={"level": 5}, token=owner).status_code
        == 409
    )
    done = api.post(f"/admin/applications/{case_id}/delivered", json_body={}, profile="zwfw-issuer")
    assert done.status_code == 200, done.body
    final = body(done)
    assert final["status"] == "completed" and final["on_time"] is True
    assert final["delivery_state"]["tracking_number"] == "EMS1234567890CN"
    rated = api.post(
        f"/applications/{case_id}/rating",
        json_body={"level": 5, "comment": "一天就办好了"},
        token=owner,
    )
    assert rated.status_code == 200, rated.body
    assert body(rated)["rating"]["label"]["zh"] == "非常满意"
    assert (
        api.post(f"/applications/{case_id}/rating", json_body={"level": 4}, token=owner).status_code
        == 409
    )
    types = [e["type"] for e in body(rated)["timeline"]]
    for expected in (
        "review_requested",
        "review_decided",
        "approved",
        "issued",
        "mailed",
        "completed",
        "rated",
    ):
        assert expected in types, (expected, types)


def test_company_registration_four_departments_approve_in_parallel(
    api: ApiClient, owner: str, aws: Any, pump: Any
) -> None:
    case_id = in_review(api, aws, pump, owner, COMPANY, delivery={"method": "pickup"})
    departments = ("scjg", "gaj", "swj", "rsj")
    tasks = {
        d: wait_for(pump, lambda d=d: tasks_of(api, f"{d}-reviewer", case_id))[0]
        for d in departments
    }
    for department in departments[:3]:
        response = api.post(
            f"/admin/reviews/{tasks[department]['task_id']}/decision",
            json_body={"decision": "approve", "opinion": "同意"},
            profile=f"{department}-reviewer",
        )
        assert response.status_code == 200
    pump.drain()
    assert status(api, owner, case_id) == "in_review"  # 会签: still waiting for rsj
    api.post(
        f"/admin/reviews/{tasks['rsj']['task_id']}/decision",
        json_body={
            "decision": "approve",
            "opinion": "同意办理社保登记",
            "conditions": ["30 日内完成参保"],
        },
        profile="rsj-reviewer",
    )
    wait_for(pump, lambda: status(api, owner, case_id) == "approved")
    issued = body(
        api.post(f"/admin/applications/{case_id}/issuance", json_body={}, profile="zwfw-issuer")
    )
    assert issued["status"] == "issued" and issued["delivery_state"]["method"] == "pickup"
    mine = body(api.get(f"/applications/{case_id}", token=owner))
    code = mine["delivery_state"]["pickup_code"]
    assert code and "pickup_code" not in issued["delivery_state"]  # the applicant's alone
    assert mine["next_action"]["code"] == "pick_up"
    wrong = api.post(
        f"/admin/applications/{case_id}/handover",
        json_body={
            "pickup_code": "000000" if code != "000000" else "111111",
            "received_by": "庞凯",
        },
        profile="zwfw-issuer",
    )
    assert wrong.status_code == 409
    handed = api.post(
        f"/admin/applications/{case_id}/handover",
        json_body={"pickup_code": code, "received_by": "庞凯"},
        profile="zwfw-issuer",
    )
    assert body(handed)["status"] == "completed"
    assert [r["status"] for r in body(handed)["reviews"]] == ["approved"] * 4


def test_one_denial_denies_and_closes_the_other_tasks(
    api: ApiClient, owner: str, aws: Any, pump: Any
) -> None:
    case_id = in_review(api, aws, pump, owner, COMPANY, delivery={"method": "pickup"})
    (gaj,) = wait_for(pump, lambda: tasks_of(api, "gaj-reviewer", case_id))
    wait_for(pump, lambda: tasks_of(api, "rsj-reviewer", case_id))
    denied = api.post(
        f"/admin/reviews/{gaj['task_id']}/decision",
        json_body={"decision": "deny", "opinion": "法定代表人身份证明无法核验"},
        profile="gaj-reviewer",
    )
    assert denied.status_code == 200, denied.body
    wait_for(pump, lambda: status(api, owner, case_id) == "denied")
    view = body(api.get(f"/applications/{case_id}", token=owner))
    by_department = {r["department"]: r["status"] for r in view["reviews"]}
    assert by_department["gaj"] == "denied"
    assert {by_department[d] for d in ("scjg", "swj", "rsj")} == {"closed"}
    assert view["completed_at"] and "denied" in [e["type"] for e in view["timeline"]]
    assert tasks_of(api, "rsj-reviewer", case_id) == []


def test_an_any_rule_item_is_approved_by_the_first_approval(
    api: ApiClient, owner: str, aws: Any, pump: Any
) -> None:
    case_id = in_review(api, aws, pump, owner, FREIGHT, delivery={"method": "pickup"})
    (jtj,) = wait_for(pump, lambda: tasks_of(api, "jtj-reviewer", case_id))
    wait_for(pump, lambda: tasks_of(api, "gaj-reviewer", case_id))
    api.post(
        f"/admin/reviews/{jtj['task_id']}/decision",
        json_body={"decision": "approve", "opinion": "车辆与驾驶员资料齐全，同意"},
        profile="jtj-reviewer",
    )
    wait_for(pump, lambda: status(api, owner, case_id) == "approved")
    reviews = {
        r["department"]: r["status"]
        for r in body(api.get(f"/applications/{case_id}", token=owner))["reviews"]
    }
    assert reviews == {"jtj": "approved", "gaj": "closed"}


def test_an_overdue_review_escalates_and_can_be_pressed(
    api: ApiClient, owner: str, aws: Any, pump: Any, deps: Container
) -> None:
    deps.settings = deps.settings.model_copy(update={"review_seconds_per_day": 1})
    case_id = in_review(api, aws, pump, owner, SME)
    (task,) = wait_for(pump, lambda: tasks_of(api, "jxj-reviewer", case_id))
    escalated = wait_for(
        pump,
        lambda: [
            t
            for t in body(api.get("/admin/queues/escalated", profile="county-leader"))["items"]
            if t["case_id"] == case_id
        ],
    )
    assert escalated[0]["escalations"] >= 1
    assert api.get("/admin/queues/escalated", profile="jxj-reviewer").status_code == 403
    # a township's supervisor sees no county-level escalation (nor the case itself)
    township = body(api.get("/admin/queues/escalated", profile="wenshang-supervisor"))["items"]
    assert case_id not in [t["case_id"] for t in township]
    assert api.get(f"/admin/applications/{case_id}", profile="wenshang-supervisor").status_code == (
        404
    )
    pressed = api.post(
        f"/admin/reviews/{task['task_id']}/press",
        json_body={"comment": "请今日内办结"},
        profile="county-leader",
    )
    assert pressed.status_code == 200 and body(pressed)["pressed"] == 1
    decided = api.post(
        f"/admin/reviews/{task['task_id']}/decision",
        json_body={"decision": "approve", "opinion": "同意"},
        profile="jxj-reviewer",
    )
    assert decided.status_code == 200
    wait_for(pump, lambda: status(api, owner, case_id) == "approved")
    types = [e["type"] for e in body(api.get(f"/applications/{case_id}", token=owner))["timeline"]]
    assert "review_escalated" in types and "review_pressed" in types


def test_a_townships_supervisor_and_the_citys_leader_see_the_townships_escalations(
    api: ApiClient, owner: str, aws: Any, pump: Any, deps: Container
) -> None:
    deps.settings = deps.settings.model_copy(update={"review_seconds_per_day": 1})
    case_id = in_review(api, aws, pump, owner, SME, jurisdiction="370830001")

    def escalated(profile: str) -> list[str]:
        items = body(api.get("/admin/queues/escalated", profile=profile))["items"]
        return [t["case_id"] for t in items]

    wait_for(pump, lambda: case_id in escalated("county-leader"))
    assert escalated("wenshang-supervisor") == [case_id]  # 汶上街道's own case
    assert case_id in escalated("city-leader")  # the city's leader: every county's
    assert escalated("jx-county-leader") == []  # another county's leader: none


def test_a_bad_rating_opens_a_rectification(
    api: ApiClient, owner: str, aws: Any, pump: Any
) -> None:
    case_id = in_review(api, aws, pump, owner, SME, delivery={"method": "electronic"})
    (task,) = wait_for(pump, lambda: tasks_of(api, "jxj-reviewer", case_id))
    api.post(
        f"/admin/reviews/{task['task_id']}/decision",
        json_body={"decision": "approve", "opinion": "同意"},
        profile="jxj-reviewer",
    )
    wait_for(pump, lambda: status(api, owner, case_id) == "approved")
    issued = body(
        api.post(f"/admin/applications/{case_id}/issuance", json_body={}, profile="zwfw-issuer")
    )
    assert issued["status"] == "completed"  # electronic: delivered on issuance
    rated = body(
        api.post(
            f"/applications/{case_id}/rating",
            json_body={"level": 2, "comment": "等太久"},
            token=owner,
        )
    )
    assert rated["rectification"]["department"] == "jxj" and rated["rectification"]["due"]
    assert rated["rectification"]["follow_up_visit"] == "pending"
    assert "rectification_opened" in [e["type"] for e in rated["timeline"]]
    queue = body(api.get("/admin/queues/rectification", profile="jxj-reviewer"))["items"]
    assert [i["id"] for i in queue] == [case_id]
    report = {"measures": "简化审核流程，当日办结", "visit_note": "电话回访，申请人表示认可"}
    wrong = api.post(
        f"/admin/applications/{case_id}/rectification", json_body=report, profile="zwfw-issuer"
    )
    assert wrong.status_code == 403
    closed = api.post(
        f"/admin/applications/{case_id}/rectification", json_body=report, profile="jxj-reviewer"
    )
    assert closed.status_code == 200, closed.body
    assert body(closed)["rectification"]["follow_up_visit"] == "done"
    assert body(api.get("/admin/queues/rectification", profile="jxj-reviewer"))["items"] == []
    again = api.post(
        f"/admin/applications/{case_id}/rectification", json_body=report, profile="jxj-reviewer"
    )
    assert again.status_code == 409
    agent_rating = api.post(f"/applications/{case_id}/rating", json_body={"level": 5}, token=owner)
    assert agent_rating.status_code == 409  # rated once


@pytest.mark.parametrize(
    ("name", "person", "masked"),
    [
        ("王小明", True, "王**"),
        ("欧阳娜娜", True, "欧***"),
        ("杜平", True, "杜*"),
        ("山东凯鲁建设工程有限公司", False, "山东********公司"),
    ],
)
def test_certificate_holders_are_masked(name: str, person: bool, masked: str) -> None:
    from chalicelib.services.issuance import mask_name

    assert mask_name(name, person=person) == masked


def test_a_stale_copy_of_a_task_never_overwrites_a_newer_one(
    api: ApiClient, owner: str, aws: Any, pump: Any
) -> None:
    """A re-request replaced the token after a decision read the task: the decision's write
    is refused (and the service retries on the new version), so the live token survives."""
    from chalicelib.domain.review import TaskStatus
    from chalicelib.errors import Conflict

    case_id = in_review(api, aws, pump, owner, SME)
    wait_for(pump, lambda: tasks_of(api, "jxj-reviewer", case_id))
    store = container().case_store
    stale = store.task(case_id, "jxj")
    container().review.requested(case_id, "jxj", "all", "NEW-TOKEN")
    assert store.task(case_id, "jxj").token == "NEW-TOKEN"
    decided = stale.model_copy(update={"status": TaskStatus.APPROVED, "version": stale.version + 1})
    with pytest.raises(Conflict):
        store.write([store.task_op(decided, TaskStatus.OPEN)], [])
    assert store.task(case_id, "jxj").token == "NEW-TOKEN"
