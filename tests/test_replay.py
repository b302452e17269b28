"""A dead-letter queue replays into the queue its messages came from (the China regions
have no console redrive): each message sent back with its attributes, then removed; a dry
run moves nothing; the stream-failure queue is not replayed but repaired."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from chalicelib import resources
from infra import replay


@pytest.fixture
def sqs() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("sqs", region_name="cn-north-1")
        for name in (
            resources.queue_name("prod", "sms"),
            resources.dead_letter_queue_name("prod", "sms"),
        ):
            client.create_queue(QueueName=name)
        yield client


def bodies(sqs: Any, url: str) -> list[str]:
    found = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"])
    return sorted(m["Body"] for m in found.get("Messages", []))


def test_a_dead_letter_queue_goes_back_to_its_source(sqs: Any) -> None:
    source, dead = replay.queue_urls(sqs, "prod", "sms")
    for n in range(3):
        sqs.send_message(
            QueueUrl=dead,
            MessageBody=f'{{"n": {n}}}',
            MessageAttributes={"error": {"DataType": "String", "StringValue": "LimitExceeded"}},
        )
    said: list[str] = []
    assert replay.replay(sqs, source, dead, dry_run=True, say=said.append) == 3
    assert bodies(sqs, source) == []  # a dry run moves nothing
    assert replay.replay(sqs, source, dead, say=said.append) == 3
    moved = sqs.receive_message(
        QueueUrl=source, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
    )
    assert sorted(m["Body"] for m in moved["Messages"]) == ['{"n": 0}', '{"n": 1}', '{"n": 2}']
    assert moved["Messages"][0]["MessageAttributes"]["error"]["StringValue"] == "LimitExceeded"
    assert bodies(sqs, dead) == []
    assert said[-1] == "replayed 3 message(s)"


def test_at_most_as_many_as_asked(sqs: Any) -> None:
    source, dead = replay.queue_urls(sqs, "prod", "sms")
    for n in range(5):
        sqs.send_message(QueueUrl=dead, MessageBody=str(n))
    assert replay.replay(sqs, source, dead, most=2, say=lambda _: None) == 2


def test_the_stream_failure_queue_is_repaired_not_replayed() -> None:
    assert replay.main(["--stage", "prod", "--queue", "stats-stream"]) == 2
