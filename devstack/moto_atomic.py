"""DynamoDB's write atomicity for moto.

DynamoDB evaluates a conditional write or a transaction and applies it as one step; moto's
in-memory backend checks the condition and then writes, with nothing stopping another thread
in between. Two concurrent conditional writes can then both succeed, which AWS never allows.
The local stack and the tests serialise moto's DynamoDB writes so concurrency behaves as
deployed.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

_LOCK = threading.RLock()
_WRITES = ("put_item", "update_item", "delete_item", "transact_write_items", "batch_write_item")


def serialise_dynamodb_writes() -> None:
    from moto.dynamodb.models import DynamoDBBackend

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
