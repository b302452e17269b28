"""A thin typed layer over the low-level DynamoDB client for the single table.

Keys: `pk`/`sk` on the table; overloaded `gsiNpk`/`gsiNsk` on the global secondary indexes
(see infra/dynamodb-table.json, the one definition of the table).
"""

from __future__ import annotations

import base64
import json
import random
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Generic, TypeVar

from chalicelib.errors import Busy, DomainError
from chalicelib.store.clients import AwsClients
from chalicelib.store.refusals import failed_steps, is_conditional_failure, is_transient

Item = dict[str, Any]

WRITE_ATTEMPTS = 6
BACKOFF_BASE = 0.025  # seconds; attempt n waits up to base × 2ⁿ, capped
BACKOFF_CAP = 1.0


@dataclass(frozen=True)
class Guarded:
    """A transaction step whose failed condition means `error` (a full quota, a key used
    already, a photo attached elsewhere) rather than the transaction's general conflict."""

    step: dict[str, Any]
    error: DomainError


def _to_dynamo(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, dict):
        return {k: _to_dynamo(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_to_dynamo(v) for v in value]
    return value


def _from_dynamo(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _from_dynamo(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_dynamo(v) for v in value]
    if isinstance(value, set):
        return sorted(_from_dynamo(v) for v in value)
    return value


class Serializer:
    """Python values <-> DynamoDB attribute values (boto3's serializers, loaded lazily)."""

    def __init__(self) -> None:
        from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

        self._ser = TypeSerializer()
        self._de = TypeDeserializer()

    def dump(self, item: Mapping[str, Any]) -> dict[str, Any]:
        return {k: self._ser.serialize(_to_dynamo(v)) for k, v in item.items() if v is not None}

    def load(self, item: Mapping[str, Any]) -> Item:
        return {k: _from_dynamo(self._de.deserialize(v)) for k, v in item.items()}

    def value(self, value: Any) -> dict[str, Any]:
        return self._ser.serialize(_to_dynamo(value))


T = TypeVar("T")
BATCH_GET_LIMIT = 100  # keys per BatchGetItem call


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of typed results and where the next one starts (None: no more)."""

    items: list[T]
    last_key: dict[str, Any] | None


@dataclass
class QueryPage:
    items: list[Item]
    last_key: dict[str, Any] | None


class Table:
    """The single table: every store goes through this."""

    def __init__(
        self,
        clients: AwsClients,
        name: str,
        *,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._clients = clients
        self.name = name
        self._serializer: Serializer | None = None
        self._sleep = sleep
        self._jitter = jitter
        self.retries = 0  # transient refusals retried so far (the benches print it)

    def _write(self, call: Callable[..., Any], **kwargs: Any) -> Any:
        """One write, repeated while DynamoDB refuses it only transiently (`is_transient`);
        when that outlasts the attempts, `Busy` (503, nothing written)."""
        for attempt in range(WRITE_ATTEMPTS):
            try:
                return call(**kwargs)
            except Exception as exc:
                if not is_transient(exc):
                    raise
                if attempt == WRITE_ATTEMPTS - 1:
                    raise Busy(
                        "The service is busy with other changes to the same records; "
                        "nothing was changed, send the request again."
                    ) from exc
                self.retries += 1
                self._sleep(self._jitter() * min(BACKOFF_CAP, BACKOFF_BASE * 2**attempt))
        raise AssertionError("unreachable")

    @property
    def client(self) -> Any:
        return self._clients.dynamodb

    @property
    def ser(self) -> Serializer:
        if self._serializer is None:
            self._serializer = Serializer()
        return self._serializer

    def get(self, pk: str, sk: str, *, consistent: bool = False) -> Item | None:
        response = self.client.get_item(
            TableName=self.name,
            Key={"pk": {"S": pk}, "sk": {"S": sk}},
            ConsistentRead=consistent,
        )
        raw = response.get("Item")
        return self.ser.load(raw) if raw else None

    def batch_get(self, keys: list[tuple[str, str]], *, consistent: bool = True) -> list[Item]:
        """The items at (pk, sk) `keys` that exist, read with BatchGetItem (100 keys a call,
        unprocessed keys asked again after a short backoff, as the SDK guide says)."""
        found: list[Item] = []
        unique = list(dict.fromkeys(keys))
        for offset in range(0, len(unique), BATCH_GET_LIMIT):
            chunk = unique[offset : offset + BATCH_GET_LIMIT]
            pending: dict[str, Any] = {
                self.name: {
                    "Keys": [{"pk": {"S": pk}, "sk": {"S": sk}} for pk, sk in chunk],
                    "ConsistentRead": consistent,
                }
            }
            attempt = 0
            while pending:
                if attempt:
                    time.sleep(min(0.05 * 2**attempt, 1.0))
                response = self.client.batch_get_item(RequestItems=pending)
                found.extend(
                    self.ser.load(raw) for raw in response.get("Responses", {}).get(self.name, [])
                )
                pending = response.get("UnprocessedKeys") or {}
                attempt += 1
        return found

    def put(
        self,
        item: Mapping[str, Any],
        *,
        condition: str | None = None,
        names: dict[str, str] | None = None,
        values: dict[str, Any] | None = None,
    ) -> None:
        kwargs: dict[str, Any] = {"TableName": self.name, "Item": self.ser.dump(item)}
        if condition:
            kwargs["ConditionExpression"] = condition
        if names:
            kwargs["ExpressionAttributeNames"] = names
        if values:
            kwargs["ExpressionAttributeValues"] = self.ser.dump(values)
        self._write(self.client.put_item, **kwargs)

    def query(
        self,
        pk: str,
        *,
        index: str | None = None,
        sk_prefix: str | None = None,
        sk_between: tuple[str, str] | None = None,
        forward: bool = True,
        limit: int | None = None,
        start_key: dict[str, Any] | None = None,
        consistent: bool = False,
        projection: list[str] | None = None,
        filter: tuple[str, dict[str, str], dict[str, Any]] | None = None,
        sk_from: str | None = None,
    ) -> QueryPage:
        """One Query page. `filter` is (FilterExpression, names, values): items the filter drops
        still count towards `limit`, as in DynamoDB. `sk_from` reads sort keys >= the value."""
        condition, names, values = _key_condition(pk, index, sk_prefix, sk_between, sk_from)
        if filter is not None:
            _, filter_names, filter_values = filter
            names.update(filter_names)
            values.update(filter_values)
        kwargs: dict[str, Any] = {
            "TableName": self.name,
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": self.ser.dump(values),
            "ScanIndexForward": forward,
        }
        if filter is not None:
            kwargs["FilterExpression"] = filter[0]
        if index:
            kwargs["IndexName"] = index
        elif consistent:
            kwargs["ConsistentRead"] = True
        if limit:
            kwargs["Limit"] = limit
        if start_key:
            kwargs["ExclusiveStartKey"] = start_key
        if projection:
            for i, attr in enumerate(projection):
                names[f"#p{i}"] = attr
            kwargs["ProjectionExpression"] = ", ".join(f"#p{i}" for i in range(len(projection)))
        response = self.client.query(**kwargs)
        return QueryPage(
            items=[self.ser.load(raw) for raw in response.get("Items", [])],
            last_key=response.get("LastEvaluatedKey"),
        )

    def query_filled(self, pk: str, limit: int, **kwargs: Any) -> QueryPage:
        """Up to `limit` items that pass the query's filter, reading on page by page (a
        filtered page can come back short); `last_key` is where the next page starts."""
        items: list[Item] = []
        start = kwargs.pop("start_key", None)
        while True:
            page = self.query(pk, limit=limit, start_key=start, **kwargs)
            for position, item in enumerate(page.items):
                items.append(item)
                if len(items) == limit:
                    more = position + 1 < len(page.items) or page.last_key is not None
                    return QueryPage(
                        items=items, last_key=self.key_of(item, kwargs) if more else None
                    )
            if not page.last_key:
                return QueryPage(items=items, last_key=None)
            start = page.last_key

    def key_of(self, item: Item, query: dict[str, Any]) -> dict[str, Any]:
        """The ExclusiveStartKey that continues a query right after `item`."""
        names = ["pk", "sk"]
        index = query.get("index")
        if index:
            names += [f"{index}pk", f"{index}sk"]
        return self.ser.dump({n: item[n] for n in names if n in item})

    def query_all(self, pk: str, **kwargs: Any) -> Iterator[Item]:
        start_key = None
        while True:
            page = self.query(pk, start_key=start_key, **kwargs)
            yield from page.items
            if not page.last_key:
                return
            start_key = page.last_key

    def transact(self, operations: list[dict[str, Any]]) -> None:
        """TransactWriteItems; each operation is {'Put'|'Update'|'ConditionCheck'|'Delete': {...}}
        with plain-Python Item/Key/ExpressionAttributeValues, serialized here."""
        prepared = []
        for op in operations:
            ((kind, spec),) = op.items()
            spec = dict(spec)
            spec["TableName"] = self.name
            for key in ("Item", "Key", "ExpressionAttributeValues"):
                if key in spec:
                    spec[key] = self.ser.dump(spec[key])
            prepared.append({kind: spec})
        self._write(self.client.transact_write_items, TransactItems=prepared)

    def transact_guarded(
        self, operations: list[dict[str, Any] | Guarded], conflict: DomainError
    ) -> None:
        """TransactWriteItems; a cancellation becomes the error of the first guarded step
        whose condition failed, else `conflict`."""
        steps = [op.step if isinstance(op, Guarded) else op for op in operations]
        try:
            self.transact(steps)
        except Exception as exc:
            if not is_conditional_failure(exc):
                raise
            failed = failed_steps(exc)
            for position, op in enumerate(operations):
                if isinstance(op, Guarded) and position in failed:
                    raise op.error from None
            raise conflict from None

    def next_in_sequence(self, counter: str, day: str) -> int:
        """The next number of a daily sequence (case numbers): one atomic ADD."""
        item = self.update(
            counter,
            day,
            UpdateExpression="ADD #n :one",
            ExpressionAttributeNames={"#n": "n"},
            ExpressionAttributeValues={":one": 1},
        )
        return int(item["n"])

    def update(self, pk: str, sk: str, **spec: Any) -> Item:
        """UpdateItem with plain-Python ExpressionAttributeValues; returns ALL_NEW."""
        kwargs = dict(spec)
        if "ExpressionAttributeValues" in kwargs:
            kwargs["ExpressionAttributeValues"] = self.ser.dump(kwargs["ExpressionAttributeValues"])
        response = self._write(
            self.client.update_item,
            TableName=self.name,
            Key={"pk": {"S": pk}, "sk": {"S": sk}},
            ReturnValues="ALL_NEW",
            **kwargs,
        )
        return self.ser.load(response.get("Attributes", {}))


def revision_put(item: dict[str, Any], previous_rev: int | None) -> dict[str, Any]:
    """A transaction's Put of `item` on the condition that it is new (`previous_rev` None)
    or still at the revision read (its `rev` attribute)."""
    if previous_rev is None:
        return {"Item": item, "ConditionExpression": "attribute_not_exists(pk)"}
    return {
        "Item": item,
        "ConditionExpression": "#rev = :previous",
        "ExpressionAttributeNames": {"#rev": "rev"},
        "ExpressionAttributeValues": {":previous": previous_rev},
    }


def encode_key(key: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key, sort_keys=True).encode()).decode()


def decode_key(token: str) -> dict[str, Any]:
    return json.loads(base64.urlsafe_b64decode(token.encode()))


def _key_condition(
    pk: str,
    index: str | None,
    sk_prefix: str | None,
    sk_between: tuple[str, str] | None,
    sk_from: str | None,
) -> tuple[str, dict[str, str], dict[str, Any]]:
    """A Query's KeyConditionExpression with its names and values: the partition, and the
    sort key by prefix, range or lower bound (the first given)."""
    pk_name, sk_name = (f"{index}pk", f"{index}sk") if index else ("pk", "sk")
    names = {"#pk": pk_name}
    values: dict[str, Any] = {":pk": pk}
    condition = "#pk = :pk"
    if sk_prefix is not None:
        names["#sk"] = sk_name
        values[":sk"] = sk_prefix
        condition += " AND begins_with(#sk, :sk)"
    elif sk_between is not None:
        names["#sk"] = sk_name
        values[":lo"], values[":hi"] = sk_between
        condition += " AND #sk BETWEEN :lo AND :hi"
    elif sk_from is not None:
        names["#sk"] = sk_name
        values[":from"] = sk_from
        condition += " AND #sk >= :from"
    return condition, names, values
