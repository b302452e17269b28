"""The OpenAPI document covers every route; queued SMS reach the outbox through the consumer;
every SQS consumer reports its failed records alone (partial batch responses), and the local
pump deletes the others."""

from __future__ import annotations

import io
import json
import logging
import re
from pathlib import Path
from typing import Any

import pytest

from chalicelib.deps import Container
from tests.conftest import ApiClient, body


def test_openapi_is_a_valid_3_1_document_covering_every_route(api: ApiClient) -> None:
    from openapi_spec_validator import validate

    from app import app

    response = api.get("/openapi.json")
    assert response.status_code == 200
    document = body(response)
    validate(document)
    assert document["openapi"] == "3.1.0"
    documented = {
        (path, method.upper()) for path, ops in document["paths"].items() for method in ops
    }
    routed = {
        (path, method)
        for path, methods in app.routes.items()
        for method, entry in methods.items()
        if not entry.view_name.startswith("not_")
    }
    assert routed == documented
    # Two models of one name would be written module__path__Name: a generated client then
    # finds "conflicting" schemas and drops every operation that uses them.
    assert [n for n in document["components"]["schemas"] if "__" in n] == []
    # A bound pydantic could not place (behind a validator in a union) is written as its
    # keyword (ge, le …), which JSON Schema ignores: the document would accept what we refuse.
    text = json.dumps(document)
    assert not re.search(r'"(ge|le|gt|lt)": [0-9-]', text)


def test_openapi_states_each_routes_auth_and_schemas(api: ApiClient) -> None:
    document = body(api.get("/openapi.json"))
    put = document["paths"]["/admin/services/{code}"]["put"]
    assert put["security"] == [{"staffSigV4": []}]
    assert put["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "ServiceItemEdit"
    )
    assert {"401", "403", "404", "409", "412", "422"} <= set(put["responses"])
    assert put["x-staff-policy"] == "the catalogue administrator"
    assert "If-Match" in {p["name"] for p in put["parameters"]}
    assert document["paths"]["/me"]["get"]["security"] == [{"citizenToken": []}]
    assert document["paths"]["/services"]["get"]["security"] == []
    params = {p["name"] for p in document["paths"]["/services"]["get"]["parameters"]}
    assert params == {"county", "type", "department", "q", "limit", "cursor"}
    county = next(
        p for p in document["paths"]["/services"]["get"]["parameters"] if p["name"] == "county"
    )
    assert county["required"] is True  # catalogues are each county's
    cursor = next(
        p for p in document["paths"]["/services"]["get"]["parameters"] if p["name"] == "cursor"
    )
    assert cursor["schema"]["pattern"] and "null" not in json.dumps(cursor["schema"])
    path = document["paths"]["/applications/{id}"]["get"]["parameters"]
    assert path[0]["schema"]["pattern"].startswith("^[0-7]")
    created = document["paths"]["/applications"]["post"]
    assert created["responses"]["201"]["headers"]["Location"]["required"] is True
    assert "Idempotency-Key" in {p["name"] for p in created["parameters"]}
    triage = document["paths"]["/admin/requests/{id}/triage"]["post"]["requestBody"]
    assert "discriminator" in json.dumps(document["components"]["schemas"]["TriageRequest"])
    assert triage["content"]["application/json"]["schema"]["$ref"].endswith("TriageRequest")
    assert "head" in document["paths"]["/services/{code}"]
    schemas = document["components"]["schemas"]
    assert schemas["ServiceItemEdit"]["additionalProperties"] is False
    assert "Problem" in schemas


