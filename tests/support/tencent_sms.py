"""A local fake of Tencent Cloud's SMS API (sms.tencentcloudapi.com, 2021-01-11), for the
sender's tests: a threaded HTTP server on 127.0.0.1 that takes what the official SDK sends —
a POST of JSON, signed TC3-HMAC-SHA256 (https://cloud.tencent.com/document/api/382/52071) —
checks the action, the version and the signature against the test key pair, records each
request, and answers as Tencent does: a `SendStatusSet` per number (HTTP 200 even for a
number that failed), an `Error` for a failed call, or nothing in time (a timeout).

    with FakeTencentSms() as fake:
        fake.script("LimitExceeded.PhoneNumberDailyLimit")   # the next call's status
        fake.script(error="InternalError.Timeout")           # the one after: an error
        fake.script(delay=3)                                  # then: too slow to answer
        ...  fake.url is the endpoint; fake.requests what was sent
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SECRET_ID = "AKIDbianmintest0000000000000000000"
SECRET_KEY = "bianmin-test-secret-key-0000000000"  # the fake's own test key
SERVICE = "sms"
_AUTHORIZATION = re.compile(
    r"^TC3-HMAC-SHA256 Credential=(?P<id>[^/]+)/(?P<date>\d{4}-\d{2}-\d{2})/(?P<service>[a-z]+)"
    r"/tc3_request, SignedHeaders=(?P<signed>[a-z0-9;-]+), Signature=(?P<signature>[0-9a-f]{64})$"
)


def tc3_signature(
    secret_key: str, *, headers: dict[str, str], signed: list[str], payload: bytes, date: str
) -> str:
    """The TC3-HMAC-SHA256 signature of a POST to / (Tencent's published algorithm)."""
    canonical_headers = "".join(f"{name}:{headers[name].strip().lower()}\n" for name in signed)
    canonical_request = "\n".join(
        [
            "POST",
            "/",
            "",
            canonical_headers,
            ";".join(signed),
            hashlib.sha256(payload).hexdigest(),
        ]
    )
    scope = f"{date}/{SERVICE}/tc3_request"
    to_sign = "\n".join(
        [
            "TC3-HMAC-SHA256",
            headers["x-tc-timestamp"],
            scope,
            hashlib.sha256(canonical_request.encode()).hexdigest(),
        ]
    )

    def mac(key: bytes, message: str) -> bytes:
        return hmac.new(key, message.encode(), hashlib.sha256).digest()

    key = mac(mac(mac(("TC3" + secret_key).encode(), date), SERVICE), "tc3_request")
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


@dataclass
class Answer:
    status: str = "Ok"  # each number's SendStatus.Code
    error: str | None = None  # a failed call: Response.Error.Code
    delay: float = 0.0  # seconds before answering
    phone: str | None = None  # for this number's next call only (else: the next call's)


@dataclass
class Received:
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class FakeTencentSms:
    secrets: dict[str, str] = field(default_factory=lambda: {SECRET_ID: SECRET_KEY})
    requests: list[Received] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # why requests were turned away
    _script: list[Answer] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __enter__(self) -> FakeTencentSms:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def script(
        self,
        status: str = "Ok",
        *,
        error: str | None = None,
        delay: float = 0,
        phone: str | None = None,
    ) -> None:
        """How the next call (to `phone`, if given) is answered; unscripted calls: "Ok"."""
        with self._lock:
            self._script.append(Answer(status, error, delay, phone))

    def next_answer(self, numbers: list[str]) -> Answer:
        with self._lock:
            for wanted in ([f"+86{n[-11:]}" for n in numbers], [None]):
                for answer in self._script:
                    if (f"+86{answer.phone}" if answer.phone else None) in wanted:
                        self._script.remove(answer)
                        return answer
            return Answer()

    def sent(self) -> list[dict[str, Any]]:
        """The bodies of the SendSms calls that were accepted."""
        return [r.body for r in self.requests]

    def check(self, headers: dict[str, str], payload: bytes) -> str | None:
        """Why the request is refused (an error code), or None."""
        if headers.get("x-tc-action") != "SendSms":
            return "InvalidAction"
        if headers.get("x-tc-version") != "2021-01-11":
            return "NoSuchVersion"
        match = _AUTHORIZATION.match(headers.get("authorization", ""))
        if match is None:
            return "AuthFailure.InvalidAuthorization"
        secret_key = self.secrets.get(match["id"])
        if secret_key is None:
            return "AuthFailure.SecretIdNotFound"
        stamp = int(headers.get("x-tc-timestamp", "0"))
        moment = datetime.fromtimestamp(stamp, UTC)
        if abs(time.time() - stamp) > 300 or moment.strftime("%Y-%m-%d") != match["date"]:
            return "AuthFailure.SignatureExpire"
        signed = match["signed"].split(";")
        if match["service"] != SERVICE or not {"content-type", "host"} <= set(signed):
            return "AuthFailure.InvalidAuthorization"
        expected = tc3_signature(
            secret_key, headers=headers, signed=signed, payload=payload, date=match["date"]
        )
        if not hmac.compare_digest(expected, match["signature"]):
            return "AuthFailure.SignatureFailure"
        return None


def _handler(fake: FakeTencentSms) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            payload = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            request_id = str(uuid.uuid4())
            refused = fake.check(headers, payload)
            if refused is not None:
                fake.refused.append(refused)
                self._answer({"Error": {"Code": refused, "Message": refused}}, request_id)
                return
            body = json.loads(payload)
            fake.requests.append(Received(headers, body))
            answer = fake.next_answer(list(body.get("PhoneNumberSet", [])))
            if answer.delay:
                time.sleep(answer.delay)
            if answer.error:
                error = {"Code": answer.error, "Message": f"scripted {answer.error}"}
                self._answer({"Error": error}, request_id)
                return
            statuses = [
                {
                    "SerialNo": uuid.uuid4().hex,
                    "PhoneNumber": number,
                    "Fee": 1 if answer.status == "Ok" else 0,
                    "SessionContext": "",
                    "Code": answer.status,
                    "Message": "send success" if answer.status == "Ok" else answer.status,
                    "IsoCode": "CN",
                }
                for number in body.get("PhoneNumberSet", [])
            ]
            self._answer({"SendStatusSet": statuses}, request_id)

        def _answer(self, response: dict[str, Any], request_id: str) -> None:
            data = json.dumps({"Response": {**response, "RequestId": request_id}}).encode()
            try:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting
                pass

    return Handler
