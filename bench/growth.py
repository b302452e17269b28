"""The local stack as the table grows: a case read, and a citizen's own list (a GSI), timed
with the table at about 1,000 and at 20,000 items. The other items are closed requests of
other residents, built with the app's own item functions (`store/request_items.py`), so
they weigh what real ones weigh. With moto's Query indexed by partition
(`devstack/moto_index.py`) neither read depends on the table's size."""

from __future__ import annotations

import statistics
import time
from datetime import timedelta
from typing import Any

from bench.harness import BenchStack, bench_stack

READS = 25


def _count(stack: BenchStack) -> int:
    client = stack.clients.dynamodb
    total, start = 0, None
    while True:
        kwargs: dict[str, Any] = {"TableName": stack.provisioned.table, "Select": "COUNT"}
        if start:
            kwargs["ExclusiveStartKey"] = start
        page = client.scan(**kwargs)
        total += page["Count"]
        start = page.get("LastEvaluatedKey")
        if not start:
            return total


def _fill(stack: BenchStack, until: int, serial: list[int]) -> None:
    """Closed requests of other residents, each root with two timeline events, until the
    table holds `until` items."""
    from chalicelib.domain.moves import SYSTEM, new_event
    from chalicelib.domain.request_parts import RequestStatus
    from chalicelib.ids import new_ulid
    from chalicelib.store.keys import event_put
    from chalicelib.store.request_items import root_item
    from chalicelib.store.table import Serializer
    from tests.support.entities import service_request

    ser, client = Serializer(), stack.clients.dynamodb
    missing = until - _count(stack)
    now = stack.clock.now()
    batch: list[dict[str, Any]] = []
    while missing > 0:
        serial[0] += 1
        at = now - timedelta(minutes=serial[0])
        req = service_request(
            request_id=new_ulid(at),
            number=f"SQ20260101-{serial[0]:06d}",
            owner_id=f"filler-{serial[0] % 997}",
            status=RequestStatus.CLOSED,
            created_at=at,
            updated_at=at,
        )
        events = [new_event(t, t, t, SYSTEM, at) for t in ("submitted", "closed")]
        items = [root_item(req), *(event_put(req.request_id, e)["Put"]["Item"] for e in events)]
        for item in items[:missing]:
            batch.append({"PutRequest": {"Item": ser.dump(item)}})
        missing -= len(items)
        if len(batch) >= 25 or missing <= 0:
            for i in range(0, len(batch), 25):
                client.batch_write_item(RequestItems={stack.provisioned.table: batch[i : i + 25]})
            batch = []


def _median_ms(stack: BenchStack, path: str, token: str) -> float:
    times = []
    for _ in range(READS):
        started = time.perf_counter()
        stack.call("GET", path, token=token)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def measure() -> list[tuple[str, int, float]]:
    """(read, table items, median ms) at about 1,000 and at 20,000 items."""
    from tests.support.requests import street_light

    results = []
    with bench_stack(execute_workflows=False) as stack:
        token = stack.citizen_token("13953700001")
        created, _ = stack.call("POST", "/requests", street_light(), token=token)
        reads = {
            "GET /requests/{id} (the case: its partition)": f"/requests/{created['request_id']}",
            "GET /requests (own list: GSI1 partition)": "/requests",
        }
        serial = [0]
        for size in (1_000, 20_000):
            _fill(stack, size, serial)
            items = _count(stack)
            for name, path in reads.items():
                _median_ms(stack, path, token)  # warm
                results.append((name, items, _median_ms(stack, path, token)))
    return results
