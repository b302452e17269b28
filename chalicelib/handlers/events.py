"""Consumers of the queues AWS delivers to (and the local stack pumps)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from chalice import Blueprint, Rate
from chalice.app import CloudWatchEvent, DynamoDBEvent, SQSEvent

from chalicelib import resources
from chalicelib.deps import container
from chalicelib.observability import logger, metrics

bp = Blueprint(__name__)
STAGE = resources.stage_from_env()


# A consumer stops starting records when less than this remains of its invocation: the rest
# are reported as failures (delivered again) rather than lost to a timeout that would make SQS
# deliver the whole batch again, the records already handled (texts already sent) included.
RESERVE_MS = 10_000


def each_record(event: SQSEvent, handle: Callable[[str], object]) -> dict[str, Any]:
    """Hands each record's body to `handle` on its own and answers Lambda's partial batch
    response (the event source mapping reports batch item failures): the records that
    raised are named by message id, SQS delivers only those again (and, past the redrive
    limit, parks them on the dead-letter queue); the others are deleted. A failure is logged
    with the message id, never the body."""
    failures: list[dict[str, str]] = []
    context = event.context
    for record in event:
        message_id = str(record.to_dict().get("messageId", ""))
        remaining = getattr(context, "get_remaining_time_in_millis", None)
        if remaining is not None and remaining() < RESERVE_MS:
            logger.warning(
                "record not started: too little time left", extra={"message_id": message_id}
            )
            failures.append({"itemIdentifier": message_id})
            continue
        try:
            handle(record.body)
        except Exception:  # noqa: BLE001 - one record's failure is that record's alone
            logger.exception(
                "record failed; it will be delivered again", extra={"message_id": message_id}
            )
            failures.append({"itemIdentifier": message_id})
    if metrics.metric_set:
        metrics.flush_metrics()
    return {"batchItemFailures": failures}


@bp.on_sqs_message(queue=resources.queue_name(STAGE, "sms"), batch_size=10, name="deliver_sms")
def deliver_sms(event: SQSEvent) -> dict[str, Any]:
    """Hands each queued SMS to the configured sender. What the provider refuses for good is
    parked on the dead-letter queue at once; any other failure is that record's, delivered
    again and, after the redrive limit, parked."""
    return each_record(event, container().sms_delivery.deliver)


@bp.on_sqs_message(
    queue=resources.queue_name(STAGE, "document-events"), batch_size=10, name="scan_documents"
)
def scan_documents(event: SQSEvent) -> dict[str, Any]:
    """S3 reports each uploaded object here; every pending document is checked once."""
    scanner = container().scanner
    return each_record(event, lambda body: scanner.handle_s3_event(json.loads(body)))


@bp.on_sqs_message(
    queue=resources.queue_name(STAGE, "review-tasks"), batch_size=10, name="review_events"
)
def review_events(event: SQSEvent) -> dict[str, Any]:
    """The approval workflow's messages: a review task waiting (with its token), a task
    escalated after its time limit, and every branch ended."""
    review = container().review
    return each_record(event, lambda body: review.handle(json.loads(body)))


@bp.schedule(Rate(5, unit=Rate.MINUTES), name="sweep_requests")
def sweep_requests(event: CloudWatchEvent) -> None:
    """Escalates requests whose acceptance, resolution or rectification fell due, and closes
    resolved ones left unrated past the rating period; escalates overdue inspection tasks."""
    changed = container().request_sweep.sweep()
    logger.info("request sweep", extra={"changed": changed})
    # Inspection tasks past their due date escalate to their department's head (a failure
    # here must not keep the held texts below from going out).
    try:
        escalated = container().inspection_tasks.sweep()
        logger.info("inspection sweep", extra={"escalated": escalated})
    except Exception:  # noqa: BLE001 - logged; the next sweep tries again
        logger.exception("inspection sweep failed")
    # The quiet hours' held texts go out with the first sweep after 08:00 Beijing time.
    released = container().held_texts.release()
    logger.info("held texts released", extra={"released": released})


@bp.on_sqs_message(
    queue=resources.queue_name(STAGE, "notifications"), batch_size=10, name="notify_applicants"
)
def notify_applicants(event: SQSEvent) -> dict[str, Any]:
    """Each timeline event the change feed forwarded: every recipient told on every channel,
    once (a redelivered event finds its notifications recorded and sends nothing)."""
    notifier = container().notifier
    return each_record(event, notifier.handle)


@bp.on_dynamodb_record(
    stream_arn=resources.table_stream_arn(STAGE),
    batch_size=100,
    starting_position="TRIM_HORIZON",
    name="aggregate_stats",
)
def aggregate_stats(event: DynamoDBEvent) -> None:
    """The table's change feed: each write of a case root moves the figures by the case's
    before/after difference, exactly once (a redelivered record is recognised and skipped);
    each new timeline event an applicant is told of goes on the notifications queue (the
    notifier dedupes a redelivered one). A failure raises, so Lambda retries the batch (split
    to isolate a failing record)."""
    records = list(event)
    applied = container().stats_feed.apply(
        [(r.event_id, r.old_image, r.new_image) for r in records]
    )
    forwarded = container().notification_feed.forward(
        [(r.event_name, r.new_image) for r in records]
    )
    logger.info("figures updated", extra={"applied": applied, "notifications": forwarded})
