"""Texts go out through Tencent Cloud SMS: the API queues them, the `deliver_sms` consumer
sends each with the official SDK to a local fake of Tencent's API (tests/support/
tencent_sms.py: TC3 signature checked, answers scripted), with the approved signature and
template. What its recipient cannot have is dropped, what an operator must fix first is
parked on the dead-letter queue at once; what may pass later is reported as that record's
failure and delivered again. No log line carries a code
or a whole phone number. Tencent's status reports move a sent text to delivered or failed; the quiet
hours are checked again as a text goes out."""

from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib import resources
from chalicelib.clock import FixedClock
from chalicelib.deps import Container
from chalicelib.domain.sms import NoticeRef, SmsMessage, SmsPurpose, SmsRefused
from chalicelib.settings import Settings
from chalicelib.store.sms import QueuedDispatch
from chalicelib.store.tencent_sms import TencentSmsSender
from tests.conftest import STAGE, ApiClient, body
from tests.support.requests import act, file
from tests.support.tencent_sms import SECRET_ID, SECRET_KEY, FakeTencentSms

APP_ID = "1400000001"
TEMPLATES = {
    "otp": "100001",
    "request_refused": "100002",
    "request_resolved": "100003",
    "request_received": "100004",
}
CITIZEN = "13953700001"
CREDENTIALS = "bianmin/test/sms-credentials"
CALLBACK_SECRET = "bianmin/test/sms-callback"
CALLBACK_KEY = "k3yOfTheStatusCallbackUrl0123456789abcd"


@pytest.fixture
def tencent() -> Iterator[FakeTencentSms]:
    with FakeTencentSms() as fake:
        yield fake


@pytest.fixture
def dead_letter_url(aws: Any, provisioned: Any) -> str:
    name = resources.dead_letter_queue_name(STAGE, "sms")
    return str(aws.client("sqs").get_queue_url(QueueName=name)["QueueUrl"])


@pytest.fixture
def settings(
    settings: Settings, aws: Any, tencent: FakeTencentSms, dead_letter_url: str
) -> Settings:
    """The test stage's settings with Tencent Cloud SMS behind the queue (its fake)."""
    pair = {"secret_id": SECRET_ID, "secret_key": SECRET_KEY}
    aws.client("secretsmanager").create_secret(Name=CREDENTIALS, SecretString=json.dumps(pair))
    callback = {"callback_key": CALLBACK_KEY}
    aws.client("secretsmanager").create_secret(
        Name=CALLBACK_SECRET, SecretString=json.dumps(callback)
    )
    return settings.model_copy(
        update={
            "sms_backend": "tencent",
            "sms_sdk_app_id": APP_ID,
            "sms_templates": TEMPLATES,
            "sms_credentials_secret_id": CREDENTIALS,
            "sms_endpoint": tencent.url,
            "sms_dead_letter_url": dead_letter_url,
            "sms_timeout_seconds": 1,
            "sms_callback_secret_id": CALLBACK_SECRET,
        }
    )


@pytest.fixture
def sms(aws: Any, provisioned: Any) -> QueuedDispatch:
    """The real queue, not a recording: what the API sends goes through `deliver_sms`."""
    return QueuedDispatch(aws, provisioned.queue_urls["sms"])


@pytest.fixture
def sms_pump(deps: Any, aws: Any, provisioned: Any) -> Any:
    """The SMS queue's pump alone (the S3 test event on the documents' queue is no SMS),
    delivering to the app with the test container (Tencent behind the queue)."""
    from app import app
    from devstack.pump import EventPump

    name = resources.queue_name(STAGE, "sms")
    return EventPump(app, aws, {name: provisioned.queue_urls["sms"]}, region=aws_region(aws))


def aws_region(aws: Any) -> str:
    return str(aws.client("sqs").meta.region_name)


