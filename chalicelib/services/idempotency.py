"""Idempotency-Key (draft-ietf-httpapi-idempotency-key-header) and the daily quotas, as the
guards a use case adds to its write."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib.domain.calendar import BEIJING, beijing_date
from chalicelib.errors import Conflict, FieldError, InvalidInput, RateLimited
from chalicelib.store.limits import IdempotencyStore, quota_step
from chalicelib.store.table import Guarded


@dataclass(frozen=True)
class Idempotent:
    """A request made with an Idempotency-Key: whose key, and what the request was."""

    caller: str
    key: str
    fingerprint: str

    @classmethod
    def of(cls, caller: str, key: str | None, fingerprint: str) -> Idempotent | None:
        return cls(caller, key, fingerprint) if key else None


def replayed(store: IdempotencyStore, request: Idempotent | None) -> str | None:
    """The case an earlier use of the key acted on (the retry answers with it), or None for
    a new key. The same key with a different request is refused (422), as the draft says."""
    if request is None:
        return None
    record = store.get(request.caller, request.key)
    if record is None:
        return None
    if record.fingerprint != request.fingerprint:
        raise InvalidInput(
            "This Idempotency-Key was used for a different request; use a new key.",
            errors=[
                FieldError("header.idempotency-key", "used for a different request", "key_reused")
            ],
        )
    return record.case_id


def key_guard(request: Idempotent, case_id: str, now: datetime) -> Guarded:
    return Guarded(
        IdempotencyStore.put_step(
            request.caller, request.key, case_id, request.fingerprint, int(now.timestamp())
        ),
        Conflict("A request with this Idempotency-Key is being processed; retry shortly."),
    )


def daily_quota(owner: str, what: str, limit: int, now: datetime, label: str) -> Guarded:
    """At most `limit` of `what` per owner and Beijing day; the 429 says when it resets."""
    day = beijing_date(now)
    midnight = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=BEIJING)
    wait = max(int((midnight - now).total_seconds()), 1)
    return Guarded(
        quota_step(owner, what, f"{day:%Y%m%d}", limit, int(midnight.timestamp()) + 86_400),
        RateLimited(
            f"At most {limit} {label} a day; try again tomorrow.", retry_after_seconds=wait
        ),
    )
