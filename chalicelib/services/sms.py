"""The SMS port. The API enqueues a message; the `sms` queue's consumer hands it to a sender.

Senders: `OutboxSender` appends one JSON line per message to a file (local development; the
developer reads codes there), `SnsSender` publishes through Amazon SNS. A county wiring a
domestic SMS gateway adds one class with a `deliver` method.
"""

from __future__ import annotations

import json
import os
import threading
from typing import Protocol

from pydantic import Field

from chalicelib.domain.common import Strict
from chalicelib.store.clients import AwsClients


class SmsMessage(Strict):
    phone: str = Field(pattern=r"^1[3-9][0-9]{9}$")
    text: str = Field(min_length=1, max_length=500)
    code: str | None = Field(default=None, pattern=r"^[0-9]{6}$")
    purpose: str = "otp"


class SmsDispatch(Protocol):
    def dispatch(self, message: SmsMessage) -> None: ...


class SmsSender(Protocol):
    def deliver(self, message: SmsMessage) -> None: ...


class QueuedDispatch:
    """Puts the message on the SMS queue, so the API never waits on an SMS gateway."""

    def __init__(self, clients: AwsClients, queue_url: str) -> None:
        self._clients = clients
        self._queue_url = queue_url

    def dispatch(self, message: SmsMessage) -> None:
        self._clients.client("sqs").send_message(
            QueueUrl=self._queue_url, MessageBody=message.model_dump_json()
        )


class OutboxSender:
    _lock = threading.Lock()

    def __init__(self, path: str) -> None:
        self._path = path

    def deliver(self, message: SmsMessage) -> None:
        line = json.dumps(message.model_dump(exclude_none=True), ensure_ascii=False)
        directory = os.path.dirname(self._path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        with self._lock, open(self._path, "a", encoding="utf-8") as outbox:
            outbox.write(line + "\n")


class SnsSender:
    def __init__(self, clients: AwsClients) -> None:
        self._clients = clients

    def deliver(self, message: SmsMessage) -> None:
        self._clients.client("sns").publish(
            PhoneNumber="+86" + message.phone,
            Message=message.text,
            MessageAttributes={
                "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}
            },
        )
