"""The quiet hours' backlog goes out after 08:00 in batches of ten (one SendMessageBatch a
ten), every held text once, within the run's budget; the next run goes on where it stopped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.clock import FixedClock
from chalicelib.deps import Container
from chalicelib.domain.notifications import (
    Channel,
    ChannelDelivery,
    DeliveryStatus,
    Notification,
)
from chalicelib.domain.sms import NoticeRef, SmsMessage, SmsPurpose
from chalicelib.services.held_texts import HeldTexts
from chalicelib.store.sms import QueuedDispatch

NIGHT = datetime(2026, 11, 27, 14, 0, tzinfo=UTC)  # 22:00 Beijing
MORNING = datetime(2026, 11, 28, 0, 0, tzinfo=UTC)  # 08:00


def hold(deps: Container, n: int) -> None:
    ref = NoticeRef(citizen_id=f"C{n:04d}", notification_id=f"N{n:04d}", county="370830")
    message = SmsMessage.request_notice(
        f"139537{n:05d}", "汶上便民", SmsPurpose.REQUEST_RECEIVED, "SQ20261127-000123", ref
    )
    delivery = ChannelDelivery(
        status=DeliveryStatus.HELD,
        template_id="request_received.sms",
        template_version=1,
        text=message.text,
        at=NIGHT,
        release_at=MORNING,
    )
    notice = Notification(
        notification_id=ref.notification_id,
        citizen_id=ref.citizen_id,
        role="applicant",
        case_kind="request",
        case_id="R1",
        case_number="WSSQ20261127-000123",
        county="370830",
        kind=SmsPurpose.REQUEST_RECEIVED,
        title="诉求已收到",
        text="…",
        at=NIGHT,
        channels={Channel.SMS: delivery},
    )
    assert deps.notification_store.record(notice, message, MORNING)


def queued(aws: Any, url: str) -> int:
    attrs = aws.client("sqs").get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
    )
    return int(attrs["Attributes"]["ApproximateNumberOfMessages"])


def test_a_nights_backlog_goes_out_in_batches_once(
    deps: Container, aws: Any, provisioned: Any, clock: FixedClock, seeded: Any
) -> None:
    for n in range(23):
        hold(deps, n)
    url = provisioned.queue_urls["sms"]
    dispatch = QueuedDispatch(aws, url)
    held = HeldTexts(deps.notification_store, deps.reference, dispatch, clock)
    clock.set(MORNING - timedelta(minutes=5))
    assert held.release() == 0  # 07:55: still quiet
    clock.set(MORNING + timedelta(minutes=5))
    calls: list[int] = []
    original = dispatch.dispatch_many
    dispatch.dispatch_many = lambda messages: calls.append(len(messages)) or original(messages)  # type: ignore[method-assign]
    assert held.release() == 23
    assert sorted(calls, reverse=True)[:2] == [10, 10] and sum(calls) == 23
    assert queued(aws, url) == 23
    assert held.release() == 0  # once
    stored = deps.notification_store.get("C0007", "N0007")
    assert stored is not None and stored.channels[Channel.SMS].status is DeliveryStatus.QUEUED


def test_a_spent_budget_leaves_the_rest_for_the_next_run(
    deps: Container, aws: Any, provisioned: Any, clock: FixedClock, seeded: Any
) -> None:
    for n in range(5):
        hold(deps, n)
    dispatch = QueuedDispatch(aws, provisioned.queue_urls["sms"])
    held = HeldTexts(deps.notification_store, deps.reference, dispatch, clock)
    clock.set(MORNING + timedelta(minutes=5))
    assert held.release(budget_seconds=-1) == 0  # no time at all: nothing taken, nothing lost
    assert held.release() == 5
