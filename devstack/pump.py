"""Delivers what AWS would deliver: SQS messages to the app's `on_sqs_message` consumers,
the table's stream to its `on_dynamodb_record` consumers (devstack/stream_pump.py) and timer
ticks to its `schedule` handlers. One thread per queue, one for the stream, one for
schedules."""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from chalice import Chalice
from chalice.app import ScheduledEventConfig, SQSEventConfig

from chalicelib.clock import isoformat
from chalicelib.observability import logger
from chalicelib.store.clients import AwsClients

_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


def schedule_seconds(expression: str) -> float | None:
    """Seconds between runs of a rate() expression; None for cron() (run on demand only)."""
    match = _RATE.match(expression)
    if not match:
        return None
    return int(match[1]) * _UNIT_SECONDS[match[2].rstrip("s")]


class _Context:
    function_name = "local"
    aws_request_id = ""

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def failed_ids(answer: Any, batch: set[str]) -> set[str]:
    """The message ids a consumer's answer reports as failed: none for an answer without
    `batchItemFailures` (a consumer that returns nothing succeeded for every record). An id
    that is not in the batch (or none at all) makes Lambda fail the whole batch: so here."""
    if not isinstance(answer, dict) or answer.get("batchItemFailures") is None:
        return set()
    failed = {str(item.get("itemIdentifier") or "") for item in answer["batchItemFailures"]}
    if not failed <= batch:
        raise ValueError("batchItemFailures names a message that is not in the batch")
    return failed


class EventPump:
    def __init__(
        self,
        app: Chalice,
        clients: AwsClients,
        queue_urls: dict[str, str],  # queue name -> url
        *,
        region: str,
        schedule_interval: float | None = None,
        table_name: str | None = None,
    ) -> None:
        from devstack.stream_pump import StreamPump

        self._app = app
        self.stream = StreamPump(app, clients, table_name, region) if table_name else None
        self._sqs = clients.client("sqs")
        self._queue_urls = queue_urls
        self._region = region
        self._schedule_interval = schedule_interval
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def _handler(self, name: str) -> Callable[[dict[str, Any], Any], Any]:
        return self._app.handler_map[name]

    def sqs_sources(self) -> list[SQSEventConfig]:
        """The app's SQS consumers whose queue this pump was given."""
        return [
            s
            for s in self._app.event_sources
            if isinstance(s, SQSEventConfig) and s.queue in self._queue_urls
        ]

    def pump_queue_once(self, source: SQSEventConfig, wait_seconds: int = 0) -> int:
        """Receives one batch for `source`, hands it to its consumer and returns how many
        messages it deleted (see `_pump`)."""
        return self._pump(source, wait_seconds)[1]

    def _pump(self, source: SQSEventConfig, wait_seconds: int = 0) -> tuple[int, int]:
        """One batch, as Lambda's event source mapping with `ReportBatchItemFailures` handles
        it: the messages the consumer's answer names in `batchItemFailures` stay (they come
        back after the visibility timeout and, past the redrive limit, land on the
        dead-letter queue), the others are deleted; a consumer that raises, or answers with
        an id that was not in the batch, fails the whole batch. Returns (received, deleted)."""
        url = self._queue_urls[source.queue or ""]
        response = self._sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=min(source.batch_size, 10),
            WaitTimeSeconds=wait_seconds,
            AttributeNames=["All"],
        )
        messages = response.get("Messages", [])
        if not messages:
            return 0, 0
        try:
            answer = self._handler(source.name)(self._sqs_event(url, messages), _Context())
            failed = failed_ids(answer, {m["MessageId"] for m in messages})
        except Exception:  # noqa: BLE001 - like Lambda: a failed batch is retried, not fatal
            logger.exception(
                "consumer failed; messages will be retried", extra={"queue": source.queue}
            )
            return len(messages), 0
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            self._sqs.delete_message_batch(
                QueueUrl=url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)
                ],
            )
        return len(messages), len(done)

    def _sqs_event(self, url: str, messages: list[dict[str, Any]]) -> dict[str, Any]:
        arn = self._sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        return {
            "Records": [
                {
                    "messageId": m["MessageId"],
                    "receiptHandle": m["ReceiptHandle"],
                    "body": m["Body"],
                    "attributes": m.get("Attributes", {}),
                    "messageAttributes": {},
                    "md5OfBody": m.get("MD5OfBody", ""),
                    "eventSource": "aws:sqs",
                    "eventSourceARN": arn,
                    "awsRegion": self._region,
                }
                for m in messages
            ]
        }

    def drain(self, max_rounds: int = 20) -> int:
        """Delivers everything queued now (tests call this instead of running threads);
        returns how many SQS messages were delivered and deleted."""
        delivered = 0  # SQS messages (the stream's records: `stream.drain()` counts them)
        for _ in range(max_rounds):
            received = 0
            for source in self.sqs_sources():
                got, deleted = self._pump(source)
                received += got
                delivered += deleted
            streamed = self.stream.drain() if self.stream is not None else 0
            if not received + streamed:
                break
        return delivered

    def run_schedule(self, source: ScheduledEventConfig, now: datetime | None = None) -> None:
        moment = now or datetime.now(UTC)
        event = {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": "000000000000",
            "time": isoformat(moment),
            "region": self._region,
            "resources": [f"local:schedule/{source.name}"],
            "detail": {},
        }
        self._handler(source.name)(event, _Context())

    def _queue_loop(self, source: SQSEventConfig) -> None:
        while not self._stop.is_set():
            try:
                self.pump_queue_once(source, wait_seconds=1)
            except Exception:  # noqa: BLE001 - like Lambda: a failed batch is retried, not fatal
                if self._stop.is_set():
                    return
                logger.exception("pump error", extra={"queue": source.queue})
                self._stop.wait(1)

    def _schedule_loop(self) -> None:
        sources = [s for s in self._app.event_sources if isinstance(s, ScheduledEventConfig)]
        due: dict[str, float] = {}
        started = datetime.now(UTC).timestamp()
        for source in sources:
            expression = source.schedule_expression
            text = expression if isinstance(expression, str) else expression.to_string()
            period = self._schedule_interval or schedule_seconds(text)
            if period:
                due[source.name] = started + period
        while not self._stop.wait(0.5):
            now = datetime.now(UTC).timestamp()
            for source in sources:
                if source.name in due and now >= due[source.name]:
                    try:
                        self.run_schedule(source)
                    except Exception:  # noqa: BLE001 - like Lambda: a failed batch is retried, not fatal
                        logger.exception("scheduled job failed", extra={"job": source.name})
                    expression = source.schedule_expression
                    text = expression if isinstance(expression, str) else expression.to_string()
                    due[source.name] = now + (
                        self._schedule_interval or schedule_seconds(text) or 60
                    )

    def start(self) -> None:
        for source in self.sqs_sources():
            thread = threading.Thread(
                target=self._queue_loop, args=(source,), name=f"pump-{source.name}", daemon=True
            )
            thread.start()
            self._threads.append(thread)
        thread = threading.Thread(target=self._schedule_loop, name="pump-schedules", daemon=True)
        thread.start()
        self._threads.append(thread)
        if self.stream is not None:
            thread = threading.Thread(target=self._stream_loop, name="pump-stream", daemon=True)
            thread.start()
            self._threads.append(thread)

    def _stream_loop(self) -> None:
        """Polls the stream as Lambda's poller does (about four times a second)."""
        assert self.stream is not None
        while not self._stop.wait(0.25):
            try:
                while self.stream.pump_once():
                    pass
            except Exception:  # noqa: BLE001 - like Lambda: retried on the next poll
                logger.exception("stream pump error")

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=3)
