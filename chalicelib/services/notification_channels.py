"""The channels a notification goes by, behind one port (`NotificationChannel.deliver`): the
in-app inbox, SMS (through the SMS port) and the county's WeChat official account. Each
decides, for one recipient and one kind, whether and how it carries the notification; the
notifier records what they decided and then sends what is still to go."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from chalicelib.domain.application import Application
from chalicelib.domain.notifications import (
    Channel,
    ChannelDelivery,
    DeliveryStatus,
    KindRule,
    NotificationKind,
    NotificationPreferences,
    TemplateBook,
    in_quiet_hours,
    quiet_hours_end,
    render,
)
from chalicelib.domain.request import ServiceRequest
from chalicelib.domain.sms import TEMPLATE_VERSIONS, NoticeRef, SmsMessage
from chalicelib.domain.wechat import WechatBinding

Case = Application | ServiceRequest


@dataclass(frozen=True)
class Recipient:
    citizen_id: str
    role: str  # applicant | agent
    phone: str | None


@dataclass(frozen=True)
class WechatMessage:
    """A template message to send: to whom, which template, its fields and its link."""

    openid: str
    template_id: str
    fields: dict[str, str]
    url: str | None


@dataclass(frozen=True)
class Carried:
    """What a channel decided: the record of it, and what it still has to send (a text, held
    or not; a WeChat message)."""

    delivery: ChannelDelivery
    sms: SmsMessage | None = None
    wechat: WechatMessage | None = None


class NotificationChannel(Protocol):
    """A way of reaching a recipient. `deliver` decides how this channel carries the
    notification; the outcome is recorded on the notification."""

    channel: Channel

    def deliver(
        self, case: Case, kind: NotificationKind, rule: KindRule, to: Recipient, at: datetime
    ) -> Carried | None: ...


class InboxChannel:
    channel = Channel.INBOX

    def __init__(self, book: TemplateBook, values: dict[str, str]) -> None:
        self._book, self._values = book, values

    def deliver(
        self, case: Case, kind: NotificationKind, rule: KindRule, to: Recipient, at: datetime
    ) -> Carried:
        template = self._book.inbox_template(kind)
        return Carried(
            ChannelDelivery(
                status=DeliveryStatus.DELIVERED,
                template_id=f"{kind.value}.inbox",
                template_version=template.version,
                text=render(template.text, self._values),
                at=at,
            )
        )


class WechatChannel:
    """The official account's template message, to a bound follower who has not turned
    WeChat off (for this kind); not at all where the stage has no WeChat account or the
    recipient never bound one."""

    channel = Channel.WECHAT

    def __init__(
        self,
        book: TemplateBook,
        values: dict[str, str],
        template_id: str | None,
        binding: WechatBinding | None,
        prefs: NotificationPreferences,
        link: str | None,
    ) -> None:
        self._book, self._values, self._template_id = book, values, template_id
        self._binding, self._prefs, self._link = binding, prefs, link

    def deliver(
        self, case: Case, kind: NotificationKind, rule: KindRule, to: Recipient, at: datetime
    ) -> Carried | None:
        binding = self._binding
        if not self._template_id or binding is None or not binding.following:
            return None
        template = self._book.wechat_template(kind)
        fields = template.render(self._values)
        base = {
            "template_id": f"{kind.value}.wechat",
            "template_version": template.version,
            "text": "；".join(fields.values()),
            "at": at,
        }
        if not self._prefs.wants(Channel.WECHAT, rule):
            return Carried(ChannelDelivery(status=DeliveryStatus.SKIPPED, **base))
        message = WechatMessage(binding.openid, self._template_id, fields, self._link)
        return Carried(ChannelDelivery(status=DeliveryStatus.PENDING, **base), wechat=message)


class SmsChannel:
    """Texts through the SMS port: the kind's approved template, never free text; held in
    quiet hours unless the kind is urgent; not sent where the citizen opted out of a
    non-essential kind, or where no phone is known; not sent where WeChat carries it and the
    citizen did not ask for both (the text is kept: it goes if WeChat refuses)."""

    channel = Channel.SMS

    def __init__(
        self, signature: str, prefs: NotificationPreferences, ref: NoticeRef, wechat: bool
    ) -> None:
        self._signature, self._prefs, self._ref = signature, prefs, ref
        self._wechat = wechat

    def deliver(
        self, case: Case, kind: NotificationKind, rule: KindRule, to: Recipient, at: datetime
    ) -> Carried:
        base = {"template_id": f"{kind.value}.sms", "template_version": TEMPLATE_VERSIONS[kind]}
        ref = self._ref.model_copy(update={"urgent": rule.urgent})
        message = (
            SmsMessage.request_notice(to.phone, self._signature, kind, case.number, ref)
            if to.phone
            else None
        )
        text = message.text if message else ""
        if not self._prefs.wants(Channel.SMS, rule):
            return Carried(ChannelDelivery(status=DeliveryStatus.SKIPPED, text=text, at=at, **base))
        if message is None:
            failed = ChannelDelivery(
                status=DeliveryStatus.FAILED, text=text, at=at, reason="no phone", **base
            )
            return Carried(failed)
        if self._wechat and not self._prefs.sms_with_wechat:
            carried = ChannelDelivery(status=DeliveryStatus.CARRIED, text=text, at=at, **base)
            return Carried(carried, sms=message)
        if in_quiet_hours(at) and not rule.urgent:
            release = quiet_hours_end(at)
            held = ChannelDelivery(
                status=DeliveryStatus.HELD, text=text, at=at, release_at=release, **base
            )
            return Carried(held, sms=message)
        return Carried(
            ChannelDelivery(status=DeliveryStatus.QUEUED, text=text, at=at, **base), sms=message
        )
