"""`make bench`: the figures the walking skeleton promises, printed (not asserted as timed
tests). Cold start against a bare-Chalice baseline doing the same work, the deployment
zip's size, and the DynamoDB calls each catalogue and auth route makes (counted with a
botocore hook)."""

from __future__ import annotations

import statistics


def cold_start() -> None:
    """The packaged app against a bare Chalice + boto3 app doing the same work, in paired
    fresh processes laid out as Lambda (bench/coldstart.py)."""
    from bench.coldstart import measure, report

    report(measure())


def package_size() -> None:
    from bench.coldstart import deployment_zip

    size = deployment_zip().stat().st_size / 1024 / 1024  # the package cold_start() measured
    verdict = "OK" if size <= 10 else "OVER TARGET"
    print("Deployment package")
    print(f"  deployment.zip                 {size:7.2f} MB   target <= 10 MB  {verdict}")


def dynamodb_calls() -> None:
    from bench.routes import measure

    print("DynamoDB calls per request (warm container; cold in brackets)")
    worst_read = 0
    for route, warm, cold in measure():
        warm_total, cold_total = sum(warm.values()), sum(cold.values())
        ops = ", ".join(f"{op} {n}" for op, n in sorted(warm.items())) or "-"
        print(f"  {route:52s} {warm_total:2d} [{cold_total:2d}]  {ops}")
        if "Scan" in warm or "Scan" in cold:
            print("    ^ SCAN — not allowed")
        if route.startswith("GET"):
            worst_read = max(worst_read, warm_total)
    verdict = "OK" if worst_read <= 2 else "OVER TARGET"
    print(f"  most calls on a warm read route: {worst_read}   target <= 2, no Scan  {verdict}")
    print("  (cold: the container's first request also loads the reference data it reads)")


def applications() -> None:
    from bench.applications import measure

    print("Applications: DynamoDB calls per request (warm container)")
    for kind, route, value in measure():
        if kind == "calls":
            writes = sum(n for op, n in value.items() if op in WRITES)
            ops = ", ".join(f"{op} {n}" for op, n in sorted(value.items())) or "-"
            scan = "   ^ SCAN — not allowed" if "Scan" in value else ""
            print(f"  {route:58s} {sum(value.values()):2d} (writes {writes})  {ops}{scan}")
        else:
            median = statistics.median(value) * 1000
            p90 = sorted(value)[int(len(value) * 0.9) - 1] * 1000
            print(f"  latency {route:50s} median {median:6.1f} ms  p90 {p90:6.1f} ms  (moto)")
    print("  targets: reads <= 3 calls, state changes one transaction or <= 3 writes, no Scan")


def requests() -> None:
    from bench.requests import measure

    print("Requests (诉求): DynamoDB calls per request (warm container)")
    units: dict[str, float] = {}
    for route, value in measure(units):
        writes = sum(n for op, n in value.items() if op in WRITES)
        ops = ", ".join(f"{op} {n}" for op, n in sorted(value.items())) or "-"
        scan = "   ^ SCAN — not allowed" if "Scan" in value else ""
        print(f"  {route:58s} {sum(value.values()):2d} (writes {writes})  {ops}{scan}")
    print("  targets: reads <= 3 calls, state changes one transaction, no Scan")
    from bench.approval import PRICES

    dollars = (
        units["write"] * PRICES["dynamodb_write_unit"]
        + units["read"] * PRICES["dynamodb_read_unit"]
    )
    print(
        f"  one request's life (filed, 2 departments, both replies, rated, views between): "
        f"{units['write']:.0f} write and {units['read']:.1f} read units, "
        f"{units['transact_items']:.0f} items in transactions; DynamoDB "
        f"{dollars * 1000:.4f} USD per 1,000 requests (us-east-1 on-demand list prices)"
    )