def sign_in(api: ApiClient, pump: Any, tencent: FakeTencentSms, phone: str = CITIZEN) -> str:
    assert api.post("/auth/otp", json_body={"phone": phone}).status_code == 202
    pump.drain()
    code = tencent.sent()[-1]["TemplateParamSet"][0]
    response = api.post("/auth/token", json_body={"phone": phone, "code": code})
    assert response.status_code == 200, response.body
    return str(body(response)["access_token"])


def queue_counts(aws: Any, url: str) -> tuple[int, int]:
    """(visible, in flight) messages of the queue at `url`."""
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    got = aws.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=names)
    return int(got["Attributes"][names[0]]), int(got["Attributes"][names[1]])


def parked(aws: Any, dead_letter_url: str) -> list[tuple[str, str]]:
    """(error code, phone) of each message on the dead-letter queue."""
    answer = aws.client("sqs").receive_message(
        QueueUrl=dead_letter_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
    )
    return sorted(
        (m["MessageAttributes"]["ErrorCode"]["StringValue"], json.loads(m["Body"])["phone"])
        for m in answer.get("Messages", [])
    )


def test_a_sign_in_code_goes_out_with_the_platforms_signature_and_the_otp_template(
    api: ApiClient, sms_pump: Any, tencent: FakeTencentSms
) -> None:
    assert api.post("/auth/otp", json_body={"phone": CITIZEN}).status_code == 202
    assert tencent.sent() == []  # the API only queues it
    assert sms_pump.drain() == 1
    [sent] = tencent.sent()
    code = sent["TemplateParamSet"][0]
    assert sent == {
        "SmsSdkAppId": APP_ID,
        "SignName": "济宁便民",  # the platform's: a sign-in is no county's
        "TemplateId": TEMPLATES["otp"],
        "TemplateParamSet": [code, "5"],  # the code, its minutes
        "PhoneNumberSet": ["+86" + CITIZEN],
    }
    assert tencent.refused == []  # signed as Tencent checks it (TC3-HMAC-SHA256)
    assert tencent.requests[0].headers["x-tc-region"] == "ap-guangzhou"
    # The code the text carried is the code that signs in.
    token = api.post("/auth/token", json_body={"phone": CITIZEN, "code": code})
    assert token.status_code == 200


def test_a_countys_notice_goes_out_with_the_countys_signature(
    api: ApiClient, sms_pump: Any, pump: Any, tencent: FakeTencentSms
) -> None:
    filed = file(api, sign_in(api, sms_pump, tencent))
    path = f"/admin/requests/{filed['request_id']}/triage"
    act(api, "wenshang-dispatcher", path, {"action": "not_accept", "reason": "属于司法程序事项"})
    # The change feed tells the filer (received, then refused): the notifier queues the texts.
    pump.drain()
    received, notice = tencent.sent()[-2:]
    assert received["TemplateId"] == TEMPLATES["request_received"]
    assert notice["SignName"] == "汶上便民"  # the county's own approved signature
    assert notice["TemplateId"] == TEMPLATES["request_refused"]
    # The filing date and the number's sequence name the request; the reason stays out.
    assert notice["TemplateParamSet"] == ["11月27日", filed["number"][-6:]]
    assert notice["PhoneNumberSet"] == ["+86" + CITIZEN]


def test_a_per_phone_limit_and_an_invalid_number_are_dropped_an_unapproved_template_parked(
    aws: Any,
    sms_pump: Any,
    tencent: FakeTencentSms,
    sms: QueuedDispatch,
    provisioned: Any,
    dead_letter_url: str,
) -> None:
    tencent.script("LimitExceeded.PhoneNumberOneHourLimit", phone="13953700011")  # a status
    tencent.script(error="InvalidParameterValue.IncorrectPhoneNumber", phone="13953700012")
    tencent.script("FailedOperation.TemplateIncorrectOrUnapproved", phone="13953700014")
    for phone in ("13953700011", "13953700012", "13953700013", "13953700014"):
        sms.dispatch(SmsMessage.sign_in_code(phone, "济宁便民", "123456", 5))
    assert sms_pump.drain() == 4  # all four are done with: deleted from the queue
    assert queue_counts(aws, provisioned.queue_urls["sms"]) == (0, 0)
    # Only what an operator can fix waits for them (a replay sends it once they have): the
    # recipients' refusals are counted and dropped, and their dead-letter alarm stays quiet.
    assert parked(aws, dead_letter_url) == [
        ("FailedOperation.TemplateIncorrectOrUnapproved", "13953700014"),
    ]
    assert len(tencent.requests) == 4  # each tried once


