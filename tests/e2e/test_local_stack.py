"""End to end: `python -m devstack` (what `make run` starts), driven over HTTP like a newcomer
following the README: sign in by SMS code, browse, call the admin API signed with botocore
and with the README's awscurl command, edit the catalogue, stop with Ctrl-C."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from devstack.stack import free_port
from tests.e2e.conftest import RunningStack, start_stack, stop_stack
from tests.support.requests import street_light

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def test_a_citizen_signs_in_with_the_code_from_the_outbox(stack: RunningStack) -> None:
    phone = "13953700002"
    sent = requests.post(stack.url + "/auth/otp", json={"phone": phone}, timeout=10)
    assert sent.status_code == 202
    code = stack.outbox_code(phone)
    token = requests.post(
        stack.url + "/auth/token", json={"phone": phone, "code": code}, timeout=10
    ).json()["access_token"]
    me = requests.get(stack.url + "/me", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert me.status_code == 200
    reused = requests.post(
        stack.url + "/auth/token", json={"phone": phone, "code": code}, timeout=10
    )
    assert reused.status_code == 401
    assert reused.headers["Content-Type"] == "application/problem+json"


def test_the_catalogue_and_reference_data_are_served(stack: RunningStack) -> None:
    services = requests.get(
        stack.url + "/services", params={"county": "370830", "q": "企业"}, timeout=10
    ).json()
    assert "370830-QR-0001" in [s["code"] for s in services["items"]]
    guide = requests.get(stack.url + "/services/370830-XK-0001", timeout=10).json()
    assert len(guide["review"]["departments"]) == 4
    assert requests.get(stack.url + "/categories?county=370830", timeout=10).json()["items"]
    assert requests.get(stack.url + "/jurisdictions?county=370830", timeout=10).json()["items"][0][
        "name"
    ] == ("汶上县")
    assert requests.get(stack.url + "/nope/nope", timeout=10).status_code == 404
    assert requests.get(stack.url + "/openapi.json", timeout=10).json()["openapi"] == "3.1.0"


def test_staff_profiles_and_roles_are_written_for_the_developer(stack: RunningStack) -> None:
    staff = json.loads((stack.local / "staff.json").read_text(encoding="utf-8"))
    by_profile = {s["profile"]: s for s in staff}
    for profile in ("zwfw-clerk", "jxj-reviewer", "scjg-reviewer", "county-leader"):
        assert profile in by_profile
    assert by_profile["catalogue-admin"]["role"] == "catalogue_admin"
    assert (stack.local / "aws" / "credentials").stat().st_mode & 0o077 == 0


def test_signed_admin_calls_work_and_unsigned_ones_are_refused(stack: RunningStack) -> None:
    me = stack.signed("GET", "/admin/me", "jxj-reviewer")
    assert me.status_code == 200, me.text
    assert me.json()["department"] == "jxj"
    unsigned = requests.get(stack.url + "/admin/me", timeout=10)
    assert unsigned.status_code == 401
    assert unsigned.headers["WWW-Authenticate"] == "AWS4-HMAC-SHA256"
    request = AWSRequest(method="GET", url=stack.url + "/admin/me")
    SigV4Auth(Credentials("AKIAFORGED0000000000", "x" * 40), "execute-api", "cn-north-1").add_auth(
        request
    )
    unknown = requests.get(stack.url + "/admin/me", headers=dict(request.headers), timeout=10)
    assert unknown.status_code == 403


def _raw(stack: RunningStack, request_line: bytes, headers: bytes = b"") -> tuple[int, dict, bytes]:
    """One HTTP exchange over a plain socket (for what no client library sends)."""
    import socket

    host, port = stack.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request_line + b"\r\nHost: x\r\n" + headers + b"Connection: close\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, content = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    fields = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return status, fields, content


def test_what_the_server_itself_refuses_is_problem_json_too(stack: RunningStack) -> None:
    for method in (b"TRACE", b"QUERY", b"BREW"):
        status, headers, content = _raw(stack, method + b" /services HTTP/1.1")
        assert status == 405, (method, content)
        assert headers["content-type"] == "application/problem+json"
        assert headers["allow"] == "GET, HEAD"
        assert json.loads(content)["instance"] == "/services"
    status, headers, content = _raw(stack, b"GET /" + b"a" * 70_000 + b" HTTP/1.1")
    assert status == 414 and json.loads(content)["status"] == 414
    status, headers, content = _raw(
        stack, b"GET /health HTTP/1.1", b"X-Big: " + b"b" * 70_000 + b"\r\n"
    )
    assert status == 431 and headers["content-type"] == "application/problem+json"
    head = requests.head(stack.url + "/services/370830-QR-0001", timeout=10)
    assert head.status_code == 200 and head.content == b"" and head.headers["ETag"]
    assert requests.get(stack.url + "/health", timeout=10).headers["X-Request-Id"]
    unknown = requests.get(stack.url + "/open311/v2/nothing/here.xml", timeout=10)
    assert unknown.status_code == 404 and unknown.text.startswith("<?xml")
    assert "<errors><error><code>404</code>" in unknown.text


def _sourced_env(stack: RunningStack) -> dict[str, str]:
    """The environment after `source .local/env`, with no other AWS identity around."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    for line in (stack.local / "env").read_text().splitlines():
        key, _, value = line.removeprefix("export ").partition("=")
        env[key] = value.strip('"').replace("$PATH", os.environ.get("PATH", ""))
    return env


