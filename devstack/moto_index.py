"""Partition indexes for moto's DynamoDB Query, so the local stack does not slow down as the
table grows.

moto answers a Query by sorting every item of the table (`Table.all_items`) and checking
each one against the key condition, with a size check per candidate: a case read costs the
size of the table, and a workload of a thousand requests decays to a few calls a second.
DynamoDB reads one partition. Here a base-table Query starts from its partition's items
(`Table.items[hash]`, which moto keeps anyway) and a GSI Query from the items whose index
partition key has the value asked for, kept in a map that every write brings up to date
(puts, updates, deletes, transactions, including a transaction's rollback). moto's own
Query then runs on those candidates unchanged: same sort, same filters, same pages, same
`LastEvaluatedKey` — only the candidates are fewer.

The GSI map is built on a GSI's first Query, from the whole table, then kept current
incrementally. Like DynamoDB's GSIs it may trail a concurrent write by a moment; a write
is indexed before its call returns, so reading your own writes holds.
"""

from __future__ import annotations

import functools
import threading
import weakref
from typing import Any

_NARROW = threading.local()  # (table, candidates) while this thread runs an indexed Query
_LOCK = threading.RLock()

ItemKey = tuple[Any, Any]  # (hash DynamoType, range DynamoType | None)


class _GsiMap:
    """For one table: each GSI's partition values → the keys of the items in it."""

    def __init__(self, table: Any) -> None:
        self.hash_attr: dict[str, str] = {}
        for index in table.global_indexes or []:
            hashes = [k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH"]
            if len(hashes) == 1:  # a multi-attribute key falls back to moto's full scan
                self.hash_attr[index.name] = hashes[0]
        self.members: dict[str, dict[Any, dict[ItemKey, None]]] = {
            name: {} for name in self.hash_attr
        }
        self.placed: dict[ItemKey, dict[str, Any]] = {}  # item key → {index: its value}
        for item in _every_item(table):
            self.place(_key_of(item), item)

    def place(self, key: ItemKey, item: Any | None) -> None:
        """Moves `key` to where `item` (its current state; None: deleted) belongs."""
        for name, value in self.placed.pop(key, {}).items():
            partition = self.members[name].get(value)
            if partition is not None:
                partition.pop(key, None)
                if not partition:
                    del self.members[name][value]
        if item is None:
            return
        placed = {}
        for name, attr in self.hash_attr.items():
            value = item.attrs.get(attr)
            if value is not None:
                self.members[name].setdefault(value, {})[key] = None
                placed[name] = value
        if placed:
            self.placed[key] = placed


_MAPS: weakref.WeakKeyDictionary[Any, _GsiMap] = weakref.WeakKeyDictionary()


def _every_item(table: Any) -> list[Any]:
    if table.range_key_attr:
        return [item for partition in list(table.items.values()) for item in partition.values()]
    return list(table.items.values())


def _key_of(item: Any) -> ItemKey:
    return (item.hash_key, item.range_key)


def _current(table: Any, key: ItemKey) -> Any | None:
    hash_key, range_key = key
    if table.range_key_attr:
        return table.items.get(hash_key, {}).get(range_key)
    return table.items.get(hash_key)


def _reindex(backend: Any, table_name: str | None, key: dict[str, Any] | None) -> None:
    """Brings the GSI map of `table_name` (if built) up to date for the item at `key`."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    table = backend.tables.get(table_name) if table_name else None
    gsi = _MAPS.get(table) if table is not None else None
    if gsi is None or not key or table.hash_key_attr not in key:
        return
    range_attr = table.range_key_attr
    item_key = (
        DynamoType(key[table.hash_key_attr]),
        DynamoType(key[range_attr]) if range_attr and range_attr in key else None,
    )
    with _LOCK:
        gsi.place(item_key, _current(table, item_key))


def _candidates(table: Any, hash_key: Any, index_name: str | None, conditions: Any) -> Any:
    """The items a Query can match (None: moto's full scan), as `Table.all_items` would list
    them."""
    if index_name is None:
        if hash_key is None:
            return None
        partition = table.items.get(hash_key)
        if partition is None:
            return []
        return list(partition.values()) if table.range_key_attr else [partition]
    if any(i.name == index_name for i in table.indexes or []):  # an LSI: the base partition
        return _candidates(table, hash_key, None, None)
    if _MAPS.get(table) is None:
        from devstack.moto_atomic import WRITE_LOCK

        # Built from a table no write changes meanwhile; the write lock first, as a write
        # takes it before it indexes (one order, so no deadlock).
        with WRITE_LOCK, _LOCK:
            if _MAPS.get(table) is None:
                _MAPS[table] = _GsiMap(table)
    with _LOCK:
        gsi = _MAPS[table]
        attr = gsi.hash_attr.get(index_name)
        if attr is None:
            return None
        wanted = dict(conditions or {}).get(attr, hash_key)
        keys = list(gsi.members[index_name].get(wanted, {}))
    found = (_current(table, key) for key in keys)
    return [item for item in found if item is not None]


def index_dynamodb_queries() -> None:
    """Installs the indexes (idempotent). Call it where moto's DynamoDB is set up."""
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    if getattr(Table.query, "_indexed", False):
        return
    full_listing = Table.all_items
    full_query = Table.query

    def all_items(self: Any) -> list[Any]:
        narrowed = getattr(_NARROW, "value", None)
        if narrowed is not None and narrowed[0] is self:
            return narrowed[1]
        return full_listing(self)

    def query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
        found = _candidates(self, hash_key, index_name, kwargs.get("hash_key_conditions"))
        if found is None:
            return full_query(self, hash_key, *args, **kwargs)
        _NARROW.value = (self, found)
        try:
            return full_query(self, hash_key, *args, **kwargs)
        finally:
            _NARROW.value = None

    def keyed(method: Any, key_of: Any) -> Any:
        @functools.wraps(method)
        def write(self: Any, table_name: str, payload: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return method(self, table_name, payload, *args, **kwargs)
            finally:
                _reindex(self, table_name, key_of(self, table_name, payload))

        return write

    def item_key(backend: Any, table_name: str, attrs: dict[str, Any]) -> dict[str, Any]:
        table = backend.tables.get(table_name)
        if table is None:
            return {}
        names = (table.hash_key_attr, table.range_key_attr)
        return {k: v for k, v in attrs.items() if k in names}

    original_transaction = DynamoDBBackend.transact_write_items

    @functools.wraps(original_transaction)
    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        try:
            original_transaction(self, transact_items)
        finally:  # committed or rolled back, the touched items are where they now are
            for entry in transact_items:
                ((kind, op),) = entry.items()
                if kind == "ConditionCheck":
                    continue
                key = op.get("Key") or item_key(self, op.get("TableName"), op.get("Item", {}))
                _reindex(self, op.get("TableName"), key)

    Table.all_items = all_items  # type: ignore[method-assign]
    Table.query = functools.wraps(full_query)(query)  # type: ignore[method-assign]
    Table.query._indexed = True  # type: ignore[attr-defined]
    DynamoDBBackend.put_item = keyed(DynamoDBBackend.put_item, item_key)  # type: ignore[method-assign]
    DynamoDBBackend.update_item = keyed(  # type: ignore[method-assign]
        DynamoDBBackend.update_item, lambda _b, _t, key: key
    )
    DynamoDBBackend.delete_item = keyed(  # type: ignore[method-assign]
        DynamoDBBackend.delete_item, lambda _b, _t, key: key
    )
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
