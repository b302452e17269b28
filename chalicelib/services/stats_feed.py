"""The statistics aggregator: the table's change feed (DynamoDB Streams; the local stack
pumps it) delivers every write of a case root with its before and after image; each moves
the figures by the difference of the case's contributions (domain/stats.py), once. No case
transaction touches a counter, so two people acting on different cases never contend for
one; the figures follow the cases within seconds.

Exactly once: the counters move in one transaction with a marker of the change record, so a
redelivered record (a retried batch, a replay, a shard split) finds its marker and changes
nothing. Order does not matter: the differences add up whatever order they arrive in."""

from __future__ import annotations

from typing import Any

from chalicelib.clock import Clock
from chalicelib.domain.stats import contribution, difference
from chalicelib.observability import metrics
from chalicelib.services.reference import ReferenceData
from chalicelib.store.stats import StatsStore, case_change

Image = dict[str, Any] | None


class StatsFeed:
    def __init__(self, store: StatsStore, clock: Clock, reference: ReferenceData) -> None:
        self._store = store
        self._clock = clock
        self._reference = reference

    def apply(self, records: list[tuple[str, Image, Image]]) -> int:
        """Applies each (record id, old image, new image); returns how many moved figures."""
        applied = 0
        rollup = None
        for record_id, old, new in records:
            change = case_change(record_id, old, new)
            if change is None:
                continue
            rollup = rollup or self._reference.platform().scope  # as far up as it reads
            delta = difference(
                contribution(change.before, rollup), contribution(change.after, rollup)
            )
            if delta and self._store.apply(change.record_id, delta, self._clock.now()):
                applied += 1
        if applied:
            metrics.add_metric(name="FiguresApplied", unit="Count", value=applied)
        return applied
