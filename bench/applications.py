"""Application routes on moto: DynamoDB calls per request and in-process latency of submit
and of the progress query (median of many runs)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from bench.harness import BenchStack, bench_stack

RUNS = 40


def measure() -> Iterator[tuple[str, Any, Any]]:
    """Yields ('calls', route, Counter) rows, then ('latency', route, [seconds])."""
    from devstack.metering import CallCounter
    from tests.support.applications import PDF, SME, document_request, enterprise, mail_delivery

    # Executions are started, not run: only the app's own calls are counted.
    with bench_stack(execute_workflows=False) as stack:
        counter = CallCounter(stack.clients.dynamodb)

        def counted(*args: Any, **kwargs: Any) -> tuple[Any, Counter[str], float]:
            counter.reset()
            data, elapsed = stack.call(*args, **kwargs)
            return data, Counter(counter.calls), elapsed

        token = stack.citizen_token("13953700002")
        new = {"service_code": SME, "applicant": enterprise(), "delivery": mail_delivery()}

        def prepared(s: BenchStack = stack, who: str | None = None) -> str:
            who = who or token
            case = s.call("POST", "/applications", new, token=who)[0]
            for material in ("licence", "audit"):
                s.upload(who, case["id"], material, PDF)
            s.pump.drain()
            return str(case["id"])

        prepared()
        case, created, _ = counted("POST", "/applications", new, token=token)
        yield "calls", "POST /applications", created
        yield (
            "calls",
            "POST /applications/{id}/documents",
            counted(
                "POST",
                f"/applications/{case['id']}/documents",
                document_request("licence", PDF),
                token=token,
            )[1],
        )
        case_id = prepared()
        yield (
            "calls",
            "GET /applications/{id}",
            counted("GET", f"/applications/{case_id}", token=token)[1],
        )
        yield (
            "calls",
            "GET /applications/{id}/documents",
            counted("GET", f"/applications/{case_id}/documents", token=token)[1],
        )
        yield "calls", "GET /applications", counted("GET", "/applications", token=token)[1]
        yield (
            "calls",
            "POST /applications/{id}/submit",
            counted("POST", f"/applications/{case_id}/submit", token=token)[1],
        )
        yield (
            "calls",
            "GET /admin/queues/acceptance",
            counted("GET", "/admin/queues/acceptance", profile="zwfw-clerk")[1],
        )
        yield (
            "calls",
            "GET /admin/applications/{id}",
            counted("GET", f"/admin/applications/{case_id}", profile="zwfw-clerk")[1],
        )
        supplement = {
            "decision": "supplement",
            "materials": [{"material_code": "audit", "reason": "缺章"}],
        }
        yield (
            "calls",
            "POST /admin/applications/{id}/acceptance (supplement)",
            counted(
                "POST",
                f"/admin/applications/{case_id}/acceptance",
                supplement,
                profile="zwfw-clerk",
            )[1],
        )
        stack.clock.advance(seconds=1)
        stack.upload(token, case_id, "audit", PDF)
        counter.reset()
        stack.pump.drain()
        yield "calls", "document scan consumer (one S3 event)", Counter(counter.calls)
        yield (
            "calls",
            "POST /applications/{id}/supplement",
            counted("POST", f"/applications/{case_id}/supplement", token=token)[1],
        )
        yield (
            "calls",
            "POST /admin/applications/{id}/acceptance (accept)",
            counted(
                "POST",
                f"/admin/applications/{case_id}/acceptance",
                {"decision": "accept"},
                profile="zwfw-clerk",
            )[1],
        )

        # several applicants: each may file 20 applications a day
        applicants = [stack.citizen_token(f"139537002{n:02d}") for n in range(RUNS // 15 + 1)]
        start = stack.clock.now()
        submits, queries = [], []
        for run in range(RUNS):
            stack.clock.advance(seconds=1)
            if stack.clock.now() - start > timedelta(minutes=10):  # keep the tokens valid
                stack.clock.set(start)
            who = applicants[run % len(applicants)]
            case_id = prepared(who=who)
            submits.append(stack.call("POST", f"/applications/{case_id}/submit", token=who)[1])
            queries.append(stack.call("GET", f"/applications/{case_id}", token=who)[1])
        yield "latency", "POST /applications/{id}/submit", submits
        yield "latency", "GET /applications/{id}", queries
