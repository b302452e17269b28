"""Supervision figures: items read per statistics call with 100 and with 10,000 cases in the
county (the counters make them equal), and the workload generator's throughput through the
API path (in-process API on moto)."""

from __future__ import annotations

import random
import time
from collections import defaultdict
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from bench.harness import BenchStack, bench_stack


def _bulk_cases(stack: BenchStack, count: int, rng: random.Random) -> None:
    """`count` request roots with their counters, written in bulk (BatchWriteItem, one ADD per
    counter item): the same stored state the API's transactions produce, made quickly."""
    from chalicelib.domain.common import Text
    from chalicelib.domain.request import RequestStatus, Routing, ServiceRequest, Stage
    from chalicelib.domain.review import Rating
    from chalicelib.domain.stats import add, contribution
    from chalicelib.store.request_items import root_item
    from chalicelib.store.stats import item_key

    grids = ["370830001001001", "370830001001002", "370830007001001"]
    categories = ["streetlight", "road", "sanitation", "noise", "consultation"]
    now = stack.clock.now()
    totals: dict[Any, dict[str, int]] = {}
    table = stack.provisioned.table
    client = stack.clients.dynamodb
    from chalicelib.store.table import Serializer

    ser = Serializer()
    batch: list[dict[str, Any]] = []
    for i in range(count):
        grid = rng.choice(grids)
        created = now - timedelta(days=rng.randrange(300), minutes=rng.randrange(1440))
        resolved = rng.random() < 0.9
        req = ServiceRequest(
            request_id=f"01BENCH{i:019d}",
            number=f"SQ-BENCH-{i:06d}",
            owner_id="01BENCHOWNER00000000000000",
            owner_phone="13953700001",
            filed_by={"role": "applicant"},
            channel="app",
            category=rng.choice(categories),
            category_name="类别",
            category_name_en="Category",
            sla_days=3,
            description="bench",
            jurisdiction=grid,
            routing=Routing(dispatch_unit=grid[:9], exact=True, departments=["cgj"]),
            status=RequestStatus.CLOSED if resolved else RequestStatus.SUBMITTED,
            created_at=created,
            updated_at=created,
            accepted_at=created + timedelta(hours=1) if resolved else None,
            resolved_at=created + timedelta(days=1) if resolved else None,
            resolution_days=1 if resolved else None,
            on_time=True if resolved else None,
            stage=None if resolved else Stage.ACCEPTANCE,
            ratings=[
                Rating(level=5, label=Text(zh="非常满意", en="Very satisfied"), rated_at=created)
            ]
            if resolved
            else [],
        )
        add(totals, contribution(req, "370800"))  # the demo platform's scope: its city
        batch.append({"PutRequest": {"Item": ser.dump(root_item(req))}})
        if len(batch) == 25:
            client.batch_write_item(RequestItems={table: batch})
            batch = []
    if batch:
        client.batch_write_item(RequestItems={table: batch})
    # The counters as the aggregator would have left them, written whole (fresh items: one
    # BatchWriteItem per 25, not one UpdateItem per counter item).
    items: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    for (scope, period), attrs in totals.items():
        for attr, value in attrs.items():
            pk, sk, metric = item_key(scope, period, attr)
            items[(pk, sk)][metric] = value
    puts = [
        {"PutRequest": {"Item": ser.dump({"pk": pk, "sk": sk, **attrs})}}
        for (pk, sk), attrs in items.items()
    ]
    for start in range(0, len(puts), 25):
        client.batch_write_item(RequestItems={table: puts[start : start + 25]})


def stats_reads() -> Iterator[tuple[int, str, int, int]]:
    """(cases, route, DynamoDB calls, items read) for the statistics routes."""
    from devstack.metering import CallCounter

    for count in (100, 10_000):
        with bench_stack(execute_workflows=False) as stack:
            _bulk_cases(stack, count, random.Random(count))
            counter = CallCounter(stack.clients.dynamodb)
            routes = [
                "/admin/stats?scope=370830&period=2026",
                "/admin/stats?scope=370830001&period=2026-11",
                "/admin/stats/hot?scope=370830&period=2026",
            ]
            for route in routes:
                stack.call("GET", route, profile="county-leader")  # warm the caches
                counter.reset()
                stack.call("GET", route, profile="county-leader")
                yield count, route, sum(counter.calls.values()), counter.items_read
            counter.reset()
            stack.call("GET", "/public/stats?period=2026")
            yield (
                count,
                "/public/stats?period=2026",
                sum(counter.calls.values()),
                counter.items_read,
            )


def generator_throughput(requests: int = 200, applications: int = 20) -> dict[str, float]:
    from devstack.workload import InProcessDriver, Workload

    with bench_stack(execute_workflows=False) as stack:

        class Api:
            def request(self, method: str, path: str, **kwargs: Any) -> Any:
                return _Response(*_call(stack, method, path, **kwargs))

        class Sms:
            def last_code(self, phone: str) -> str:
                return next(m.code for m in reversed(stack.sent) if m.phone == phone and m.code)

        driver = InProcessDriver(Api(), stack.clients, stack.pump, Sms())
        started = time.perf_counter()
        tally = Workload(driver, random.Random(3), citizens=20).run(requests, applications)
        seconds = time.perf_counter() - started
        return {
            "cases": requests + applications,
            "calls": tally.calls,
            "seconds": seconds,
            "calls_per_second": tally.calls / seconds,
            "cases_per_second": (requests + applications) / seconds,
        }


class _Response:
    def __init__(self, status: int, body: bytes) -> None:
        self.status_code = status
        self.body = body


def _call(stack: BenchStack, method: str, path: str, **kwargs: Any) -> tuple[int, bytes]:
    import json

    from tests.support.signing import signed_headers

    body = kwargs.get("json_body")
    data = json.dumps(body).encode() if body is not None else b""
    headers = dict(kwargs.get("headers") or {})
    if body is not None:
        headers["Content-Type"] = "application/json"
    if kwargs.get("token"):
        headers["Authorization"] = f"Bearer {kwargs['token']}"
    if kwargs.get("profile"):
        headers = signed_headers(
            method,
            f"http://localhost{path}",
            stack.seeded.profiles[kwargs["profile"]],
            stack.clock.now(),
            body=data,
            headers=headers,
        )
    response = stack.client.http.request(method, path, headers=headers, body=data)
    return response.status_code, response.body
