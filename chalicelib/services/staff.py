"""Maps a verified IAM principal to the staff member behind it."""

from __future__ import annotations

from chalicelib.clock import Clock
from chalicelib.domain.identity import StaffMember
from chalicelib.errors import Forbidden
from chalicelib.store.identity import StaffStore


class StaffDirectory:
    """Looks staff up by principal ARN, caching each record for a short while per container."""

    def __init__(self, store: StaffStore, clock: Clock, cache_seconds: float) -> None:
        self._store = store
        self._clock = clock
        self._cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, StaffMember | None]] = {}

    def resolve(self, principal_arn: str) -> StaffMember:
        if not principal_arn:
            raise Forbidden("This route needs a SigV4-signed request from a staff member.")
        now = self._clock.now().timestamp()
        cached = self._cache.get(principal_arn)
        if cached is None or now - cached[0] > self._cache_seconds:
            cached = (now, self._store.by_principal(principal_arn))
            self._cache[principal_arn] = cached
        staff = cached[1]
        if staff is None or not staff.active:
            raise Forbidden("The signing identity is not an active staff member of this county.")
        return staff
