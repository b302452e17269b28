"""ULIDs: sortable, unique ids (Crockford base32, 48-bit millisecond time + 80 random bits).

Monotonic within a process: two ids made in the same millisecond still sort in the order
they were made (the ULID spec's monotonic mode), so a case's timeline keeps its order.
"""

from __future__ import annotations

import secrets
import threading
from datetime import datetime

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_lock = threading.Lock()
_last = (-1, 0)


def new_ulid(moment: datetime) -> str:
    global _last
    millis = int(moment.timestamp() * 1000)
    with _lock:
        last_millis, last_random = _last
        if millis == last_millis and last_random < (1 << 80) - 1:
            random = last_random + 1
        else:
            random = secrets.randbits(79)  # leaves room to count up within the millisecond
        _last = (millis, random)
    value = (millis << 80) | random
    chars = []
    for _ in range(26):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))
