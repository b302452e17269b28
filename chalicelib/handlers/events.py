"""Consumers of the queues AWS delivers to (and the local stack pumps)."""

from __future__ import annotations

import json

from chalice import Blueprint, Rate
from chalice.app import CloudWatchEvent, DynamoDBEvent, SQSEvent

from chalicelib import resources
from chalicelib.deps import container
from chalicelib.domain.sms import SmsMessage
from chalicelib.observability import logger

bp = Blueprint(__name__)
STAGE = resources.stage_from_env()


@bp.on_sqs_message(queue=resources.queue_name(STAGE, "sms"), batch_size=10, name="deliver_sms")
def deliver_sms(event: SQSEvent) -> None:
    """Hands each queued SMS to the configured sender. A failure raises, so SQS retries the
    batch and, after the redrive limit, parks the message on the dead-letter queue."""
    sender = container().sms_sender
    for record in event:
        message = SmsMessage.model_validate_json(record.body)
        sender.deliver(message)
        logger.info("sms delivered", extra={"purpose": message.purpose})


@bp.on_sqs_message(
    queue=resources.queue_name(STAGE, "document-events"), batch_size=10, name="scan_documents"
)
def scan_documents(event: SQSEvent) -> None:
    """S3 reports each uploaded object here; every pending document is checked once."""
    scanner = container().scanner
    for record in event:
        scanner.handle_s3_event(json.loads(record.body))


@bp.on_sqs_message(
    queue=resources.queue_name(STAGE, "review-tasks"), batch_size=10, name="review_events"
)
def review_events(event: SQSEvent) -> None:
    """The approval workflow's messages: a review task waiting (with its token), a task
    escalated after its time limit, and every branch ended."""
    review = container().review
    for record in event:
        review.handle(json.loads(record.body))


@bp.schedule(Rate(5, unit=Rate.MINUTES), name="sweep_requests")
def sweep_requests(event: CloudWatchEvent) -> None:
    """Escalates requests whose acceptance, resolution or rectification fell due, and closes
    resolved ones left unrated past the rating period."""
    changed = container().request_sweep.sweep()
    logger.info("request sweep", extra={"changed": changed})


@bp.on_dynamodb_record(
    stream_arn=resources.table_stream_arn(STAGE),
    batch_size=100,
    starting_position="TRIM_HORIZON",
    name="aggregate_stats",
)
def aggregate_stats(event: DynamoDBEvent) -> None:
    """The table's change feed: each write of a case root moves the figures by the case's
    before/after difference, exactly once (a redelivered record is recognised and skipped).
    A failure raises, so Lambda retries the batch (split to isolate a failing record)."""
    applied = container().stats_feed.apply([(r.event_id, r.old_image, r.new_image) for r in event])
    logger.info("figures updated", extra={"applied": applied})
