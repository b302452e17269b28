"""Request (诉求) routes on moto: DynamoDB calls per request, warm container, from filing to
rating, plus the overdue sweep. Every count is of the app's own calls (no Scan allowed)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from bench.harness import bench_stack


def measure(units: dict[str, float] | None = None) -> Iterator[tuple[str, Counter[str]]]:
    """Calls per route; `units` receives the consumed capacity of one request's whole life
    (filed, assigned to two departments, both replies, rated)."""
    from chalicelib.deps import container
    from devstack.metering import CallCounter, CapacityMeter
    from tests.support.requests import street_light

    with bench_stack(execute_workflows=False) as stack:
        counter = CallCounter(stack.clients.dynamodb)

        def counted(*args: Any, **kwargs: Any) -> tuple[Any, Counter[str]]:
            counter.reset()
            data, _ = stack.call(*args, **kwargs)
            return data, Counter(counter.calls)

        token = stack.citizen_token("13953700001")
        stack.call("POST", "/requests", street_light(), token=token)  # warm the caches
        capacity = CapacityMeter(stack.clients.dynamodb)
        created, calls = counted("POST", "/requests", street_light(), token=token)
        yield "POST /requests (route, duplicates)", calls
        request_id = created["request_id"]
        path = f"/admin/requests/{request_id}"
        yield "GET /requests", counted("GET", "/requests", token=token)[1]
        yield "GET /requests/{id}", counted("GET", f"/requests/{request_id}", token=token)[1]
        for profile in ("wenshang-dispatcher", "ximen-liaison"):
            stack.call("GET", "/admin/queues/requests", profile=profile)
            yield (
                f"GET /admin/queues/requests ({profile})",
                counted("GET", "/admin/queues/requests", profile=profile)[1],
            )
        yield (
            "GET /admin/requests/{id} (dispatcher)",
            counted("GET", path, profile="wenshang-dispatcher")[1],
        )
        assign = {"action": "assign", "departments": ["cgj", "zjj"]}
        yield (
            "POST /admin/requests/{id}/triage (assign 2)",
            counted("POST", f"{path}/triage", assign, profile="wenshang-dispatcher")[1],
        )
        stack.call("GET", "/admin/queues/requests", profile="cgj-reviewer")
        yield (
            "GET /admin/queues/requests (department)",
            counted("GET", "/admin/queues/requests", profile="cgj-reviewer")[1],
        )
        reply = {"text": "已更换灯具", "done": True}
        yield (
            "POST /admin/requests/{id}/reply",
            counted("POST", f"{path}/reply", reply, profile="cgj-reviewer")[1],
        )
        stack.call("POST", f"{path}/reply", reply, profile="zjj-reviewer")
        yield (
            "POST /requests/{id}/rating",
            counted("POST", f"/requests/{request_id}/rating", {"level": 5}, token=token)[1],
        )
        stack.pump.drain()  # the figures' share: the aggregator's writes of this request
        if units is not None:
            units.update(
                read=capacity.read_units,
                write=capacity.write_units,
                transact_items=capacity.transact_items,
            )
        others = [stack.citizen_token(f"139537001{n:02d}") for n in range(4)]
        for n in range(20):  # from several residents: each has a daily quota
            stack.call("POST", "/requests", street_light(), token=others[n % 4])
        stack.clock.advance(hours=3)
        counter.reset()
        changed = container().request_sweep.sweep()
        yield f"overdue sweep ({changed} escalated)", Counter(counter.calls)
        stack.clock.set(stack.clock.now() + timedelta(hours=1))
        counter.reset()
        container().request_sweep.sweep()
        yield "overdue sweep (nothing due)", Counter(counter.calls)
