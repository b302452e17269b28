"""The whole system on one machine: embedded AWS (moto's server, in this process), resources
provisioned from the deploy definitions, the demo county seeded, events pumped, and the API
served on http://127.0.0.1:8000 with SigV4 checked on admin routes."""

from __future__ import annotations

import functools
import json
import logging
import os
import socket
import threading
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from chalicelib import resources
from chalicelib.clock import SystemClock
from chalicelib.store.clients import AwsClients
from chalicelib.store.table import Table
from devstack.provision import Provisioned, provision
from devstack.seed import Seeded, seed, seed_inspections, write_local_files
from devstack.sigv4 import SigV4Verifier
from devstack.wechat_fake import FakeWeChat

ROOT = Path(__file__).resolve().parent.parent
# The local official account's one approved template (办件进度提醒).
LOCAL_WECHAT_TEMPLATE = "bianmin-local-progress"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class StackConfig:
    host: str = "127.0.0.1"
    port: int = 8000
    stage: str = "local"
    region: str = "cn-north-1"
    aws_endpoint: str | None = None  # external AWS-compatible endpoint; None: embedded moto
    local_dir: Path = field(default_factory=lambda: ROOT / ".local")
    schedule_interval: float | None = None

    @classmethod
    def from_env(cls) -> StackConfig:
        env = os.environ
        return cls(
            host=env.get("BIANMIN_HOST", "127.0.0.1"),
            port=int(env.get("BIANMIN_PORT", "8000")),
            stage=env.get("BIANMIN_STAGE", "local"),
            region=env.get("AWS_REGION") or env.get("BIANMIN_REGION", "cn-north-1"),
            aws_endpoint=env.get("BIANMIN_AWS_ENDPOINT") or None,
            local_dir=Path(env.get("BIANMIN_LOCAL_DIR", str(ROOT / ".local"))),
            schedule_interval=float(env["BIANMIN_SCHEDULE_SECONDS"])
            if env.get("BIANMIN_SCHEDULE_SECONDS")
            else None,
        )


