"""The local fake of WeChat's official-account API in the route tests: a stage configured
with it, a citizen bound by the web authorisation's code, and WeChat's pushed events handed
to the API's /wechat/events as WeChat's servers would (signed)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from chalicelib.clock import FixedClock
from chalicelib.settings import Settings
from devstack.wechat_fake import FakeWeChat
from tests.conftest import ApiClient

TEMPLATE = "tpl-progress-0001"
SECRET = "bianmin/test/wechat"
CASE_PAGE = "https://bianmin.example.gov.cn/h5/case?id={case_id}"


def started(clock: FixedClock) -> FakeWeChat:
    """The fake on the tests' clock (the API accepts a push signed within five minutes)."""
    fake = FakeWeChat(
        templates={TEMPLATE}, push_delay=0, clock=lambda: clock.now().timestamp()
    ).start()
    # Pushes go to a path of the fake itself (a 404 ends them); the tests hand each over.
    fake.callback_url = f"{fake.url}/fake/sink"
    return fake


def with_wechat(settings: Settings, aws: Any, fake: FakeWeChat) -> Settings:
    secret = {"app_secret": fake.app_secret, "token": fake.token}
    aws.client("secretsmanager").create_secret(Name=SECRET, SecretString=json.dumps(secret))
    return settings.model_copy(
        update={
            "wechat_app_id": fake.app_id,
            "wechat_secret_id": SECRET,
            "wechat_template_id": TEMPLATE,
            "wechat_endpoint": fake.url,
            "app_case_url": CASE_PAGE,
        }
    )


def bind(api: ApiClient, fake: FakeWeChat, token: str, openid: str) -> Any:
    fake.follow(openid)
    return api.put("/me/wechat", json_body={"code": fake.authorize(openid)}, token=token)


def hand_over(api: ApiClient, fake: FakeWeChat, count: int) -> None:
    """WeChat's pushes (the first `count`, those not handed over yet) to the API, signed."""
    fake.wait_for_events(count)
    for pushed in fake.events[:count]:
        if pushed.query.get("handed"):
            continue
        answer = api.post(
            "/wechat/events?" + urlencode(pushed.query),
            body=pushed.body.encode(),
            headers={"Content-Type": "text/xml"},
        )
        assert answer.status_code == 200 and answer.body == b"success"
        pushed.query["handed"] = "1"
