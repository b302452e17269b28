"""A client generated from the served OpenAPI document (openapi-python-client) drives the
running stack, the way a mobile team or a department's system would start: the citizen signs
in, applies for the SME certification, uploads both materials through the presigned POSTs
the typed responses carry, submits, and reads the timeline; the acceptance clerk — the same
generated client, SigV4-signed — finds it in the queue and accepts it. Every answer parses
into the generated models (an undocumented status would raise)."""

from __future__ import annotations

import importlib
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

from tests.e2e.conftest import RunningStack
from tests.support.applications import PDF, SME, document_request, enterprise, mail_delivery

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

PACKAGE = "bianmin_generated_client"


@pytest.fixture(scope="module")
def generated(stack: RunningStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    root = tmp_path_factory.mktemp("client")
    config = root / "config.yaml"
    config.write_text("post_hooks: []\n", encoding="utf-8")
    result = subprocess.run(
        [
            str(Path(sys.executable).with_name("openapi-python-client")),
            "generate",
            "--url",
            f"{stack.url}/openapi.json",
            "--output-path",
            str(root / PACKAGE),
            "--meta",
            "none",
            "--config",
            str(config),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Warning" not in result.stdout, result.stdout  # every operation was generated
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(root))
        for name in [m for m in sys.modules if m.split(".")[0] == PACKAGE]:
            del sys.modules[name]


def module(package: ModuleType, name: str) -> Any:
    return importlib.import_module(f"{PACKAGE}.{name}")


class SigV4(httpx.Auth):
    """Department systems sign with their IAM keys (the generated client takes any httpx auth)."""

    requires_request_body = True

    def __init__(self, stack: RunningStack, profile: str) -> None:
        self.credentials = stack.profile(profile)

    def auth_flow(self, request: httpx.Request) -> Iterator[httpx.Request]:
        headers = {k: v for k, v in request.headers.items() if k.lower() != "authorization"}
        signable = AWSRequest(
            method=request.method, url=str(request.url), data=request.content, headers=headers
        )
        SigV4Auth(self.credentials, "execute-api", "cn-north-1").add_auth(signable)
        for name in ("Authorization", "X-Amz-Date"):
            request.headers[name] = signable.headers[name]
        yield request


def test_a_generated_client_files_an_application_and_a_clerk_accepts_it(
    stack: RunningStack, generated: ModuleType
) -> None:
    client_mod = module(generated, "client")
    models = module(generated, "models")
    api = lambda name: module(generated, f"api.{name}")  # noqa: E731

    anonymous = client_mod.Client(base_url=stack.url, raise_on_unexpected_status=True)
    phone = "13953700009"
    sent = api("auth.send_code").sync_detailed(
        client=anonymous, body=models.OtpRequest(phone=phone)
    )
    assert sent.status_code == 202
    issued = api("auth.issue_token").sync(
        client=anonymous, body=models.TokenRequest(phone=phone, code=stack.outbox_code(phone))
    )
    assert isinstance(issued, models.TokenIssued)
    citizen = client_mod.AuthenticatedClient(
        base_url=stack.url, token=issued.access_token, raise_on_unexpected_status=True
    )

    services = api("catalogue.list_services").sync(client=anonymous, county="370830", limit=100)
    assert SME in [item.code for item in services.items]
    created = api("applications.create_application").sync_detailed(
        client=citizen,
        body=models.ApplicationCreate.from_dict(
            {"service_code": SME, "applicant": enterprise(), "delivery": mail_delivery()}
        ),
        idempotency_key=f"generated-{time.monotonic_ns()}",
    )
    assert created.status_code == 201 and "Location" in created.headers
    application = created.parsed
    assert isinstance(application, models.ApplicationView)

    for material in ("licence", "audit"):
        registered = api("applications.request_upload").sync(
            application.id,
            client=citizen,
            body=models.DocumentRequest.from_dict(document_request(material, PDF)),
        )
        assert isinstance(registered, models.DocumentUpload)
        form = registered.upload
        posted = requests.post(
            form.url,
            data=form.fields.to_dict(),
            files={"file": (f"{material}.pdf", PDF, "application/pdf")},
            timeout=30,
        )
        assert posted.status_code in (200, 201, 204), posted.text
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        documents = api("applications.list_documents").sync(application.id, client=citizen)
        if all(str(d.status) == "clean" for d in documents.items):
            break
        time.sleep(0.2)
    assert [str(d.status) for d in documents.items] == ["clean", "clean"]

    submitted = api("applications.submit_application").sync(
        application.id, client=citizen, idempotency_key=f"submit-{application.id}"
    )
    assert isinstance(submitted, models.ApplicationView)
    assert str(submitted.status) == "submitted"

    clerk = client_mod.AuthenticatedClient(
        base_url=stack.url,
        token="",
        raise_on_unexpected_status=True,
        httpx_args={"auth": SigV4(stack, "zwfw-clerk")},
    )
    queue = api("admin.acceptance_queue").sync(client=clerk, limit=100)
    assert application.id in [item.id for item in queue.items]
    accepted = api("admin.decide_acceptance").sync(
        application.id,
        client=clerk,
        body=models.AcceptDecision.from_dict({"decision": "accept"}),
    )
    assert isinstance(accepted, models.ApplicationView)
    assert str(accepted.status) in ("in_review", "accepted")

    timeline = api("applications.application_timeline").sync(application.id, client=citizen)
    assert isinstance(timeline, models.TimelinePage)
    kinds = [event.type_ for event in timeline.items]
    assert "submitted" in kinds and "accepted" in kinds
