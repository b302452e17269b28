"""Consumed capacity for moto's DynamoDB, computed by DynamoDB's rules and reported when a
request asks (`ReturnConsumedCapacity`: TOTAL or INDEXES), so benches count units, not
calls. moto reports a constant 0.5 or 1.0 whatever the item.

The rules (DynamoDB developer guide, "Read/write capacity mode" and "Transactions"):
- a write costs 1 unit per started KB of the larger of the item before and after it (a
  delete: the item deleted); in a transaction every item costs twice that, condition
  checks included;
- each GSI the item is in before or after is written too, by the size of the projected
  item: once if it stays in the index under the same key, twice (delete and put) if its
  index key changes, once if it enters or leaves the index;
- a strongly consistent read costs 1 unit per started 4 KB, eventually consistent half of
  that; a Query or Scan sums the sizes of the items it read before rounding; a batch or a
  transactional read counts each item on its own (a transaction twice).

Item sizes are moto's (attribute names plus values, as DynamoDB counts them, close enough
for numbers). Failed writes consume nothing here.
"""

from __future__ import annotations

import copy
import functools
import math
import threading
from collections import defaultdict
from typing import Any

_METER = threading.local()
# When a list: every write's units by partition, as (table or "table/index", partition key
# value, write units, item bytes) — `make keysim` reads it to find the hot keys.
PARTITION_LOG: list[tuple[str, str, float, int]] | None = None
# Likewise every read's (a GetItem's, a Query's, each key of a BatchGetItem's).
READ_LOG: list[tuple[str, str, float, int]] | None = None


class Consumed:
    """The units one request consumed, by table and by GSI."""

    def __init__(self) -> None:
        self.table: defaultdict[str, float] = defaultdict(float)
        self.indexes: defaultdict[str, defaultdict[str, float]] = defaultdict(
            lambda: defaultdict(float)
        )

    def report(self, table: str, detailed: bool) -> dict[str, Any]:
        on_indexes = self.indexes.get(table, {})
        total = self.table.get(table, 0.0) + sum(on_indexes.values())
        report: dict[str, Any] = {"TableName": table, "CapacityUnits": total}
        if detailed:
            report["Table"] = {"CapacityUnits": self.table.get(table, 0.0)}
            if on_indexes:
                report["GlobalSecondaryIndexes"] = {
                    name: {"CapacityUnits": units} for name, units in on_indexes.items()
                }
        return report


def _meter() -> Consumed | None:
    return getattr(_METER, "consumed", None)


def _kb(size: int) -> int:
    return max(1, math.ceil(size / 1024))


def _in_index(index: Any, item: Any | None) -> tuple[Any, ...] | None:
    """The item's key in `index` (None: the item is not in it)."""
    if item is None:
        return None
    values = tuple(item.attrs.get(name) for name in index.schema_key_attrs)
    return None if any(v is None for v in values) else values


def _charge_write(table: Any, before: Any | None, after: Any | None, factor: int) -> None:
    meter = _meter()
    if meter is None or (before is None and after is None):
        return
    largest = max(item.size() for item in (before, after) if item is not None)
    meter.table[table.name] += factor * _kb(largest)
    log = PARTITION_LOG
    if log is not None:
        hash_key = (after or before).hash_key.value
        log.append((table.name, str(hash_key), factor * _kb(largest), largest))
    for index in table.global_indexes or []:
        old, new = _in_index(index, before), _in_index(index, after)
        if old is None and new is None:
            continue
        sizes = [index.project(i).size() for i in (before, after) if i is not None]
        writes = 2 if old is not None and new is not None and old != new else 1
        meter.indexes[table.name][index.name] += factor * writes * _kb(max(sizes))
        if log is not None:
            for key in {k for k in (old, new) if k is not None}:
                share = factor * writes * _kb(max(sizes)) / len({old, new} - {None})
                log.append((f"{table.name}/{index.name}", str(key[0].value), share, max(sizes)))


def _charge_read(
    table_name: str,
    sizes: list[int],
    consistent: bool,
    each: bool,
    partition: tuple[str, str] | None = None,
) -> None:
    """Charges a read; `partition` (where, partition key value) logs it for `make keysim`."""
    meter = _meter()
    if meter is None or not getattr(_METER, "reading", False):
        return  # moto's own look-ups while it writes cost nothing
    per_unit = 1.0 if consistent else 0.5
    if each:
        units = sum(max(1, math.ceil(s / 4096)) for s in sizes) * per_unit
    else:
        units = max(1, math.ceil(sum(sizes) / 4096)) * per_unit
    meter.table[table_name] += units
    log = READ_LOG
    if log is not None and partition is not None:
        log.append((*partition, units, max(sizes)))


def _key_of(table: Any, attrs: dict[str, Any]) -> tuple[Any, Any]:
    from moto.dynamodb.models.dynamo_type import DynamoType

    hash_key = DynamoType(attrs[table.hash_key_attr])
    range_attr = table.range_key_attr
    return hash_key, DynamoType(attrs[range_attr]) if range_attr and range_attr in attrs else None


def _stored(table: Any, attrs: dict[str, Any]) -> Any | None:
    try:
        return copy.deepcopy(table.get_item(*_key_of(table, attrs)))
    except Exception:  # noqa: BLE001 - moto raises the key's validation error itself
        return None


