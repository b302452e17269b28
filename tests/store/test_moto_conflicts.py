"""The local DynamoDB refuses what DynamoDB refuses while a transaction is in flight
(devstack/moto_atomic.py): another transaction on one of its items is cancelled with
`TransactionConflict` for that item, a single write to one of its items fails with
`TransactionConflictException`; other items are free, and once it is done so are its own."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from moto import mock_aws

from devstack.moto_atomic import serialise_dynamodb_writes
from tests.support.tables import create_table

TABLE = "conflicts"


@pytest.fixture
def ddb() -> Iterator[Any]:
    serialise_dynamodb_writes()
    with mock_aws():
        client = boto3.client(
            "dynamodb", region_name="cn-north-1", config=Config(retries={"max_attempts": 1})
        )
        create_table(client, TABLE)
        yield client


def key(pk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": "R"}}


def add_to(pk: str) -> dict[str, Any]:
    return {
        "Update": {
            "TableName": TABLE,
            "Key": key(pk),
            "UpdateExpression": "ADD n :one",
            "ExpressionAttributeValues": {":one": {"N": "1"}},
        }
    }


@pytest.fixture
def held(ddb: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """A transaction on CASE#1 and STATS, stopped in the middle of its write until the
    event is set."""
    from moto.dynamodb.models.table import Table

    inside, release = threading.Event(), threading.Event()
    real_put = Table.put_item

    def slow_put(self: Any, item_attrs: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        if item_attrs.get("pk", {}).get("S") == "CASE#1":
            inside.set()
            release.wait(10)
        return real_put(self, item_attrs, *args, **kwargs)

    monkeypatch.setattr(Table, "put_item", slow_put)
    steps = [{"Put": {"TableName": TABLE, "Item": key("CASE#1")}}, add_to("STATS")]
    worker = threading.Thread(target=lambda: ddb.transact_write_items(TransactItems=steps))
    worker.start()
    assert inside.wait(10)
    yield release
    release.set()
    worker.join(10)


def test_a_transaction_on_an_item_another_holds_is_cancelled_for_that_item(
    ddb: Any, held: threading.Event
) -> None:
    with pytest.raises(ClientError) as caught:
        ddb.transact_write_items(TransactItems=[add_to("CASE#2"), add_to("STATS")])
    response = caught.value.response
    assert response["Error"]["Code"] == "TransactionCanceledException"
    assert [r["Code"] for r in response["CancellationReasons"]] == ["None", "TransactionConflict"]
    assert "Item" not in ddb.get_item(TableName=TABLE, Key=key("CASE#2"))  # nothing written


def test_a_single_write_to_a_held_item_fails_and_other_items_are_free(
    ddb: Any, held: threading.Event
) -> None:
    with pytest.raises(ClientError) as caught:
        ddb.put_item(TableName=TABLE, Item=key("STATS"))
    assert caught.value.response["Error"]["Code"] == "TransactionConflictException"
    free = threading.Thread(target=lambda: ddb.get_item(TableName=TABLE, Key=key("OTHER")))
    free.start()
    free.join(5)
    assert not free.is_alive()
    held.set()  # the first transaction finishes: its items are free again


def test_once_the_transaction_is_done_its_items_are_free(ddb: Any) -> None:
    ddb.transact_write_items(TransactItems=[add_to("CASE#1"), add_to("STATS")])
    ddb.transact_write_items(TransactItems=[add_to("CASE#2"), add_to("STATS")])
    ddb.put_item(TableName=TABLE, Item={**key("CASE#1"), "n": {"N": "7"}})
    stats = ddb.get_item(TableName=TABLE, Key=key("STATS"))["Item"]
    assert stats["n"] == {"N": "2"}
