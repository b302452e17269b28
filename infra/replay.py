"""Replays a dead-letter queue: its messages go back to the queue they came from, to be
consumed again (the China regions have no console redrive).

    python -m infra.replay --stage prod --region cn-north-1 --queue sms [--max 100] [--dry-run]
    python -m infra.replay --stage local --local .local --queue review-tasks

Each message is sent to the source queue (body and attributes as they were) and only then
deleted from the dead-letter queue, so a failure halfway loses nothing (a message may at
worst be consumed twice, which every consumer tolerates: their writes are conditional).
Fix what made them fail first: the alarm on the dead-letter queue says they are there.

The stream-failure queue (`stats-stream`) holds no records, only where a batch of the
table's stream kept failing: mend the figures with `make verify-stats ARGS=--repair`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from chalicelib import resources

STREAM_FAILURES = "stats-stream"


def queue_urls(sqs: Any, stage: str, suffix: str) -> tuple[str, str]:
    """(source queue URL, its dead-letter queue URL)."""
    source = sqs.get_queue_url(QueueName=resources.queue_name(stage, suffix))["QueueUrl"]
    dead = sqs.get_queue_url(QueueName=resources.dead_letter_queue_name(stage, suffix))
    return source, dead["QueueUrl"]


def replay(
    sqs: Any,
    source: str,
    dead_letter: str,
    *,
    most: int = 1000,
    dry_run: bool = False,
    say: Callable[[str], None] = print,
) -> int:
    """Moves up to `most` messages from `dead_letter` to `source`; returns how many."""
    moved = 0
    while moved < most:
        batch = sqs.receive_message(
            QueueUrl=dead_letter,
            MaxNumberOfMessages=min(10, most - moved),
            MessageAttributeNames=["All"],
            WaitTimeSeconds=1,
            VisibilityTimeout=60,
        ).get("Messages", [])
        if not batch:
            break
        for message in batch:
            if dry_run:
                say(f"would replay {message['MessageId']}")
                sqs.change_message_visibility(
                    QueueUrl=dead_letter,
                    ReceiptHandle=message["ReceiptHandle"],
                    VisibilityTimeout=0,
                )
            else:
                sent: dict[str, Any] = {"QueueUrl": source, "MessageBody": message["Body"]}
                if message.get("MessageAttributes"):
                    sent["MessageAttributes"] = message["MessageAttributes"]
                sqs.send_message(**sent)
                sqs.delete_message(QueueUrl=dead_letter, ReceiptHandle=message["ReceiptHandle"])
            moved += 1
        if dry_run:
            break  # the same messages would come back
    say(f"{'would replay' if dry_run else 'replayed'} {moved} message(s)")
    return moved


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.replay", description=__doc__)
    parser.add_argument("--stage", required=True)
    parser.add_argument("--region", default=os.environ.get("AWS_DEFAULT_REGION", "cn-north-1"))
    parser.add_argument(
        "--queue", required=True, choices=[*resources.QUEUES.values(), STREAM_FAILURES]
    )
    parser.add_argument("--max", type=int, default=1000, help="at most this many messages")
    parser.add_argument("--dry-run", action="store_true", help="list, do not move")
    parser.add_argument("--local", type=Path, help="the local stack's .local directory")
    parser.add_argument("--profile")
    args = parser.parse_args(argv)
    if args.queue == STREAM_FAILURES:
        print(
            "the stream-failure queue holds no records to replay: mend the figures with "
            "`make verify-stats ARGS=--repair` (then purge the queue)",
            file=sys.stderr,
        )
        return 2
    import boto3

    endpoint = None
    if args.local:
        endpoint = json.loads((args.local / "stack.json").read_text())["aws_endpoint"]
    session = boto3.session.Session(profile_name=args.profile, region_name=args.region)
    sqs = session.client("sqs", endpoint_url=endpoint)
    source, dead_letter = queue_urls(sqs, args.stage, args.queue)
    replay(sqs, source, dead_letter, most=args.max, dry_run=args.dry_run)
    return 0


if __name__ == "__main__":
    sys.exit(main())
