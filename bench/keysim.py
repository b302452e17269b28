"""`make keysim`: the peak write and read load on every partition key, from the code's own
writes and reads.

One request's life (filed, assigned to two departments, both replies, rated) and one
application's (the approval bench: uploads, acceptance, parallel review, issuance,
delivery, rating) run through the in-process stack; the local DynamoDB logs every write's
and every read's consumed units by partition — the table's and each GSI's
(devstack/moto_capacity.py) — the figures' aggregator included. Each partition key is
reduced to its pattern (ids, phones, codes and dates replaced by their kind) and to the
scope its traffic comes from: one case or citizen, a grid, a township, a county, a city
(its counties' figures rolled up), or the whole deployment (a province's figures, or a key
that names no county). A sharded key's traffic is divided by its shards (a county's
clocks, a region's figures). Scaled to a scenario's peak cases per second in that scope,
that is the key's peak WCU/s (RCU/s).

Scenarios: (a) Wenshang at its real numbers: 80,000 requests in two years and applications
of the same order, 15 townships, 3,800 grids; (b) Shandong: 136 counties, 100 M cases a
year (half requests, half applications), the largest county 2.5× the mean. Both with a peak
hour 10× the average. Limits: 1,000 WCU/s and 3,000 RCU/s per partition and 400 KB per
item, each with a 2× margin. Exit status 1 if any key passes its margin.

Reads a case's life does not make are modelled where they matter: the reference data's
revision item, which every warm container reads (strongly consistent) at most once every
BIANMIN_REFERENCE_MAX_AGE_SECONDS, at a rate set by the containers the peak's API calls
keep warm, and sized by its one attribute per kind and county. Browsing (catalogue and
map reads) is served from each container's cache and costs only that item; figures,
dashboards and lists are a fixed number of Query pages per call (`make bench`) on keys
whose writes are modelled above."""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.stats import REGION_SHARDS, SHARD_MARK
from chalicelib.store.request_items import DUE_SHARDS

SECONDS_A_YEAR = 365 * 24 * 3600
PEAK = 10
WCU_LIMIT, RCU_LIMIT, ITEM_LIMIT, MARGIN = 1000, 3000, 400 * 1024, 2


@dataclass(frozen=True)
class Scenario:
    name: str
    requests_a_year: float  # in the busiest county
    applications_a_year: float
    counties: int
    townships: int  # a county's
    grids: int
    city_counties: int  # the counties of the busiest city

    def cases_per_second(self, kind: str, scope: str) -> float:
        """Peak cases per second whose writes land on one key of `scope`."""
        yearly = self.requests_a_year if kind == "request" else self.applications_a_year
        county = yearly / SECONDS_A_YEAR * PEAK
        return {
            "case": 1 / 60,  # one case's own keys: its whole life within a minute, at worst
            "grid": county / self.grids,
            "township": county / self.townships,
            "county": county,
            "city": county * self.city_counties,  # the busiest county's rate in each
            "deployment": county * self.counties,  # the busiest county's rate, everywhere
        }[scope]


MEAN_COUNTY = 100e6 / 136
SCENARIOS = (
    Scenario("Wenshang (one county)", 40_000, 40_000, 1, 15, 3_800, 1),
    Scenario(
        "Shandong (136 counties, largest 2.5x the mean)",
        MEAN_COUNTY / 2 * 2.5,
        MEAN_COUNTY / 2 * 2.5,
        136,
        15,
        3_800,
        14,  # Linyi, Shandong's largest city, has 12 county-level divisions: 14 bounds it
    ),
)

