"""The notifier: the table's change feed forwards each new timeline event the applicant cares
about to the `notifications` queue (`NotificationFeed`); its consumer (`Notifier.handle`)
tells each recipient — the applicant, and each agent an application's applicant granted —
on each channel, once. Channels are a port (`NotificationChannel`, services/
notification_channels.py): the in-app inbox, SMS (through the SMS port) and the county's
WeChat official account.

Exactly once per (event, recipient, channel): the notification is keyed by the event id and
written only if absent, in one transaction with its unread count and its held SMS; what it
still has to send (the text to queue, the WeChat message) is `pending` on it until sent, so
an event delivered again after a failure sends what is pending and nothing else. What the
providers then make of each message is the ledger's (services/notification_ledger.py).
"""

from __future__ import annotations

import json
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
    DeliveryStatus,
    Notification,
    NotificationKind,
    TemplateBook,
    in_quiet_hours,
    kind_of,
    quiet_hours_end,
)
from chalicelib.domain.request import ServiceRequest
from chalicelib.domain.sms import NoticeRef, SmsMessage
from chalicelib.domain.wechat import WechatRefused, WechatUnreachable
from chalicelib.observability import logger, metrics
from chalicelib.services.notification_channels import (
    InboxChannel,
    Recipient,
    SmsChannel,
    WechatChannel,
    WechatMessage,
)
from chalicelib.services.notification_ledger import DeliveryLedger
from chalicelib.services.notification_values import template_values
from chalicelib.services.reference import ReferenceData
from chalicelib.services.sms import SmsDispatch
from chalicelib.store.identity import CitizenStore
from chalicelib.store.notifications import NotificationStore
from chalicelib.store.wechat_bindings import WechatBindings

Case = Application | ServiceRequest
UNFOLLOWED = 43004  # WeChat: "require subscribe" (the citizen no longer follows the account)
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
class Outgoing:
    """One notification being made: the record, its text (to queue now, hold, or keep in
    case WeChat refuses) and its WeChat message."""

    notice: Notification
    sms: SmsMessage | None
    release_at: datetime | None
    wechat: WechatMessage | None = None


class WechatSender(Protocol):
    def send_template(
        self, openid: str, template_id: str, data: dict[str, str], url: str | None
    ) -> str: ...


@dataclass(frozen=True)
class WechatAccount:
    """The stage's official account: its sender, the approved template's id, and where a
    message's link leads (the citizen app's page of a case, `{case_id}` in it; none: no
    link — the API's own addresses need a token a WeChat tap does not carry)."""

    sender: WechatSender
    template_id: str
    case_page: str | None = None