def test_the_readme_awscurl_command_works(stack: RunningStack) -> None:
    env = _sourced_env(stack)
    awscurl = shutil.which("awscurl", path=env["PATH"])
    assert awscurl and awscurl.endswith("devstack/bin/awscurl")
    for command, extra in (
        ([awscurl, "--profile", "scjg-reviewer"], {}),
        ([awscurl], {"AWS_PROFILE": "jxj-reviewer"}),
    ):
        result = subprocess.run(
            [*command, "--service", "execute-api", stack.url + "/admin/me"],
            env={**env, **extra},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        expected = extra.get("AWS_PROFILE", "scjg-reviewer")
        assert json.loads(result.stdout)["staff_id"] == expected


def test_the_catalogue_admin_edits_an_item_and_the_old_version_stays(stack: RunningStack) -> None:
    code = "370830-XK-0002"
    guide = requests.get(f"{stack.url}/services/{code}", timeout=10).json()
    derived = {"code", "version", "updated_at", "updated_by", "type_label", "review_rule_label"}
    derived |= {"delivery_labels", "departments", "etag"}
    change = {k: v for k, v in guide.items() if k not in derived}
    change["promised_days"] = 0
    refused = stack.signed("PUT", f"/admin/services/{code}", "scjg-reviewer", change)
    assert refused.status_code == 403
    published = stack.signed("PUT", f"/admin/services/{code}", "catalogue-admin", change)
    assert published.status_code == 200, published.text
    assert published.json()["version"] == 2
    assert requests.get(f"{stack.url}/services/{code}", timeout=10).json()["promised_days"] == 0
    old = requests.get(f"{stack.url}/services/{code}/versions/1", timeout=10).json()
    assert old["promised_days"] == guide["promised_days"]


def test_a_follower_binds_wechat_and_is_told_there_with_delivery_reported_back(
    stack: RunningStack,
) -> None:
    """Through the running stack and its WeChat fake: the web authorisation's code binds the
    account, a filed request's notice goes as a template message (no text), and the fake's
    signed TEMPLATESENDJOBFINISH push reaches /wechat/events and marks it delivered."""
    phone, openid = "13953700009", "oE2eFollower000000000001"
    wechat = json.loads((stack.local / "stack.json").read_text())["wechat_fake"]
    assert requests.post(f"{wechat}/fake/follow", params={"openid": openid}, timeout=10).ok
    code = requests.get(f"{wechat}/fake/authorize", params={"openid": openid}, timeout=10)
    requests.post(stack.url + "/auth/otp", json={"phone": phone}, timeout=10)
    token = requests.post(
        stack.url + "/auth/token",
        json={"phone": phone, "code": stack.outbox_code(phone)},
        timeout=10,
    ).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    bound = requests.put(
        stack.url + "/me/wechat", json={"code": code.json()["code"]}, headers=auth, timeout=10
    )
    assert bound.status_code == 200 and bound.json()["bound"] is True
    filed = requests.post(stack.url + "/requests", json=street_light(), headers=auth, timeout=10)
    assert filed.status_code == 201, filed.text
    channels: dict[str, str] = {}
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and channels.get("wechat") != "delivered":
        time.sleep(0.5)
        items = requests.get(stack.url + "/me/notifications", headers=auth, timeout=10).json()
        channels = items["items"][0]["channels"] if items["items"] else {}
    assert channels == {"inbox": "delivered", "sms": "carried_by_wechat", "wechat": "delivered"}
    sent = requests.get(f"{wechat}/fake/sent", timeout=10).json()
    assert any(m["touser"] == openid and m["data"]["phrase3"]["value"] == "已收到" for m in sent)


def test_ctrl_c_stops_the_stack_cleanly(stack: RunningStack) -> None:
    stack.process.send_signal(signal.SIGINT)
    stack.process.wait(timeout=30)
    output = stack.output()
    assert stack.process.returncode == 0, output
    assert "Bianmin 便民 — local stack is up" in output
    assert "Stopped." in output


def test_an_external_aws_endpoint_can_replace_the_embedded_one(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    from moto.server import ThreadedMotoServer

    aws_port = free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=aws_port, verbose=False)
    moto.start()
    endpoint = f"http://127.0.0.1:{aws_port}"
    try:
        stack = start_stack(tmp_path_factory.mktemp("external"), {"BIANMIN_AWS_ENDPOINT": endpoint})
        try:
            url = stack.url
            assert (
                len(
                    requests.get(url + "/services?county=370830&limit=100", timeout=10).json()[
                        "items"
                    ]
                )
                == 10
            )
            assert stack.signed("GET", "/admin/me", "zwfw-clerk").json()["role"] == "clerk"
            # the resources are in the external endpoint, not in an embedded one
            import boto3

            ddb = boto3.client(
                "dynamodb",
                endpoint_url=endpoint,
                region_name="cn-north-1",
                aws_access_key_id="x",
                aws_secret_access_key="x",
            )
            assert "bianmin-local-main" in ddb.list_tables()["TableNames"]
            stack.process.send_signal(signal.SIGINT)
            assert stack.process.wait(timeout=30) == 0, stack.output()
        finally:
            stop_stack(stack)
    finally:
        moto.stop()
