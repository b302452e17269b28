"""DynamoDB's write atomicity for moto.

DynamoDB evaluates a conditional write or a transaction and applies it as one step; moto's
in-memory backend checks the condition and then writes, with nothing stopping another thread
in between. Two concurrent conditional writes can then both succeed, which AWS never allows.
The local stack and the tests serialise moto's DynamoDB writes so concurrency behaves as
deployed.

moto also deep-copies the whole table before each step of a transaction, to roll back on
failure: a transaction then costs as much as the table is big, and a generated workload of
thousands of cases grinds to a halt. The rollback here snapshots only the items the
transaction touches.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

_LOCK = threading.RLock()
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
        try:
            original(self, transact_items)
        except Exception:
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