def test_a_notice_without_a_configured_template_is_not_sent_a_code_without_one_is_parked(
    aws: Any,
    sms_pump: Any,
    tencent: FakeTencentSms,
    sms: QueuedDispatch,
    dead_letter_url: str,
) -> None:
    """A county goes live with the templates it has had approved: a notice kind it has none
    for is simply not texted (the inbox carries it); a stage without a code template cannot
    sign anyone in, which an operator must fix."""
    assert "request_assigned" not in TEMPLATES
    notice = SmsPurpose.REQUEST_ASSIGNED
    sms.dispatch(SmsMessage.request_notice(CITIZEN, "汶上便民", notice, "SQ20261127-000123"))
    assert sms_pump.drain() == 1
    assert tencent.requests == [] and parked(aws, dead_letter_url) == []
    unconfigured = {k: v for k, v in TEMPLATES.items() if k != "otp"}
    sender = TencentSmsSender(None, app_id=APP_ID, templates=unconfigured)  # type: ignore[arg-type]
    with pytest.raises(SmsRefused) as refused:  # refused before anything reaches Tencent
        sender.deliver(SmsMessage.sign_in_code(CITIZEN, "济宁便民", "123456", 5))
    assert refused.value.code == "Bianmin.TemplateNotConfigured"


def test_an_internal_error_or_a_timeout_is_retried_and_the_others_succeed(
    aws: Any,
    sms_pump: Any,
    tencent: FakeTencentSms,
    sms: QueuedDispatch,
    provisioned: Any,
    dead_letter_url: str,
) -> None:
    tencent.script(error="InternalError.Timeout", phone="13953700021")
    tencent.script(delay=2, phone="13953700022")  # longer than the sender waits (1 s)
    tencent.script(error="LimitExceeded.AppDailyLimit", phone="13953700023")  # the app's
    for phone in ("13953700021", "13953700022", "13953700023", "13953700024"):
        sms.dispatch(SmsMessage.sign_in_code(phone, "济宁便民", "123456", 5))
    assert sms_pump.drain() == 1  # only the fourth was sent and deleted
    assert queue_counts(aws, provisioned.queue_urls["sms"]) == (0, 3)  # back after the timeout
    assert parked(aws, dead_letter_url) == []


def test_the_consumer_reports_exactly_the_records_to_deliver_again(
    tencent: FakeTencentSms, deps: Any
) -> None:
    from app import app
    from devstack.pump import _Context

    tencent.script(error="InternalError.SendAndRecvFail", phone="13953700032")
    tencent.script(error="FailedOperation.TemplateIncorrectOrUnapproved", phone="13953700033")
    messages = [
        SmsMessage.sign_in_code(f"1395370003{n}", "济宁便民", "123456", 5) for n in (1, 2, 3)
    ]
    records = [
        {"messageId": f"m-{n}", "receiptHandle": f"r-{n}", "body": m.model_dump_json()}
        for n, m in enumerate(messages, start=1)
    ]
    records.append({"messageId": "m-4", "receiptHandle": "r-4", "body": "not an SMS"})
    answer = app.handler_map["deliver_sms"]({"Records": records}, _Context())
    # The unapproved template is parked (not delivered again); the internal error and the
    # malformed body are.
    assert answer == {"batchItemFailures": [{"itemIdentifier": "m-2"}, {"itemIdentifier": "m-4"}]}


