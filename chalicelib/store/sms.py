"""The SMS port's adapters: the queue the API puts messages on, and the senders its consumer
hands them to — an outbox file (local development) and Amazon SNS."""

from __future__ import annotations

import json
import os
import threading

from chalicelib.domain.sms import SmsMessage
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


class OutboxSender:
    _lock = threading.Lock()

    def __init__(self, path: str) -> None:
        self._path = path

    def deliver(self, message: SmsMessage) -> None:
        shown = {**message.model_dump(exclude_none=True), "rendered": message.rendered}
        line = json.dumps(shown, ensure_ascii=False)
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
            Message=message.rendered,
            MessageAttributes={
                "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}
            },
        )
