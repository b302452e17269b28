"""The counters never drift from the cases: a randomized workload through the API — with
retried filings, repeated assignments and replies, returns, merges, bad ratings and their
rectification, applications accepted, refused and withdrawn, and overdue sweeps — leaves
every counter equal to the figures recomputed from the raw cases."""

from __future__ import annotations

import random
from typing import Any

import pytest

from chalicelib.clock import FixedClock
from chalicelib.deps import Container
from chalicelib.services.stats import PlatformScopes, platform_scopes, repair, verify
from chalicelib.store.listing import CaseIndex
from chalicelib.store.stats import StatsStore
from devstack.demo import demo_county
from devstack.workload import Workload
from tests.conftest import ApiClient, RecordingSms, body
from tests.support.requests import InProcessDriver

WENSHANG = demo_county("370830")
# Wenshang's own figures, as a platform of Wenshang alone would keep them.
WENSHANG_ALONE = PlatformScopes(counties=["370830"], scopes=["370830"], rollup="370830")


@pytest.mark.parametrize("seed", [7, 2026])
def test_zero_drift_after_a_randomized_workload(
    api: ApiClient,
    aws: Any,
    pump: Any,
    sms: RecordingSms,
    deps: Container,
    clock: FixedClock,
    seed: int,
) -> None:
    workload = Workload(InProcessDriver(api, aws, pump, sms), random.Random(seed), citizens=8)
    filed = [workload.file_request() for _ in range(25)]
    clock.advance(hours=3)
    deps.request_sweep.sweep()  # acceptance overdue: escalations
    for created in filed[:20]:
        assert created is not None
        workload.handle_request(created)
    for _ in range(4):
        workload.apply()
    clock.advance(days=12)
    deps.request_sweep.sweep()  # resolution overdue, and unrated resolved requests closed
    outcomes = workload.tally.outcomes
    assert outcomes["filed"] == 25

    platform = platform_scopes(deps.reference_store)
    pump.drain()  # the change feed catches up: the figures follow the cases
    report = verify(CaseIndex(deps.table), StatsStore(deps.table), platform)
    assert report.cases == 29
    assert report.drift == [], report.drift[:10]
    # Every change record delivered again (a retried batch, a replay after a failure, a
    # shard split): nothing counts twice.
    assert pump.stream.replay() > 0
    again = verify(CaseIndex(deps.table), StatsStore(deps.table), platform)
    assert again.drift == [], again.drift[:10]

    # The city's figures roll both counties up: every case filed, in one of them or the other.
    city = body(api.get("/admin/stats?scope=370800&period=2026", profile="city-leader"))
    assert city["requests"]["received"] == 25
    assert city["applications"]["received"] == sum(
        n for k, n in outcomes.items() if k.startswith("application") or k == "withdrawn"
    )
    by_county = {row["code"]: row["figures"]["received"] for row in city["by_jurisdiction"]}
    assert set(by_county) == {"370829", "370830"}, by_county  # the workload spans both
    for code, received in by_county.items():
        county = body(api.get(f"/admin/stats?scope={code}&period=2026", profile="city-leader"))
        assert county["total"]["received"] == received


def test_a_tampered_counter_is_reported(
    api: ApiClient, aws: Any, pump: Any, sms: RecordingSms, deps: Container
) -> None:
    workload = Workload(
        InProcessDriver(api, aws, pump, sms), random.Random(1), citizens=2, counties=[WENSHANG]
    )
    workload.file_request()
    pump.drain()
    deps.table.update(
        "STATS#370830",
        "2026",
        UpdateExpression="ADD #a :one",
        ExpressionAttributeNames={"#a": "req.received"},
        ExpressionAttributeValues={":one": 1},
    )
    report = verify(CaseIndex(deps.table), StatsStore(deps.table), WENSHANG_ALONE)
    assert [(d.scope, d.period, d.attribute, d.counted, d.recomputed) for d in report.drift] == [
        ("370830", "2026", "req.received", 2, 1)
    ]
    # Repaired from the cases: the figure moves back, and only it.
    assert repair(StatsStore(deps.table), report, deps.clock.now()) == 1
    again = verify(CaseIndex(deps.table), StatsStore(deps.table), WENSHANG_ALONE)
    assert again.drift == []
    assert StatsStore(deps.table).get("370830", "2026")["req.received"] == 1


def test_figures_follow_the_cases_through_the_change_feed(
    api: ApiClient, aws: Any, pump: Any, sms: RecordingSms, deps: Container
) -> None:
    """A case write touches no counter: the figures move when the feed delivers it."""
    workload = Workload(
        InProcessDriver(api, aws, pump, sms), random.Random(3), citizens=1, counties=[WENSHANG]
    )
    counters = StatsStore(deps.table)
    pump.drain()
    before = counters.get("370830", "2026").get("req.received", 0)
    workload.file_request()
    assert counters.get("370830", "2026").get("req.received", 0) == before
    assert pump.stream.drain() > 0
    assert counters.get("370830", "2026")["req.received"] == before + 1
