"""DynamoDB's write atomicity for moto.

DynamoDB evaluates a conditional write or a transaction and applies it as one step; moto's
in-memory backend checks the condition and then writes, with nothing stopping another thread
in between. Two concurrent conditional writes can then both succeed, which AWS never allows.
The local stack and the tests serialise moto's DynamoDB writes so concurrency behaves as
deployed.

Serialising alone would be kinder than DynamoDB, which does not queue a transaction behind
another on the same item: it cancels it (`TransactionCanceledException`, reason
`TransactionConflict` for the contested item), and refuses a single write to an item an
ongoing transaction holds (`TransactionConflictException`). So a transaction first claims
its items; while it waits for and holds the write lock, another transaction or write that
touches one of them is refused exactly so. Work on different items never conflicts.

moto also deep-copies the whole table before each step of a transaction, to roll back on
failure: a transaction then costs as much as the table is big, and a generated workload of
thousands of cases grinds to a halt. The rollback here snapshots only the items the
transaction touches.
"""

from __future__ import annotations

import functools
import json
import threading
from typing import Any

_LOCK = threading.RLock()
WRITE_LOCK = _LOCK  # held while moto applies a write (readers that must see whole ones take it)
_CLAIMS_LOCK = threading.Lock()
_CLAIMED: dict[tuple[str, str], int] = {}  # (table, key) → the thread whose transaction holds it
_IN_TRANSACTION = threading.local()
_WRITES = ("put_item", "update_item", "delete_item", "transact_write_items", "batch_write_item")


def serialise_dynamodb_writes() -> None:
    from moto.dynamodb.models import DynamoDBBackend

    _cheap_transaction_rollback()  # first, so that its snapshot is taken under the lock
    for name in _WRITES:
        original = getattr(DynamoDBBackend, name, None)
        if original is None or getattr(original, "_serialised", False):
            continue

        def locked(*args: Any, __original: Any = original, **kwargs: Any) -> Any:
            with _LOCK:
                return __original(*args, **kwargs)

        functools.update_wrapper(locked, original)
        locked._serialised = True  # type: ignore[attr-defined]
        setattr(DynamoDBBackend, name, locked)
    _emulate_conflicts()


def _item_key(backend: Any, table_name: str | None, op: dict[str, Any]) -> tuple[str, str] | None:
    table = backend.tables.get(table_name) if table_name else None
    if table is None:
        return None
    source = op.get("Key") or op.get("Item") or {}
    names = (table.hash_key_attr, table.range_key_attr)
    key = {k: v for k, v in source.items() if k in names}
    return (str(table_name), json.dumps(key, sort_keys=True))


def _conflict(message: str) -> Exception:
    from moto.dynamodb.exceptions import DynamodbException

    return DynamodbException(
        "com.amazonaws.dynamodb.v20120810#TransactionConflictException", message
    )


def _emulate_conflicts() -> None:
    """Transactions claim their items before they wait for the write lock; a transaction or
    a single write touching a claimed item is refused as DynamoDB refuses it."""
    from moto.dynamodb.exceptions import TransactionCanceledException
    from moto.dynamodb.models import DynamoDBBackend

    if getattr(DynamoDBBackend.transact_write_items, "_conflicting", False):
        return
    serialised = DynamoDBBackend.transact_write_items

    @functools.wraps(serialised)
    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        me = threading.get_ident()
        keys = [
            _item_key(self, op.get("TableName"), op) for e in transact_items for op in e.values()
        ]
        with _CLAIMS_LOCK:
            taken = [k is not None and _CLAIMED.get(k, me) != me for k in keys]
            if any(taken):
                raise TransactionCanceledException(
                    [
                        ("TransactionConflict", "Transaction is ongoing for the item", None)
                        if t
                        else (None, None, None)
                        for t in taken
                    ]
                )
            mine = [k for k in keys if k is not None and k not in _CLAIMED]
            for k in mine:
                _CLAIMED[k] = me
        _IN_TRANSACTION.active = True
        try:
            serialised(self, transact_items)
        finally:
            _IN_TRANSACTION.active = False
            with _CLAIMS_LOCK:
                for k in mine:
                    _CLAIMED.pop(k, None)

    transact_write_items._conflicting = True  # type: ignore[attr-defined]
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]

    for name, key_arg in (("put_item", "Item"), ("update_item", "Key"), ("delete_item", "Key")):
        single = getattr(DynamoDBBackend, name)

        def write(
            self: Any,
            table_name: str,
            payload: Any,
            *args: Any,
            __single: Any = single,
            __arg: str = key_arg,
            **kwargs: Any,
        ) -> Any:
            if not getattr(_IN_TRANSACTION, "active", False):  # a transaction's own steps pass
                key = _item_key(self, table_name, {__arg: payload})
                with _CLAIMS_LOCK:
                    holder = _CLAIMED.get(key) if key else None
                if holder is not None and holder != threading.get_ident():
                    raise _conflict("Transaction is ongoing for the item")
            return __single(self, table_name, payload, *args, **kwargs)

        functools.update_wrapper(write, single)
        setattr(DynamoDBBackend, name, write)