def test_a_rotated_key_is_read_again_after_an_authentication_failure(
    aws: Any, sms_pump: Any, tencent: FakeTencentSms, sms: QueuedDispatch, provisioned: Any
) -> None:
    sms.dispatch(SmsMessage.sign_in_code(CITIZEN, "济宁便民", "123456", 5))
    assert sms_pump.drain() == 1
    rotated = {"secret_id": "AKIDrotated", "secret_key": "rotated-key"}
    aws.client("secretsmanager").put_secret_value(
        SecretId=CREDENTIALS, SecretString=json.dumps(rotated)
    )
    tencent.secrets = {rotated["secret_id"]: rotated["secret_key"]}
    visible_again_soon(aws, provisioned)
    sms.dispatch(SmsMessage.sign_in_code(CITIZEN, "济宁便民", "654321", 5))
    assert sms_pump.drain() == 0  # the old key is refused: delivered again later …
    assert tencent.refused == ["AuthFailure.SecretIdNotFound"]
    assert after_the_visibility_timeout(sms_pump) == 1
    assert tencent.sent()[-1]["TemplateParamSet"] == ["654321", "5"]  # … with the new key


def test_texts_wait_on_the_queue_until_the_key_pair_is_filled_in(
    aws: Any,
    sms_pump: Any,
    tencent: FakeTencentSms,
    sms: QueuedDispatch,
    provisioned: Any,
    dead_letter_url: str,
) -> None:
    secrets = aws.client("secretsmanager")
    # A stage just deployed: the template made the secret, nobody has filled it in yet.
    secrets.put_secret_value(
        SecretId=CREDENTIALS, SecretString=json.dumps({"secret_id": "", "secret_key": ""})
    )
    visible_again_soon(aws, provisioned)
    sms.dispatch(SmsMessage.sign_in_code(CITIZEN, "济宁便民", "123456", 5))
    assert sms_pump.drain() == 0  # not sent, not parked: delivered again …
    assert tencent.requests == [] and parked(aws, dead_letter_url) == []
    pair = {"secret_id": SECRET_ID, "secret_key": SECRET_KEY}
    secrets.put_secret_value(SecretId=CREDENTIALS, SecretString=json.dumps(pair))
    assert after_the_visibility_timeout(sms_pump) == 1  # … and sent once it is filled in
    assert tencent.sent()[-1]["TemplateParamSet"] == ["123456", "5"]


VISIBILITY_SECONDS = 2


def visible_again_soon(aws: Any, provisioned: Any) -> None:
    """A failed message comes back on the SMS queue after seconds, not a minute."""
    aws.client("sqs").set_queue_attributes(
        QueueUrl=provisioned.queue_urls["sms"],
        Attributes={"VisibilityTimeout": str(VISIBILITY_SECONDS)},
    )


def after_the_visibility_timeout(pump: Any) -> int:
    time.sleep(VISIBILITY_SECONDS + 0.2)
    return int(pump.drain())


