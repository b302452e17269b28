"""One-time codes and citizens (staff records: store/staff.py).

OTP#<phone> / CODE               the current code (hash only), its expiry, attempts, used flag
OTP#<phone> / WINDOW#<yyyymmddhh> codes sent in that hour (rate limit), expires by TTL
OTPSRC#<client> / WINDOW#<yyyymmddhh> codes one client address asked for in that hour
CITIZEN#<phone> / PROFILE        the citizen's id, created on first sign-in
CITIZENID#<id> / PHONE           the phone of a citizen id
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.domain.identity import Citizen
from chalicelib.store.limits import counter_step
from chalicelib.store.refusals import failed_steps, is_conditional_failure
from chalicelib.store.table import Table


@dataclass(frozen=True)
class StoredCode:
    code_hash: str
    expires_at: int
    sent_at: int
    attempts: int
    used: bool


class RateLimitHit(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        # "resend" (too soon), "hourly" (too many to this phone this hour) or "source" (too
        # many from this client this hour)
        self.reason = reason


def _window_step(pk: str, window: str, max_per_window: int, now: int) -> dict[str, Any]:
    """Counts a code sent to the phone this hour, if fewer than `max_per_window` were."""
    return {
        "Update": {
            "Key": {"pk": pk, "sk": f"WINDOW#{window}"},
            "UpdateExpression": "ADD #n :one SET #ttl = :ttl",
            "ConditionExpression": "attribute_not_exists(#n) OR #n < :max",
            "ExpressionAttributeNames": {"#n": "count", "#ttl": "expires_at"},
            "ExpressionAttributeValues": {":one": 1, ":max": max_per_window, ":ttl": now + 7200},
        }
    }


def _code_put(
    pk: str, code_hash: str, now: int, expires_at: int, resend_after: int
) -> dict[str, Any]:
    """The phone's new code, unless the last one was sent under `resend_after` seconds ago."""
    return {
        "Put": {
            "Item": {
                "pk": pk,
                "sk": "CODE",
                "code_hash": code_hash,
                "code_expires_at": expires_at,
                "sent_at": now,
                "attempts": 0,
                "used": False,
                "expires_at": expires_at + 3600,
            },
            "ConditionExpression": "attribute_not_exists(pk) OR sent_at <= :cutoff",
            "ExpressionAttributeValues": {":cutoff": now - resend_after},
        }
    }


class OtpStore:
    def __init__(self, table: Table) -> None:
        self._table = table

    def save_code(
        self,
        phone: str,
        code_hash: str,
        *,
        now: int,
        expires_at: int,
        resend_after: int,
        window: str,
        max_per_window: int,
        source: str,
        max_per_source: int,
    ) -> None:
        """Stores a new code for `phone` unless one was sent less than `resend_after` seconds
        ago, `max_per_window` were sent to it this hour, or the client (`source`: a keyed hash
        of its address) asked for `max_per_source` codes this hour, to any phones. One
        transaction, so concurrent requests cannot slip under any limit."""
        pk = f"OTP#{phone}"
        try:
            self._table.transact(
                [
                    _window_step(pk, window, max_per_window, now),
                    _code_put(pk, code_hash, now, expires_at, resend_after),
                    counter_step(
                        f"OTPSRC#{source}",
                        f"WINDOW#{window}",
                        max_per_source,
                        expires_at=now + 7200,
                    ),
                ]
            )
        except Exception as exc:
            if not is_conditional_failure(exc):
                raise
            failed = failed_steps(exc)
            reason = "source" if 2 in failed else "hourly" if 0 in failed else "resend"
            raise RateLimitHit(reason) from None

    def current(self, phone: str) -> StoredCode | None:
        raw = self._table.get(f"OTP#{phone}", "CODE", consistent=True)
        if not raw:
            return None
        return StoredCode(
            code_hash=raw["code_hash"],
            expires_at=int(raw["code_expires_at"]),
            sent_at=int(raw["sent_at"]),
            attempts=int(raw["attempts"]),
            used=bool(raw["used"]),
        )

    def record_failure(self, phone: str, code_hash: str) -> None:
        """Counts a wrong guess against the code that was current when it was checked."""
        try:
            self._table.update(
                f"OTP#{phone}",
                "CODE",
                UpdateExpression="ADD attempts :one",
                ConditionExpression="code_hash = :h",
                ExpressionAttributeValues={":one": 1, ":h": code_hash},
            )
        except Exception as exc:
            if not is_conditional_failure(exc):
                raise

    def consume(self, phone: str, code_hash: str, *, now: int, max_attempts: int) -> bool:
        """Marks the code used, only if it is still the current, unused, unexpired one with
        attempts left. Exactly one of two concurrent exchanges of a code succeeds."""
        try:
            self._table.update(
                f"OTP#{phone}",
                "CODE",
                UpdateExpression="SET used = :true",
                ConditionExpression=(
                    "code_hash = :h AND used = :false"
                    " AND code_expires_at > :now AND attempts < :max"
                ),
                ExpressionAttributeValues={
                    ":h": code_hash,
                    ":true": True,
                    ":false": False,
                    ":now": now,
                    ":max": max_attempts,
                },
            )
        except Exception as exc:
            if is_conditional_failure(exc):
                return False
            raise
        return True


class CitizenStore:
    def __init__(self, table: Table) -> None:
        self._table = table

    def by_phone(self, phone: str) -> Citizen | None:
        raw = self._table.get(f"CITIZEN#{phone}", "PROFILE", consistent=True)
        return Citizen.model_validate(raw["data"]) if raw else None

    def phone_of(self, citizen_id: str) -> str | None:
        """The phone a citizen signs in with (for notifying app filers)."""
        raw = self._table.get(f"CITIZENID#{citizen_id}", "PHONE")
        return str(raw["phone"]) if raw else None

    def create(self, citizen: Citizen) -> Citizen:
        """Creates the citizen (and the id → phone item), or returns the one a concurrent
        sign-in created first."""
        try:
            self._table.transact(
                [
                    {
                        "Put": {
                            "Item": {
                                "pk": f"CITIZEN#{citizen.phone}",
                                "sk": "PROFILE",
                                "data": citizen.model_dump(mode="json"),
                            },
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {
                        "Put": {
                            "Item": {
                                "pk": f"CITIZENID#{citizen.citizen_id}",
                                "sk": "PHONE",
                                "phone": citizen.phone,
                            }
                        }
                    },
                ]
            )
        except Exception as exc:
            if not is_conditional_failure(exc):
                raise
            existing = self.by_phone(citizen.phone)
            if existing is None:  # pragma: no cover - deleted in between
                raise
            return existing
        return citizen
