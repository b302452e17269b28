"""Small DynamoDB tables for the tests of the local DynamoDB's behaviour (devstack/moto_*.py):
a `pk`/`sk` table, with string-keyed GSIs and a stream when asked."""

from __future__ import annotations

from typing import Any


def create_table(
    client: Any,
    name: str,
    gsis: dict[str, tuple[str, str | None, str]] | None = None,
    *,
    stream: bool = False,
) -> None:
    """`gsis`: index name → (hash attribute, range attribute or None, projection type)."""
    indexes = gsis or {}
    attributes = ["pk", "sk", *(a for h, r, _ in indexes.values() for a in (h, r) if a)]
    spec: dict[str, Any] = {
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [
            {"AttributeName": a, "AttributeType": "S"} for a in dict.fromkeys(attributes)
        ],
        "KeySchema": [
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
    }
    if indexes:
        spec["GlobalSecondaryIndexes"] = [
            {
                "IndexName": index,
                "KeySchema": [{"AttributeName": h, "KeyType": "HASH"}]
                + ([{"AttributeName": r, "KeyType": "RANGE"}] if r else []),
                "Projection": {"ProjectionType": projection},
            }
            for index, (h, r, projection) in indexes.items()
        ]
    if stream:
        spec["StreamSpecification"] = {
            "StreamEnabled": True,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        }
    client.create_table(**spec)
