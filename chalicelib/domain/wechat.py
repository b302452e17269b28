"""The WeChat official account (公众号) as a notification channel: a citizen binds their
account's openid by WeChat's web authorisation (网页授权, `snsapi_base`: the app gets a one-time
code, the API exchanges it for the openid); a notification goes as a template message
(模板消息) to a bound follower; WeChat reports each message's outcome later by pushing a
TEMPLATESENDJOBFINISH event to the account's server URL, and a follower leaving
(`unsubscribe`) by another event. No I/O here: the adapter is store/wechat.py."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from chalicelib.domain.common import Instant, Strict

OPENID = r"^[A-Za-z0-9_-]{6,64}$"


class WechatNotSent(Exception):
    """WeChat did not take a message; `code` is its errcode (never its errmsg, which may
    quote the request)."""

    def __init__(self, code: int) -> None:
        super().__init__(str(code))
        self.code = code


class WechatUnreachable(WechatNotSent):
    """This follower cannot have it (no longer follows, refused the account's messages, not
    this account's openid): the notification's WeChat channel fails, SMS carries it."""


class WechatRefused(WechatNotSent):
    """An operator must fix something first (the template id, the app secret, a field):
    recorded as failed with the code, SMS carries it, the alarm calls them."""


class WechatDeferred(WechatNotSent):
    """Busy, throttled, the network: sending again later may succeed."""


class WechatCodeRefused(ValueError):
    """WeChat refused the authorisation code (unknown, expired or used): the app asks the
    citizen to open the page again."""


# Ours: the account's secret is not filled in yet (the stage was just deployed).
SECRET_NOT_SET = -100

# errcodes (公众号全局返回码) and what they mean for the message they were about.
UNREACHABLE = frozenset(
    {40003, 43004, 43101, 43019}
)  # invalid openid, unfollowed, refused, blocked
REFUSED = frozenset({40013, 40125, 40164, 40037, 47001, 47003, 48001, 40036, 41028})


def failure(code: int) -> WechatNotSent:
    if code in UNREACHABLE:
        return WechatUnreachable(code)
    if code in REFUSED:
        return WechatRefused(code)
    return WechatDeferred(code)


class WechatBinding(Strict):
    """A citizen's official-account openid, and whether they still follow the account."""

    citizen_id: str
    openid: str = Field(pattern=OPENID)
    bound_at: Instant
    following: bool = True


class WechatBindingView(Strict):
    bound: bool
    following: bool | None = None
    bound_at: Instant | None = None


class BindWechat(Strict):
    code: str = Field(
        min_length=1,
        max_length=128,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="The code WeChat's web authorisation page (snsapi_base) redirected with",
    )


class WechatEvent(Strict):
    """A pushed event this service acts on: a template message's outcome, a follow or
    unfollow; anything else is `other` (acknowledged, ignored)."""

    kind: Literal["template_finished", "subscribe", "unsubscribe", "other"]
    openid: str = ""
    msg_id: str | None = None
    status: str | None = None  # "success", "failed:user block", "failed: system failed"

    @property
    def delivered(self) -> bool:
        return self.status == "success"
