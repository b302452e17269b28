"""One application from submission to rating on moto's executing Step Functions: state
transitions, DynamoDB calls per review decision, and a cost per case from AWS list prices."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from bench.harness import bench_stack

# us-east-1 list prices in USD (China regions bill in CNY at different rates; the shape of the
# cost is the same). Sources: the AWS pricing pages of each service, November 2026.
PRICES = {
    "state_transition": 0.025 / 1000,
    "lambda_request": 0.20 / 1_000_000,
    "lambda_gb_second": 0.0000166667,
    "api_request": 3.50 / 1_000_000,  # REST API
    "dynamodb_write_unit": 1.25 / 1_000_000,
    "dynamodb_read_unit": 0.25 / 1_000_000,
    "s3_put": 0.005 / 1000,
    "s3_get": 0.0004 / 1000,
    "sqs_request": 0.40 / 1_000_000,
}
LAMBDA_GB = 0.5  # 512 MB, as .chalice/config.json


class Meter:
    """Counts calls per service/operation on the clients the app uses, and DynamoDB's
    consumed capacity units (devstack/metering.py: CapacityMeter)."""

    def __init__(self, clients: Any, services: tuple[str, ...]) -> None:
        from devstack.metering import CapacityMeter

        self.calls: Counter[str] = Counter()
        self.capacity = CapacityMeter(clients.dynamodb)
        for service in services:
            clients.client(service).meta.events.register("before-call.*.*", self._count)

    def _count(self, model: Any, **_: Any) -> None:
        self.calls[f"{model.service_model.service_name}.{model.name}"] += 1


def run(on_ready: Any = None) -> dict[str, Any]:
    """One application's life; `on_ready` is called once the stack is up and the applicant
    signed in (what comes after is the case's own work)."""
    from tests.support.applications import PDF, SME, enterprise, mail_delivery

    results: dict[str, Any] = {}
    with bench_stack(execute_workflows=True) as stack:
        meter = Meter(stack.clients, ("dynamodb", "s3", "sqs", "stepfunctions"))
        token = stack.citizen_token("13953700002")
        meter.calls.clear()
        meter.capacity.reset()
        if on_ready is not None:
            on_ready()
        stack.latencies_ms.clear()
        consumer_batches = 0

        def call(*args: Any, **kwargs: Any) -> Any:
            return stack.call(*args, **kwargs)[0]

        def until(check: Any) -> Any:
            nonlocal consumer_batches
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                consumer_batches += stack.pump.drain()
                value = check()
                if value:
                    return value
                time.sleep(0.05)
            raise AssertionError("the workflow stalled")

        new = {"service_code": SME, "applicant": enterprise(), "delivery": mail_delivery()}
        case_id = call("POST", "/applications", new, token=token)["id"]
        for material in ("licence", "audit"):
            stack.upload(token, case_id, material, PDF)
        consumer_batches += stack.pump.drain()
        call("POST", f"/applications/{case_id}/submit", token=token)
        call(
            "POST",
            f"/admin/applications/{case_id}/acceptance",
            {"decision": "accept"},
            profile="zwfw-clerk",
        )
        queue = lambda: call("GET", "/admin/queues/review", profile="jxj-reviewer")["items"]  # noqa: E731
        task = until(lambda: [t for t in queue() if t["case_id"] == case_id])[0]
        before = Counter(meter.calls)
        call(
            "POST",
            f"/admin/reviews/{task['task_id']}/decision",
            {"decision": "approve", "opinion": "同意"},
            profile="jxj-reviewer",
        )
        delta = {k: v - before.get(k, 0) for k, v in meter.calls.items() if v - before.get(k, 0)}
        results["decision_calls"] = {k: v for k, v in delta.items() if k.startswith("dynamodb")}
        results["decision_other"] = {k: v for k, v in delta.items() if not k.startswith("dynamodb")}
        until(lambda: call("GET", f"/applications/{case_id}", token=token)["status"] == "approved")
        call(
            "POST",
            f"/admin/applications/{case_id}/issuance",
            {"tracking_number": "1187654321098"},
            profile="zwfw-issuer",
        )
        call("POST", f"/admin/applications/{case_id}/delivered", {}, profile="zwfw-issuer")
        call("POST", f"/applications/{case_id}/rating", {"level": 5}, token=token)

        sfn = stack.clients.client("stepfunctions")
        arn = stack.provisioned.state_machine_arn
        execution = sfn.list_executions(stateMachineArn=arn)["executions"][0]
        history = sfn.get_execution_history(executionArn=execution["executionArn"], maxResults=1000)
        results["transitions"] = sum(
            1 for e in history["events"] if e["type"].endswith("StateEntered")
        )
        results["calls"] = dict(meter.calls)
        results["transact_items"] = meter.capacity.transact_items
        results["read_units"] = meter.capacity.read_units
        results["write_units"] = meter.capacity.write_units
        results["api_requests"] = len(stack.latencies_ms)
        results["consumer_batches"] = consumer_batches
        results["stream_batches"] = stack.pump.stream.batches if stack.pump.stream else 0
        results["median_ms"] = sorted(stack.latencies_ms)[len(stack.latencies_ms) // 2]
    return results


def cost(results: dict[str, Any]) -> dict[str, float]:
    calls = results["calls"]
    write_units, read_units = results["write_units"], results["read_units"]
    invocations = (  # + the authorizer; the figures' aggregator per stream batch
        results["api_requests"] * 2 + results["consumer_batches"] + results["stream_batches"]
    )
    s3 = {k.split(".", 1)[1]: v for k, v in calls.items() if k.startswith("s3.")}
    sqs = sum(v for k, v in calls.items() if k.startswith("sqs."))
    return {
        "Step Functions": results["transitions"] * PRICES["state_transition"],
        "Lambda": invocations * PRICES["lambda_request"]
        + invocations * results["median_ms"] / 1000 * LAMBDA_GB * PRICES["lambda_gb_second"],
        "API Gateway": results["api_requests"] * PRICES["api_request"],
        "DynamoDB": write_units * PRICES["dynamodb_write_unit"]
        + read_units * PRICES["dynamodb_read_unit"],
        "S3": (s3.get("PutObject", 0) + 2) * PRICES["s3_put"]
        + (s3.get("GetObject", 0) + 2) * PRICES["s3_get"],
        "SQS": (sqs + results["consumer_batches"] * 2) * PRICES["sqs_request"],
    }
