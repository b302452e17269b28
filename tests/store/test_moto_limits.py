"""The local DynamoDB refuses the transactions DynamoDB refuses for their size: more than
100 items (moto checks it), and items adding up to more than 4 MB (moto does not:
devstack/moto_atomic.py checks it) — refused whole, nothing written."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from moto import mock_aws

from devstack.moto_atomic import serialise_dynamodb_writes
from tests.support.tables import create_table

TABLE = "limits"
ALMOST_400_KB = "x" * (390 * 1024)  # under the 400 KB item limit, with its key


@pytest.fixture
def ddb() -> Iterator[Any]:
    serialise_dynamodb_writes()
    with mock_aws():
        client = boto3.client(
            "dynamodb", region_name="cn-north-1", config=Config(retries={"max_attempts": 1})
        )
        create_table(client, TABLE)
        yield client


def put(n: int) -> dict[str, Any]:
    item = {"pk": {"S": f"BIG#{n}"}, "sk": {"S": "R"}, "body": {"S": ALMOST_400_KB}}
    return {"Put": {"TableName": TABLE, "Item": item}}


def stored(ddb: Any) -> int:
    pages = ddb.get_paginator("scan").paginate(TableName=TABLE, Select="COUNT")  # 1 MB a page
    return sum(int(page["Count"]) for page in pages)


def test_a_transaction_over_4_mb_is_refused_and_writes_nothing(ddb: Any) -> None:
    with pytest.raises(ClientError) as refused:
        ddb.transact_write_items(TransactItems=[put(n) for n in range(11)])  # about 4.2 MB
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert "4 MB" in refused.value.response["Error"]["Message"]
    assert stored(ddb) == 0


def test_a_transaction_just_under_4_mb_goes_through(ddb: Any) -> None:
    ddb.transact_write_items(TransactItems=[put(n) for n in range(10)])  # about 3.8 MB
    assert stored(ddb) == 10


def test_more_than_100_items_are_refused(ddb: Any) -> None:
    small = [
        {"Put": {"TableName": TABLE, "Item": {"pk": {"S": f"S#{n}"}, "sk": {"S": "R"}}}}
        for n in range(101)
    ]
    with pytest.raises(ClientError) as refused:
        ddb.transact_write_items(TransactItems=small)
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert stored(ddb) == 0