class _TableKeepingCopy:
    """Stands in for the `copy` module inside moto's DynamoDB backend: a whole table is not
    deep-copied before each transaction step (which makes every transaction cost the size
    of the table); `_cheap_transaction_rollback` restores just the items a failed
    transaction touched instead."""

    def __init__(self, real: Any) -> None:
        self._real = real

    def deepcopy(self, value: Any, *args: Any) -> Any:
        from moto.dynamodb.models.table import Table

        if isinstance(value, Table):
            return value
        return self._real.deepcopy(value, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


TRANSACTION_BYTES = 4 * 1024 * 1024  # DynamoDB: the items of one transaction, 4 MB at most


def _within_transaction_size(saved: list[tuple[Any, Any, Any, Any]]) -> None:
    """Refuses (as DynamoDB does, before writing anything) a transaction whose items add up
    to more than 4 MB, each counted at the larger of its size before and after; moto does
    not check it. Raised after moto applied the steps, so the caller's rollback undoes them."""
    from moto.dynamodb.exceptions import MockValidationException

    total = 0
    for table, hash_key, range_key, before in saved:
        try:
            after = table.get_item(hash_key, range_key)
        except Exception:  # noqa: BLE001 - a key moto refused: it wrote nothing there
            after = None
        total += max((i.size() for i in (before, after) if i is not None), default=0)
    if total > TRANSACTION_BYTES:
        raise MockValidationException("Transaction request cannot be larger than 4 MB")


def _cheap_transaction_rollback() -> None:
    import copy

    import moto.dynamodb.models as backend_module
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.dynamo_type import DynamoType

    if isinstance(backend_module.copy, _TableKeepingCopy):
        return
    backend_module.copy = _TableKeepingCopy(copy)  # type: ignore[assignment]
    original = DynamoDBBackend.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        saved = []
        for entry in transact_items:
            ((kind, op),) = entry.items()
            table = self.tables.get(op.get("TableName"))
            if table is None:
                continue
            source = op["Item"] if kind == "Put" else op.get("Key", {})
            if table.hash_key_attr not in source:
                continue
            hash_key = DynamoType(source[table.hash_key_attr])
            range_key = (
                DynamoType(source[table.range_key_attr])
                if table.range_key_attr and table.range_key_attr in source
                else None
            )
            try:
                current = table.get_item(hash_key, range_key)
            except Exception:  # noqa: BLE001, S112 - moto raises the validation error itself
                continue
            saved.append((table, hash_key, range_key, copy.deepcopy(current)))
        # A cancelled transaction leaves nothing in the table's stream either (moto records
        # each step as it applies it): the stream is cut back to where it was.
        streams = {
            id(table): (table.stream_shard, len(table.stream_shard.items))
            for table, *_ in saved
            if getattr(table, "stream_shard", None) is not None
        }
        try:
            original(self, transact_items)
            _within_transaction_size(saved)
        except Exception:
            for shard, length in streams.values():
                del shard.items[length:]
            for table, hash_key, range_key, item in reversed(saved):
                if range_key is None:
                    if item is None:
                        table.items.pop(hash_key, None)
                    else:
                        table.items[hash_key] = item
                elif item is None:
                    table.items.get(hash_key, {}).pop(range_key, None)
                else:
                    table.items[hash_key][range_key] = item
            raise

    functools.update_wrapper(transact_write_items, original)
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