def test_the_sms_consumer_appends_to_the_outbox(
    deps: Container, aws: Any, provisioned: Any, seeded: Any, tmp_path: Path
) -> None:
    """POST /auth/otp enqueues; the pump delivers to `deliver_sms`, which writes the outbox."""
    from app import app
    from chalicelib.services.auth import CitizenAuth
    from chalicelib.store.identity import CitizenStore, OtpStore
    from chalicelib.store.sms import QueuedDispatch
    from devstack.pump import EventPump

    outbox = tmp_path / "outbox.jsonl"
    deps.settings = deps.settings.model_copy(update={"outbox_path": str(outbox)})
    auth = CitizenAuth(
        OtpStore(deps.table),
        CitizenStore(deps.table),
        QueuedDispatch(aws, provisioned.queue_urls["sms"]),
        deps.tokens,
        deps.signing_keys,
        deps.settings,
        deps.clock,
        deps.reference,
    )
    auth.send_code("13953700001", "203.0.113.7")
    assert not outbox.exists()
    pump = EventPump(
        app, aws, {"bianmin-test-sms": provisioned.queue_urls["sms"]}, region="cn-north-1"
    )
    assert pump.drain() == 1
    lines = [json.loads(line) for line in outbox.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 1
    assert lines[0]["phone"] == "13953700001" and lines[0]["code"] in lines[0]["text"]
    # A sign-in is the platform's, not a county's: the platform's approved signature.
    assert lines[0]["rendered"].startswith("【济宁便民】验证码")
    assert pump.drain() == 0  # delivered messages are deleted


def test_a_failing_record_is_left_for_retry_and_the_others_are_deleted(
    deps: Container, aws: Any, provisioned: Any, tmp_path: Path
) -> None:
    """The pump honours the consumers' partial batch responses as Lambda does: the record
    the consumer reports failed stays on the queue (in flight, back after the visibility
    timeout), the one it handled is deleted."""
    from app import app
    from chalicelib.domain.sms import SmsMessage
    from devstack.pump import EventPump

    deps.settings = deps.settings.model_copy(update={"outbox_path": str(tmp_path / "o.jsonl")})
    sqs = aws.client("sqs")
    url = provisioned.queue_urls["sms"]
    sqs.send_message(QueueUrl=url, MessageBody='{"phone": "bad"}')
    good = SmsMessage.sign_in_code("13953700001", "济宁便民", "123456", 5)
    sqs.send_message(QueueUrl=url, MessageBody=good.model_dump_json())
    pump = EventPump(app, aws, {"bianmin-test-sms": url}, region="cn-north-1")
    assert pump.drain() == 1  # the good one, delivered and deleted
    assert (tmp_path / "o.jsonl").read_text(encoding="utf-8").count("\n") == 1
    attributes = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "1"  # the bad one
    assert attributes["ApproximateNumberOfMessages"] == "0"


@pytest.mark.parametrize(
    ("consumer", "handled"),
    [
        ("deliver_sms", None),  # filled in below: a valid message
        ("scan_documents", '{"Event": "s3:TestEvent"}'),
        ("review_events", '{"type": "nothing_to_do"}'),
    ],
)
def test_every_sqs_consumer_reports_only_its_failed_records_by_message_id(
    deps: Container, tmp_path: Path, consumer: str, handled: str | None
) -> None:
    from app import app
    from chalicelib.domain.sms import SmsMessage
    from chalicelib.observability import logger
    from devstack.pump import _Context

    deps.settings = deps.settings.model_copy(update={"outbox_path": str(tmp_path / "o.jsonl")})
    good = (
        handled or SmsMessage.sign_in_code("13953700001", "济宁便民", "123456", 5).model_dump_json()
    )
    bodies = {"m-1": good, "m-2": "not json {13953700001}", "m-3": good}
    records = [
        {"messageId": mid, "receiptHandle": f"r{mid}", "body": b} for mid, b in bodies.items()
    ]
    lines = io.StringIO()
    handler = logging.StreamHandler(lines)
    handler.setFormatter(logger.registered_formatter)
    logger.addHandler(handler)
    try:
        answer = app.handler_map[consumer]({"Records": records}, _Context())
    finally:
        logger.removeHandler(handler)
    assert answer == {"batchItemFailures": [{"itemIdentifier": "m-2"}]}
    logged = [json.loads(line) for line in lines.getvalue().splitlines()]
    [failure] = [line for line in logged if line["level"] == "ERROR"]
    assert failure["message_id"] == "m-2"  # named by its id …
    assert "13953700001" not in lines.getvalue()  # … never by its body


def test_a_consumer_short_of_time_leaves_the_rest_of_the_batch_for_later(deps: Container) -> None:
    from app import app
    from devstack.pump import _Context

    class Late(_Context):
        def get_remaining_time_in_millis(self) -> int:
            return 3_000

    records = [{"messageId": "m-1", "receiptHandle": "r1", "body": '{"type": "none"}'}]
    answer = app.handler_map["review_events"]({"Records": records}, Late())
    assert answer == {"batchItemFailures": [{"itemIdentifier": "m-1"}]}