def test_no_log_line_carries_a_code_or_a_phone_number(
    api: ApiClient,
    aws: Any,
    sms_pump: Any,
    provisioned: Any,
    tencent: FakeTencentSms,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from chalicelib.observability import logger

    visible_again_soon(aws, provisioned)
    caplog.set_level(logging.DEBUG)  # every library's records (Tencent's SDK's, HTTP's …)
    ours = io.StringIO()  # the app's lines as Powertools writes them (JSON, extra keys)
    handler = logging.StreamHandler(ours)
    handler.setFormatter(logger.registered_formatter)
    level = logger.log_level
    logger.addHandler(handler)
    logger.setLevel("DEBUG")
    try:
        assert api.post("/auth/otp", json_body={"phone": "13953700002"}).status_code == 202
        assert sms_pump.drain() == 1  # delivered
        tencent.script(error="InternalError.Timeout")  # failed, to be delivered again
        assert api.post("/auth/otp", json_body={"phone": CITIZEN}).status_code == 202
        assert sms_pump.drain() == 0
        tencent.script("LimitExceeded.PhoneNumberDailyLimit")  # then refused and dropped
        assert after_the_visibility_timeout(sms_pump) == 1
    finally:
        logger.setLevel(level)
        logger.removeHandler(handler)
    codes = [sent["TemplateParamSet"][0] for sent in tencent.sent()]
    # Every record but botocore's: its DEBUG wire log (each AWS request, the table's keys
    # name phones) is the AWS SDK's, never on deployed (Lambda's root logger is at WARNING).
    records = [r for r in caplog.records if not r.name.startswith("botocore")]
    logged = ours.getvalue() + "\n".join(r.getMessage() for r in records)
    for shown in ("139****0002", "139****0001", "InternalError.Timeout", "PhoneNumberDailyLimit"):
        assert shown in ours.getvalue()  # each outcome was logged, with what may be shown
    assert CITIZEN not in logged and "13953700002" not in logged
    assert not [code for code in codes if code in logged]


def test_a_sign_in_code_late_on_the_queue_is_dropped_not_sent(
    api: ApiClient,
    sms_pump: Any,
    tencent: FakeTencentSms,
    clock: Any,
    aws: Any,
    dead_letter_url: str,
    settings: Settings,
) -> None:
    """A code that waited past its expiry (the provider down for a while, or replayed from
    the dead letters later) would only confuse its reader: delivery drops it."""
    assert api.post("/auth/otp", json_body={"phone": CITIZEN}).status_code == 202
    clock.advance(seconds=settings.otp_ttl_seconds)
    assert sms_pump.drain() == 1  # handled: taken off the queue …
    assert tencent.requests == [] and parked(aws, dead_letter_url) == []  # … and not sent
    clock.advance(seconds=settings.otp_resend_seconds)
    assert api.post("/auth/otp", json_body={"phone": "13953700002"}).status_code == 202
    assert sms_pump.drain() == 1
    assert len(tencent.sent()) == 1  # a fresh code goes out at once


# ---- what became of a text: Tencent's status reports, and the quiet hours at send time


@pytest.fixture
def feed_pump(deps: Container, aws: Any, provisioned: Any) -> Any:
    """The change feed and the notifier, not the SMS sender: texts stay on the queue."""
    from app import app
    from chalicelib import resources
    from devstack.pump import EventPump

    name = resources.queue_name("test", "notifications")
    urls = {name: provisioned.queue_urls["notifications"]}
    region = str(aws.client("sqs").meta.region_name)
    return EventPump(app, aws, urls, region=region, table_name=provisioned.table)


def the_notice(deps: Container, citizen: str) -> Any:
    page = deps.notification_store.page(citizen, 10, None)
    (notice,) = [n for n in page.items if n.kind.value == "request_received"]
    return notice


def report(sid: str, status: str = "SUCCESS", errmsg: str = "DELIVRD") -> dict[str, str]:
    return {
        "user_receive_time": "2026-11-27 10:03:04",
        "nationcode": "86",
        "mobile": CITIZEN,
        "report_status": status,
        "errmsg": errmsg,
        "description": "用户短信送达成功",
        "sid": sid,
    }


def figures(api: ApiClient) -> dict[str, int]:
    got = api.get(
        "/admin/notification-stats?county=370830&from=2026-11-27&to=2026-11-27",
        profile="county-leader",
    )
    return dict(body(got)["days"][0]["counts"])


def test_a_text_is_sent_then_delivered_by_tencents_report_counted_once(
    api: ApiClient,
    pump: Any,
    sms_pump: Any,
    tencent: FakeTencentSms,
    deps: Container,
) -> None:
    token = sign_in(api, sms_pump, tencent)
    file(api, token)
    pump.drain()
    sms_pump.drain()
    owner = body(api.get("/me/notifications", token=token))["items"][0]
    assert owner["channels"]["sms"] == "sent"
    stored = the_notice(deps, _me(deps))
    serial = stored.channels["sms"].provider_id
    assert serial  # Tencent's SerialNo, recorded with the notification

    for _ in range(2):  # Tencent may report twice: one move, one count
        answer = api.post(f"/callbacks/tencent-sms/{CALLBACK_KEY}", json_body=[report(serial)])
        assert answer.status_code == 200 and body(answer) == {"result": 0, "errmsg": "OK"}
    assert body(api.get("/me/notifications", token=token))["items"][0]["channels"]["sms"] == (
        "delivered"
    )
    counts = figures(api)
    assert counts["sms_sent"] >= 1 and counts["sms_delivered"] == 1

    wrong = api.post("/callbacks/tencent-sms/not-the-key-0123456789", json_body=[report(serial)])
    assert wrong.status_code == 404
    # the key is checked before the body: a stranger learns nothing of its shape
    assert api.post("/callbacks/tencent-sms/x", json_body={"a": 1}).status_code == 404
    bad = api.post(f"/callbacks/tencent-sms/{CALLBACK_KEY}", json_body=[{"sid": serial}])
    assert bad.status_code == 422 and "report_status" in bad.body.decode()


def test_a_report_before_the_serial_is_recorded_is_applied_when_it_is(
    api: ApiClient,
    pump: Any,
    sms_pump: Any,
    tencent: FakeTencentSms,
    deps: Container,
) -> None:
    token = sign_in(api, sms_pump, tencent)
    file(api, token)
    pump.drain()
    notice = the_notice(deps, _me(deps))
    # As the sender finds it before Tencent answers: queued, its serial not known yet.
    deps.notification_store.mark(notice.citizen_id, notice.notification_id, "sms", "queued")
    # The report of a serial not yet recorded (it raced the sender): kept, then applied.
    ledger = deps.delivery_ledger
    assert ledger.receipt("sms", "early-serial-0001", False, "UNDELIV") is None
    ref = NoticeRef(
        citizen_id=notice.citizen_id, notification_id=notice.notification_id, county="370830"
    )
    ledger.provider_took(ref, "sms", "early-serial-0001")
    again = the_notice(deps, notice.citizen_id).channels["sms"]
    assert again.status.value == "failed" and again.reason == "UNDELIV"


def test_a_notice_found_on_the_queue_in_quiet_hours_is_held_not_sent(
    api: ApiClient,
    feed_pump: Any,
    sms_pump: Any,
    tencent: FakeTencentSms,
    deps: Container,
    clock: FixedClock,
) -> None:
    clock.set(datetime(2026, 11, 27, 12, 50, tzinfo=UTC))  # 20:50 Beijing: the text is queued
    token = sign_in(api, sms_pump, tencent)  # a sign-in code is sent at any hour
    file(api, token)
    feed_pump.drain()
    before = len(tencent.sent())
    clock.set(datetime(2026, 11, 27, 14, 0, tzinfo=UTC))  # 22:00: the sender gets to it
    sms_pump.drain()
    assert len(tencent.sent()) == before  # not sent at night
    notice = the_notice(deps, _me(deps))
    assert notice.channels["sms"].status.value == "held"
    clock.set(datetime(2026, 11, 28, 0, 5, tzinfo=UTC))  # 08:05
    assert deps.held_texts.release() == 1
    sms_pump.drain()
    assert len(tencent.sent()) == before + 1
    assert the_notice(deps, notice.citizen_id).channels["sms"].status.value == "sent"


def _me(deps: Container) -> str:
    from chalicelib.store.identity import CitizenStore

    citizen = CitizenStore(deps.table).by_phone(CITIZEN)
    assert citizen is not None
    return citizen.citizen_id


def test_a_notice_text_delivered_twice_by_the_queue_is_sent_once(
    api: ApiClient, feed_pump: Any, sms_pump: Any, tencent: FakeTencentSms, aws: Any
) -> None:
    token = sign_in(api, sms_pump, tencent)
    file(api, token)
    feed_pump.drain()
    url = aws.client("sqs").get_queue_url(QueueName=resources.queue_name(STAGE, "sms"))["QueueUrl"]
    (queued,) = aws.client("sqs").receive_message(QueueUrl=url, VisibilityTimeout=0)["Messages"]
    aws.client("sqs").send_message(QueueUrl=url, MessageBody=queued["Body"])  # a duplicate
    before = len(tencent.sent())
    sms_pump.drain()
    assert len(tencent.sent()) == before + 1
