"""The local fake of WeChat's Official Account API (devstack/wechat_fake.py) answers the real
wechatpy client as WeChat does: tokens that expire and overlap for five minutes on a refresh,
template messages accepted with a msgid or refused with WeChat's errcode, OAuth codes good
once; and it pushes signed events that wechatpy parses, to a small server standing in for the
app's /wechat/events."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from wechatpy import WeChatClient, WeChatOAuth, parse_message
from wechatpy.events import SubscribeEvent, TemplateSendJobFinishEvent, UnsubscribeEvent
from wechatpy.exceptions import WeChatClientException, WeChatOAuthException
from wechatpy.utils import check_signature

from devstack.wechat_fake import FakeWeChat

TEMPLATE = "TPL_request_received_0000000000000000000000"
CITIZEN = "o6_bmjrPTlm6_2sgVt7hMZOPfL2M"
DATA = {"first": {"value": "您的申请已受理"}, "keyword1": {"value": "BM-2026-000123"}}


@dataclass
class Clock:
    now: float = 1_790_000_000.0

    def __call__(self) -> float:
        return self.now


class LocalWeChatClient(WeChatClient):
    """wechatpy's client against the fake: its `fetch_access_token` has WeChat's token URL
    written in rather than joined to API_BASE_URL, so it is pointed there too."""

    def fetch_access_token(self) -> dict[str, Any]:
        params = {"grant_type": "client_credential", "appid": self.appid, "secret": self.secret}
        return self._fetch_access_token(url=self.API_BASE_URL + "token", params=params)


def wechat_client(fake: FakeWeChat, **kwargs: Any) -> LocalWeChatClient:
    client = LocalWeChatClient(fake.app_id, kwargs.pop("secret", fake.app_secret), **kwargs)
    client.API_BASE_URL = fake.url + "/cgi-bin/"
    return client


def oauth(fake: FakeWeChat) -> WeChatOAuth:
    client = WeChatOAuth(fake.app_id, fake.app_secret, "http://127.0.0.1:8000/wechat/oauth")
    client.API_BASE_URL = fake.url + "/"
    return client


@dataclass
class Push:
    query: dict[str, str]
    body: bytes


@dataclass
class Callback:
    """A stand-in for the app's /wechat/events: records each push, answers `statuses` in
    turn (then 200 "success")."""

    statuses: list[int] = field(default_factory=list)
    pushes: list[Push] = field(default_factory=list)

    def __enter__(self) -> Callback:
        callback = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
                callback.pushes.append(Push(query, body))
                self.send_response(callback.statuses.pop(0) if callback.statuses else 200)
                self.send_header("Content-Length", "7")
                self.end_headers()
                self.wfile.write(b"success")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/wechat/events"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def callback() -> Iterator[Callback]:
    with Callback() as running:
        yield running


@pytest.fixture
def fake(clock: Clock, callback: Callback) -> Iterator[FakeWeChat]:
    with FakeWeChat(templates={TEMPLATE}, callback_url=callback.url, clock=clock) as running:
        yield running


def assert_signed(push: Push, token: str) -> None:
    """As the app checks a push (wechatpy raises InvalidSignatureException if it fails)."""
    query = push.query
    check_signature(token, query["signature"], query["timestamp"], query["nonce"])


def errcode_of(call: Any, *args: Any, **kwargs: Any) -> int:
    with pytest.raises(WeChatClientException) as refused:
        call(*args, **kwargs)
    return int(refused.value.errcode)


def test_a_client_gets_a_token_and_its_template_message_is_accepted_with_a_msgid(
    fake: FakeWeChat,
) -> None:
    fake.follow(CITIZEN)
    client = wechat_client(fake)

    answer = client.message.send_template(CITIZEN, TEMPLATE, DATA, url="https://bm.example/r/1")

    assert answer["errcode"] == 0 and isinstance(answer["msgid"], int)
    assert fake.sent == [
        {
            "touser": CITIZEN,
            "template_id": TEMPLATE,
            "url": "https://bm.example/r/1",
            "miniprogram": None,
            "data": DATA,
            "msgid": answer["msgid"],
        }
    ]


def test_a_wrong_secret_or_appid_gets_no_token(fake: FakeWeChat) -> None:
    assert errcode_of(wechat_client(fake, secret="guessed").fetch_access_token) == 40125
    stranger = LocalWeChatClient("wx9999999999999999", fake.app_secret)
    stranger.API_BASE_URL = fake.url + "/cgi-bin/"
    assert errcode_of(stranger.fetch_access_token) == 40013


def test_an_unknown_template_is_refused(fake: FakeWeChat) -> None:
    fake.follow(CITIZEN)
    client = wechat_client(fake)
    assert errcode_of(client.message.send_template, CITIZEN, "TPL_unknown", DATA) == 40037
    assert fake.sent == [] and fake.refused == [40037]


def test_a_user_who_unfollowed_is_refused_with_43004(fake: FakeWeChat) -> None:
    fake.follow(CITIZEN)
    fake.unfollow(CITIZEN)
    client = wechat_client(fake)
    assert errcode_of(client.message.send_template, CITIZEN, TEMPLATE, DATA) == 43004


def test_a_user_who_only_authorized_is_refused_with_43004_and_a_stranger_with_40003(
    fake: FakeWeChat,
) -> None:
    fake.authorize(CITIZEN)
    client = wechat_client(fake)
    assert errcode_of(client.message.send_template, CITIZEN, TEMPLATE, DATA) == 43004
    assert errcode_of(client.message.send_template, "o_stranger", TEMPLATE, DATA) == 40003


def test_a_data_value_over_200_characters_is_refused(fake: FakeWeChat) -> None:
    fake.follow(CITIZEN)
    client = wechat_client(fake)
    long_data = {**DATA, "remark": {"value": "办" * 201}}
    assert errcode_of(client.message.send_template, CITIZEN, TEMPLATE, long_data) == 47003


def test_a_scripted_error_answers_the_next_send_to_that_user_only(fake: FakeWeChat) -> None:
    fake.follow(CITIZEN)
    fake.follow("o_neighbour")
    fake.script(43101, openid=CITIZEN)
    client = wechat_client(fake)

    assert client.message.send_template("o_neighbour", TEMPLATE, DATA)["errcode"] == 0
    assert errcode_of(client.message.send_template, CITIZEN, TEMPLATE, DATA) == 43101
    assert client.message.send_template(CITIZEN, TEMPLATE, DATA)["errcode"] == 0


def test_an_oauth_code_gives_its_openid_once(fake: FakeWeChat) -> None:
    code = fake.authorize(CITIZEN)

    answer = oauth(fake).fetch_access_token(code)

    assert answer["openid"] == CITIZEN and answer["scope"] == "snsapi_base"
    assert answer["expires_in"] == 7200 and answer["refresh_token"]
    with pytest.raises(WeChatOAuthException) as refused:
        oauth(fake).fetch_access_token(code)
    assert refused.value.errcode == 40029


def test_an_oauth_code_is_worthless_after_five_minutes(fake: FakeWeChat, clock: Clock) -> None:
    code = fake.authorize(CITIZEN)
    clock.now += 300
    with pytest.raises(WeChatOAuthException) as refused:
        oauth(fake).fetch_access_token(code)
    assert refused.value.errcode == 40029


def test_the_send_job_finish_event_is_signed_and_carries_the_msgid_and_scripted_status(
    fake: FakeWeChat, callback: Callback
) -> None:
    fake.follow(CITIZEN)
    fake.script(status="failed:user block")

    msgid = wechat_client(fake).message.send_template(CITIZEN, TEMPLATE, DATA)["msgid"]
    fake.wait_for_events(2)

    push = callback.pushes[-1]
    assert_signed(push, fake.token)
    event = parse_message(push.body)
    assert isinstance(event, TemplateSendJobFinishEvent)
    assert (event.id, event.status, event.source) == (msgid, "failed:user block", CITIZEN)
    assert event.target == fake.original_id
    assert [(e.event, e.msgid, e.status) for e in fake.events] == [
        ("subscribe", None, 200),
        ("TEMPLATESENDJOBFINISH", msgid, 200),
    ]


def test_following_and_unfollowing_push_subscribe_and_unsubscribe(
    fake: FakeWeChat, callback: Callback
) -> None:
    fake.follow(CITIZEN)
    fake.unfollow(CITIZEN)
    fake.wait_for_events(2)

    for push in callback.pushes:
        assert_signed(push, fake.token)
    subscribed, unsubscribed = (parse_message(push.body) for push in callback.pushes)
    assert isinstance(subscribed, SubscribeEvent) and subscribed.source == CITIZEN
    assert isinstance(unsubscribed, UnsubscribeEvent) and unsubscribed.source == CITIZEN


def test_a_push_the_app_fails_with_a_5xx_is_tried_again(
    fake: FakeWeChat, callback: Callback
) -> None:
    callback.statuses = [503]
    fake.follow(CITIZEN)
    fake.wait_for_events(1)
    assert len(callback.pushes) == 2 and callback.pushes[0].body == callback.pushes[1].body
    assert (fake.events[0].status, fake.events[0].attempts) == (200, 2)


def test_the_previous_token_works_for_five_minutes_after_a_refresh(
    fake: FakeWeChat, clock: Clock
) -> None:
    fake.follow(CITIZEN)
    old = wechat_client(fake).fetch_access_token()["access_token"]
    clock.now += 3600
    new = wechat_client(fake).fetch_access_token()["access_token"]
    holding_old = wechat_client(fake, access_token=old, auto_retry=False)

    clock.now += 299
    assert holding_old.message.send_template(CITIZEN, TEMPLATE, DATA)["errcode"] == 0
    clock.now += 1
    assert errcode_of(holding_old.message.send_template, CITIZEN, TEMPLATE, DATA) == 40001
    holding_new = wechat_client(fake, access_token=new, auto_retry=False)
    assert holding_new.message.send_template(CITIZEN, TEMPLATE, DATA)["errcode"] == 0


def test_a_token_expires_after_two_hours_and_wechatpy_fetches_a_new_one(
    fake: FakeWeChat, clock: Clock
) -> None:
    fake.follow(CITIZEN)
    token = wechat_client(fake).fetch_access_token()["access_token"]
    clock.now += 7200
    holding = wechat_client(fake, access_token=token, auto_retry=False)
    assert errcode_of(holding.message.send_template, CITIZEN, TEMPLATE, DATA) == 42001

    retrying = wechat_client(fake, access_token=token)
    assert retrying.message.send_template(CITIZEN, TEMPLATE, DATA)["errcode"] == 0


def test_bad_requests_get_wechat_errors_and_the_server_keeps_answering(
    fake: FakeWeChat,
) -> None:
    def get(path: str, **params: str) -> requests.Response:
        return requests.get(fake.url + path, params=params, timeout=5)

    token = get("/cgi-bin/token", grant_type="client_credential", appid=fake.app_id)
    assert token.json()["errcode"] == 41004
    send = fake.url + "/cgi-bin/message/template/send"
    assert requests.post(send, data=b"{}", timeout=5).json()["errcode"] == 41001
    access_token = wechat_client(fake).fetch_access_token()["access_token"]
    not_json = requests.post(send, params={"access_token": access_token}, data=b"{", timeout=5)
    assert not_json.json() == {"errcode": 47001, "errmsg": "data format error"}
    no_code = get("/sns/oauth2/access_token", appid=fake.app_id, secret=fake.app_secret)
    assert no_code.json()["errcode"] == 41008
    missing = get("/cgi-bin/user/info")
    assert missing.status_code == 404
    assert missing.json() == {"errcode": -1, "errmsg": "not found"}
    assert token.headers["Content-Type"].startswith("application/json")


def test_a_developer_can_walk_through_with_the_fakes_own_endpoints(
    fake: FakeWeChat, callback: Callback
) -> None:
    code = requests.get(fake.url + "/fake/authorize", params={"openid": CITIZEN}, timeout=5)
    assert oauth(fake).fetch_access_token(code.json()["code"])["openid"] == CITIZEN
    follow = requests.post(fake.url + "/fake/follow", params={"openid": CITIZEN}, timeout=5)
    assert follow.json()["errcode"] == 0

    msgid = wechat_client(fake).message.send_template(CITIZEN, TEMPLATE, DATA)["msgid"]

    sent = requests.get(fake.url + "/fake/sent", timeout=5).json()
    assert [(m["touser"], m["msgid"]) for m in sent] == [(CITIZEN, msgid)]
    requests.post(fake.url + "/fake/unfollow", params={"openid": CITIZEN}, timeout=5)
    client = wechat_client(fake)
    assert errcode_of(client.message.send_template, CITIZEN, TEMPLATE, DATA) == 43004


def test_accepted_messages_are_appended_to_the_record_file(tmp_path: Path) -> None:
    record = tmp_path / "wechat.jsonl"
    with FakeWeChat(record_path=str(record)) as fake:
        fake.follow(CITIZEN)
        wechat_client(fake).message.send_template(CITIZEN, "TPL_any_id_when_none_set", DATA)
        assert record.read_text(encoding="utf-8").count("\n") == 1
        assert "您的申请已受理" in record.read_text(encoding="utf-8")
        assert fake.events == []  # no callback_url: nothing pushed
