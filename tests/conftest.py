"""Shared fixtures: moto-backed AWS, the provisioned stage, a container with a fixed clock,
and a Chalice test client whose local gateway checks SigV4 like the local stack does."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

# Tests never talk to a real AWS or to a running local stack by accident.
for _var in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN", "BIANMIN_AWS_ENDPOINT"):
    os.environ.pop(_var, None)
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "cn-north-1",
        "AWS_REGION": "cn-north-1",
        "BIANMIN_STAGE": "test",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }
)

from chalicelib.clock import FixedClock  # noqa: E402
from chalicelib.deps import Container, use_container  # noqa: E402
from chalicelib.domain.sms import SmsMessage  # noqa: E402
from chalicelib.settings import Settings  # noqa: E402
from chalicelib.store.clients import AwsClients  # noqa: E402

REGION = "cn-north-1"
STAGE = "test"
START = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)  # a Friday, 10:00 in Beijing


@dataclass
class RecordingSms:
    sent: list[SmsMessage] = field(default_factory=list)

    def dispatch(self, message: SmsMessage) -> None:
        self.sent.append(message)

    def last_code(self, phone: str) -> str:
        codes = [m.code for m in self.sent if m.phone == phone and m.code]
        assert codes, f"no code was sent to {phone}"
        return codes[-1]


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def aws() -> Iterator[AwsClients]:
    from moto import mock_aws

    from devstack.moto_dynamodb import realistic_dynamodb

    realistic_dynamodb()
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        yield AwsClients(REGION)


@pytest.fixture
def provisioned(aws: AwsClients) -> Any:
    from devstack.provision import provision

    return provision(aws, STAGE, REGION)


@pytest.fixture
def settings(provisioned: Any) -> Settings:
    return Settings(
        stage=STAGE,
        region=REGION,
        table_name=provisioned.table,
        documents_bucket=provisioned.bucket,
        sms_queue_url=provisioned.queue_urls["sms"],
        notifications_queue_url=provisioned.queue_urls["notifications"],
        signing_secret_id=provisioned.signing_secret_id,
        state_machine_arn=provisioned.state_machine_arn,
        review_seconds_per_day=3600,
        reference_max_age_seconds=0,
        staff_cache_seconds=0,
        # the in-process gateway is one client address for every test citizen
        otp_max_per_source_hour=10_000,
    )


@pytest.fixture
def sms() -> RecordingSms:
    return RecordingSms()


@pytest.fixture
def deps(
    settings: Settings, aws: AwsClients, clock: FixedClock, sms: RecordingSms
) -> Iterator[Container]:
    container = Container(settings=settings, clock=clock, clients=aws, sms_dispatch=sms)
    use_container(container)
    yield container
    use_container(None)


@pytest.fixture
def seeded(deps: Container, aws: AwsClients, clock: FixedClock) -> Any:
    from devstack.seed import seed

    return seed(deps.table, aws, clock, STAGE, iam=False, allow_demo=True)


# Routes that answer from the figures, which follow the cases through the table's change
# feed within seconds: the test client lets the feed catch up before it reads them, as a
# caller that waits a moment would (tests of the lag itself drive the pump directly).
FIGURES = ("/admin/stats", "/public/stats", "/admin/exports/", "/dashboard/data")


class ApiClient:
    """chalice.test.Client with the local stack's gateway (SigV4 on admin routes)."""

    def __init__(self, client: Any, seeded: Any, clock: FixedClock, settle: Any = None) -> None:
        self._client = client
        self._seeded = seeded
        self._clock = clock
        self._settle = settle

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        token: str | None = None,
        profile: str | None = None,
    ) -> Any:
        from tests.support.signing import signed_headers

        headers = dict(headers or {})
        if json_body is not None:
            body = json.dumps(json_body, ensure_ascii=False).encode()
            headers.setdefault("Content-Type", "application/json")
        body = body or b""
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if self._settle is not None and method == "GET" and path.startswith(FIGURES):
            self._settle()
        if profile:
            headers = signed_headers(
                method,
                f"http://localhost{path}",
                self._seeded.profiles[profile],
                self._clock.now(),
                body=body,
                headers=headers,
            )
        return self._client.http.request(method, path, headers=headers, body=body)

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Any:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> Any:
        return self.request("PATCH", path, **kwargs)


@pytest.fixture
def api(deps: Container, seeded: Any, clock: FixedClock, pump: Any) -> ApiClient:
    from chalice.test import Client

    from app import app
    from devstack.gateway import BianminLocalGateway, thread_local_requests
    from devstack.sigv4 import SigV4Verifier

    thread_local_requests(app)
    client = Client(app, stage_name="local")
    verifier = SigV4Verifier(seeded.credentials, region=REGION, clock=clock)
    # The test client's gateway is Chalice's LocalGateway; use the local stack's instead.
    client.http._local_gateway = BianminLocalGateway(app, client._chalice_config, verifier)
    return ApiClient(client, seeded, clock, settle=pump.stream.drain)


def body(response: Any) -> Any:
    return json.loads(response.body)


def sign_in(api: ApiClient, sms: RecordingSms, phone: str = "13953700001") -> str:
    assert api.post("/auth/otp", json_body={"phone": phone}).status_code == 202
    response = api.post("/auth/token", json_body={"phone": phone, "code": sms.last_code(phone)})
    assert response.status_code == 200, response.body
    return str(body(response)["access_token"])


@pytest.fixture
def pump(deps: Container, aws: AwsClients, provisioned: Any) -> Any:
    """Delivers queued messages (S3 events, SMS …) to the app's consumers on demand."""
    from app import app
    from chalicelib import resources
    from devstack.pump import EventPump

    urls = {resources.queue_name(STAGE, s): u for s, u in provisioned.queue_urls.items()}
    return EventPump(app, aws, urls, region=REGION, table_name=provisioned.table)
