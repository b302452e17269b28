"""What became of each notification's messages after they left: the SMS consumer and the
notifier record a provider's acceptance (`sent`, with its message id) or refusal (`failed`);
the providers' receipts — Tencent Cloud SMS's status callback, WeChat's TEMPLATESENDJOBFINISH
event — move a sent message to `delivered` or `failed`. Each move counts once in the day's
figures (`<channel>_sent`, `<channel>_delivered`, `<channel>_failed`).

A receipt can arrive before the sender has recorded the message id it names (the provider
answers the send and pushes the receipt within milliseconds): the receipt is kept under the
id first and the sender looks for it after recording the id, so whichever comes second
applies it (both write, then read; a status moves only forward, so applying twice is one
move)."""

from __future__ import annotations

from datetime import datetime

from chalicelib.clock import Clock
from chalicelib.domain.calendar import beijing_date
from chalicelib.domain.notifications import Channel, DeliveryStatus
from chalicelib.domain.sms import NoticeRef, SmsMessage
from chalicelib.observability import logger, metrics
from chalicelib.store.notifications import NotificationStore
from chalicelib.store.wechat_bindings import WechatBindings

_S = DeliveryStatus
# From which statuses each move is allowed (a late or repeated report moves nothing).
SENT_FROM = (_S.PENDING.value, _S.QUEUED.value, _S.HELD.value, _S.FAILED.value)
FAILED_FROM = (_S.PENDING.value, _S.QUEUED.value, _S.HELD.value, _S.SENT.value)
RECEIPT_FROM = (_S.PENDING.value, _S.QUEUED.value, _S.HELD.value, _S.SENT.value)


class DeliveryLedger:
    def __init__(self, store: NotificationStore, bindings: WechatBindings, clock: Clock) -> None:
        self._store, self._bindings, self._clock = store, bindings, clock

    # ---- the SMS consumer's side (services/sms.py: SmsLedger)

    def sent(self, message: SmsMessage, provider_id: str | None) -> None:
        if message.notice is not None:
            self.provider_took(message.notice, "sms", provider_id)

    def failed(self, message: SmsMessage, reason: str) -> None:
        if message.notice is not None:
            self.provider_refused(message.notice, "sms", reason)

    def already_sent(self, message: SmsMessage) -> bool:
        """Whether the provider took this notice text already (a duplicate of the queue)."""
        notice = message.notice
        if notice is None:
            return False
        stored = self._store.get(notice.citizen_id, notice.notification_id)
        sms = stored.channels.get(Channel.SMS) if stored else None
        return sms is not None and sms.status in (_S.SENT, _S.DELIVERED)

    def hold(self, message: SmsMessage, release_at: datetime) -> bool:
        """Holds a notice text for the morning with its status, in one transaction; False
        (nothing held) when its status is past being sent."""
        return self._store.hold_notice(
            message, release_at, self._clock.now(), when_in=(_S.PENDING.value, _S.QUEUED.value)
        )

    # ---- any channel

    def provider_took(self, ref: NoticeRef, channel: str, provider_id: str | None) -> None:
        now = self._clock.now()
        moved = self._store.mark(
            ref.citizen_id,
            ref.notification_id,
            channel,
            _S.SENT.value,
            at=now,
            provider_id=provider_id,
            when_in=SENT_FROM,
        )
        if not moved:
            return
        self._count(ref, f"{channel}_sent")
        if provider_id:
            self._bindings.remember(channel, provider_id, _ref_fields(ref), now)
            early = self._bindings.early_receipt(channel, provider_id)
            if early is not None:
                self._apply(ref, channel, early[0], early[1])

    def provider_refused(self, ref: NoticeRef, channel: str, reason: str) -> None:
        moved = self._store.mark(
            ref.citizen_id,
            ref.notification_id,
            channel,
            _S.FAILED.value,
            at=self._clock.now(),
            reason=reason[:120],
            when_in=FAILED_FROM,
        )
        if moved:
            self._count(ref, f"{channel}_failed")

    def receipt(
        self, channel: str, provider_id: str, delivered: bool, reason: str = ""
    ) -> NoticeRef | None:
        """A provider's report on message `provider_id`: the notification it is about, or
        None when no notification of ours (yet) has it — the report is kept for the sender
        to apply once it records the id."""
        self._bindings.keep_receipt(channel, provider_id, delivered, reason, self._clock.now())
        fields = self._bindings.recall(channel, provider_id)
        if fields is None:
            metrics.add_metric(name="ReceiptUnmatched", unit="Count", value=1)
            return None
        ref = NoticeRef.model_validate(fields)
        self._apply(ref, channel, delivered, reason)
        return ref

    def _apply(self, ref: NoticeRef, channel: str, delivered: bool, reason: str) -> None:
        status = _S.DELIVERED if delivered else _S.FAILED
        moved = self._store.mark(
            ref.citizen_id,
            ref.notification_id,
            channel,
            status.value,
            at=self._clock.now(),
            reason=None if delivered else (reason or "undelivered")[:120],
            when_in=RECEIPT_FROM,
        )
        if moved:
            self._count(ref, f"{channel}_{status.value}")

    def _count(self, ref: NoticeRef, name: str) -> None:
        now = self._clock.now()
        try:
            self._store.count(ref.county, beijing_date(now), f"{ref.citizen_id}#{name}", {name: 1})
        except Exception:  # noqa: BLE001 - the status is recorded; a figure is not worth a retry
            logger.exception("delivery figure not counted")


def _ref_fields(ref: NoticeRef) -> dict[str, str]:
    return {
        "citizen_id": ref.citizen_id,
        "notification_id": ref.notification_id,
        "county": ref.county,
    }