class LocalStack:
    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self._moto = None
        self._server_thread: threading.Thread | None = None
        self._server = None
        self.pump = None
        self.wechat: FakeWeChat | None = None
        self.provisioned: Provisioned | None = None
        self.seeded: Seeded | None = None
        self.endpoint = ""

    @property
    def api_url(self) -> str:
        return f"http://{self.config.host}:{self.config.port}"

    def _start_aws(self) -> str:
        if self.config.aws_endpoint:
            return self.config.aws_endpoint.rstrip("/")
        from moto.server import ThreadedMotoServer

        from devstack.moto_dynamodb import realistic_dynamodb

        realistic_dynamodb()
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        port = free_port()
        # moto's Step Functions engine calls the services a state machine integrates with
        # (SQS for the review tasks) at localhost:$MOTO_PORT.
        os.environ["MOTO_PORT"] = str(port)
        self._moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        self._moto.start()
        endpoint = f"http://127.0.0.1:{port}"
        request = urllib.request.Request(  # noqa: S310 - loopback http only
            f"{endpoint}/moto-api/config",
            data=json.dumps({"stepfunctions": {"execute_state_machine": True}}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        urllib.request.urlopen(request, timeout=10).close()  # noqa: S310 - loopback only
        return endpoint

    def _environment(self, endpoint: str) -> None:
        """The app reads its settings from the environment, exactly as in Lambda."""
        env = os.environ
        env["AWS_ENDPOINT_URL"] = endpoint
        env["AWS_REGION"] = env["AWS_DEFAULT_REGION"] = self.config.region
        if not self.config.aws_endpoint:
            # The app's own calls to the embedded AWS; staff sign with their own keys.
            env["AWS_ACCESS_KEY_ID"] = "local-app"
            env["AWS_SECRET_ACCESS_KEY"] = "local-app"  # noqa: S105 - moto accepts any
            env.pop("AWS_SESSION_TOKEN", None)
            env.pop("AWS_PROFILE", None)
        elif not (env.get("AWS_ACCESS_KEY_ID") or env.get("AWS_PROFILE")):
            # An external emulator (moto_server, LocalStack …) takes any key.
            env["AWS_ACCESS_KEY_ID"] = "local-app"
            env["AWS_SECRET_ACCESS_KEY"] = "local-app"  # noqa: S105
        env["BIANMIN_STAGE"] = self.config.stage
        # Links the API hands out (certificate verification, the dashboard) point here.
        env.setdefault("BIANMIN_PUBLIC_URL", f"http://{self.config.host}:{self.config.port}")
        env.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
        env.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
        env.setdefault("POWERTOOLS_METRICS_DISABLED", "true")

    def _start_wechat(self, clients: AwsClients) -> None:
        """The local fake of WeChat's official-account API (devstack/wechat_fake.py): the app's
        WeChat adapter talks to it as to api.weixin.qq.com, and it pushes each message's
        outcome to the API's /wechat/events, signed with the account token — unless an
        account is configured in the environment already."""
        env = os.environ
        if env.get("BIANMIN_WECHAT_APP_ID"):
            return
        fake = FakeWeChat(
            templates={LOCAL_WECHAT_TEMPLATE},
            callback_url=f"{self.api_url}/wechat/events",
            record_path=str(self.config.local_dir / "wechat.jsonl"),
            port=int(env.get("BIANMIN_WECHAT_PORT", "0")),
        ).start()
        self.wechat = fake
        name = resources.wechat_secret_name(self.config.stage)
        value = json.dumps({"app_secret": fake.app_secret, "token": fake.token})
        sm = clients.client("secretsmanager")
        try:
            arn = sm.create_secret(Name=name, SecretString=value)["ARN"]
        except sm.exceptions.ResourceExistsException:
            arn = sm.put_secret_value(SecretId=name, SecretString=value)["ARN"]
        env.update(
            {
                "BIANMIN_WECHAT_APP_ID": fake.app_id,
                "BIANMIN_WECHAT_SECRET_ID": str(arn),
                "BIANMIN_WECHAT_TEMPLATE_ID": LOCAL_WECHAT_TEMPLATE,
                "BIANMIN_WECHAT_ENDPOINT": fake.url,
            }
        )

    def start(self) -> None:
        self.endpoint = self._start_aws()
        self._environment(self.endpoint)
        clients = AwsClients(self.config.region)
        self.provisioned = provision(clients, self.config.stage, self.config.region)
        os.environ.update(
            {
                "BIANMIN_TABLE": self.provisioned.table,
                "BIANMIN_DOCUMENTS_BUCKET": self.provisioned.bucket,
                "BIANMIN_SMS_QUEUE_URL": self.provisioned.queue_urls["sms"],
                "BIANMIN_NOTIFICATIONS_QUEUE_URL": self.provisioned.queue_urls["notifications"],
                "BIANMIN_SIGNING_SECRET_ID": self.provisioned.signing_secret_id,
                "BIANMIN_STATE_MACHINE_ARN": self.provisioned.state_machine_arn,
                "BIANMIN_OUTBOX_PATH": str(self.config.local_dir / "outbox.jsonl"),
            }
        )
        self._start_wechat(clients)
        clock = SystemClock()
        self.seeded = seed(
            Table(clients, self.provisioned.table),
            clients,
            clock,
            self.config.stage,
            allow_demo=True,  # the local stack's own stage: demo users and citizens
        )
        seed_inspections(Table(clients, self.provisioned.table), clock)
        write_local_files(self.config.local_dir, self.seeded, self.config.region)
        (self.config.local_dir / "stack.json").write_text(
            json.dumps(
                {
                    "api_url": self.api_url,
                    "aws_endpoint": self.endpoint,
                    "region": self.config.region,
                    "stage": self.config.stage,
                    "table": self.provisioned.table,
                    "bucket": self.provisioned.bucket,
                    "queues": self.provisioned.queue_urls,
                    "state_machine_arn": self.provisioned.state_machine_arn,
                    "wechat_fake": self.wechat.url if self.wechat else None,
                },
                indent=2,
            )
            + "\n"
        )

        # Imported only now: the app reads BIANMIN_STAGE at import to name its queues.
        from chalice.config import Config
        from chalice.local import LocalDevServer, ThreadedHTTPServer

        class ApiServer(ThreadedHTTPServer):
            """A thread per connection, and a listen backlog for a load run's parallel
            clients (the standard library's 5 resets connections beyond ~20 of them)."""

            request_queue_size = 256
            daemon_threads = True

        from app import app
        from devstack.gateway import BianminRequestHandler, thread_local_requests
        from devstack.pump import EventPump

        thread_local_requests(app)
        verifier = SigV4Verifier(self.seeded.credentials, region=self.config.region, clock=clock)
        config = Config.create(
            chalice_stage=self.config.stage,
            app_name="bianmin",
            lambda_timeout=60,
            lambda_memory_size=512,
        )
        handler = functools.partial(
            BianminRequestHandler, app_object=app, config=config, verifier=verifier
        )
        self._server = LocalDevServer(
            app,
            config,
            self.config.host,
            self.config.port,
            handler_cls=handler,
            server_cls=ApiServer,
        )
        queue_urls = {
            resources.queue_name(self.config.stage, suffix): url
            for suffix, url in self.provisioned.queue_urls.items()
        }
        self.pump = EventPump(
            app,
            clients,
            queue_urls,
            region=self.config.region,
            schedule_interval=self.config.schedule_interval,
            table_name=self.provisioned.table,
        )
        self.pump.start()
        self._server_thread = threading.Thread(
            target=self._server.server.serve_forever, name="api", daemon=True
        )
        self._server_thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server.server_close()
        if self.pump is not None:
            self.pump.stop()
        if self.wechat is not None:
            self.wechat.stop()
        if self._moto is not None:
            self._moto.stop()

    def banner(self) -> str:
        assert self.seeded is not None
        local = self.config.local_dir
        phone = self.seeded.citizen_phones[0]
        aws = self.config.aws_endpoint or f"{self.endpoint} (embedded moto)"
        return "\n".join(
            [
                "",
                "  Bianmin 便民 — local stack is up: 济宁便民, 汶上县 370830 and 嘉祥县 370829",
                f"  API            {self.api_url}   (OpenAPI: {self.api_url}/openapi.json)",
                f"  Counties       {self.api_url}/counties; a county's catalogue: "
                f"{self.api_url}/services?county=370830",
                f"  AWS endpoint   {aws}, region {self.config.region}",
                f"  Demo citizen   {phone}  → POST /auth/otp, code in {local}/outbox.jsonl",
                *(
                    [
                        f"  WeChat (fake)  {self.wechat.url}/fake/authorize?openid=<any> gives the "
                        f"code for PUT /me/wechat; messages in {local}/wechat.jsonl"
                    ]
                    if self.wechat
                    else []
                ),
                f"  Staff keys     {local}/aws/credentials (profiles), roles in {local}/staff.json",
                f"  Signed calls   source {local}/env && awscurl --profile jxj-reviewer "
                f"--service execute-api {self.api_url}/admin/me",
                f"  Open311        {self.api_url}/open311/v2/services.json?jurisdiction_id=370830; "
                f"partner api_key in {local}/open311-key",
                "  Dashboard      awscurl --profile county-leader --service execute-api -X POST "
                f"{self.api_url}/admin/dashboard/session  → open the url it returns "
                "(city-leader: both counties; jx-* profiles: 嘉祥县's staff)",
                "  Workload       make workload (a county's worth of requests and applications)",
                "  Ctrl-C stops it.",
                "",
            ]
        )
