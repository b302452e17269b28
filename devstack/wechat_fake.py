"""A local fake of the WeChat Official Account HTTP API (api.weixin.qq.com), for the tests and
the local stack: a threaded HTTP server on 127.0.0.1 that answers what wechatpy's
`WeChatClient` and `WeChatOAuth` send — the access token, template messages, the OAuth code
exchange — as WeChat does (HTTP 200 with `{"errcode": N, "errmsg": "..."}` for an error), and
pushes the events WeChat would push to the account's server URL (`callback_url`), signed with
the server-URL `token` the way `wechatpy.utils.check_signature` verifies.

    with FakeWeChat(templates={"TPL_RECEIVED"}, callback_url=app + "/wechat/events") as fake:
        code = fake.authorize("o-citizen")   # what WeChat's OAuth page gives the app
        fake.follow("o-citizen")              # pushes `subscribe`
        fake.script(status="failed:user block")  # the next send: accepted, then fails
        fake.script(43101, openid="o-other")      # o-other's next send: refused
        ...  fake.url is the base URL; fake.sent the accepted messages; fake.events the pushes

Users. `authorize(openid)` makes an openid known (the user opened a page of the account, which
needs no following); `follow(openid)` makes it known and following; `unfollow(openid)` leaves
it known, not following. A template message goes only to a known follower: an openid never
seen answers 40003, a known non-follower 43004.

Tokens. `/cgi-bin/token` hands out a new token valid for 7200 s (by `clock`); as on WeChat,
the tokens handed out before it stay valid for 300 s more only. A token past its time answers
42001 when it simply aged, 40001 when a newer one replaced it ("not latest").

Events. Each push is queued and delivered, in order, by one daemon thread: a POST of the event
XML to `callback_url` with `signature`, `timestamp`, `nonce` and `openid` in the query (plain
mode; the encrypted mode is not faked). A push that gets no answer within `push_timeout`, or a
5xx, is tried again, `push_retries` times at most (WeChat retries three times); each push is
recorded once in `events`, with the last HTTP status (None: never answered) and the attempts.
A TEMPLATESENDJOBFINISH is pushed `push_delay` seconds after its send was accepted.

Paths (WeChat's):
    GET  /cgi-bin/token?grant_type=client_credential&appid=&secret=
    POST /cgi-bin/message/template/send?access_token=
    GET  /sns/oauth2/access_token?appid=&secret=&code=&grant_type=authorization_code
The fake's own, NOT WeChat's (for a developer walking through the local stack with curl):
    GET  /fake/authorize?openid=   -> {"code": "..."}       (as `authorize`)
    POST /fake/follow?openid=      -> {"errcode": 0, ...}    (as `follow`)
    POST /fake/unfollow?openid=    -> {"errcode": 0, ...}    (as `unfollow`)
    GET  /fake/sent                -> the accepted template messages, a JSON list
    GET  /fake/events              -> the pushes so far, a JSON list
Anything else answers HTTP 404 `{"errcode": -1, "errmsg": "not found"}`.
"""

from __future__ import annotations

import hashlib
import http.client
import itertools
import json
import queue
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

TOKEN_LIFETIME = 7200  # seconds, as WeChat's `expires_in`
TOKEN_OVERLAP = 300  # seconds a replaced token stays valid
CODE_LIFETIME = 300  # seconds an OAuth code stays valid
MAX_VALUE_LENGTH = 200  # characters in one template data value
RETRY_PAUSE = 0.2  # seconds between attempts at a push

ERRMSG = {
    -1: "system error",
    40001: "invalid credential, access_token is invalid or not latest",
    40002: "invalid grant_type",
    40003: "invalid openid",
    40013: "invalid appid",
    40029: "invalid code",
    40037: "invalid template_id",
    40125: "invalid appsecret",
    41001: "access_token missing",
    41002: "appid missing",
    41004: "appsecret missing",
    41008: "missing code",
    41009: "missing openid",
    42001: "access_token expired",
    43004: "require subscribe",
    43101: "user refuse to accept the msg",
    45009: "reach max api daily quota limit",
    47001: "data format error",
    47003: "argument invalid!",
}


