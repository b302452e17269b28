"""What the providers call back: Tencent Cloud SMS's status reports and the WeChat official
account's server URL (its check, and the events it pushes). Public routes: each checks the
provider's own credential (a secret path key, the account token's signature)."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.deps import container
from chalicelib.domain.provider_callbacks import (
    CallbackKeyPath,
    TencentCallbackAnswer,
    TencentSmsReports,
    WechatSignedQuery,
)
from chalicelib.http.api import Call, operation

bp = Blueprint(__name__)
TAGS = ("callbacks",)
TEXT = "text/plain; charset=utf-8"


@operation(
    bp,
    "/callbacks/tencent-sms/{key}",
    "POST",
    summary="Tencent Cloud SMS status reports (短信下发状态回调): each text delivered or not",
    tags=TAGS,
    path_model=CallbackKeyPath,
    body=TencentSmsReports,
    response=TencentCallbackAnswer,
    description="Configured in Tencent's console as the status callback URL, with the stage's "
    "callback key (docs/DEPLOY.md). A wrong key is a 404, before the body is read.",
    caller=lambda call: container().sms_receipts.admit(call.request.uri_params.get("key") or ""),
)
def tencent_sms_reports(
    call: Call, caller: None, key: str, body: TencentSmsReports
) -> TencentCallbackAnswer:
    container().sms_receipts.take(body)
    return TencentCallbackAnswer()


@operation(
    bp,
    "/wechat/events",
    summary="The WeChat official account's server-URL check (echoes echostr when signed)",
    tags=TAGS,
    query=WechatSignedQuery,
    content_type="text/plain",
    errors=(403, 404),  # not signed with the account token; no account configured
)
def wechat_check(call: Call, query: WechatSignedQuery) -> Response:
    echo = container().wechat_events.check_url(query)
    return Response(body=echo, status_code=200, headers={"Content-Type": TEXT})


@operation(
    bp,
    "/wechat/events",
    "POST",
    summary="Events WeChat pushes: a template message's outcome, a follow, an unfollow",
    tags=TAGS,
    query=WechatSignedQuery,
    content_type="text/plain",
    accepts=("text/xml", "application/xml"),
    errors=(403, 404),
)
def wechat_push(call: Call, query: WechatSignedQuery) -> Response:
    container().wechat_events.push(query, call.request.raw_body or b"")
    return Response(body="success", status_code=200, headers={"Content-Type": TEXT})
