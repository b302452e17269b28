"""The overdue sweep: requests whose running stage fell due escalate to the supervisors above
them (scheduled every few minutes)."""

from __future__ import annotations

from chalicelib.domain.identity import Role
from chalicelib.domain.request import ServiceRequest
from chalicelib.domain.request_parts import Stage
from chalicelib.errors import Conflict
from chalicelib.observability import logger, metrics
from chalicelib.services.request_cases import RequestCases


class RequestSweep(RequestCases):
    def sweep(self, limit: int = 200) -> int:
        """Escalates every request whose running stage fell due (and closes unrated resolved
        ones after the rating period). Runs on a schedule; safe to run twice at once: each
        change is a conditional write, and a request already handled is skipped."""
        now = self._clock.now()
        changed = 0
        counties = sorted(self._reference.counties())
        for request_id in self._store.due(counties, now, limit):
            before = self._store.get(request_id)
            if (
                before is None
                or before.stage is None
                or before.deadline is None
                or before.deadline > now
                or before.escalated(before.stage)
            ):
                continue
            req = before.model_copy(deep=True)
            if before.stage is Stage.RATING:
                events = req.close_unrated(now)
            else:
                events = req.escalate(self._supervisors(req), now)
                metrics.add_metric(name="RequestEscalated", unit="Count", value=1)
            try:
                self._save(before, req, events)
            except Conflict:
                continue
            except Exception:  # noqa: BLE001 - one bad request must not stop the sweep
                logger.exception("sweep could not update a request", extra={"id": request_id})
                continue
            changed += 1
        return changed

    def _supervisors(self, req: ServiceRequest) -> list[str]:
        if req.private:
            return [
                s.staff_id for s in self._roster.find(Role.DISPATCHER, req.routing.dispatch_unit)
            ]
        levels = [req.township, req.county] if req.township else [req.county]
        found = []
        for code in levels:
            if code is None:
                continue
            found += [
                s.staff_id
                for role in (Role.SUPERVISOR, Role.LEADER)
                for s in self._roster.find(role, code)
                if not s.department
            ]
        return found
