"""A running local stack (`python -m devstack`, what `make run` runs) on free ports: started,
waited for, called with SigV4 as a staff profile, its SMS outbox read, stopped. Used by the
end-to-end tests and `make load`."""

from __future__ import annotations

import configparser
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from devstack.stack import free_port

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class RunningStack:
    url: str
    local: Path
    process: subprocess.Popen[str]

    def output(self) -> str:
        """What the stack printed (to a file: a pipe nobody reads fills and stalls it)."""
        log = self.local / "stack.log"
        return log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""

    def profile(self, name: str) -> Credentials:
        parser = configparser.ConfigParser()
        parser.read(self.local / "aws" / "credentials")
        section = parser[name]
        return Credentials(section["aws_access_key_id"], section["aws_secret_access_key"])

    def signed(self, method: str, path: str, profile: str, body: Any = None) -> requests.Response:
        data = json.dumps(body, ensure_ascii=False).encode() if body is not None else b""
        headers = {"Content-Type": "application/json"} if body is not None else {}
        request = AWSRequest(method=method, url=self.url + path, data=data, headers=headers)
        SigV4Auth(self.profile(profile), "execute-api", "cn-north-1").add_auth(request)
        return requests.request(
            method, self.url + path, data=data, headers=dict(request.headers), timeout=10
        )

    def outbox_code(self, phone: str, timeout: float = 10) -> str:
        deadline = time.monotonic() + timeout
        outbox = self.local / "outbox.jsonl"
        while time.monotonic() < deadline:
            if outbox.exists():
                for line in reversed(outbox.read_text(encoding="utf-8").splitlines()):
                    message = json.loads(line)
                    if message["phone"] == phone:
                        return str(message["code"])
            time.sleep(0.1)
        raise AssertionError(f"no SMS for {phone} reached {outbox}")


def start_stack(local: Path, extra_env: dict[str, str] | None = None) -> RunningStack:
    """Starts `python -m devstack` (what `make run` runs) on free ports and waits for it."""
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AWS_", "BIANMIN_", "POWERTOOLS_", "MOTO_"))
    }
    env.update({"BIANMIN_PORT": str(port), "BIANMIN_LOCAL_DIR": str(local), **(extra_env or {})})
    local.mkdir(parents=True, exist_ok=True)
    with (local / "stack.log").open("w", encoding="utf-8") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "devstack"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
    running = RunningStack(url=f"http://127.0.0.1:{port}", local=local, process=process)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(running.url + "/health", timeout=1).status_code == 200:
                return running
        except requests.ConnectionError:
            time.sleep(0.2)
        if process.poll() is not None:
            raise AssertionError(running.output() or "stack exited")
    process.kill()
    raise AssertionError(f"the local stack did not come up in 60 s\n{running.output()}")


def stop_stack(running: RunningStack) -> None:
    if running.process.poll() is None:
        running.process.kill()
        running.process.wait(timeout=10)