_PATTERNS = [
    (re.compile(r"STAFF#arn:\S+"), "STAFF#<principal>"),
    (re.compile(r"[0-7][0-9A-HJKMNP-TV-Z]{25}"), "<id>"),
    (re.compile(r"\b[0-9a-f]{32}\b"), "<record>"),
    (re.compile(r"CERT#[0-9A-Z]{12}$"), "CERT#<code>"),
    (re.compile(r"1[3-9][0-9]{9}"), "<phone>"),
    (re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}"), "<day>"),
    (re.compile(r"[0-9]{4}-[0-9]{2}"), "<month>"),
    (re.compile(r"(?<![0-9])[0-9]{15}(?![0-9])"), "<grid>"),
    (re.compile(r"(?<![0-9])[0-9]{12}(?![0-9])"), "<community>"),
    (re.compile(r"(?<![0-9])[0-9]{9}(?![0-9])"), "<township>"),
    (re.compile(r"(?<![0-9])[0-9]{8}(?![0-9])"), "<yyyymmdd>"),
    (re.compile(r"(?<![0-9])[0-9]{2}0000(?![0-9])"), "<province>"),
    (re.compile(r"(?<![0-9])[0-9]{4}00(?![0-9])"), "<city>"),
    (re.compile(r"(?<![0-9])[0-9]{6}(?![0-9])"), "<county>"),
    (re.compile(r"(?<![0-9])[0-9]{4}(?![0-9])"), "<year>"),
    (re.compile(r"#[0-7]$"), "#<shard>"),
    (re.compile(rf"{re.escape(SHARD_MARK)}[0-9]+"), f"{SHARD_MARK}<shard>"),
]
# Keys whose traffic spreads over shards: a county's clocks over DUE_SHARDS keys, a city's or
# a province's figures over REGION_SHARDS.
SHARDED = {"#<shard>": DUE_SHARDS, f"{SHARD_MARK}<shard>": REGION_SHARDS}


def pattern(key: str) -> str:
    for regex, token in _PATTERNS:
        key = regex.sub(token, key)
    return key


def scope(key_pattern: str) -> str:
    if any(t in key_pattern for t in ("<id>", "<phone>", "<record>", "<code>", "<principal>")):
        return "case"
    for token, name in (
        ("<grid>", "grid"),
        ("<community>", "township"),
        ("<township>", "township"),
        ("<county>", "county"),
        ("<city>", "city"),
        ("<province>", "deployment"),
    ):
        if token in key_pattern:
            return name
    return "deployment"


def _request_life(on_ready: Any) -> int:
    from bench.harness import bench_stack
    from tests.support.requests import street_light

    with bench_stack(execute_workflows=False) as stack:
        token = stack.citizen_token("13953700001")
        stack.pump.drain()
        on_ready()  # what follows is the case's own work
        stack.latencies_ms.clear()
        created, _ = stack.call("POST", "/requests", street_light(), token=token)
        path = f"/admin/requests/{created['request_id']}"
        assign = {"action": "assign", "departments": ["cgj", "zjj"]}
        stack.call("POST", f"{path}/triage", assign, profile="wenshang-dispatcher")
        reply = {"text": "已更换灯具", "done": True}
        stack.call("POST", f"{path}/reply", reply, profile="cgj-reviewer")
        stack.call("POST", f"{path}/reply", reply, profile="zjj-reviewer")
        stack.call("GET", f"/requests/{created['request_id']}", token=token)
        stack.call("POST", f"/requests/{created['request_id']}/rating", {"level": 5}, token=token)
        stack.pump.drain()
        return len(stack.latencies_ms)


Log = list[tuple[str, str, float, int]]


@dataclass
class Life:
    writes: Log
    reads: Log
    api_calls: int


def lives() -> dict[str, Life]:
    """Each kind of case's writes and reads: (table or table/index, partition key, units,
    bytes), and how many API calls its life took."""
    from bench.approval import run
    from devstack import moto_capacity

    found = {}

    def application_life(on_ready: Any) -> int:
        return int(run(on_ready=on_ready)["api_requests"])

    for kind, live in (("request", _request_life), ("application", application_life)):
        moto_capacity.PARTITION_LOG = writes = []
        moto_capacity.READ_LOG = reads = []

        def ready(writes: Log = writes, reads: Log = reads) -> None:
            writes.clear()
            reads.clear()

        try:
            calls = live(ready)
        finally:
            moto_capacity.PARTITION_LOG = moto_capacity.READ_LOG = None
        found[kind] = Life(writes, reads, calls)
    return found


