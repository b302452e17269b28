"""The in-process stack the benchmarks drive: moto, the provisioned stage, the seeded
county, and the app behind the local gateway (SigV4 checked), with a fixed clock."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import bench.routes  # noqa: F401 - sets the environment before the app is imported

# The scope the seeded platform covers, when a bench needs another than the demo's (a
# province's platform keeps its counties' figures rolled up to the province too).
PLATFORM_SCOPE: str | None = None


def _widen_platform(container: Any, scope: str) -> None:
    from chalicelib.domain.county import Platform
    from chalicelib.store.reference import ReferenceStore

    store = ReferenceStore(container.table)
    (platform,) = store.load(Platform)
    store.replace(Platform, [platform.model_copy(update={"scope": scope})])


@dataclass
class BenchStack:
    clients: Any
    provisioned: Any
    seeded: Any
    clock: Any
    client: Any
    pump: Any
    sent: list[Any]
    latencies_ms: list[float] = field(default_factory=list)

    def call(
        self,
        method: str,
        path: str,
        payload: Any = None,
        token: str | None = None,
        profile: str | None = None,
    ) -> tuple[Any, float]:
        """One API request; returns the JSON body and the seconds it took. Fails on >= 300."""
        from tests.support.signing import signed_headers

        body = json.dumps(payload).encode() if payload is not None else b""
        headers = {"Content-Type": "application/json"} if payload is not None else {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if profile:
            headers = signed_headers(
                method,
                f"http://localhost{path}",
                self.seeded.profiles[profile],
                self.clock.now(),
                body=body,
                headers=headers,
            )
        started = time.perf_counter()
        response = self.client.http.request(method, path, headers=headers, body=body)
        elapsed = time.perf_counter() - started
        self.latencies_ms.append(elapsed * 1000)
        assert response.status_code < 300, (path, response.status_code, response.body)
        return json.loads(response.body or b"null"), elapsed

    def citizen_token(self, phone: str) -> str:
        self.call("POST", "/auth/otp", {"phone": phone})
        code = self.sent[-1].code
        return str(
            self.call("POST", "/auth/token", {"phone": phone, "code": code})[0]["access_token"]
        )

    def upload(self, token: str, case_id: str, material: str, content: bytes) -> None:
        """Registers a document and puts its bytes where the presigned POST points."""
        from tests.support.applications import document_request

        form = self.call(
            "POST",
            f"/applications/{case_id}/documents",
            document_request(material, content),
            token=token,
        )[0]
        fields = form["upload"]["fields"]
        self.clients.client("s3").put_object(  # as the presigned POST would: its content type
            Bucket=self.provisioned.bucket,
            Key=fields["key"],
            Body=content,
            ContentType=fields["Content-Type"],
        )


@contextmanager
def bench_stack(*, execute_workflows: bool) -> Iterator[BenchStack]:
    from chalice.test import Client
    from moto import mock_aws

    from chalicelib import resources
    from chalicelib.clock import FixedClock
    from chalicelib.deps import Container, use_container
    from chalicelib.settings import Settings
    from chalicelib.store.clients import AwsClients
    from devstack.gateway import BianminLocalGateway
    from devstack.moto_dynamodb import realistic_dynamodb
    from devstack.provision import provision
    from devstack.pump import EventPump
    from devstack.seed import seed
    from devstack.sigv4 import SigV4Verifier

    realistic_dynamodb()
    clock = FixedClock(datetime(2026, 11, 27, 2, tzinfo=UTC))
    config = {"stepfunctions": {"execute_state_machine": execute_workflows}}
    with mock_aws(config=config):
        clients = AwsClients("cn-north-1")
        # The stage the app names its queues by when it is imported (importing the tests'
        # helpers sets BIANMIN_STAGE=test): the provisioned queues must be those.
        os.environ["BIANMIN_STAGE"] = stage = "bench"
        p = provision(clients, stage, "cn-north-1")
        settings = Settings(
            stage=stage,
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
        seeded = seed(container.table, clients, clock, stage, allow_demo=True)
        if PLATFORM_SCOPE is not None:  # the same counties, on a wider platform
            _widen_platform(container, PLATFORM_SCOPE)
        use_container(container)
        from app import app

        client = Client(app, stage_name="local")
        verifier = SigV4Verifier(seeded.credentials, region="cn-north-1", clock=clock)
        client.http._local_gateway = BianminLocalGateway(app, client._chalice_config, verifier)
        urls = {resources.queue_name(stage, s): u for s, u in p.queue_urls.items()}
        pump = EventPump(app, clients, urls, region="cn-north-1", table_name=p.table)
        try:
            yield BenchStack(clients, p, seeded, clock, client, pump, sent)
        finally:
            use_container(None)
