"""The SMS port. The API enqueues a message (`SmsDispatch`); the `sms` queue's consumer hands
it to a sender (`SmsSender`). The adapters live in `chalicelib/store/sms.py`: the queue, an
outbox file for local development (the developer reads codes there) and Amazon SNS. A county
wiring a domestic SMS gateway adds one class with a `deliver` method there.
"""

from __future__ import annotations

from typing import Protocol

from chalicelib.domain.sms import SmsMessage


class SmsDispatch(Protocol):
    def dispatch(self, message: SmsMessage) -> None: ...


class SmsSender(Protocol):
    def deliver(self, message: SmsMessage) -> None: ...