def notifications() -> None:
    from bench.notifications import measure

    print("Notifications per state change: one timeline event, one recipient (warm, moto)")
    for what, calls, write_units, read_units in measure():
        ops = ", ".join(f"{op} {n}" for op, n in sorted(calls.items())) or "-"
        scan = "   ^ SCAN — not allowed" if "Scan" in calls else ""
        print(
            f"  {what:46s} {sum(calls.values()):2d} calls  {write_units:4.1f} W "
            f"{read_units:4.1f} R  {ops}{scan}"
        )
    print("  each further recipient (a granted agent) costs the same again; no Scan")


def supervision() -> None:
    from bench.supervision import generator_throughput, stats_reads

    print("Statistics: cost of a read with 100 and with 10,000 cases (counters, not scans)")
    for cases, route, calls, items in stats_reads():
        print(f"  {cases:6d} cases  {route:46s} {calls} calls, {items} items read")
    figures = generator_throughput()
    print(
        "Workload generator through the API path (in-process, moto): "
        f"{figures['cases']:.0f} cases, {figures['calls']:.0f} API calls in "
        f"{figures['seconds']:.1f} s = {figures['calls_per_second']:.0f} calls/s, "
        f"{figures['cases_per_second']:.1f} cases/s"
    )


WRITES = {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}


def approval() -> None:
    from bench.approval import cost, run

    results = run()
    print("Parallel approval: one SME certificate from application to rating (moto executing)")
    print(f"  state transitions per approved application   {results['transitions']}")
    decision = ", ".join(
        f"{k.split('.')[1]} {v}" for k, v in sorted(results["decision_calls"].items())
    )
    print(
        f"  DynamoDB calls for one review decision       {sum(results['decision_calls'].values())}"
        f"  ({decision}; plus {results['decision_other']})"
    )
    print(
        f"  API requests {results['api_requests']}, "
        f"consumer batches {results['consumer_batches']}, "
        f"median handler time {results['median_ms']:.1f} ms"
    )
    ddb_calls = sum(v for k, v in results["calls"].items() if k.startswith("dynamodb."))
    print(
        f"  DynamoDB for the whole case: {ddb_calls} calls, {results['transact_items']} items "
        f"in transactions, {results['write_units']:.0f} write and {results['read_units']:.1f} "
        "read units (consumed capacity, by item size)"
    )
    prices = cost(results)
    total = sum(prices.values())
    print("  cost per case at us-east-1 list prices (USD):")
    for service, amount in prices.items():
        print(f"    {service:15s} {amount * 1000:8.4f} per 1,000 cases")
    print(f"    {'total':15s} {total * 1000:8.4f} per 1,000 cases  ({total:.6f} per case)")


def grid_lookup() -> None:
    from bench.grids import lookup_micros

    lookup_micros(100)  # warm-up, so neither size pays the first-run costs
    small, large = lookup_micros(100), lookup_micros(10_000)
    print("Grid lookup (point in a grid's polygon, bucket index)")
    print(f"  100 grids     {small:6.2f} µs per lookup")
    ratio = large / small
    print(f"  10,000 grids  {large:6.2f} µs per lookup   ratio {ratio:4.2f} (flat is the goal)")


def growth() -> None:
    from bench.growth import measure

    print("Local stack as the table grows (moto, Query indexed by partition; median of 25)")
    first: dict[str, float] = {}
    for read, items, ms in measure():
        base = first.setdefault(read, ms)
        ratio = ms / base
        verdict = "" if ms is base else ("  OK" if ratio <= 1.5 else "  OVER TARGET")
        print(f"  {read:48s} {items:6d} items  {ms:6.1f} ms  x{ratio:4.2f}{verdict}")
    print("  target: a read at 20,000 items within 1.5x of the same read at 1,000")


def main() -> None:
    cold_start()
    print()
    grid_lookup()
    print()
    growth()
    print()
    dynamodb_calls()
    print()
    applications()
    print()
    requests()
    print()
    notifications()
    print()
    supervision()
    print()
    approval()
    print()
    package_size()


if __name__ == "__main__":
    main()
