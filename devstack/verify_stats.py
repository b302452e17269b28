"""`make verify-stats`: recompute every statistics counter from the raw cases of every county
(a city's and a province's figures included) and report any drift. Against the running
local stack by default (`.local/stack.json`); against a deployed stage with
`--table bianmin-prod-main` and the usual AWS credentials.

The figures follow the cases through the table's change feed within seconds, so a
difference is drift only if it outlasts `--settle` seconds (default 15) of re-checking.

With `--repair`, the figures still drifted after settling are moved to the values
recomputed from the cases (one correcting change, applied once), and checked again: the way
to rebuild the figures after a lost batch or a tampered item. Pause the table's stream
trigger while repairing a deployed stage (a change in flight would count twice).

Exit status 0: no drift (or all of it repaired); 1: drift (each differing figure is
listed)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--local", type=Path, default=Path(".local"))
    parser.add_argument("--table", help="a deployed stage's table (default: the local stack's)")
    parser.add_argument("--region", default=os.environ.get("AWS_DEFAULT_REGION", "cn-north-1"))
    parser.add_argument("--settle", type=float, default=15.0, help="seconds the feed may lag")
    parser.add_argument(
        "--repair", action="store_true", help="move drifted figures to the recomputed values"
    )
    args = parser.parse_args()
    if args.table:
        table_name, region = args.table, args.region
    else:
        stack = json.loads((args.local / "stack.json").read_text())
        os.environ["AWS_ENDPOINT_URL"] = stack["aws_endpoint"]
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
        table_name, region = stack["table"], stack["region"]

    from chalicelib.clock import SystemClock
    from chalicelib.services.stats import platform_scopes, repair, verify
    from chalicelib.store.clients import AwsClients
    from chalicelib.store.listing import CaseIndex
    from chalicelib.store.reference import ReferenceStore
    from chalicelib.store.stats import StatsStore
    from chalicelib.store.table import Table

    table = Table(AwsClients(region), table_name)
    platform = platform_scopes(ReferenceStore(table))
    deadline = time.monotonic() + args.settle
    report = verify(CaseIndex(table), StatsStore(table), platform)
    while report.drift and time.monotonic() < deadline:  # the feed may still be delivering
        time.sleep(1)
        report = verify(CaseIndex(table), StatsStore(table), platform)
    print(f"cases recomputed: {report.cases}; counter items compared: {report.counters}")
    if report.drift and args.repair:
        moved = repair(StatsStore(table), report, SystemClock().now())
        report = verify(CaseIndex(table), StatsStore(table), platform)
        print(f"repaired {moved} figures; drift left: {len(report.drift)}")
    if not report.drift:
        print("no drift: every counter equals the figures recomputed from the cases")
        return 0
    print(f"DRIFT in {len(report.drift)} figures:")
    for d in report.drift[:200]:
        print(f"  {d.scope:18s} {d.period:10s} {d.attribute:50s} {d.counted} ≠ {d.recomputed}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
