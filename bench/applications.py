"""Application routes on moto: DynamoDB calls per request and in-process latency of submit
and of the progress query (median of many runs)."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import bench.routes  # noqa: F401 - sets the environment before the app is imported

RUNS = 40


def measure() -> Iterator[tuple[str, Any, Any]]:
    """Yields ('calls', route, Counter) rows, then ('latency', route, [seconds])."""
    from chalice.test import Client
    from moto import mock_aws

    from chalicelib import resources
    from chalicelib.clock import FixedClock
    from chalicelib.deps import Container, use_container
    from chalicelib.settings import Settings
    from chalicelib.store.clients import AwsClients
    from devstack.gateway import BianminLocalGateway
    from devstack.metering import CallCounter
    from devstack.provision import provision
    from devstack.pump import EventPump
    from devstack.seed import seed
    from devstack.sigv4 import SigV4Verifier
    from tests.support.applications import PDF, SME, document_request, enterprise, mail_delivery
    from tests.support.signing import signed_headers

    clock = FixedClock(datetime(2026, 11, 27, 2, tzinfo=UTC))
    with mock_aws():  # executions are started, not run: only the app's calls are counted
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
        counter = CallCounter(clients.dynamodb)

        def call(
            method: str,
            path: str,
            payload: Any = None,
            token: str | None = None,
            profile: str | None = None,
        ) -> tuple[Any, Counter[str], float]:
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
            counter.reset()
            started = time.perf_counter()
            response = client.http.request(method, path, headers=headers, body=body)
            elapsed = time.perf_counter() - started
            assert response.status_code < 300, (path, response.status_code, response.body)
            return json.loads(response.body or b"null"), Counter(counter.calls), elapsed

        call("POST", "/auth/otp", {"phone": "13953700002"})
        token = call("POST", "/auth/token", {"phone": "13953700002", "code": sent[-1].code})[0][
            "access_token"
        ]
        new = {"service_code": SME, "applicant": enterprise(), "delivery": mail_delivery()}

        def prepared() -> str:
            case = call("POST", "/applications", new, token=token)[0]
            for material in ("licence", "audit"):
                upload = call(
                    "POST",
                    f"/applications/{case['id']}/documents",
                    document_request(material, PDF),
                    token=token,
                )[0]
                clients.client("s3").put_object(
                    Bucket=p.bucket, Key=upload["upload"]["fields"]["key"], Body=PDF
                )
            pump.drain()
            return str(case["id"])

        # calls per route (warm container)
        prepared()
        case, created, _ = call("POST", "/applications", new, token=token)
        yield "calls", "POST /applications", created
        upload, registered, _ = call(
            "POST",
            f"/applications/{case['id']}/documents",
            document_request("licence", PDF),
            token=token,
        )
        yield "calls", "POST /applications/{id}/documents", registered
        case_id = prepared()
        yield (
            "calls",
            "GET /applications/{id}",
            call("GET", f"/applications/{case_id}", token=token)[1],
        )
        yield (
            "calls",
            "GET /applications/{id}/documents",
            call("GET", f"/applications/{case_id}/documents", token=token)[1],
        )
        yield "calls", "GET /applications", call("GET", "/applications", token=token)[1]
        yield (
            "calls",
            "POST /applications/{id}/submit",
            call("POST", f"/applications/{case_id}/submit", token=token)[1],
        )
        yield (
            "calls",
            "GET /admin/queues/acceptance",
            call("GET", "/admin/queues/acceptance", profile="zwfw-clerk")[1],
        )
        yield (
            "calls",
            "GET /admin/applications/{id}",
            call("GET", f"/admin/applications/{case_id}", profile="zwfw-clerk")[1],
        )
        yield (
            "calls",
            "POST /admin/applications/{id}/acceptance (supplement)",
            call(
                "POST",
                f"/admin/applications/{case_id}/acceptance",
                {
                    "decision": "supplement",
                    "materials": [{"material_code": "audit", "reason": "缺章"}],
                },
                profile="zwfw-clerk",
            )[1],
        )
        clock.advance(seconds=1)
        upload = call(
            "POST",
            f"/applications/{case_id}/documents",
            document_request("audit", PDF),
            token=token,
        )[0]
        clients.client("s3").put_object(
            Bucket=p.bucket, Key=upload["upload"]["fields"]["key"], Body=PDF
        )
        counter.reset()
        pump.drain()
        yield "calls", "document scan consumer (one S3 event)", Counter(counter.calls)
        yield (
            "calls",
            "POST /applications/{id}/supplement",
            call("POST", f"/applications/{case_id}/supplement", token=token)[1],
        )
        yield (
            "calls",
            "POST /admin/applications/{id}/acceptance (accept)",
            call(
                "POST",
                f"/admin/applications/{case_id}/acceptance",
                {"decision": "accept"},
                profile="zwfw-clerk",
            )[1],
        )

        # latency
        submits, queries = [], []
        for _ in range(RUNS):
            clock.advance(seconds=1)
            if clock.now() - datetime(2026, 11, 27, 2, tzinfo=UTC) > timedelta(minutes=10):
                clock.set(datetime(2026, 11, 27, 2, tzinfo=UTC))
            case_id = prepared()
            submits.append(call("POST", f"/applications/{case_id}/submit", token=token)[2])
            queries.append(call("GET", f"/applications/{case_id}", token=token)[2])
        yield "latency", "POST /applications/{id}/submit", submits
        yield "latency", "GET /applications/{id}", queries
        use_container(None)
