"""What the providers send back: Tencent Cloud SMS's status reports (短信下发状态回调, a JSON
array POSTed to the configured URL) and the query WeChat signs its server-URL calls with.
Fields a provider adds later are ignored, not refused: a callback must never fail on them."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel

from chalicelib.domain.common import Strict


class TencentSmsReport(BaseModel):
    """One message's fate: `sid` is the SerialNo SendSms answered with."""

    model_config = ConfigDict(extra="ignore", hide_input_in_errors=True)

    sid: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9:_.-]+$")
    report_status: str = Field(
        min_length=1, max_length=20, description="SUCCESS, or FAIL (anything else: not delivered)"
    )
    errmsg: str = Field(default="", max_length=200, description="The carrier's code: DELIVRD …")
    description: str = Field(default="", max_length=500)
    user_receive_time: str | None = Field(default=None, max_length=40)


class TencentSmsReports(RootModel[list[TencentSmsReport]]):
    root: list[TencentSmsReport] = Field(max_length=1000)


class TencentCallbackAnswer(Strict):
    """What Tencent expects back (result 0: taken)."""

    result: int = 0
    errmsg: str = "OK"


class CallbackKeyPath(Strict):
    key: str = Field(min_length=1, max_length=128, description="The stage's callback key")


class WechatSignedQuery(Strict):
    """WeChat's signature of a call to the server URL (sha1 of the sorted token, timestamp
    and nonce); `echostr` when it checks the URL, `openid` with a pushed message."""

    signature: str = Field(pattern=r"^[0-9a-f]{40}$")
    timestamp: str = Field(pattern=r"^[0-9]{1,12}$")
    nonce: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9]+$")
    echostr: str | None = Field(default=None, max_length=128, pattern=r"^[A-Za-z0-9_-]+$")
    openid: str | None = Field(default=None, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    encrypt_type: Literal["raw"] | None = Field(
        default=None, description="Plain mode only (明文模式): the AES mode is refused"
    )
    msg_signature: str | None = Field(default=None, pattern=r"^[0-9a-f]{40}$")
