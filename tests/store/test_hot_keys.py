"""No key is shared by every county: running clocks are spread over shards per county,
numbers and the window queues are per county (the keys as the store writes them)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from chalicelib.ids import new_ulid
from chalicelib.store.cases import acceptance_queue, issuance_queue
from chalicelib.store.cases import root_item as application_root
from chalicelib.store.request_items import DUE_SHARDS, due_partition, due_partitions, root_item
from tests.support.entities import NOW, application, service_request


def test_a_countys_running_clocks_spread_evenly_over_its_shards() -> None:
    ids = [new_ulid(NOW + timedelta(milliseconds=n)) for n in range(4000)]
    spread = Counter(due_partition("370830", i) for i in ids)
    assert set(spread) == set(due_partitions("370830")) and len(spread) == DUE_SHARDS
    assert max(spread.values()) < 1.25 * 4000 / DUE_SHARDS
    assert not set(due_partitions("370830")) & set(due_partitions("370829"))


def test_root_items_carry_their_countys_keys() -> None:
    req = service_request(deadline=NOW + timedelta(hours=3), stage="acceptance")
    assert root_item(req)["gsi4pk"] == due_partition("370830", req.request_id)
    submitted = application(submitted_at=NOW)
    assert application_root(submitted)["gsi2pk"] == acceptance_queue("370830")
    assert acceptance_queue("370830") != acceptance_queue("370829")
    assert issuance_queue("370830") != issuance_queue("370829")
