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
    def deliver(self, message: SmsMessage) -> None:
        """Sends `message`; raises `SmsUnreachable` (not to this recipient), `SmsRefused`
        (not before an operator fixes something) or `SmsDeferred` (try
        later), or any other error (tried again later too)."""


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
    dropped unsent (`SmsExpired`): it could no longer be used."""

    def __init__(
        self,
        sender: SmsSender,
        dead_letters: SmsDeadLetters | None,
        now: Callable[[], datetime],
    ) -> None:
        self._sender = sender
        self._dead_letters = dead_letters
        self._now = now

    def deliver(self, body: str) -> None:
        try:
            message = SmsMessage.model_validate_json(body)
        except ValueError:
            raise MalformedSms("the queued body is not an SMS message") from None
        seen = {"purpose": message.purpose.value, "phone": mask_phone(message.phone)}
        if message.expired(self._now()):
            metrics.add_metric(name="SmsExpired", unit="Count", value=1)
            logger.info("sms expired before it could be sent; dropped", extra=seen)
            return
        try:
            self._sender.deliver(message)
        except SmsNotConfigured:
            metrics.add_metric(name="SmsNotConfigured", unit="Count", value=1)
            logger.info("no approved template for this purpose on this stage; not sent", extra=seen)
            return
        except SmsUnreachable as failed:
            seen |= {"error_code": failed.code, "provider_request_id": failed.request_id}
            metrics.add_metric(name="SmsUnreachable", unit="Count", value=1)
            logger.warning("sms refused for this recipient; dropped", extra=seen)
            return
        except SmsNotSent as failed:
            seen |= {"error_code": failed.code, "provider_request_id": failed.request_id}
            if not isinstance(failed, SmsRefused) or self._dead_letters is None:
                metrics.add_metric(name="SmsDeferred", unit="Count", value=1)
                logger.warning("sms not sent; the queue will deliver it again", extra=seen)
                raise
            self._dead_letters.park(body, message.purpose, failed.code)
            metrics.add_metric(name="SmsRefused", unit="Count", value=1)
            logger.warning("sms refused; parked on the dead-letter queue", extra=seen)
            return
        metrics.add_metric(name="SmsDelivered", unit="Count", value=1)
        logger.info("sms delivered", extra=seen)