def _writes(backend_cls: Any) -> None:
    """Backend writes record their units (a transaction's own steps at twice the rate)."""
    for name in ("put_item", "update_item", "delete_item"):
        original = getattr(backend_cls, name)

        def write(
            self: Any,
            table_name: str,
            payload: Any,
            *args: Any,
            __original: Any = original,
            __deleting: bool = name == "delete_item",
            **kwargs: Any,
        ) -> Any:
            table = self.tables.get(table_name)
            before = _stored(table, payload) if table is not None else None
            result = __original(self, table_name, payload, *args, **kwargs)
            if table is not None:
                after = None if __deleting else table.get_item(*_key_of(table, payload))
                factor = 2 if getattr(_METER, "in_transaction", False) else 1
                _charge_write(table, before, after, factor)
            return result

        functools.update_wrapper(write, original)
        setattr(backend_cls, name, write)

    transaction = backend_cls.transact_write_items

    @functools.wraps(transaction)
    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        meter = _meter()
        charged = (copy.deepcopy(meter.table), copy.deepcopy(meter.indexes)) if meter else None
        logged = len(PARTITION_LOG) if PARTITION_LOG is not None else 0
        _METER.in_transaction = True
        try:
            transaction(self, transact_items)
        except Exception:
            if meter is not None and charged is not None:  # a cancelled one wrote nothing
                meter.table, meter.indexes = charged
            if PARTITION_LOG is not None:
                del PARTITION_LOG[logged:]
            raise
        finally:
            _METER.in_transaction = False
        for entry in transact_items:  # condition checks are charged as transactional writes
            ((kind, op),) = entry.items()
            table = self.tables.get(op.get("TableName"))
            if kind == "ConditionCheck" and table is not None:
                checked = _stored(table, op["Key"])
                meter = _meter()
                if meter is not None:
                    meter.table[table.name] += 2 * _kb(checked.size() if checked else 0)

    backend_cls.transact_write_items = transact_write_items


def _queried(table: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[str, str] | None:
    """(table or "table/index", partition key value) of a moto Table.query call."""
    hash_key = args[0] if args else kwargs.get("hash_key")
    if hash_key is None and kwargs.get("hash_key_conditions"):
        hash_key = kwargs["hash_key_conditions"][0][1]
    if hash_key is None:
        return None
    index = args[7] if len(args) > 7 else kwargs.get("index_name")
    return (f"{table.name}/{index}" if index else table.name, str(hash_key.value))


def _reads(backend_cls: Any, table_cls: Any) -> None:
    get_item = backend_cls.get_item

    @functools.wraps(get_item)
    def read_one(self: Any, table_name: str, keys: Any, *args: Any, **kwargs: Any) -> Any:
        item = get_item(self, table_name, keys, *args, **kwargs)
        consistent = bool(getattr(_METER, "consistent", False))
        table = self.tables.get(table_name)
        partition = None
        if table is not None and isinstance(keys.get(table.hash_key_attr), dict):
            partition = (table_name, str(next(iter(keys[table.hash_key_attr].values()))))
        size = item.size() if item else 0
        _charge_read(table_name, [size], consistent, each=True, partition=partition)
        return item

    backend_cls.get_item = read_one
    query = table_cls.query

    @functools.wraps(query)
    def read_many(self: Any, *args: Any, **kwargs: Any) -> Any:
        results, scanned, last_key = query(self, *args, **kwargs)
        consistent = bool(getattr(_METER, "consistent", False))
        sizes = [r.size() for r in results] or [0]
        _charge_read(
            self.name, sizes, consistent, each=False, partition=_queried(self, args, kwargs)
        )
        return results, scanned, last_key

    table_cls.query = read_many


# Handler methods whose requests may ask for ReturnConsumedCapacity, and those that read.
_SINGLE = ("put_item", "update_item", "delete_item", "get_item", "query", "scan")
_MULTI = ("batch_get_item", "batch_write_item", "transact_write_items", "transact_get_items")
_READS = ("get_item", "query", "scan", "batch_get_item", "transact_get_items")


def _report(handler_cls: Any) -> None:
    for name in (*_SINGLE, *_MULTI):
        original = getattr(handler_cls, name)

        def respond(self: Any, __original: Any = original, __name: str = name) -> Any:
            _METER.consumed = Consumed()
            requested = self.body.get("RequestItems")
            _METER.consistent = bool(self.body.get("ConsistentRead")) or (
                isinstance(requested, dict)  # BatchGetItem says so per table
                and any(isinstance(r, dict) and r.get("ConsistentRead") for r in requested.values())
            )
            _METER.reading = __name in _READS
            try:
                result = __original(self)
                asked = self.body.get("ReturnConsumedCapacity", "NONE")
                body = result.result
                if asked in ("TOTAL", "INDEXES") and isinstance(body, dict):
                    consumed, detailed = _METER.consumed, asked == "INDEXES"
                    if __name in _SINGLE:
                        body["ConsumedCapacity"] = consumed.report(self.body["TableName"], detailed)
                    else:
                        tables = sorted({*consumed.table, *consumed.indexes})
                        body["ConsumedCapacity"] = [consumed.report(t, detailed) for t in tables]
                return result
            finally:
                _METER.consumed = None
                _METER.reading = False

        functools.update_wrapper(respond, original)
        setattr(handler_cls, name, respond)


def meter_dynamodb_capacity() -> None:
    """Installs the capacity rules (idempotent). Call it where moto's DynamoDB is set up."""
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table
    from moto.dynamodb.responses import DynamoHandler

    if getattr(DynamoHandler.put_item, "_metered", False):
        return
    _writes(DynamoDBBackend)
    _reads(DynamoDBBackend, Table)
    _report(DynamoHandler)
    DynamoHandler.put_item._metered = True  # type: ignore[attr-defined]
