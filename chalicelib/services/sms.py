"""The SMS port. The API enqueues a message (`SmsDispatch`); the `sms` queue's consumer hands
it to a sender (`SmsSender`) through `SmsDelivery`, which parks what can never be sent on the
dead-letter queue (`SmsDeadLetters`). The adapters live in `chalicelib/store/`: the queue, an
outbox file for local development (the developer reads codes there) and Tencent Cloud SMS
(`store/tencent_sms.py`). Another provider is one class with a `deliver` method that raises
`SmsUnreachable`, `SmsRefused` or `SmsDeferred` (docs/ARCHITECTURE.md, "SMS").

No log line here carries a parameter (a code) or a whole phone number.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from chalicelib.domain.identity import mask_phone
from chalicelib.domain.notifications import in_quiet_hours, quiet_hours_end
from chalicelib.domain.sms import (
    SmsMessage,
    SmsNotConfigured,
    SmsNotSent,
    SmsPurpose,
    SmsRefused,
    SmsUnreachable,
)
from chalicelib.observability import logger, metrics


class SmsDispatch(Protocol):
    def dispatch(self, message: SmsMessage) -> None: ...


class SmsSender(Protocol):
    def deliver(self, message: SmsMessage) -> str | None:
        """Sends `message` and returns the provider's id of it (for its receipt); raises
        `SmsUnreachable` (not to this recipient), `SmsRefused` (not before an operator fixes
        something) or `SmsDeferred` (try later), or any other error (tried again later
        too)."""


class SmsLedger(Protocol):
    """Where a notice text's fate is recorded on its notification (services/
    notification_ledger.py)."""

    def already_sent(self, message: SmsMessage) -> bool: ...

    def sent(self, message: SmsMessage, provider_id: str | None) -> None: ...

    def failed(self, message: SmsMessage, reason: str) -> None: ...

    def hold(self, message: SmsMessage, release_at: datetime) -> bool: ...


class SmsDeadLetters(Protocol):
    def park(self, body: str, purpose: SmsPurpose, error_code: str) -> None: ...


class MalformedSms(ValueError):
    """A queued body that is not an SMS message (the validation error is not kept: it could
    quote what the body held)."""


class SmsDelivery:
    """Delivers one queued message. A refusal is final: what the recipient cannot have is
    dropped (counted, `SmsUnreachable`), what an operator must fix first goes to the
    dead-letter queue with the provider's error code (`SmsRefused`; its alarm calls them, a
    replay sends it once fixed), and the queue deletes it; anything else raises, so the queue
    delivers it again and, past the redrive limit, parks it (`SmsDeferred` counts those). A
    sign-in code past its expiry — late on the queue, or replayed from the dead letters — is
    dropped unsent (`SmsExpired`): it could no longer be used. A non-urgent notice found in
    the quiet hours (retried late in the evening, replayed at night) is held for the morning
    instead of sent: the rule is checked when the text goes out, not only when it was made.
    A notice's outcome is recorded on its notification (`ledger`)."""

    def __init__(
        self,
        sender: SmsSender,
        dead_letters: SmsDeadLetters | None,
        now: Callable[[], datetime],
        ledger: SmsLedger | None = None,
    ) -> None:
        self._sender = sender
        self._dead_letters = dead_letters
        self._now = now
        self._ledger = ledger

    def deliver(self, body: str) -> None:
        try:
            message = SmsMessage.model_validate_json(body)
        except ValueError:
            raise MalformedSms("the queued body is not an SMS message") from None
        seen = {"purpose": message.purpose.value, "phone": mask_phone(message.phone)}
        now = self._now()
        if message.expired(now):
            metrics.add_metric(name="SmsExpired", unit="Count", value=1)
            logger.info("sms expired before it could be sent; dropped", extra=seen)
            return
        if message.notice is not None and self._ledger is not None:
            if self._ledger.already_sent(message):  # a duplicate of the queue: sent once
                metrics.add_metric(name="SmsDuplicate", unit="Count", value=1)
                return
            if not message.notice.urgent and in_quiet_hours(now):
                self._ledger.hold(message, quiet_hours_end(now))
                metrics.add_metric(name="SmsHeldAtSend", unit="Count", value=1)
                logger.info("quiet hours: notice held for the morning", extra=seen)
                return
        try:
            provider_id = self._sender.deliver(message)
        except SmsNotSent as failed:
            self._not_sent(body, message, failed, seen)
            return
        metrics.add_metric(name="SmsDelivered", unit="Count", value=1)
        logger.info("sms delivered", extra=seen)
        if self._ledger is not None:
            try:
                self._ledger.sent(message, provider_id)
            except Exception:  # noqa: BLE001 - it went: raising would only send it again
                logger.exception("sms sent; its status not recorded", extra=seen)

    def _not_sent(
        self, body: str, message: SmsMessage, failed: SmsNotSent, seen: dict[str, str]
    ) -> None:
        seen |= {"error_code": failed.code, "provider_request_id": failed.request_id}
        if isinstance(failed, SmsNotConfigured):
            metrics.add_metric(name="SmsNotConfigured", unit="Count", value=1)
            logger.info("no approved template for this purpose on this stage; not sent", extra=seen)
            self._record_failure(message, "template_not_configured")
            return
        if isinstance(failed, SmsUnreachable):
            metrics.add_metric(name="SmsUnreachable", unit="Count", value=1)
            logger.warning("sms refused for this recipient; dropped", extra=seen)
            self._record_failure(message, failed.code)
            return
        if not isinstance(failed, SmsRefused) or self._dead_letters is None:
            metrics.add_metric(name="SmsDeferred", unit="Count", value=1)
            logger.warning("sms not sent; the queue will deliver it again", extra=seen)
            raise failed
        self._dead_letters.park(body, message.purpose, failed.code)
        metrics.add_metric(name="SmsRefused", unit="Count", value=1)
        logger.warning("sms refused; parked on the dead-letter queue", extra=seen)
        self._record_failure(message, f"{failed.code} (parked for a replay)")

    def _record_failure(self, message: SmsMessage, reason: str) -> None:
        if self._ledger is None:
            return
        try:
            self._ledger.failed(message, reason)
        except Exception:  # noqa: BLE001 - the outcome stands; a retry would only repeat it
            logger.exception("sms outcome not recorded")
