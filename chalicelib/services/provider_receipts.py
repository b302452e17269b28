"""The providers' reports on what they sent: Tencent Cloud SMS's status callback and the
WeChat official account's pushed events (a template message's outcome, a follow or an
unfollow). Both record on the notification through the delivery ledger.

Tencent signs no callback: its URL carries a long random key (`callback_key` in the SMS
secret), compared in constant time; a wrong or absent key is a 404, like a path that does
not exist. WeChat signs each call with the account's token; an unsigned one is a 403."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import TYPE_CHECKING

from chalicelib.clock import Clock
from chalicelib.domain.provider_callbacks import TencentSmsReports, WechatSignedQuery
from chalicelib.domain.wechat import SECRET_NOT_SET, WechatEvent, WechatNotSent
from chalicelib.errors import Busy, Forbidden, NotFound
from chalicelib.observability import logger, metrics
from chalicelib.services.notification_ledger import DeliveryLedger
from chalicelib.services.notifications import Notifier
from chalicelib.store.wechat_bindings import WechatBindings

SIGNATURE_SECONDS = 300

if TYPE_CHECKING:  # wechatpy loads only where WeChat is configured
    from chalicelib.store.wechat import WechatApi


class SmsReceipts:
    def __init__(self, ledger: DeliveryLedger, callback_key: Callable[[], str | None]) -> None:
        self._ledger, self._key = ledger, callback_key

    def admit(self, key: str) -> None:
        """The callback's own credential, checked before its body is read: a wrong or absent
        key (or none configured) is a 404, like a path that does not exist."""
        expected = self._key()
        if not expected or not hmac.compare_digest(expected.encode(), key.encode()):
            raise NotFound("No such resource.")

    def take(self, reports: TencentSmsReports) -> int:
        """Records each report; returns how many named a notification of ours."""
        known = 0
        for report in reports.root:
            delivered = report.report_status.upper() == "SUCCESS"
            reason = report.errmsg or report.description
            known += self._ledger.receipt("sms", report.sid, delivered, reason) is not None
        metrics.add_metric(name="SmsReceipts", unit="Count", value=len(reports.root))
        logger.info("sms receipts", extra={"reports": len(reports.root), "known": known})
        return known


class WechatEvents:
    """The official account's server URL (服务器配置): its check, and the pushed events. A
    call counts only with the account token's signature over a timestamp within five
    minutes of now (plain mode signs no body: an old signed URL is not replayed later)."""

    def __init__(
        self,
        api: WechatApi | None,
        bindings: WechatBindings,
        ledger: DeliveryLedger,
        notifier: Notifier,
        clock: Clock,
    ) -> None:
        self._api, self._bindings, self._ledger = api, bindings, ledger
        self._notifier, self._clock = notifier, clock

    def _signed(self, query: WechatSignedQuery) -> WechatApi:
        if self._api is None:
            raise NotFound("No WeChat official account is configured on this service.")
        if abs(self._clock.now().timestamp() - int(query.timestamp)) > SIGNATURE_SECONDS:
            raise Forbidden("The signature's timestamp is not within five minutes of now.")
        try:
            signed = self._api.signed(query.signature, query.timestamp, query.nonce)
        except WechatNotSent as unset:
            if unset.code == SECRET_NOT_SET:
                raise NotFound("The WeChat account's token is not set on this service.") from None
            raise Busy("The account's token could not be read; try again.") from None
        if not signed:
            raise Forbidden("The signature does not match the account's token.")
        return self._api

    def check_url(self, query: WechatSignedQuery) -> str:
        """WeChat's check of the server URL: the echo, when the signature holds."""
        self._signed(query)
        return query.echostr or ""

    def push(self, query: WechatSignedQuery, body: bytes) -> WechatEvent:
        event = self._signed(query).event(body)
        if event.kind == "template_finished" and event.msg_id:
            self._finished(event)
        elif event.kind in ("subscribe", "unsubscribe") and event.openid:
            self._bindings.set_following(event.openid, event.kind == "subscribe")
        logger.info("wechat event", extra={"kind": event.kind})
        return event

    def _finished(self, event: WechatEvent) -> None:
        """A template message's outcome; undelivered, the text goes instead (and a follower
        who blocked the account's messages is not tried again)."""
        assert event.msg_id is not None
        status = event.status or ""
        ref = self._ledger.receipt("wechat", event.msg_id, event.delivered, status)
        if ref is None or event.delivered:
            return
        if "block" in status and event.openid:
            self._bindings.set_following(event.openid, False)
        self._notifier.text_instead_of_wechat(ref.citizen_id, ref.notification_id)
