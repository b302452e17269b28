"""What telling an applicant costs: for one timeline event and one recipient, the DynamoDB
calls and capacity the notifier spends per channel (inbox and SMS; WeChat instead of SMS),
a redelivered event, the SMS consumer's record of Tencent's acceptance, and a provider's
receipt. Measured on moto with the local fake of WeChat's API."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

from bench.harness import bench_stack

Row = tuple[str, Counter[str], float, float]  # what, calls, write units, read units
TEMPLATE = "bench-progress"


def measure() -> Iterator[Row]:
    from chalicelib.deps import container
    from devstack.metering import CallCounter, CapacityMeter
    from devstack.wechat_fake import FakeWeChat
    from tests.support.requests import street_light

    with bench_stack(execute_workflows=False) as stack, FakeWeChat(templates={TEMPLATE}) as fake:
        deps = container()
        counter = CallCounter(stack.clients.dynamodb)
        capacity = CapacityMeter(stack.clients.dynamodb)

        def counted(what: str, action: Any) -> Row:
            counter.reset()
            capacity.reset()
            action()
            return what, Counter(counter.calls), capacity.write_units, capacity.read_units

        def filed(phone: str) -> str:
            token = stack.citizen_token(phone)
            created, _ = stack.call("POST", "/requests", street_light(), token=token)
            event = stack_events(stack, created["request_id"])[0]
            return json.dumps({"case_id": created["request_id"], "event_id": event})

        notifier = deps.notifier
        notifier.handle(filed("13953700011"))  # warm: reference data, templates
        first = filed("13953700001")
        yield counted("event → inbox + SMS queued (one recipient)", lambda: notifier.handle(first))
        yield counted("the same event again (a redelivery)", lambda: notifier.handle(first))

        wechat_notifier = _with_wechat(deps, stack, fake)
        openid = "oBenchFollower0000000001"
        fake.follow(openid)
        _bind(deps, stack, "13953700002", openid)
        warm = filed("13953700012")  # the shared access token fetched and stored once
        _bind(deps, stack, "13953700012", "oBenchFollower0000000002")
        fake.follow("oBenchFollower0000000002")
        wechat_notifier.handle(warm)
        second = filed("13953700002")
        yield counted(
            "event → inbox + WeChat sent (text carried)", lambda: wechat_notifier.handle(second)
        )
        msg_id = str(fake.sent[-1]["msgid"])
        yield counted(
            "WeChat's TEMPLATESENDJOBFINISH receipt",
            lambda: deps.delivery_ledger.receipt("wechat", msg_id, True, "success"),
        )
        body = _queued_text(deps, stack, filed("13953700003"), notifier)
        yield counted(
            "SMS consumer: sent, SerialNo recorded", lambda: deps.sms_delivery.deliver(body)
        )


def stack_events(stack: Any, case_id: str) -> list[str]:
    from chalicelib.deps import container

    found = container().table.query(f"CASE#{case_id}", sk_prefix="EV#")
    return [str(item["sk"])[3:] for item in found.items]


def _with_wechat(deps: Any, stack: Any, fake: Any) -> Any:
    from chalicelib.services.notification_inbox import template_book
    from chalicelib.services.notifications import Notifier, WechatAccount
    from chalicelib.store.identity import CitizenStore
    from chalicelib.store.wechat import WechatApi, WechatSecrets

    name = "bianmin/bench/wechat"
    secret = json.dumps({"app_secret": fake.app_secret, "token": fake.token})
    stack.clients.client("secretsmanager").create_secret(Name=name, SecretString=secret)
    api = WechatApi(
        deps.table, WechatSecrets(stack.clients, name), app_id=fake.app_id, endpoint=fake.url
    )
    return Notifier(
        deps.notification_store,
        CitizenStore(deps.table),
        deps.reference,
        deps.sms_dispatch,
        template_book(),
        deps.clock,
        deps.delivery_ledger,
        deps.wechat_bindings,
        WechatAccount(api, TEMPLATE),
    )


def _bind(deps: Any, stack: Any, phone: str, openid: str) -> None:
    from chalicelib.domain.wechat import WechatBinding
    from chalicelib.store.identity import CitizenStore

    citizen = CitizenStore(deps.table).by_phone(phone)
    assert citizen is not None
    deps.wechat_bindings.bind(
        WechatBinding(citizen_id=citizen.citizen_id, openid=openid, bound_at=deps.clock.now())
    )


def _queued_text(deps: Any, stack: Any, event: str, notifier: Any) -> str:
    """The notice text the notifier queues for `event`, as the SMS queue would hand it over."""
    before = len(stack.sent)
    notifier.handle(event)
    message = stack.sent[before]
    return str(message.model_dump_json())
