"""An approval workflow that stops without an outcome (FAILED, TIMED_OUT, ABORTED: the
EventBridge rule puts Step Functions' status change on the review queue) does not leave its
case in review forever: the departments still to decide are escalated to the supervisors,
the review starts again by itself twice, then when a supervisor asks; decisions already
recorded stand."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.deps import Container
from tests.conftest import ApiClient, RecordingSms, body, sign_in
from tests.routes.test_application_routes import OWNER
from tests.routes.test_review_routes import in_review, tasks_of, wait_for
from tests.support.applications import SME


@pytest.fixture
def owner(api: ApiClient, sms: RecordingSms) -> str:
    return sign_in(api, sms, OWNER)


def stopped(deps: Container, case_id: str, status: str = "FAILED") -> dict[str, Any]:
    """Step Functions' event for the case's current run, as EventBridge delivers it."""
    app = deps.case_store.load(case_id).application
    return {
        "version": "0",
        "source": "aws.states",
        "detail-type": "Step Functions Execution Status Change",
        "detail": {
            "executionArn": app.execution_name,
            "stateMachineArn": deps.settings.state_machine_arn,
            "status": status,
            "input": json.dumps({"case_id": case_id, "rule": "all"}),
        },
    }


def report(deps: Container, aws: Any, pump: Any, change: dict[str, Any]) -> None:
    """On the review queue, through its consumer, as the rule delivers it."""
    queue = deps.settings.sms_queue_url.replace("-sms", "-review-tasks")
    aws.client("sqs").send_message(QueueUrl=queue, MessageBody=json.dumps(change))
    pump.drain()


def timeline(api: ApiClient, token: str, case_id: str) -> list[str]:
    return [e["type"] for e in body(api.get(f"/applications/{case_id}", token=token))["timeline"]]


def escalated(api: ApiClient, case_id: str) -> list[dict[str, Any]]:
    items = body(api.get("/admin/queues/escalated", profile="county-leader"))["items"]
    return [t for t in items if t["case_id"] == case_id]


def test_a_stopped_workflow_is_escalated_and_runs_again_with_the_decisions_it_had(
    api: ApiClient, owner: str, aws: Any, pump: Any, deps: Container
) -> None:
    case_id = in_review(api, aws, pump, owner, SME)
    wait_for(pump, lambda: tasks_of(api, "jxj-reviewer", case_id))
    change = stopped(deps, case_id)
    report(deps, aws, pump, change)

    assert escalated(api, case_id)  # before the supervisors
    types = timeline(api, owner, case_id)
    assert "review_stopped" in types and "review_restarted" in types
    app = deps.case_store.load(case_id).application
    assert app.review_restarts == 1 and app.execution_name.endswith(f":{case_id}-r1")

    report(deps, aws, pump, change)  # the first run's end, delivered again: nothing more
    assert deps.case_store.load(case_id).application.review_restarts == 1

    # The new run asks the department again; its decision ends the review.
    (task,) = wait_for(pump, lambda: [t for t in tasks_of(api, "jxj-reviewer", case_id)])
    decided = api.post(
        f"/admin/reviews/{task['task_id']}/decision",
        json_body={"decision": "approve", "opinion": "同意"},
        profile="jxj-reviewer",
    )
    assert decided.status_code == 200, decided.body
    wait_for(
        pump,
        lambda: body(api.get(f"/applications/{case_id}", token=owner))["status"] == "approved",
    )


def test_after_two_automatic_restarts_a_supervisor_starts_it_again(
    api: ApiClient, owner: str, aws: Any, pump: Any, deps: Container
) -> None:
    case_id = in_review(api, aws, pump, owner, SME)
    wait_for(pump, lambda: tasks_of(api, "jxj-reviewer", case_id))
    for _ in range(3):
        report(deps, aws, pump, stopped(deps, case_id, "TIMED_OUT"))
    app = deps.case_store.load(case_id).application
    assert app.review_restarts == 2  # the third stop waits for a supervisor
    assert timeline(api, owner, case_id).count("review_stopped") == 3

    path = f"/admin/applications/{case_id}/review/restart"
    assert api.post(path, profile="jxj-reviewer").status_code == 403
    assert api.post(path, profile="jx-county-leader").status_code == 404  # another county
    # The reported stop was made up here: the run itself is still going, and a second run
    # beside it would fight it over the tasks.
    running = api.post(path, profile="county-leader")
    assert running.status_code == 409, running.body
    aws.client("stepfunctions").stop_execution(executionArn=app.execution_name)
    restarted = api.post(path, profile="county-leader")
    assert restarted.status_code == 200, restarted.body
    assert deps.case_store.load(case_id).application.review_restarts == 3
    assert body(restarted)["timeline"][-1]["type"] == "review_restarted"


def test_a_stop_after_the_outcome_changes_nothing(
    api: ApiClient, owner: str, aws: Any, pump: Any, deps: Container
) -> None:
    case_id = in_review(api, aws, pump, owner, SME)
    (task,) = wait_for(pump, lambda: tasks_of(api, "jxj-reviewer", case_id))
    change = stopped(deps, case_id, "ABORTED")
    api.post(
        f"/admin/reviews/{task['task_id']}/decision",
        json_body={"decision": "deny", "opinion": "不符合认定条件"},
        profile="jxj-reviewer",
    )
    wait_for(
        pump, lambda: body(api.get(f"/applications/{case_id}", token=owner))["status"] == "denied"
    )
    report(deps, aws, pump, change)
    assert "review_stopped" not in timeline(api, owner, case_id)
    restart = api.post(f"/admin/applications/{case_id}/review/restart", profile="county-leader")
    assert restart.status_code == 409
