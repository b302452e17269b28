"""The one staff cache: maps a verified IAM principal to the staff member behind it, and
finds a county's staff by role, jurisdiction and department (routing, notifications, views).
A container loads the staff of the counties it serves calls for, one county at a time."""

from __future__ import annotations

import threading

from chalicelib.clock import Clock
from chalicelib.domain.access import handles_for_department
from chalicelib.domain.identity import Role, StaffMember
from chalicelib.errors import Forbidden
from chalicelib.store.staff import StaffStore


class StaffDirectory:
    """Staff records, cached per container for `cache_seconds`: each signing principal's
    record (one GetItem), and the active staff as a whole (one Query) for lookups. A change
    made through this container is seen at once (`forget`); one made elsewhere (another
    container, a retirement) within `cache_seconds`, when the cached copy expires."""

    def __init__(self, store: StaffStore, clock: Clock, cache_seconds: float) -> None:
        self._store = store
        self._clock = clock
        self._cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, StaffMember | None]] = {}
        self._loaded: dict[str, tuple[float, list[StaffMember]]] = {}
        self._lock = threading.Lock()

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

    def forget(self, principal_arn: str, *counties: str) -> None:
        """Drops this container's copies of a changed record: its principal's, and the
        lists of the counties it left or joined."""
        with self._lock:
            self._cache.pop(principal_arn, None)
            for county in counties:
                self._loaded.pop(county, None)

    def _active(self, county: str) -> list[StaffMember]:
        now = self._clock.now().timestamp()
        loaded = self._loaded.get(county)
        if loaded is None or now - loaded[0] > self._cache_seconds:
            with self._lock:
                loaded = (now, [s for s in self._store.of_county(county) if s.active])
                self._loaded[county] = loaded
        return loaded[1]

    def find(self, role: Role, jurisdiction: str) -> list[StaffMember]:
        """The active staff of `role` whose jurisdiction is exactly `jurisdiction`."""
        return [
            s
            for s in self._active(jurisdiction[:6])
            if s.role is role and s.jurisdiction == jurisdiction
        ]

    def handlers(self, county: str, department: str) -> list[StaffMember]:
        """Who replies and returns requests for the county's `department` (its reviewers)."""
        return [
            s
            for s in self._active(county)
            if s.department == department and handles_for_department(s)
        ]

    def by_id(self, county: str, staff_id: str) -> StaffMember | None:
        """An active staff member of `county` by id (a city's or a province's own staff:
        `county` is the region's code)."""
        return next((s for s in self._active(county) if s.staff_id == staff_id), None)
