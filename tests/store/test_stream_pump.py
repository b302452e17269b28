"""The local stream pump (devstack/stream_pump.py) delivers what DynamoDB's stream would:
never the steps of a transaction that is cancelled, even when it reads while that
transaction is still being applied, and every record written after it."""

from __future__ import annotations

import threading
from typing import Any

import boto3
import pytest
from botocore.config import Config
from chalice import Chalice
from moto import mock_aws

from chalicelib.store.clients import AwsClients
from devstack.moto_dynamodb import realistic_dynamodb
from devstack.stream_pump import StreamPump
from tests.support.tables import create_table

TABLE = "streamed"


def test_a_cancelled_transaction_is_never_delivered(monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.dynamodb.models.table import Table

    realistic_dynamodb()
    with mock_aws():
        client = boto3.client(
            "dynamodb", region_name="cn-north-1", config=Config(retries={"max_attempts": 1})
        )
        create_table(client, TABLE, stream=True)
        app = Chalice("streamed")
        delivered: list[str] = []

        @app.on_dynamodb_record(stream_arn="arn:local", batch_size=100, name="consume")
        def consume(event: Any) -> None:
            delivered.extend(r.keys["pk"]["S"] for r in event)

        pump = StreamPump(app, AwsClients("cn-north-1"), TABLE, "cn-north-1")
        inside, release = threading.Event(), threading.Event()
        real_put = Table.put_item

        def slow_put(self: Any, item_attrs: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
            if item_attrs.get("pk", {}).get("S") == "B":  # after A's step is recorded
                inside.set()
                release.wait(10)
            return real_put(self, item_attrs, *args, **kwargs)

        monkeypatch.setattr(Table, "put_item", slow_put)
        cancelled = [
            {"Put": {"TableName": TABLE, "Item": {"pk": {"S": "A"}, "sk": {"S": "R"}}}},
            {"Put": {"TableName": TABLE, "Item": {"pk": {"S": "B"}, "sk": {"S": "R"}}}},
            {
                "Put": {
                    "TableName": TABLE,
                    "Item": {"pk": {"S": "D"}, "sk": {"S": "R"}},
                    "ConditionExpression": "attribute_exists(pk)",  # fails: all is undone
                }
            },
        ]
        failures: list[Exception] = []

        def transaction() -> None:
            try:
                client.transact_write_items(TransactItems=cancelled)
            except Exception as exc:  # noqa: BLE001 - the cancellation this test expects
                failures.append(exc)

        writer = threading.Thread(target=transaction)
        writer.start()
        assert inside.wait(10)
        reader = threading.Thread(target=pump.drain)  # reads while the transaction runs
        reader.start()
        release.set()
        writer.join(10)
        reader.join(10)
        assert failures and "TransactionCanceled" in str(failures[0])
        client.put_item(TableName=TABLE, Item={"pk": {"S": "C"}, "sk": {"S": "R"}})
        pump.drain()
        assert delivered == ["C"]