class Notifier:
    def __init__(
        self,
        store: NotificationStore,
        citizens: CitizenStore,
        reference: ReferenceData,
        sms: SmsDispatch | None,
        book: TemplateBook,
        clock: Clock,
        ledger: DeliveryLedger,
        bindings: WechatBindings,
        wechat: WechatAccount | None = None,
    ) -> None:
        self._store = store
        self._citizens = citizens
        self._reference = reference
        self._sms = sms
        self._book = book
        self._clock = clock
        self._ledger = ledger
        self._bindings = bindings
        self._wechat = wechat

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
        prefs, binding = self._store.recipient_settings(to.citizen_id)
        values = template_values(case, event, county.name, self._book.samples)
        ref = NoticeRef(
            citizen_id=to.citizen_id, notification_id=event.event_id, county=case.county
        )
        account = self._wechat
        wechat = WechatChannel(
            self._book,
            values,
            account.template_id if account else None,
            binding,
            prefs,
            _link(account.case_page, case) if account else None,
        )
        # Quiet hours hold what goes out in them: an event of 20:59 handled at 21:05 (or
        # replayed from the dead letters at night) waits for the morning too.
        at = max(event.at, self._clock.now())
        inbox = InboxChannel(self._book, values).deliver(case, kind, rule, to, at)
        by_wechat = wechat.deliver(case, kind, rule, to, at)
        sms_channel = SmsChannel(
            county.sms_signature, prefs, ref, by_wechat is not None and by_wechat.wechat is not None
        )
        texted = sms_channel.deliver(case, kind, rule, to, at)
        deliveries = {Channel.INBOX: inbox.delivery, Channel.SMS: texted.delivery}
        if by_wechat is not None:
            deliveries[Channel.WECHAT] = by_wechat.delivery
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
            text=inbox.delivery.text,
            at=event.at,
            channels=deliveries,
        )
        wechat_message = by_wechat.wechat if by_wechat else None
        return Outgoing(notice, texted.sms, texted.delivery.release_at, wechat_message)

    def _send(self, out: Outgoing) -> int:
        """Records the notification once, then sends what it still has to: its text queued and
        its WeChat message sent at least once — the record says `pending` until each has
        gone, so an event delivered again after a failure (or a crash) between the two
        sends it then; a record with nothing pending is a duplicate and does nothing."""
        notice = out.notice
        counts = {f"{c.value}_{d.status.value}": 1 for c, d in notice.channels.items()}
        sms = notice.channels[Channel.SMS]
        held = out.sms if sms.status is DeliveryStatus.HELD else None
        if sms.status is DeliveryStatus.QUEUED:
            pending = sms.model_copy(update={"status": DeliveryStatus.PENDING})
            notice = notice.model_copy(
                update={"channels": {**notice.channels, Channel.SMS: pending}}
            )
        recorded = self._store.record(notice, held, out.release_at)
        if recorded:
            self._count(notice, counts)
        else:
            stored = self._store.get(notice.citizen_id, notice.notification_id)
            if stored is None or not _pending(stored):
                metrics.add_metric(name="NotificationDuplicate", unit="Count", value=1)
                return 0
            notice = stored
        self._finish(notice, out)
        if not recorded:
            return 0
        metrics.add_metric(name="NotificationSent", unit="Count", value=1)
        logger.info(
            "notified",
            extra={"kind": notice.kind.value, "case": notice.case_id, "role": notice.role},
        )
        return 1

    def _finish(self, notice: Notification, out: Outgoing) -> None:
        """Sends what the recorded `notice` still has pending: the text first (a WeChat
        failure that raises must not leave it unqueued), then the WeChat message."""
        sms = notice.channels.get(Channel.SMS)
        if sms is not None and sms.status is DeliveryStatus.PENDING and out.sms is not None:
            self._queue_sms(notice, out.sms)
        wechat = notice.channels.get(Channel.WECHAT)
        if wechat is not None and wechat.status is DeliveryStatus.PENDING and out.wechat:
            self._send_wechat(notice, out)

    def _queue_sms(self, notice: Notification, message: SmsMessage) -> None:
        if self._sms is None:
            raise RuntimeError("no SMS queue is configured")
        self._sms.dispatch(message)  # raises: the event is delivered again, and queued then
        self._store.mark(
            notice.citizen_id,
            notice.notification_id,
            Channel.SMS.value,
            DeliveryStatus.QUEUED.value,
            when_in=(DeliveryStatus.PENDING.value,),
        )

    def _send_wechat(self, notice: Notification, out: Outgoing) -> None:
        """Sends the template message; WeChat's refusal for good is recorded and the text
        goes instead (if WeChat was carrying it); anything else raises (sent again)."""
        message, account = out.wechat, self._wechat
        if message is None or account is None:
            return
        ref = NoticeRef(
            citizen_id=notice.citizen_id,
            notification_id=notice.notification_id,
            county=notice.county,
        )
        try:
            msg_id = account.sender.send_template(
                message.openid, message.template_id, message.fields, message.url
            )
        except (WechatUnreachable, WechatRefused) as refused:
            # The text first: until WeChat's failure is recorded the event, delivered again,
            # finds WeChat still pending and comes back here.
            self._text_instead(notice, out.sms)
            if refused.code == UNFOLLOWED:
                self._bindings.set_following(message.openid, False)
            self._ledger.provider_refused(ref, Channel.WECHAT.value, f"errcode {refused.code}")
            return
        self._ledger.provider_took(ref, Channel.WECHAT.value, msg_id)

    def text_instead_of_wechat(self, citizen_id: str, notification_id: str) -> bool:
        """WeChat reported a message it was carrying undelivered (the job's receipt): the
        text goes after all. False when there is none to send (not carried, no phone)."""
        notice = self._store.get(citizen_id, notification_id)
        sms = notice.channels.get(Channel.SMS) if notice else None
        if notice is None or sms is None or sms.status is not DeliveryStatus.CARRIED:
            return False
        case = self._store.case(notice.case_id)
        if case is None:
            return False
        to = next((r for r in self._recipients(case) if r.citizen_id == citizen_id), None)
        if to is None or not to.phone:
            return False
        county = self._reference.county_named(case.county, "jurisdiction")
        ref = NoticeRef(
            citizen_id=citizen_id,
            notification_id=notification_id,
            county=case.county,
            urgent=self._book.rule(notice.kind).urgent,
        )
        message = SmsMessage.request_notice(
            to.phone, county.sms_signature, notice.kind, case.number, ref
        )
        self._text_instead(notice, message)
        return True

    def _text_instead(self, notice: Notification, message: SmsMessage | None) -> None:
        """WeChat refused what it was carrying: the text goes after all (held, with its
        status in one transaction, if it is night and not urgent)."""
        sms = notice.channels.get(Channel.SMS)
        if message is None or sms is None or sms.status is not DeliveryStatus.CARRIED:
            return
        now = self._clock.now()
        carried = (DeliveryStatus.CARRIED.value,)
        if in_quiet_hours(now) and not (message.notice and message.notice.urgent):
            self._store.hold_notice(message, quiet_hours_end(now), now, when_in=carried)
            return
        nid, citizen = notice.notification_id, notice.citizen_id
        if self._store.mark(citizen, nid, "sms", DeliveryStatus.PENDING.value, when_in=carried):
            self._queue_sms(notice, message)

    def _count(self, notice: Notification, counts: dict[str, int]) -> None:
        """The day's figures, outside the notification's transaction (a county's figure item
        in every one of them would make concurrent notifications cancel each other). Best
        effort: a failure here costs one count, never the notification."""
        try:
            key = f"{notice.citizen_id}#{notice.notification_id}"
            self._store.count(notice.county, beijing_date(notice.at), key, counts)
        except Exception:  # noqa: BLE001 - the notification is recorded; a figure is not worth a retry
            logger.exception("notification figures not counted")


def _pending(notice: Notification) -> bool:
    return any(d.status is DeliveryStatus.PENDING for d in notice.channels.values())


def _link(page: str | None, case: Case) -> str | None:
    return page.replace("{case_id}", _case_id(case)) if page else None


def _case_id(case: Case) -> str:
    return case.request_id if isinstance(case, ServiceRequest) else case.application_id