# The revision item (META / REVISION) every container reads, strongly consistent, at most
# once a request and once every BIANMIN_REFERENCE_MAX_AGE_SECONDS: its rate is bounded by
# the warm containers, not by the cases. A container serves one call at a time, each taking
# about this long on average (API Gateway to Lambda and back, DynamoDB included).
CALL_SECONDS = 0.15
REFERENCE_KINDS = ("departments", "categories", "jurisdictions", "catalogue", "calendar")


def revision_reads(scenario: Scenario, calls_per_second: float) -> tuple[float, int]:
    """(peak RCU/s, item bytes) of the revision item for a scenario: one attribute per kind
    and county (store/catalogue.py: revision_kind), read by each warm container."""
    from chalicelib.settings import Settings
    from chalicelib.store.catalogue import revision_kind

    counties = [f"{370100 + n:06d}" for n in range(scenario.counties)]  # codes' length only
    names = ["platform", "counties", "calendar"]
    names += [revision_kind(kind, county) for county in counties for kind in REFERENCE_KINDS]
    size = len("pk") + len("META") + len("sk") + len("REVISION") + sum(len(n) + 3 for n in names)
    max_age = Settings.model_fields["reference_max_age_seconds"].default
    containers = calls_per_second * CALL_SECONDS
    reads = min(calls_per_second, containers / max_age)
    return reads * max(1, -(-size // 4096)), size


def _rows(
    scenario: Scenario, found: dict[str, Life], which: str
) -> list[tuple[float, str, str, int]]:
    per_case: dict[tuple[str, str], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    largest: dict[tuple[str, str], int] = defaultdict(int)
    for kind, life in found.items():
        for where, key, units, size in getattr(life, which):
            name = (where, pattern(key))
            per_case[name][kind] += units
            largest[name] = max(largest[name], size)
    rows = []
    for (where, key), units in per_case.items():
        shards = next((n for token, n in SHARDED.items() if token in key), 1)
        peak = sum(
            u * scenario.cases_per_second(kind, scope(key)) / shards for kind, u in units.items()
        )
        rows.append((peak, where, key, largest[(where, key)]))
    return rows


def main() -> int:
    from bench import harness

    harness.PLATFORM_SCOPE = "370000"  # a province's platform: figures rolled up the furthest
    found = lives()
    over = 0
    for scenario in SCENARIOS:
        calls = sum(
            life.api_calls * scenario.cases_per_second(kind, "deployment")
            for kind, life in found.items()
        )
        for which, limit, unit in (("writes", WCU_LIMIT, "WCU"), ("reads", RCU_LIMIT, "RCU")):
            rows = _rows(scenario, found, which)
            if which == "reads":
                peak, size = revision_reads(scenario, calls)
                rows.append((peak, "(every container)", "META / REVISION", size))
            print(f"{scenario.name}: peak {unit}/s on each partition key ({which})")
            for peak, where, key, size in sorted(rows, reverse=True)[:20]:
                bad = peak * MARGIN > limit or size * MARGIN > ITEM_LIMIT
                over += bad
                verdict = "OVER" if bad else "ok"
                print(
                    f"  {peak:10.2f} {unit}/s  {size / 1024:7.1f} KB  {verdict:4s}  "
                    f"{where:22s} {key}"
                )
            print(f"  ({len(rows)} key patterns; the 20 busiest shown)")
        print(f"  peak API calls/s: {calls:.1f}")
    limit = f"{WCU_LIMIT // MARGIN} WCU/s, {RCU_LIMIT // MARGIN} RCU/s and "
    limit += f"{ITEM_LIMIT // MARGIN // 1024} KB"
    print(f"Limits with a {MARGIN}x margin: {limit}. Keys over: {over}")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
