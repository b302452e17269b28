"""Delivers the table's DynamoDB stream to the app's `on_dynamodb_record` consumers, as the
Lambda event source mapping does deployed: records in order per shard, in batches, each
batch retried from the same position until the consumer returns (a failure is logged and
the batch comes again), starting from the oldest record (TRIM_HORIZON).

The records are read from moto's stream shard in this process (moto 5.2's DynamoDB Streams
API answers botocore 1.44's requests with a 404); they are the records moto's API would
return, in the same order, with the same sequence numbers.

`replay()` delivers every record again from the start, as a shard re-read after a failure or
an operator's redrive would: the consumer must recognise what it already applied."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

from chalice import Chalice
from chalice.app import DynamoDBEventConfig

from chalicelib.observability import logger
from chalicelib.store.clients import AwsClients


class _Context:
    function_name = "local"
    aws_request_id = ""

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


class StreamPump:
    def __init__(self, app: Chalice, clients: AwsClients, table_name: str, region: str) -> None:
        self._app = app
        self._table = table_name
        self._region = region
        self._account = clients.client("sts").get_caller_identity()["Account"]
        self._after: int = 0  # records of the shard delivered so far
        self.batches = 0  # consumer invocations (the benches price them as Lambda calls)
        self._warned = False
        self._lock = threading.Lock()  # one delivery at a time, as one shard's poller does

    def sources(self) -> list[DynamoDBEventConfig]:
        return [s for s in self._app.event_sources if isinstance(s, DynamoDBEventConfig)]

    def _shard(self) -> Any | None:
        from moto.dynamodb.models import dynamodb_backends

        table = dynamodb_backends[self._account][self._region].tables.get(self._table)
        if table is None and not self._warned:  # an external endpoint: no in-process moto
            self._warned = True
            logger.warning(
                "the table's stream is not in this process: figures will not move",
                extra={"table": self._table},
            )
        return getattr(table, "stream_shard", None)

    def pump_once(self) -> int:
        """Delivers one batch to each consumer; returns the records delivered."""
        sources = self.sources()
        shard = self._shard() if sources else None
        if shard is None:
            return 0
        with self._lock:
            from devstack.moto_atomic import WRITE_LOCK

            with WRITE_LOCK:  # not while a transaction may still be cut back from the stream
                records = [r.to_json() for r in shard.items[self._after : self._after + 100]]
            if not records:
                return 0
            arn = f"{shard.table.table_arn}/stream/{shard.created_on.isoformat()}"
            for source in sources:
                batch = records[: source.batch_size]
                event = {"Records": [_lambda_record(r, arn, self._region) for r in batch]}
                try:
                    self._app.handler_map[source.name](event, _Context())
                except Exception:  # noqa: BLE001 - like Lambda: retried, the shard waits
                    logger.exception("stream consumer failed; the batch will be retried")
                    return 0
                records = batch
            self._after += len(records)
            self.batches += 1
            return len(records)

    def drain(self, max_rounds: int = 1000) -> int:
        delivered = 0
        for _ in range(max_rounds):
            batch = self.pump_once()
            delivered += batch
            if not batch:
                break
        return delivered

    def replay(self) -> int:
        """Delivers every record again, from the oldest."""
        with self._lock:
            self._after = 0
        return self.drain()


def _lambda_record(record: dict[str, Any], arn: str, region: str) -> dict[str, Any]:
    """A stream record as Lambda hands it over (the creation time in epoch seconds)."""
    dynamodb = dict(record["dynamodb"])
    created = dynamodb.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        dynamodb["ApproximateCreationDateTime"] = created.timestamp()
    return {**record, "dynamodb": dynamodb, "eventSourceARN": arn, "awsRegion": region}
