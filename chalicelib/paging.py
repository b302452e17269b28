"""Opaque pagination cursors that a client cannot forge or move between queries.

A cursor is base64url(JSON position + HMAC over it and the query's scope: route, filters,
caller). A cursor minted for one caller or filter set names no page of another query: it is
a 404 (like an id that is not the caller's), while a string that cannot be a cursor at all
fails the `Cursor` type's pattern (domain/common.py; a 422).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from chalicelib.errors import FieldError, NotFound
from chalicelib.keys import LEGACY_ID, KeyringSource, SigningKey, find_key, keys_of


def _unknown() -> NotFound:
    return NotFound(
        "No such page: the cursor has expired, was altered, or belongs to another query.",
        errors=[FieldError("query.cursor", "not a cursor of this query", "cursor_unknown")],
    )


class CursorCodec:
    """Signs cursors with the keyring's current key, its id in front (`<kid>.<payload><mac>`);
    reads one signed with any key the keyring still holds (a rotation ends no listing)."""

    def __init__(self, keys: KeyringSource | bytes) -> None:
        self._keys = keys_of(keys)

    @staticmethod
    def _mac(key: SigningKey, payload: bytes, scope: str) -> bytes:
        derived = hmac.new(key.secret, b"bianmin-cursor-v1", hashlib.sha256).digest()
        return hmac.new(derived, payload + b"|" + scope.encode(), hashlib.sha256).digest()[:16]

    def encode(self, position: Any, scope: str) -> str:
        key = self._keys.keyring().current
        payload = json.dumps(position, separators=(",", ":"), sort_keys=True).encode()
        token = key.id.encode() + b"." + payload + self._mac(key, payload, scope)
        return base64.urlsafe_b64encode(token).decode().rstrip("=")

    def decode(self, cursor: str, scope: str) -> Any:
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        except (ValueError, TypeError):
            raise _unknown() from None
        key_id, signed = LEGACY_ID, raw
        if raw[:1] == b"k" and b"." in raw[:26]:  # JSON never starts with a k
            head, _, signed = raw.partition(b".")
            key_id = head.decode("ascii", "replace")
        key = find_key(self._keys, key_id)
        payload, mac = signed[:-16], signed[-16:]
        if key is None or len(signed) <= 16:
            raise _unknown()
        if not hmac.compare_digest(mac, self._mac(key, payload, scope)):
            raise _unknown()
        try:
            return json.loads(payload)
        except ValueError:
            raise _unknown() from None


Position = dict[str, Any] | None  # where a page starts in a partition (a DynamoDB key)
T = TypeVar("T")
MOST_PARTS_A_PAGE = 10


def across(
    parts: Sequence[str],
    fetch: Callable[[str, int, Position], tuple[list[T], Position]],
    limit: int,
    start: Position,
) -> tuple[list[T], Position]:
    """One page over several partitions read one after another (a city's or a province's
    counties, each its own partition): `fetch(part, n, position)` reads at most n from one.
    The position returned is `{"part": <part>, "key": <where in it, or None>}`; a page reads
    at most MOST_PARTS_A_PAGE partitions, so a sparse filter over a province stays bounded
    (the page may then be short, with a position to go on from)."""
    found: list[T] = []
    if start and start.get("part") in parts:
        index, key = parts.index(start["part"]), start.get("key")
    else:  # the top, or a position in a partition no longer listed: from the top again
        index, key = 0, None
    for _ in range(MOST_PARTS_A_PAGE):
        if index >= len(parts) or len(found) >= limit:
            break
        items, last = fetch(parts[index], limit - len(found), key)
        found += items
        if last:
            return found, {"part": parts[index], "key": last}
        index, key = index + 1, None
    return found, ({"part": parts[index], "key": None} if index < len(parts) else None)
