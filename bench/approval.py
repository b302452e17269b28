"""One application from submission to rating on moto's executing Step Functions: state
transitions, DynamoDB calls per review decision, and a cost per case from AWS list prices."""

from __future__ import annotations

import json
import time
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import bench.routes  # noqa: F401 - sets the environment before the app is imported

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
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem"}


class Meter:
    """Counts calls per service/operation on the clients the app uses."""

    def __init__(self, clients: Any, services: tuple[str, ...]) -> None:
        self.calls: Counter[str] = Counter()
        self.transact_items = 0
        for service in services:
            clients.client(service).meta.events.register("before-call.*.*", self._count)

    def _count(self, model: Any, params: Any = None, **_: Any) -> None:
        self.calls[f"{model.service_model.service_name}.{model.name}"] += 1
        if model.name == "TransactWriteItems" and params:
            self.transact_items += len(params.get("TransactItems", []))


def run() -> dict[str, Any]:
    from chalice.test import Client
    from moto import mock_aws

    from chalicelib import resources
    from chalicelib.clock import FixedClock
    from chalicelib.deps import Container, use_container
    from chalicelib.settings import Settings
    from chalicelib.store.clients import AwsClients
    from devstack.gateway import BianminLocalGateway
    from devstack.moto_atomic import serialise_dynamodb_writes
    from devstack.provision import provision
    from devstack.pump import EventPump
    from devstack.seed import seed
    from devstack.sigv4 import SigV4Verifier
    from tests.support.applications import PDF, SME, document_request, enterprise, mail_delivery
    from tests.support.signing import signed_headers

    serialise_dynamodb_writes()
    clock = FixedClock(datetime(2026, 11, 27, 2, tzinfo=UTC))
    results: dict[str, Any] = {}
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        clients = AwsClients("cn-north-1")
        p = provision(clients, "bench", "cn-north-1")
        settings = Settings(
            stage="bench",
            table_name=p.table,
            documents_bucket=p.bucket,
            sms_queue_url=p.queue_urls["sms"],
            signing_secret_id=p.signing_secret_id,
            state_machine_arn=p.state_machine_arn,
        )
        sent: list[Any] = []

        class Sms:
            def dispatch(self, message: Any) -> None:
                sent.append(message)

        container = Container(settings, clock, clients, sms_dispatch=Sms())
        seeded = seed(container.table, clients, clock, "bench")
        use_container(container)
        from app import app

        client = Client(app, stage_name="local")
        verifier = SigV4Verifier(seeded.credentials, region="cn-north-1", clock=clock)
        client.http._local_gateway = BianminLocalGateway(app, client._chalice_config, verifier)
        urls = {resources.queue_name("bench", s): u for s, u in p.queue_urls.items()}
        pump = EventPump(app, clients, urls, region="cn-north-1")
        meter = Meter(clients, ("dynamodb", "s3", "sqs", "stepfunctions"))
        api_requests = 0
        lambda_ms: list[float] = []
        consumer_batches = 0

        def call(
            method: str,
            path: str,
            payload: Any = None,
            token: str | None = None,
            profile: str | None = None,
        ) -> Any:
            nonlocal api_requests
            body = json.dumps(payload).encode() if payload is not None else b""
            headers = {"Content-Type": "application/json"} if payload is not None else {}
            if token:
                headers["Authorization"] = f"Bearer {token}"
            if profile:
                headers = signed_headers(
                    method,
                    f"http://localhost{path}",
                    seeded.profiles[profile],
                    clock.now(),
                    body=body,
                    headers=headers,
                )
            started = time.perf_counter()
            response = client.http.request(method, path, headers=headers, body=body)
            lambda_ms.append((time.perf_counter() - started) * 1000)
            api_requests += 1
            assert response.status_code < 300, (path, response.status_code, response.body)
            return json.loads(response.body or b"null")

        def drain() -> None:
            nonlocal consumer_batches
            consumer_batches += pump.drain()

        def until(check: Any) -> Any:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                drain()
                value = check()
                if value:
                    return value
                time.sleep(0.05)
            raise AssertionError("the workflow stalled")

        call("POST", "/auth/otp", {"phone": "13953700002"})
        token = call("POST", "/auth/token", {"phone": "13953700002", "code": sent[-1].code})[
            "access_token"
        ]
        meter.calls.clear()
        meter.transact_items = 0
        api_requests, consumer_batches, lambda_ms = 0, 0, []

        case = call(
            "POST",
            "/applications",
            {"service_code": SME, "applicant": enterprise(), "delivery": mail_delivery()},
            token=token,
        )
        case_id = case["id"]
        for material in ("licence", "audit"):
            form = call(
                "POST",
                f"/applications/{case_id}/documents",
                document_request(material, PDF),
                token=token,
            )
            clients.client("s3").put_object(
                Bucket=p.bucket, Key=form["upload"]["fields"]["key"], Body=PDF
            )
        drain()
        call("POST", f"/applications/{case_id}/submit", token=token)
        call(
            "POST",
            f"/admin/applications/{case_id}/acceptance",
            {"decision": "accept"},
            profile="zwfw-clerk",
        )
        task = until(
            lambda: [
                t
                for t in call("GET", "/admin/queues/review", profile="jxj-reviewer")["items"]
                if t["case_id"] == case_id
            ]
        )[0]
        before = Counter(meter.calls)
        call(
            "POST",
            f"/admin/reviews/{task['task_id']}/decision",
            {"decision": "approve", "opinion": "同意"},
            profile="jxj-reviewer",
        )
        decision_calls = Counter({k: v - before.get(k, 0) for k, v in meter.calls.items()})
        results["decision_calls"] = {
            k: v for k, v in decision_calls.items() if v and k.startswith("dynamodb")
        }
        results["decision_other"] = {
            k: v for k, v in decision_calls.items() if v and not k.startswith("dynamodb")
        }
        until(lambda: call("GET", f"/applications/{case_id}", token=token)["status"] == "approved")
        call(
            "POST",
            f"/admin/applications/{case_id}/issuance",
            {"tracking_number": "1187654321098"},
            profile="zwfw-issuer",
        )
        call("POST", f"/admin/applications/{case_id}/delivered", {}, profile="zwfw-issuer")
        call("POST", f"/applications/{case_id}/rating", {"level": 5}, token=token)

        sfn = clients.client("stepfunctions")
        execution = sfn.list_executions(stateMachineArn=p.state_machine_arn)["executions"][0]
        history = sfn.get_execution_history(executionArn=execution["executionArn"], maxResults=1000)
        transitions = sum(1 for e in history["events"] if e["type"].endswith("StateEntered"))
        results["transitions"] = transitions
        results["calls"] = dict(meter.calls)
        results["transact_items"] = meter.transact_items
        results["api_requests"] = api_requests
        results["consumer_batches"] = consumer_batches
        results["median_ms"] = sorted(lambda_ms)[len(lambda_ms) // 2]
        use_container(None)
    return results


def cost(results: dict[str, Any]) -> dict[str, float]:
    calls = results["calls"]
    ddb = {k.split(".", 1)[1]: v for k, v in calls.items() if k.startswith("dynamodb.")}
    write_units = sum(v for k, v in ddb.items() if k in WRITES) + 2 * results["transact_items"]
    read_units = sum(v for k, v in ddb.items() if k not in WRITES and k != "TransactWriteItems")
    invocations = results["api_requests"] * 2 + results["consumer_batches"]  # + authorizer
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
