"""The SMS port's adapters: the queue the API puts messages on, the dead-letter queue its
consumer parks refused messages on, and the local sender (an outbox file). The production
sender is Tencent Cloud SMS (`store/tencent_sms.py`)."""

from __future__ import annotations

import json
import os
import threading
import uuid

from chalicelib.domain.sms import SmsMessage, SmsPurpose
from chalicelib.store.clients import AwsClients


class QueuedDispatch:
    """Puts the message on the SMS queue, so the API never waits on an SMS gateway."""

    def __init__(self, clients: AwsClients, queue_url: str) -> None:
        self._clients = clients
        self._queue_url = queue_url

    def dispatch(self, message: SmsMessage) -> None:
        self._clients.client("sqs").send_message(
            QueueUrl=self._queue_url, MessageBody=message.model_dump_json()
        )

    def dispatch_many(self, messages: list[SmsMessage]) -> list[bool]:
        """Up to ten messages in one SendMessageBatch; which of them are on the queue."""
        if not messages:
            return []
        answer = self._clients.client("sqs").send_message_batch(
            QueueUrl=self._queue_url,
            Entries=[
                {"Id": str(n), "MessageBody": m.model_dump_json()} for n, m in enumerate(messages)
            ],
        )
        ok = {int(entry["Id"]) for entry in answer.get("Successful", [])}
        return [n in ok for n in range(len(messages))]


class QueuedDeadLetters:
    """Parks a message the provider refused on the SMS queue's dead-letter queue: the body as
    it was queued (so a replay sends it again unchanged), the provider's error code and the
    purpose as message attributes."""

    def __init__(self, clients: AwsClients, queue_url: str) -> None:
        self._clients = clients
        self._queue_url = queue_url

    def park(self, body: str, purpose: SmsPurpose, error_code: str) -> None:
        self._clients.client("sqs").send_message(
            QueueUrl=self._queue_url,
            MessageBody=body,
            MessageAttributes={
                "ErrorCode": {"DataType": "String", "StringValue": error_code},
                "Purpose": {"DataType": "String", "StringValue": purpose.value},
            },
        )


class OutboxSender:
    """Local development: appends each message to a JSON-lines file, with the text its
    template renders and, for a sign-in, the code (`bianmin-code` reads it there)."""

    _lock = threading.Lock()

    def __init__(self, path: str) -> None:
        self._path = path

    def deliver(self, message: SmsMessage) -> str:
        serial = f"outbox-{uuid.uuid4().hex}"
        shown = {
            **message.model_dump(mode="json"),
            "serial_no": serial,
            "text": message.text,
            "rendered": message.rendered,
        }
        if message.code is not None:
            shown["code"] = message.code
        line = json.dumps(shown, ensure_ascii=False)
        directory = os.path.dirname(self._path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        with self._lock, open(self._path, "a", encoding="utf-8") as outbox:
            outbox.write(line + "\n")
        return serial
