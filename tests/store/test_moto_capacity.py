"""Consumed capacity as the local DynamoDB reports it (devstack/moto_capacity.py): by item
size, twice in a transaction, GSIs by their projection, reads by 4 KB and consistency."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from devstack.moto_dynamodb import realistic_dynamodb
from tests.support.tables import create_table

TABLE = "metered"


@pytest.fixture
def ddb() -> Iterator[Any]:
    realistic_dynamodb()
    with mock_aws():
        client = boto3.client("dynamodb", region_name="cn-north-1")
        create_table(client, TABLE, {"all": ("g", None, "ALL"), "keys": ("k", None, "KEYS_ONLY")})
        yield client


def item(sk: str, kb: float, **extra: str) -> dict[str, Any]:
    """An item of about `kb` KB (its padding attribute `p` carries the size)."""
    body = {"pk": {"S": "P"}, "sk": {"S": sk}, **{k: {"S": v} for k, v in extra.items()}}
    return {**body, "p": {"S": "x" * (int(kb * 1024) - 40)}}


def units(response: dict[str, Any]) -> dict[str, float]:
    consumed = response["ConsumedCapacity"]
    out = {"table": consumed["Table"]["CapacityUnits"], "total": consumed["CapacityUnits"]}
    for name, value in (consumed.get("GlobalSecondaryIndexes") or {}).items():
        out[name] = value["CapacityUnits"]
    return out


def test_writes_cost_a_unit_per_started_kb_and_each_gsi_by_its_projection(ddb: Any) -> None:
    put = ddb.put_item(
        TableName=TABLE, Item=item("a", 3.5, g="G1", k="K1"), ReturnConsumedCapacity="INDEXES"
    )
    assert units(put) == {"table": 4, "all": 4, "keys": 1, "total": 9}
    # grows to 5.5 KB and moves to another partition of `all`: a delete and a put there
    grown = ddb.update_item(
        TableName=TABLE,
        Key={"pk": {"S": "P"}, "sk": {"S": "a"}},
        UpdateExpression="SET p = :p, g = :g",
        ExpressionAttributeValues={":p": {"S": "y" * 5600}, ":g": {"S": "G2"}},
        ReturnConsumedCapacity="INDEXES",
    )
    assert units(grown) == {"table": 6, "all": 12, "keys": 1, "total": 19}
    gone = ddb.delete_item(
        TableName=TABLE, Key={"pk": {"S": "P"}, "sk": {"S": "a"}}, ReturnConsumedCapacity="TOTAL"
    )
    assert gone["ConsumedCapacity"]["CapacityUnits"] == 6 + 6 + 1


def test_a_transaction_costs_each_item_twice_condition_checks_included(ddb: Any) -> None:
    ddb.put_item(TableName=TABLE, Item=item("c", 1.5))
    response = ddb.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": TABLE, "Item": item("a", 0.5)}},
            {"Put": {"TableName": TABLE, "Item": item("b", 2.5)}},
            {
                "ConditionCheck": {
                    "TableName": TABLE,
                    "Key": {"pk": {"S": "P"}, "sk": {"S": "c"}},
                    "ConditionExpression": "attribute_exists(pk)",
                }
            },
        ],
        ReturnConsumedCapacity="TOTAL",
    )
    assert response["ConsumedCapacity"] == [{"TableName": TABLE, "CapacityUnits": 2 * (1 + 3 + 2)}]


def test_reads_cost_by_4_kb_and_half_when_eventually_consistent(ddb: Any) -> None:
    for n in range(10):
        ddb.put_item(TableName=TABLE, Item=item(f"q{n}", 1))
    ddb.put_item(TableName=TABLE, Item=item("big", 5))
    key = {"pk": {"S": "P"}, "sk": {"S": "big"}}
    strong = ddb.get_item(
        TableName=TABLE, Key=key, ConsistentRead=True, ReturnConsumedCapacity="TOTAL"
    )
    eventual = ddb.get_item(TableName=TABLE, Key=key, ReturnConsumedCapacity="TOTAL")
    assert [
        strong["ConsumedCapacity"]["CapacityUnits"],
        eventual["ConsumedCapacity"]["CapacityUnits"],
    ] == [2, 1]
    page = ddb.query(
        TableName=TABLE,
        KeyConditionExpression="pk = :p AND begins_with(sk, :q)",
        ExpressionAttributeValues={":p": {"S": "P"}, ":q": {"S": "q"}},
        ReturnConsumedCapacity="TOTAL",
    )
    assert page["Count"] == 10 and page["ConsumedCapacity"]["CapacityUnits"] == 1.5  # 10 KB


def test_nothing_is_reported_unless_asked(ddb: Any) -> None:
    assert "ConsumedCapacity" not in ddb.put_item(TableName=TABLE, Item=item("a", 1))