class WeChatError(Exception):
    """An error answer: WeChat's errcode, its errmsg from ERRMSG."""

    def __init__(self, errcode: int) -> None:
        super().__init__(errcode)
        self.errcode = errcode

    def answer(self) -> dict[str, Any]:
        return {"errcode": self.errcode, "errmsg": ERRMSG.get(self.errcode, "scripted error")}


@dataclass
class Answer:
    errcode: int = 0  # non-zero: the send is refused with it
    status: str = "success"  # the TEMPLATESENDJOBFINISH Status of an accepted send
    openid: str | None = None  # for this openid's next send only (else: the next send's)


@dataclass
class Pushed:
    """One event pushed to `callback_url`, and how the callback answered it."""

    event: str  # as in the XML: subscribe, unsubscribe, TEMPLATESENDJOBFINISH
    openid: str
    body: str  # the XML
    query: dict[str, str]  # signature, timestamp, nonce, openid
    msgid: int | None = None
    status: int | None = None  # the callback's last HTTP status; None: never answered
    attempts: int = 0


@dataclass
class _Token:
    expires_at: float
    replaced: bool = False


@dataclass
class _Push:
    url: str
    pushed: Pushed
    due: float  # time.monotonic() when to deliver


@dataclass
class FakeWeChat:
    """A fake WeChat Official Account API; see the module docstring."""

    app_id: str = "wx0000000000000001"
    app_secret: str = "bianmin-test-wechat-secret"  # noqa: S105  the fake's own test secret
    token: str = "bianmintoken"  # noqa: S105  the server-URL token pushes are signed with
    templates: frozenset[str] | set[str] = frozenset()  # accepted template ids; empty: any
    callback_url: str | None = None  # where events are pushed (the app's /wechat/events)
    port: int = 0
    record_path: str | None = None  # each accepted message appended here as a JSON line
    clock: Callable[[], float] = time.time  # token, code and event times
    original_id: str = "gh_b1a2c3d4e5f6"  # the account's own id, ToUserName of pushes
    push_timeout: float = 5.0  # seconds to wait for the callback's answer
    push_retries: int = 3  # more attempts after an unanswered or 5xx push
    push_delay: float = 0.1  # seconds between a send's answer and its TEMPLATESENDJOBFINISH
    sent: list[dict[str, Any]] = field(default_factory=list)
    events: list[Pushed] = field(default_factory=list)
    refused: list[int] = field(default_factory=list)  # errcodes answered, in order
    _tokens: dict[str, _Token] = field(default_factory=dict, repr=False)
    _codes: dict[str, tuple[str, float]] = field(default_factory=dict, repr=False)
    _known: set[str] = field(default_factory=set, repr=False)
    _following: set[str] = field(default_factory=set, repr=False)
    _script: list[Answer] = field(default_factory=list, repr=False)
    _msgids: itertools.count[int] = field(
        default_factory=lambda: itertools.count(2_600_000_001), repr=False
    )
    _changed: threading.Condition = field(default_factory=threading.Condition, repr=False)
    _pushes: queue.Queue[_Push | None] = field(default_factory=queue.Queue, repr=False)
    _stopping: threading.Event = field(default_factory=threading.Event, repr=False)
    _server: ThreadingHTTPServer | None = field(default=None, repr=False)
    _pusher: threading.Thread | None = field(default=None, repr=False)

    def __enter__(self) -> FakeWeChat:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> FakeWeChat:
        """Serve on 127.0.0.1:`port` (0: any free port) and start delivering pushes."""
        if self._server is not None:
            raise RuntimeError("the fake WeChat is already running")
        self._stopping.clear()
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), _handler(self))
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        self._pusher = threading.Thread(target=self._deliver_pushes, daemon=True)
        self._pusher.start()
        return self

    def stop(self) -> None:
        """Stop serving; pushes not yet delivered are dropped."""
        if self._server is None:
            return
        self._stopping.set()
        self._pushes.put(None)
        self._server.shutdown()
        self._server.server_close()
        self._server = None
        if self._pusher is not None:
            self._pusher.join(timeout=1)
        while not self._pushes.empty():  # what the pusher left, and its stop mark
            self._pushes.get_nowait()

    @property
    def url(self) -> str:
        """The base URL, e.g. http://127.0.0.1:PORT (no trailing slash)."""
        if self._server is None:
            raise RuntimeError("the fake WeChat is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def authorize(self, openid: str) -> str:
        """The one-time OAuth code (valid 300 s) WeChat's page would hand the app for this
        user; the openid becomes known (not following)."""
        code = secrets.token_urlsafe(24)
        with self._changed:
            self._known.add(openid)
            self._codes[code] = (openid, self.clock() + CODE_LIFETIME)
        return code

    def follow(self, openid: str) -> None:
        """The user follows the account: known and following; pushes `subscribe`."""
        with self._changed:
            self._known.add(openid)
            self._following.add(openid)
        self._push(openid, "subscribe")

    def unfollow(self, openid: str) -> None:
        """The user unfollows: template messages to them then answer 43004; pushes
        `unsubscribe`."""
        with self._changed:
            self._known.add(openid)
            self._following.discard(openid)
        self._push(openid, "unsubscribe")

    def script(
        self, errcode: int = 0, *, status: str = "success", openid: str | None = None
    ) -> None:
        """How the next template send (to `openid`, if given) that passes the checks is
        answered: `errcode` != 0 refuses it; 0 accepts it and its TEMPLATESENDJOBFINISH
        carries `status` ("success", "failed:user block", "failed: system failed").
        Unscripted sends are accepted with "success"."""
        with self._changed:
            self._script.append(Answer(errcode, status, openid))

    def wait_for_events(self, count: int, timeout: float = 5.0) -> None:
        """Wait until `count` pushes have been delivered (or given up on); TimeoutError if not
        within `timeout` seconds."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.events) >= count, timeout):
                raise TimeoutError(f"{len(self.events)} of {count} events pushed in {timeout} s")

    # The API, called by the request handler; each raises WeChatError for an error answer.

    def issue_token(self, params: dict[str, str]) -> dict[str, Any]:
        """GET /cgi-bin/token."""
        self._check_app(params)
        if params.get("grant_type") != "client_credential":
            raise WeChatError(40002)
        access_token = secrets.token_urlsafe(96)
        with self._changed:
            now = self.clock()
            for old in self._tokens.values():
                if now < old.expires_at:
                    old.expires_at = min(old.expires_at, now + TOKEN_OVERLAP)
                    old.replaced = True
            self._tokens[access_token] = _Token(now + TOKEN_LIFETIME)
        return {"access_token": access_token, "expires_in": TOKEN_LIFETIME}

    def send_template(self, params: dict[str, str], payload: bytes) -> dict[str, Any]:
        """POST /cgi-bin/message/template/send."""
        self._check_token(params.get("access_token"))
        message = _template_message(payload)
        openid = message["touser"]
        with self._changed:
            if openid not in self._known:
                raise WeChatError(40003)
            if openid not in self._following:
                raise WeChatError(43004)
            if self.templates and message["template_id"] not in self.templates:
                raise WeChatError(40037)
            if any(len(item["value"]) > MAX_VALUE_LENGTH for item in message["data"].values()):
                raise WeChatError(47003)
            answer = self._next_answer(openid)
            if answer.errcode:
                raise WeChatError(answer.errcode)
            record = {**message, "msgid": next(self._msgids)}
            self.sent.append(record)
            if self.record_path is not None:
                with Path(self.record_path).open("a", encoding="utf-8") as file:
                    file.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._push(
            openid,
            "TEMPLATESENDJOBFINISH",
            msgid=record["msgid"],
            status=answer.status,
            delay=self.push_delay,
        )
        return {"errcode": 0, "errmsg": "ok", "msgid": record["msgid"]}

    def exchange_code(self, params: dict[str, str]) -> dict[str, Any]:
        """GET /sns/oauth2/access_token."""
        self._check_app(params)
        code = params.get("code")
        if not code:
            raise WeChatError(41008)
        if params.get("grant_type") != "authorization_code":
            raise WeChatError(40002)
        with self._changed:
            openid, expires_at = self._codes.pop(code, ("", 0.0))
            if not openid or self.clock() >= expires_at:
                raise WeChatError(40029)
        return {
            "access_token": secrets.token_urlsafe(64),
            "expires_in": TOKEN_LIFETIME,
            "refresh_token": secrets.token_urlsafe(64),
            "openid": openid,
            "scope": "snsapi_base",
        }

    def _record_refusal(self, errcode: int) -> None:
        with self._changed:
            self.refused.append(errcode)

    def _check_app(self, params: dict[str, str]) -> None:
        if not params.get("appid"):
            raise WeChatError(41002)
        if params["appid"] != self.app_id:
            raise WeChatError(40013)
        if not params.get("secret"):
            raise WeChatError(41004)
        if params["secret"] != self.app_secret:
            raise WeChatError(40125)

    def _check_token(self, access_token: str | None) -> None:
        if not access_token:
            raise WeChatError(41001)
        with self._changed:
            known = self._tokens.get(access_token)
            if known is None:
                raise WeChatError(40001)
            if self.clock() >= known.expires_at:
                raise WeChatError(40001 if known.replaced else 42001)

    def _next_answer(self, openid: str) -> Answer:
        for wanted in (openid, None):
            for answer in self._script:
                if answer.openid == wanted:
                    self._script.remove(answer)
                    return answer
        return Answer()

    # Pushes.

    def _push(
        self,
        openid: str,
        event: str,
        *,
        msgid: int | None = None,
        status: str = "",
        delay: float = 0.0,
    ) -> None:
        if self.callback_url is None:
            return
        created = int(self.clock())
        fields = [
            ("ToUserName", _cdata(self.original_id)),
            ("FromUserName", _cdata(openid)),
            ("CreateTime", str(created)),
            ("MsgType", _cdata("event")),
            ("Event", _cdata(event)),
        ]
        if msgid is not None:
            fields += [("MsgID", str(msgid)), ("Status", _cdata(status))]
        body = "<xml>" + "".join(f"<{name}>{value}</{name}>" for name, value in fields) + "</xml>"
        timestamp, nonce = str(created), str(secrets.randbelow(10**10))
        query = {
            "signature": signature(self.token, timestamp, nonce),
            "timestamp": timestamp,
            "nonce": nonce,
            "openid": openid,
        }
        pushed = Pushed(event, openid, body, query, msgid)
        self._pushes.put(_Push(self.callback_url, pushed, time.monotonic() + delay))

    def _deliver_pushes(self) -> None:
        while (push := self._pushes.get()) is not None:
            if self._stopping.wait(max(0.0, push.due - time.monotonic())):
                return
            self._deliver(push)

    def _deliver(self, push: _Push) -> None:
        pushed = push.pushed
        target = urlsplit(push.url)
        path = f"{target.path or '/'}?{target.query + '&' if target.query else ''}"
        path += urlencode(pushed.query)
        connection_class = (
            http.client.HTTPSConnection if target.scheme == "https" else http.client.HTTPConnection
        )
        while not self._stopping.is_set():
            pushed.attempts += 1
            connection = connection_class(target.netloc, timeout=self.push_timeout)
            try:
                connection.request(
                    "POST",
                    path,
                    body=pushed.body.encode(),
                    headers={"Content-Type": "text/xml", "User-Agent": "Mozilla/4.0"},
                )
                response = connection.getresponse()
                response.read()
                pushed.status = response.status
            except (OSError, http.client.HTTPException):  # unanswered: refused, reset, timed out
                pushed.status = None
            finally:
                connection.close()
            answered = pushed.status is not None and pushed.status < 500
            if answered or pushed.attempts > self.push_retries:
                break
            self._stopping.wait(RETRY_PAUSE)
        with self._changed:
            self.events.append(pushed)
            self._changed.notify_all()


def signature(token: str, timestamp: str, nonce: str) -> str:
    """WeChat's signature of a push: the SHA-1 of token, timestamp and nonce, sorted and
    joined (what `wechatpy.utils.check_signature` checks)."""
    joined = "".join(sorted([token, timestamp, nonce])).encode()
    return hashlib.sha1(joined).hexdigest()  # noqa: S324  WeChat's protocol is SHA-1


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _template_message(payload: bytes) -> dict[str, Any]:
    """The template message in a send's body, checked for shape; WeChatError if malformed."""
    try:
        body = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise WeChatError(47001) from None
    if not isinstance(body, dict):
        raise WeChatError(47001)
    touser, template_id, data = body.get("touser"), body.get("template_id"), body.get("data")
    if not isinstance(touser, str) or not touser:
        raise WeChatError(40003)
    if not isinstance(template_id, str) or not template_id:
        raise WeChatError(40037)
    if data is None:
        data = {}
    if not isinstance(data, dict) or not all(
        isinstance(item, dict) and isinstance(item.get("value"), str) for item in data.values()
    ):
        raise WeChatError(47001)
    return {
        "touser": touser,
        "template_id": template_id,
        "url": body.get("url"),
        "miniprogram": body.get("miniprogram"),
        "data": data,
    }


def _handler(fake: FakeWeChat) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            self._route("GET")

        def do_POST(self) -> None:
            self._route("POST")

        def do_PUT(self) -> None:
            self._route("PUT")

        def do_DELETE(self) -> None:
            self._route("DELETE")

        def _route(self, method: str) -> None:
            target = urlsplit(self.path)
            params = {k: v[0] for k, v in parse_qs(target.query).items()}
            payload = self._payload()
            try:
                answer = self._answer_for(method, target.path, params, payload)
            except WeChatError as error:
                fake._record_refusal(error.errcode)
                answer = error.answer()
            if answer is None:
                self._send(404, {"errcode": -1, "errmsg": "not found"})
            else:
                self._send(200, answer)

        def _answer_for(
            self, method: str, path: str, params: dict[str, str], payload: bytes
        ) -> dict[str, Any] | list[Any] | None:
            route = (method, path.rstrip("/"))
            if route == ("GET", "/cgi-bin/token"):
                return fake.issue_token(params)
            if route == ("POST", "/cgi-bin/message/template/send"):
                return fake.send_template(params, payload)
            if route == ("GET", "/sns/oauth2/access_token"):
                return fake.exchange_code(params)
            if route == ("GET", "/fake/authorize"):
                return {"code": fake.authorize(_openid(params))}
            if route == ("POST", "/fake/follow"):
                fake.follow(_openid(params))
                return {"errcode": 0, "errmsg": "ok"}
            if route == ("POST", "/fake/unfollow"):
                fake.unfollow(_openid(params))
                return {"errcode": 0, "errmsg": "ok"}
            if route == ("GET", "/fake/sent"):
                return list(fake.sent)
            if route == ("GET", "/fake/events"):
                return [asdict(pushed) for pushed in fake.events]
            return None

        def _payload(self) -> bytes:
            length = self.headers.get("Content-Length", "0")
            return self.rfile.read(int(length)) if length.isdigit() else b""

        def _send(self, status: int, answer: dict[str, Any] | list[Any]) -> None:
            data = json.dumps(answer, ensure_ascii=False).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting
                pass

    return Handler


def _openid(params: dict[str, str]) -> str:
    openid = params.get("openid")
    if not openid:
        raise WeChatError(41009)
    return openid
