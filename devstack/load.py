"""`make load`: a bounded load run through a freshly started local stack, on loopback only.

Two bursts on one county, each with `--clients` concurrent users:
1. citizens filing at once — each from their own loopback address and phone, signed in
   with the SMS code, filing `--per-citizen` requests;
2. staff deciding at once on different cases — the township dispatcher assigning each of
   the filed requests to a department, every decision on its own case;
then a few deliberate same-case races (the same decision sent twice at one instant, as from
two devices): exactly one of each pair may win, the other must be a 409.

The local DynamoDB cancels concurrent transactions on one item as DynamoDB does, so any
item two cases share on the write path would show up as conflicts. Passes only with 0
server errors, 0 409s besides the races' losers, 0 connection errors and 0 statistics drift;
prints throughput and p50/p95 latency per burst. Exit status 1 otherwise."""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devstack.demo import demo_county
from devstack.running import ROOT, start_stack, stop_stack
from devstack.workload import HttpDriver

WENSHANG = demo_county("370830")  # the load is one county's, as the issue asks
TOWNSHIP = "370830001"  # 汶上街道: the grids the citizens file in, and its dispatcher
GRIDS = [point for code, point in WENSHANG.grids.items() if code.startswith(TOWNSHIP)]
DISPATCHER = WENSHANG.dispatcher(TOWNSHIP)


@dataclass
class Burst:
    name: str
    statuses: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, status: int | None, seconds: float, error: str | None = None) -> None:
        with self.lock:
            if status is not None:
                self.statuses[status] += 1
            if error:
                self.errors[error] += 1
            self.latencies.append(seconds)

    def report(self) -> str:
        calls = len(self.latencies)
        ordered = sorted(self.latencies)
        p50 = statistics.median(ordered) * 1000 if ordered else 0.0
        p95 = ordered[int(len(ordered) * 0.95) - 1] * 1000 if ordered else 0.0
        codes = ", ".join(f"{s}: {n}" for s, n in sorted(self.statuses.items()))
        errors = ", ".join(f"{e}: {n}" for e, n in self.errors.items()) or "none"
        return (
            f"  {self.name:44s} {calls:4d} calls in {self.seconds:5.1f} s "
            f"({calls / self.seconds if self.seconds else 0:5.1f}/s)  p50 {p50:6.1f} ms  "
            f"p95 {p95:6.1f} ms\n    statuses {codes}; connection errors {errors}"
        )


def _timed(burst: Burst, call: Callable[[], tuple[int, Any]]) -> tuple[int, Any] | None:
    started = time.perf_counter()
    try:
        status, data = call()
    except Exception as exc:  # noqa: BLE001 - a reset or timeout is what this run counts
        burst.record(None, time.perf_counter() - started, type(exc).__name__)
        return None
    burst.record(status, time.perf_counter() - started)
    return status, data


def _run(burst: Burst, jobs: list[Callable[[], Any]], clients: int) -> list[Any]:
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(lambda job: job(), jobs))
    burst.seconds = time.perf_counter() - started
    return results


def _filing(driver: HttpDriver, phone: str, n: int, per_citizen: int, burst: Burst) -> list[str]:
    token = driver.sign_in(phone)
    lng, lat = GRIDS[n % len(GRIDS)]
    filed = []
    for k in range(per_citizen):
        body = {
            "category": "streetlight",
            "description": f"路灯不亮（负载测试 {n}-{k}）",
            "location": {"lat": lat, "lng": lng, "address": WENSHANG.county.name},
        }
        headers = {"Idempotency-Key": f"load-{n}-{k}"}
        answer = _timed(
            burst,
            lambda body=body, headers=headers: driver.call(
                "POST", "/requests", body=body, token=token, headers=headers, phone=phone
            ),
        )
        if answer and answer[0] == 201:
            filed.append(str(answer[1]["request_id"]))
    return filed


def _decide(driver: HttpDriver, profile: str, request_id: str, burst: Burst) -> int | None:
    body = {"action": "assign", "departments": ["cgj"]}
    answer = _timed(
        burst,
        lambda: driver.call(
            "POST", f"/admin/requests/{request_id}/triage", body=body, profile=profile
        ),
    )
    return answer[0] if answer else None


def run(local: Path, clients: int, per_citizen: int, races: int) -> bool:
    driver = HttpDriver(local)
    filing, deciding, racing = (
        Burst("citizens filing at once"),
        Burst("staff deciding at once, each on its own case"),
        Burst("same-case races (two decisions at one instant)"),
    )
    jobs = [
        (lambda n=n: _filing(driver, f"1396370{n:04d}", n, per_citizen, filing))
        for n in range(clients)
    ]
    filed = [rid for batch in _run(filing, jobs, clients) for rid in batch]
    contested, free = filed[:races], filed[races:]
    _run(
        deciding,
        [(lambda rid=rid: _decide(driver, DISPATCHER, rid, deciding)) for rid in free],
        clients,
    )
    race_jobs = [
        (lambda rid=rid: _decide(driver, DISPATCHER, rid, racing))
        for rid in contested
        for _ in "ab"
    ]
    _run(racing, race_jobs, 2 * max(races, 1))

    print("Load run through the local stack (loopback)")
    for burst in (filing, deciding, racing):
        print(burst.report())
    drift = subprocess.run(
        [sys.executable, "-m", "devstack.verify_stats", "--local", str(local)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    print("  statistics: " + (drift.stdout.strip().splitlines() or ["?"])[-1])
    problems = []
    for burst in (filing, deciding, racing):
        server_errors = sum(n for s, n in burst.statuses.items() if s >= 500)
        if server_errors or burst.errors:
            problems.append(f"{burst.name}: {server_errors} server errors, {dict(burst.errors)}")
    if filing.statuses.get(409) or deciding.statuses.get(409):
        problems.append("409s on different cases: a write path shares an item between cases")
    if len(filed) != clients * per_citizen:
        problems.append(f"{len(filed)} of {clients * per_citizen} filings went through")
    if deciding.statuses.get(200, 0) != len(free):
        problems.append(f"{deciding.statuses.get(200, 0)} of {len(free)} decisions went through")
    wins, losses = racing.statuses.get(200, 0), racing.statuses.get(409, 0)
    if wins != races or losses != races:
        problems.append(f"races: {wins} won and {losses} lost of {races} (one each expected)")
    if drift.returncode != 0:
        problems.append("statistics drift:\n" + drift.stdout[-2000:])
    for problem in problems:
        print(f"  FAILED: {problem}")
    print(
        "  OK: no server error, no conflict between cases, no reset, no drift"
        if not problems
        else ""
    )
    return not problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--per-citizen", type=int, default=2)
    parser.add_argument("--races", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=600, help="the whole run's bound")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bianmin-load-") as scratch:
        stack = start_stack(Path(scratch))
        timer = threading.Timer(args.timeout, stop_stack, args=(stack,))
        timer.start()
        try:
            ok = run(stack.local, args.clients, args.per_citizen, args.races)
        finally:
            timer.cancel()
            stop_stack(stack)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
