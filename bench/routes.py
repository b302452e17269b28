"""Drives each catalogue and auth route through chalice.test.Client on moto and counts the
DynamoDB operations it makes, first in a cold container (empty caches) then warm."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "cn-north-1",
        "BIANMIN_STAGE": "bench",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "ERROR",
    }
)
os.environ.pop("AWS_ENDPOINT_URL", None)


def measure() -> Iterator[tuple[str, Counter[str], Counter[str]]]:
    import json

    from chalice.test import Client
    from moto import mock_aws

    from chalicelib.clock import FixedClock
    from chalicelib.deps import Container, use_container
    from chalicelib.settings import Settings
    from chalicelib.store.clients import AwsClients
    from devstack.gateway import BianminLocalGateway
    from devstack.metering import CallCounter
    from devstack.provision import provision
    from devstack.seed import seed
    from devstack.sigv4 import SigV4Verifier
    from tests.support.signing import signed_headers

    clock = FixedClock(datetime(2026, 11, 27, 2, tzinfo=UTC))
    with mock_aws():
        clients = AwsClients("cn-north-1")
        p = provision(clients, "bench", "cn-north-1")
        settings = Settings(
            stage="bench",
            table_name=p.table,
            documents_bucket=p.bucket,
            sms_queue_url=p.queue_urls["sms"],
            signing_secret_id=p.signing_secret_id,
            reference_max_age_seconds=0,
        )
        sent: list[Any] = []

        class Sms:
            def dispatch(self, message: Any) -> None:
                sent.append(message)

        seeded = seed(
            Container(settings, clock, clients).table, clients, clock, "bench", allow_demo=True
        )
        from app import app

        def fresh() -> Client:
            use_container(Container(settings, clock, clients, sms_dispatch=Sms()))
            client = Client(app, stage_name="local")
            verifier = SigV4Verifier(seeded.credentials, region="cn-north-1", clock=clock)
            client.http._local_gateway = BianminLocalGateway(app, client._chalice_config, verifier)
            return client

        counter = CallCounter(clients.dynamodb)
        phone = "13953700005"

        def call(
            client: Client, method: str, path: str, payload: Any = None, profile: str | None = None
        ) -> Counter[str]:
            body = json.dumps(payload).encode() if payload is not None else b""
            headers = {"Content-Type": "application/json"} if payload is not None else {}
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
            response = client.http.request(method, path, headers=headers, body=body)
            assert response.status_code < 300, (path, response.status_code, response.body)
            return Counter(counter.calls)

        reads = [
            ("GET", "/services?county=370830"),
            ("GET", "/counties"),
            ("GET", "/services?county=370830&department=jxj&q=%E8%AF%81%E6%98%8E"),
            ("GET", "/services/370830-QR-0001"),
            ("GET", "/services/370830-QR-0001/versions"),
            ("GET", "/services/370830-QR-0001/versions/1"),
            ("GET", "/categories?county=370830"),
            ("GET", "/jurisdictions?county=370830"),
            ("GET", "/jurisdictions?county=370830&parent=370830001001"),
            ("GET", "/jurisdictions/370830001001001"),
        ]
        for method, path in reads:
            cold = call(fresh(), method, path)
            warm_client = fresh()
            call(warm_client, method, path)
            warm = call(warm_client, method, path)
            yield f"{method} {path}", warm, cold
        client = fresh()
        otp = call(client, "POST", "/auth/otp", {"phone": phone})
        yield "POST /auth/otp", otp, otp
        token = call(client, "POST", "/auth/token", {"phone": phone, "code": sent[-1].code})
        yield "POST /auth/token (first sign-in)", token, token
        client = fresh()
        cold = call(client, "GET", "/admin/me", profile="jxj-reviewer")
        warm = call(client, "GET", "/admin/me", profile="jxj-reviewer")
        yield "GET /admin/me", warm, cold
        use_container(None)
