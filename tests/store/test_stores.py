"""Stores against moto: versions and conflicts, one-time codes under concurrency, and what
reads cost in DynamoDB calls."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from chalicelib.clock import FixedClock
from chalicelib.context import current_request_id
from chalicelib.deps import Container
from chalicelib.errors import Conflict
from chalicelib.store.identity import OtpStore, RateLimitHit
from devstack.metering import CallCounter

SME = "370830-QR-0001"


def test_a_stale_writer_cannot_overwrite_a_newer_version(deps: Container, seeded: Any) -> None:
    store = deps.catalogue_store
    current = store.current(SME)
    assert current is not None
    newer = current.model_copy(update={"version": 2, "promised_days": 2})
    store.save(newer)
    also_v2 = current.model_copy(update={"version": 2, "promised_days": 3})
    with pytest.raises(Conflict):
        store.save(also_v2)
    assert [v.promised_days for v in store.versions(SME)] == [1, 2]
    assert store.current(SME).promised_days == 2  # type: ignore[union-attr]


def test_only_one_of_concurrent_code_exchanges_consumes_the_code(deps: Container) -> None:
    otp = OtpStore(deps.table)
    otp.save_code(
        "13953700001",
        "h",
        now=1000,
        expires_at=1300,
        resend_after=60,
        window="w",
        max_per_window=5,
        source="client",
        max_per_source=100,
    )
    results: list[bool] = []
    threads = [
        threading.Thread(
            target=lambda: results.append(otp.consume("13953700001", "h", now=1001, max_attempts=5))
        )
        for _ in range(6)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 5 + [True]


def test_resend_and_hourly_limits_are_enforced_in_the_store(deps: Container) -> None:
    otp = OtpStore(deps.table)

    def send(now: int) -> None:
        otp.save_code(
            "13953700001",
            f"h{now}",
            now=now,
            expires_at=now + 300,
            resend_after=60,
            window="2026112702",
            max_per_window=2,
            source="client",
            max_per_source=100,
        )

    send(1000)
    with pytest.raises(RateLimitHit) as too_soon:
        send(1030)
    assert too_soon.value.reason == "resend"
    send(1061)
    with pytest.raises(RateLimitHit) as hourly:
        send(1200)
    assert hourly.value.reason == "hourly"
    assert otp.current("13953700001").code_hash == "h1061"  # type: ignore[union-attr]


def test_one_client_address_gets_a_bounded_number_of_codes_whatever_the_phones(
    deps: Container,
) -> None:
    otp = OtpStore(deps.table)
    for i in range(3):
        otp.save_code(
            f"1395370000{i}",
            "h",
            now=1000,
            expires_at=1300,
            resend_after=60,
            window="2026112702",
            max_per_window=5,
            source="one-client",
            max_per_source=3,
        )
    with pytest.raises(RateLimitHit) as hit:
        otp.save_code(
            "13953700009",
            "h",
            now=1000,
            expires_at=1300,
            resend_after=60,
            window="2026112702",
            max_per_window=5,
            source="one-client",
            max_per_source=3,
        )
    assert hit.value.reason == "source"
    assert otp.current("13953700009") is None  # nothing was stored for the refused code
    otp.save_code(  # another client is not affected
        "13953700009",
        "h",
        now=1000,
        expires_at=1300,
        resend_after=60,
        window="2026112702",
        max_per_window=5,
        source="another-client",
        max_per_source=3,
    )


def test_catalogue_reads_cost_at_most_two_calls_and_never_scan(
    deps: Container, seeded: Any, clock: FixedClock
) -> None:
    counter = CallCounter(deps.clients.dynamodb)
    search = deps.catalogue.search
    first = current_request_id.set("the first request")  # revisions: read once a request
    try:
        search(county="370830", type=None, department=None, keyword=None, limit=20, cursor=None)
        cold = dict(counter.calls)
        counter.reset()
        current_request_id.set("the second request")
        search(county="370830", type=None, department="jxj", keyword="证明", limit=5, cursor=None)
        warm = dict(counter.calls)
    finally:
        current_request_id.reset(first)
    counter.reset()
    deps.catalogue.guide(SME)
    guide = dict(counter.calls)
    assert cold == {"GetItem": 1, "Query": 2}  # the revisions; the counties, the catalogue
    assert warm == {"GetItem": 1}
    assert guide == {"GetItem": 1}


def test_a_published_edit_reloads_every_cache_on_its_next_read(
    deps: Container, seeded: Any
) -> None:
    """Another container's cache: it sees the new revision on its next read."""
    other = Container(settings=deps.settings, clock=deps.clock, clients=deps.clients)
    assert other.reference.catalogue("370830")[0].version == 1
    assert other.reference.catalogue("370829")[0].version == 1
    store = deps.catalogue_store
    first = other.reference.catalogue("370830")[0]
    counter = CallCounter(deps.clients.dynamodb)
    store.save(first.model_copy(update={"version": 2}))
    counter.reset()
    assert other.reference.catalogue("370830")[0].version == 2
    assert other.reference.catalogue("370829")[0].version == 1
    # Only the edited county's catalogue was loaded again (each read checks the revisions).
    assert counter.calls["Query"] == 1


def test_the_revision_check_is_skipped_within_its_max_age(deps: Container, seeded: Any) -> None:
    settings = deps.settings.model_copy(update={"reference_max_age_seconds": 5})
    clock = FixedClock(deps.clock.now())
    other = Container(settings=settings, clock=clock, clients=deps.clients)
    other.reference.categories("370830")
    counter = CallCounter(deps.clients.dynamodb)
    other.reference.categories("370830")
    assert counter.total == 0
    clock.advance(seconds=5)
    other.reference.categories("370830")
    assert counter.calls == {"GetItem": 1}


def test_the_case_writers_refuse_a_move_their_table_does_not_list(
    api: Any, deps: Container, sms: Any
) -> None:
    from chalicelib.domain.application_parts import Status
    from chalicelib.domain.request_parts import RequestStatus
    from tests.conftest import body, sign_in
    from tests.support.applications import create
    from tests.support.requests import file

    token = sign_in(api, sms)
    draft = deps.case_store.load(create(api, token)["id"]).application
    issued = draft.model_copy(update={"status": Status.ISSUED, "rev": draft.rev + 1})
    with pytest.raises(Conflict):
        deps.case_store.save(draft, issued, [])
    assert deps.case_store.application(draft.application_id).status is Status.DRAFT
    filed = file(api, token)
    req, _ = deps.request_store.load(filed["request_id"])
    closed = req.model_copy(update={"status": RequestStatus.CLOSED, "rev": req.rev + 1})
    with pytest.raises(Conflict):
        deps.request_store.save(req, closed, [], None)
    assert deps.request_store.get(req.request_id).status is req.status
    assert body(api.get(f"/requests/{req.request_id}", token=token))["status"] == req.status
