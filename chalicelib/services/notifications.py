"""The notifier: the table's change feed forwards each new timeline event the applicant cares
about to the `notifications` queue (`NotificationFeed`); its consumer (`Notifier.handle`)
tells each recipient — the applicant, and each agent an application's applicant granted —
on each channel, once. Channels are a port (`NotificationChannel`): the in-app inbox and SMS
(through the SMS port) implement it; a WeChat channel is one more class with `deliver`.

Exactly once per (event, recipient, channel): the notification is keyed by the event id and
written only if absent, in one transaction with its unread count, its figures and its held
SMS; only the delivery that wrote it queues its SMS (a failure to queue undoes the write, so
the redelivered event does it all again). A redelivered event finds it and does nothing.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from chalicelib.clock import Clock
from chalicelib.domain.application import Application
from chalicelib.domain.calendar import beijing_date
from chalicelib.domain.moves import TimelineEvent
from chalicelib.domain.notifications import (
    Channel,
    ChannelDelivery,
    DeliveryStatus,
    KindRule,
    Notification,
    NotificationKind,
    NotificationPreferences,
    TemplateBook,
    in_quiet_hours,
    kind_of,
    quiet_hours_end,
    render,
)
from chalicelib.domain.request import ServiceRequest
from chalicelib.domain.sms import TEMPLATE_VERSIONS, SmsMessage
from chalicelib.observability import logger, metrics
from chalicelib.services.notification_values import template_values
from chalicelib.services.reference import ReferenceData
from chalicelib.services.sms import SmsDispatch
from chalicelib.store.identity import CitizenStore
from chalicelib.store.notifications import NotificationStore

Case = Application | ServiceRequest
NOTIFIED_EVENTS = frozenset(
    {"submitted", "accepted", "not_accepted", "supplement_requested", "review_started"}
    | {"approved", "denied", "issued", "completed", "rectified", "assigned", "replied"}
    | {"resolved"}
)


class NotificationQueue(Protocol):
    def send(self, body: str) -> None: ...


class NotificationFeed:
    """The change feed's side: each inserted timeline event of a case that may concern its
    applicant goes on the notifications queue (a redelivered one too: the notifier dedupes)."""

    def __init__(self, queue: NotificationQueue | None) -> None:
        self._queue = queue

    def forward(self, records: Iterable[tuple[str, dict[str, Any] | None]]) -> int:
        """(event name, new image) of each stream record; returns how many were forwarded."""
        if self._queue is None:
            return 0
        sent = 0
        for name, new in records:
            if name != "INSERT" or not new:
                continue
            pk, sk = new.get("pk", {}).get("S", ""), new.get("sk", {}).get("S", "")
            if not (pk.startswith("CASE#") and sk.startswith("EV#")):
                continue
            if new.get("type", {}).get("S") not in NOTIFIED_EVENTS:
                continue
            self._queue.send(json.dumps({"case_id": pk[5:], "event_id": sk[3:]}))
            sent += 1
        return sent


@dataclass(frozen=True)
class Recipient:
    citizen_id: str
    role: str  # applicant | agent
    phone: str | None


@dataclass(frozen=True)
class Outgoing:
    """One notification being made: the record, and its SMS (to queue now or hold)."""

    notice: Notification
    sms: SmsMessage | None
    release_at: datetime | None


class NotificationChannel(Protocol):
    """A way of reaching a recipient. `deliver` decides how this channel carries the
    notification (and may send at once); the outcome is recorded on the notification."""

    channel: Channel

    def deliver(
        self, case: Case, kind: NotificationKind, rule: KindRule, to: Recipient, at: datetime
    ) -> tuple[ChannelDelivery, SmsMessage | None]: ...


class InboxChannel:
    channel = Channel.INBOX

    def __init__(self, book: TemplateBook, values: dict[str, str]) -> None:
        self._book, self._values = book, values

    def deliver(
        self, case: Case, kind: NotificationKind, rule: KindRule, to: Recipient, at: datetime
    ) -> tuple[ChannelDelivery, SmsMessage | None]:
        template = self._book.inbox_template(kind)
        return (
            ChannelDelivery(
                status=DeliveryStatus.DELIVERED,
                template_id=f"{kind.value}.inbox",
                template_version=template.version,
                text=render(template.text, self._values),
                at=at,
            ),
            None,
        )


class SmsChannel:
    """Texts through the SMS port: the kind's approved template, never free text; held in
    quiet hours unless the kind is urgent; not sent where the citizen opted out of a
    non-essential kind, or where no phone is known."""

    channel = Channel.SMS

    def __init__(self, signature: str, prefs: NotificationPreferences) -> None:
        self._signature, self._prefs = signature, prefs

    def deliver(
        self, case: Case, kind: NotificationKind, rule: KindRule, to: Recipient, at: datetime
    ) -> tuple[ChannelDelivery, SmsMessage | None]:
        base = {"template_id": f"{kind.value}.sms", "template_version": TEMPLATE_VERSIONS[kind]}
        message = (
            SmsMessage.request_notice(to.phone, self._signature, kind, case.number)
            if to.phone
            else None
        )
        text = message.text if message else ""
        if not self._prefs.wants(Channel.SMS, rule):
            return ChannelDelivery(status=DeliveryStatus.SKIPPED, text=text, at=at, **base), None
        if message is None:
            return ChannelDelivery(
                status=DeliveryStatus.FAILED, text=text, at=at, reason="no phone", **base
            ), None
        if in_quiet_hours(at) and not rule.urgent:
            release = quiet_hours_end(at)
            held = ChannelDelivery(
                status=DeliveryStatus.HELD, text=text, at=at, release_at=release, **base
            )
            return held, message
        return ChannelDelivery(status=DeliveryStatus.QUEUED, text=text, at=at, **base), message


class Notifier:
    def __init__(
        self,
        store: NotificationStore,
        citizens: CitizenStore,
        reference: ReferenceData,
        sms: SmsDispatch | None,
        book: TemplateBook,
        clock: Clock,
    ) -> None:
        self._store = store
        self._citizens = citizens
        self._reference = reference
        self._sms = sms
        self._book = book
        self._clock = clock

    def handle(self, body: str) -> int:
        """One forwarded event (`{"case_id", "event_id"}`): every recipient told on every
        channel, once. Returns how many notifications this call recorded."""
        message = json.loads(body)
        case = self._store.case(str(message["case_id"]))
        if case is None:
            return 0
        event = self._event(case, str(message["event_id"]))
        if event is None:
            return 0
        escalated = isinstance(case, ServiceRequest) and any(
            e.at < event.at for e in case.escalations
        )
        kind = kind_of(
            case.kind if isinstance(case, ServiceRequest) else "application", event.type, escalated
        )
        if kind is None:
            return 0
        recorded = 0
        for to in self._recipients(case):
            outgoing = self._make(case, event, kind, to)
            recorded += self._send(outgoing)
        return recorded

    def _event(self, case: Case, event_id: str) -> TimelineEvent | None:
        return self._store.event(_case_id(case), event_id)

    def _recipients(self, case: Case) -> list[Recipient]:
        if isinstance(case, ServiceRequest):
            phone = case.owner_phone or self._citizens.phone_of(case.owner_id)
            return [Recipient(case.owner_id, "applicant", phone)]
        owner = Recipient(case.owner_id, "applicant", self._citizens.phone_of(case.owner_id))
        agents = [
            Recipient(g.agent_id, "agent", self._citizens.phone_of(g.agent_id) or g.agent_phone)
            for g in case.agents
        ]
        return [owner, *agents]

    def _make(
        self, case: Case, event: TimelineEvent, kind: NotificationKind, to: Recipient
    ) -> Outgoing:
        county = self._reference.county_named(case.county, "jurisdiction")
        rule = self._book.rule(kind)
        prefs = self._store.preferences(to.citizen_id)
        values = template_values(case, event, county.name, self._book.samples)
        channels: list[NotificationChannel] = [
            InboxChannel(self._book, values),
            SmsChannel(county.sms_signature, prefs),
        ]
        deliveries: dict[Channel, ChannelDelivery] = {}
        sms: SmsMessage | None = None
        release: datetime | None = None
        # Quiet hours hold what goes out in them: an event of 20:59 handled at 21:05 (or
        # replayed from the dead letters at night) waits for the morning too.
        sending_at = max(event.at, self._clock.now())
        for channel in channels:
            delivery, message = channel.deliver(case, kind, rule, to, sending_at)
            deliveries[channel.channel] = delivery
            if message is not None:
                sms, release = message, delivery.release_at
        inbox = deliveries[Channel.INBOX]
        notice = Notification(
            notification_id=event.event_id,
            citizen_id=to.citizen_id,
            role=to.role,  # type: ignore[arg-type]
            case_kind="request" if isinstance(case, ServiceRequest) else "application",
            case_id=_case_id(case),
            case_number=case.number,
            county=case.county,
            kind=kind,
            title=self._book.inbox_template(kind).title,
            text=inbox.text,
            at=event.at,
            channels=deliveries,
        )
        return Outgoing(notice, sms, release)

    def _send(self, out: Outgoing) -> int:
        """Records the notification once, then queues its SMS at least once: the record says
        `pending` until the text is on the queue, so an event delivered again after a failure
        (or a crash) between the two queues it then; a record already past `pending` is a
        duplicate and does nothing."""
        notice = out.notice
        counts = {f"{c.value}_{d.status.value}": 1 for c, d in notice.channels.items()}
        held = out.sms if out.release_at is not None else None
        now_sms = out.sms if held is None else None
        if now_sms is not None:
            pending = notice.channels[Channel.SMS].model_copy(
                update={"status": DeliveryStatus.PENDING}
            )
            notice = notice.model_copy(
                update={"channels": {**notice.channels, Channel.SMS: pending}}
            )
        recorded = self._store.record(notice, held, out.release_at)
        if recorded:
            self._count(notice, counts)
        elif now_sms is None or not self._still_pending(notice):
            metrics.add_metric(name="NotificationDuplicate", unit="Count", value=1)
            return 0
        if now_sms is not None:
            if self._sms is None:
                raise RuntimeError("no SMS queue is configured")
            self._sms.dispatch(now_sms)  # raises: the event is delivered again, and queued then
            self._store.set_channel(
                notice.citizen_id, notice.notification_id, "sms", DeliveryStatus.QUEUED.value
            )
        if not recorded:
            return 0
        metrics.add_metric(name="NotificationSent", unit="Count", value=1)
        logger.info(
            "notified",
            extra={"kind": notice.kind.value, "case": notice.case_id, "role": notice.role},
        )
        return 1

    def _still_pending(self, notice: Notification) -> bool:
        stored = self._store.get(notice.citizen_id, notice.notification_id)
        sms = stored.channels.get(Channel.SMS) if stored else None
        return sms is not None and sms.status is DeliveryStatus.PENDING

    def _count(self, notice: Notification, counts: dict[str, int]) -> None:
        """The day's figures, outside the notification's transaction (a county's figure item
        in every one of them would make concurrent notifications cancel each other). Best
        effort: a failure here costs one count, never the notification."""
        try:
            key = f"{notice.citizen_id}#{notice.notification_id}"
            self._store.count(notice.county, beijing_date(notice.at), key, counts)
        except Exception:  # noqa: BLE001 - the notification is recorded; a figure is not worth a retry
            logger.exception("notification figures not counted")

    def release_held(self, budget_seconds: float = 12.0) -> int:
        """Queues every held SMS whose morning has come, county after county, until the time
        budget is spent (the next run goes on); returns how many. Each text is queued before
        its held item is deleted: a crash between the two sends it twice, never loses it."""
        now = self._clock.now()
        if in_quiet_hours(now) or self._sms is None:
            return 0
        stop = time.monotonic() + budget_seconds
        released = 0
        for county in sorted(self._reference.counties()):
            for held in self._store.due_held(county, now):
                if time.monotonic() > stop:
                    logger.info("held texts left for the next run", extra={"released": released})
                    return released
                self._sms.dispatch(held.message)
                if not self._store.take_held(held):
                    continue
                self._store.set_channel(
                    held.citizen_id, held.notification_id, "sms", DeliveryStatus.QUEUED.value
                )
                self._store.count(county, beijing_date(now), held.sk, {"sms_released": 1})
                released += 1
        return released


def _case_id(case: Case) -> str:
    return case.request_id if isinstance(case, ServiceRequest) else case.application_id
