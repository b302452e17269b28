"""The local stack's partition indexes for moto's Query (devstack/moto_index.py) answer
exactly what moto's full scan answers, after any mix of puts, updates that move an item
between index partitions, deletes, and transactions that commit or roll back."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from devstack.moto_atomic import serialise_dynamodb_writes
from devstack.moto_index import index_dynamodb_queries
from tests.support.tables import create_table

TABLE = "indexed"
PARTITIONS = [f"P{i}" for i in range(4)]
GROUPS = [f"G{i}" for i in range(3)]


@pytest.fixture
def ddb() -> Iterator[Any]:
    serialise_dynamodb_writes()
    index_dynamodb_queries()
    with mock_aws():
        client = boto3.client("dynamodb", region_name="cn-north-1")
        create_table(
            client,
            TABLE,
            {"gsi1": ("gsi1pk", "gsi1sk", "ALL"), "gsi4": ("gsi4pk", None, "KEYS_ONLY")},
        )
        yield client


def _key(rng: random.Random) -> dict[str, Any]:
    return {"pk": {"S": rng.choice(PARTITIONS)}, "sk": {"S": f"S{rng.randrange(12):02d}"}}


def _write(client: Any, rng: random.Random, n: int) -> None:
    roll = rng.random()
    key = _key(rng)
    if roll < 0.4:
        item = {**key, "n": {"N": str(n)}}
        if rng.random() < 0.8:
            item["gsi1pk"] = {"S": rng.choice(GROUPS)}
            item["gsi1sk"] = {"S": f"{n:05d}"}
        if rng.random() < 0.5:
            item["gsi4pk"] = {"S": "DUE"}
        client.put_item(TableName=TABLE, Item=item)
    elif roll < 0.65:  # moves the item to another index partition, or out of the index
        if rng.random() < 0.7:
            client.update_item(
                TableName=TABLE,
                Key=key,
                UpdateExpression="SET gsi1pk = :g, gsi1sk = :s",
                ExpressionAttributeValues={":g": {"S": rng.choice(GROUPS)}, ":s": {"S": "x"}},
            )
        else:
            client.update_item(TableName=TABLE, Key=key, UpdateExpression="REMOVE gsi1pk, gsi4pk")
    elif roll < 0.8:
        client.delete_item(TableName=TABLE, Key=key)
    else:  # a transaction; one in three fails its last condition and rolls back
        fails = rng.random() < 0.33
        steps: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": TABLE,
                    "Item": {
                        **_key(rng),
                        "gsi1pk": {"S": rng.choice(GROUPS)},
                        "gsi1sk": {"S": "t"},
                    },
                }
            },
            {
                "Update": {
                    "TableName": TABLE,
                    "Key": {"pk": {"S": "TX"}, "sk": {"S": f"{n}"}},
                    "UpdateExpression": "SET gsi4pk = :due",
                    "ExpressionAttributeValues": {":due": {"S": "DUE"}},
                }
            },
        ]
        if fails:
            steps.append(
                {
                    "ConditionCheck": {
                        "TableName": TABLE,
                        "Key": {"pk": {"S": "NOPE"}, "sk": {"S": "NOPE"}},
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                }
            )
        try:
            client.transact_write_items(TransactItems=steps)
        except client.exceptions.TransactionCanceledException:
            assert fails


def _truth(client: Any, attr: str, value: str) -> list[tuple[str, str]]:
    """What the partition holds, from a full Scan (moto's unindexed path)."""
    items = client.scan(TableName=TABLE, ConsistentRead=True)["Items"]
    return sorted((i["pk"]["S"], i["sk"]["S"]) for i in items if i.get(attr, {}).get("S") == value)


def _queried(client: Any, value: str, index: str | None, attr: str) -> list[tuple[str, str]]:
    found, start = [], None
    while True:
        kwargs: dict[str, Any] = {
            "TableName": TABLE,
            "KeyConditionExpression": "#h = :v",
            "ExpressionAttributeNames": {"#h": attr},
            "ExpressionAttributeValues": {":v": {"S": value}},
            "Limit": 3,  # several pages: LastEvaluatedKey goes through the index too
        }
        if index:
            kwargs["IndexName"] = index
        if start:
            kwargs["ExclusiveStartKey"] = start
        page = client.query(**kwargs)
        found += [(i["pk"]["S"], i["sk"]["S"]) for i in page["Items"]]
        start = page.get("LastEvaluatedKey")
        if not start:
            return sorted(found)


def test_indexed_queries_answer_what_a_full_scan_finds(ddb: Any) -> None:
    rng = random.Random(20261204)
    _queried(ddb, "G0", "gsi1", "gsi1pk")  # the GSI map is built now, then kept current
    for n in range(400):
        _write(ddb, rng, n)
        if n % 40 == 39:
            for group in GROUPS:
                assert _queried(ddb, group, "gsi1", "gsi1pk") == _truth(ddb, "gsi1pk", group)
            assert _queried(ddb, "DUE", "gsi4", "gsi4pk") == _truth(ddb, "gsi4pk", "DUE")
            for partition in [*PARTITIONS, "TX"]:
                assert _queried(ddb, partition, None, "pk") == _truth(ddb, "pk", partition)


def test_a_gsi_first_queried_late_is_built_from_what_the_table_holds(ddb: Any) -> None:
    rng = random.Random(7)
    for n in range(120):
        _write(ddb, rng, n)
    for group in GROUPS:
        assert _queried(ddb, group, "gsi1", "gsi1pk") == _truth(ddb, "gsi1pk", group)
    assert _queried(ddb, "nothing", "gsi1", "gsi1pk") == []
