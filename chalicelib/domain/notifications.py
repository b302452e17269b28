"""What the applicant is told, and when: notification kinds (which timeline event of which kind
of case each is), their templates (data: chalicelib/data/notification_templates.json for the
inbox, the approved SMS templates of domain/sms.py for texts), the rules (essential kinds
cannot be turned off; no non-urgent SMS in Beijing's quiet hours) and the stored record. No
I/O: the service reads the template file once and hands the book in."""

from __future__ import annotations

import re
import string
from datetime import datetime, time, timedelta
from enum import StrEnum
from typing import Any, Literal

from pydantic import Field, model_validator

from chalicelib.domain.calendar import BEIJING
from chalicelib.domain.common import Instant, Strict
from chalicelib.domain.sms import TEMPLATE_VERSIONS, TEMPLATES, SmsPurpose

# The kinds are the SMS purposes but the sign-in code: each kind has its approved text.
NotificationKind = SmsPurpose


class NotificationChannel(StrEnum):
    INBOX = "inbox"
    SMS = "sms"
    WECHAT = "wechat"  # the county's official account (公众号) template message


# The code says Channel; the OpenAPI document names it NotificationChannel, apart from a
# request's filing channel (request_parts.Channel): a generated client sees two enums.
Channel = NotificationChannel


class DeliveryStatus(StrEnum):
    DELIVERED = "delivered"  # in the inbox; on the phone (the provider's receipt)
    PENDING = "pending"  # recorded, not yet on the SMS queue / to WeChat (done at least once)
    QUEUED = "queued"  # on the SMS queue
    HELD = "held"  # quiet hours: released at 08:00 Beijing time
    SENT = "sent"  # the provider took it (its id recorded); its receipt is awaited
    FAILED = "failed"  # the provider refused it, or there is no phone to send it to
    SKIPPED = "skipped_by_preference"  # the citizen opted out of this non-essential kind
    CARRIED = "carried_by_wechat"  # WeChat carries it: no text (the citizen's choice)


# Which event of which kind of case is which notification. A reply to a request that was
# escalated before it is the answer to the escalation (督办后答复).
_EVENTS: dict[tuple[str, str], NotificationKind] = {
    ("application", "submitted"): SmsPurpose.APPLICATION_RECEIVED,
    ("application", "accepted"): SmsPurpose.APPLICATION_ACCEPTED,
    ("application", "not_accepted"): SmsPurpose.APPLICATION_NOT_ACCEPTED,
    ("application", "supplement_requested"): SmsPurpose.APPLICATION_SUPPLEMENT,
    ("application", "review_started"): SmsPurpose.APPLICATION_IN_REVIEW,
    ("application", "approved"): SmsPurpose.APPLICATION_APPROVED,
    ("application", "denied"): SmsPurpose.APPLICATION_DENIED,
    ("application", "issued"): SmsPurpose.APPLICATION_ISSUED,
    ("application", "completed"): SmsPurpose.APPLICATION_RATING,
    ("application", "rectified"): SmsPurpose.APPLICATION_RECTIFIED,
    ("request", "submitted"): SmsPurpose.REQUEST_RECEIVED,
    ("request", "accepted"): SmsPurpose.REQUEST_ACCEPTED,
    ("request", "not_accepted"): SmsPurpose.REQUEST_REFUSED,
    ("request", "assigned"): SmsPurpose.REQUEST_ASSIGNED,
    ("request", "replied"): SmsPurpose.REQUEST_REPLIED,
    ("request", "resolved"): SmsPurpose.REQUEST_RESOLVED,
}


def kind_of(case_kind: str, event_type: str, escalated: bool = False) -> NotificationKind | None:
    """The notification an event makes (None: the applicant is not told of it). `escalated`:
    the request had been escalated before this event."""
    kind = _EVENTS.get((case_kind, event_type))
    if kind is SmsPurpose.REQUEST_REPLIED and escalated:
        return SmsPurpose.REQUEST_ESCALATION_ANSWERED
    return kind


class KindRule(Strict):
    essential: bool = Field(description="Always sent: no preference turns it off")
    urgent: bool = Field(description="Sent by SMS even in quiet hours")


class InboxTemplate(Strict):
    kind: NotificationKind
    version: int = Field(ge=1)
    title: str = Field(min_length=1, max_length=40)
    text: str = Field(min_length=1, max_length=500)

    @property
    def placeholders(self) -> list[str]:
        return [name for _, name, _, _ in string.Formatter().parse(self.text) if name]


WECHAT_FIELD = re.compile(r"^(thing|character_string|time|phrase|number)[0-9]{1,2}$")
# WeChat's limits on a template field's value, by the field's type (公众号模板消息 rules).
WECHAT_FIELD_LIMITS = {"thing": 20, "character_string": 32, "time": 32, "phrase": 5, "number": 32}


class WechatTemplate(Strict):
    """One kind's template message: the approved template's fields (typed by their names:
    thing1, character_string2, time3 …), each a text with named placeholders."""

    kind: NotificationKind
    version: int = Field(ge=1)
    fields: dict[str, str] = Field(min_length=1, max_length=5)

    @model_validator(mode="after")
    def _typed_fields(self) -> WechatTemplate:
        for name in self.fields:
            if not WECHAT_FIELD.match(name):
                raise ValueError(f"{self.kind}: {name} is not a WeChat template field")
        return self

    @property
    def placeholders(self) -> list[str]:
        return [
            name
            for text in self.fields.values()
            for _, name, _, _ in string.Formatter().parse(text)
            if name
        ]

    def render(self, values: dict[str, str]) -> dict[str, str]:
        """Each field filled in, cut to its type's length (WeChat refuses a longer value)."""
        filled = {}
        for name, text in self.fields.items():
            limit = WECHAT_FIELD_LIMITS[WECHAT_FIELD.match(name)[1]]  # type: ignore[index]
            value = render(text, values)
            filled[name] = value if len(value) <= limit else value[: limit - 1] + "…"
        return filled


class TemplateBook(Strict):
    """The notification templates file, validated: every kind has a rule, an inbox template
    and a WeChat template; samples fill every placeholder (the preview's defaults)."""

    about: str = ""
    kinds: dict[NotificationKind, KindRule]
    inbox: list[InboxTemplate]
    wechat: list[WechatTemplate]
    samples: dict[str, str]

    @model_validator(mode="after")
    def _complete(self) -> TemplateBook:
        kinds = set(SmsPurpose) - {SmsPurpose.OTP}
        if set(self.kinds) != kinds or {t.kind for t in self.inbox} != kinds:
            raise ValueError("every notification kind needs one rule and one inbox template")
        if len(self.inbox) != len(kinds):
            raise ValueError("one inbox template per kind")
        if {t.kind for t in self.wechat} != kinds or len(self.wechat) != len(kinds):
            raise ValueError("one WeChat template per kind")
        for template in [*self.inbox, *self.wechat]:
            missing = set(template.placeholders) - set(self.samples)
            if missing:
                raise ValueError(f"{template.kind}: no sample for {sorted(missing)}")
        return self

    def inbox_template(self, kind: NotificationKind) -> InboxTemplate:
        return next(t for t in self.inbox if t.kind is kind)

    def wechat_template(self, kind: NotificationKind) -> WechatTemplate:
        return next(t for t in self.wechat if t.kind is kind)

    def rule(self, kind: NotificationKind) -> KindRule:
        return self.kinds[kind]


class MissingValue(ValueError):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def render(text: str, values: dict[str, str]) -> str:
    """`text` with each {name} replaced by its value; a name without one is `MissingValue`."""
    try:
        return text.format_map(_Strict(values))
    except KeyError as missing:
        raise MissingValue(str(missing.args[0])) from None


class _Strict(dict[str, str]):
    def __missing__(self, key: str) -> str:
        raise KeyError(key)


_NUMBERED = re.compile(r"\{(\d+)\}")


def render_sms(purpose: SmsPurpose, params: tuple[str, ...]) -> str:
    """An approved SMS template filled in with its numbered parameters."""
    return _NUMBERED.sub(lambda m: params[int(m[1]) - 1], TEMPLATES[purpose])


def sms_version(purpose: SmsPurpose) -> int:
    return TEMPLATE_VERSIONS[purpose]


# ---- quiet hours: no non-urgent SMS from 21:00 to 08:00 Beijing time

QUIET_FROM = time(21, 0)
QUIET_UNTIL = time(8, 0)


def in_quiet_hours(at: datetime) -> bool:
    local = at.astimezone(BEIJING).time()
    return local >= QUIET_FROM or local < QUIET_UNTIL


def quiet_hours_end(at: datetime) -> datetime:
    """The next 08:00 Beijing time at or after `at` (the same morning after midnight, the next
    morning before it)."""
    local = at.astimezone(BEIJING)
    morning = datetime.combine(local.date(), QUIET_UNTIL, tzinfo=BEIJING)
    return morning if local < morning else morning + timedelta(days=1)


# ---- the citizen's preferences


class NotificationPreferences(Strict):
    """Per channel, what the citizen receives: every notification (`all`) or the essential ones
    only. The inbox always receives everything (it is where the case's record is read).
    WeChat (once bound) may also be `off`; what it carries is not texted too unless
    `sms_with_wechat` (a text costs the county; WeChat does not)."""

    sms: Literal["all", "essential"] = "all"
    inbox: Literal["all"] = Field(default="all", description="Always all: it cannot be turned off")
    wechat: Literal["all", "essential", "off"] = Field(
        default="all", description="The official account's messages, once bound (/me/wechat)"
    )
    sms_with_wechat: bool = Field(
        default=False, description="Text me as well what WeChat already told me"
    )

    def wants(self, channel: Channel, rule: KindRule) -> bool:
        if channel is Channel.INBOX:
            return True
        chosen = getattr(self, channel.value)
        if chosen == "off":
            return False
        return rule.essential or chosen == "all"


# ---- what is stored


class ChannelDelivery(Strict):
    status: DeliveryStatus
    template_id: str
    template_version: int
    text: str
    at: Instant
    release_at: Instant | None = None
    reason: str | None = None
    provider_id: str | None = Field(
        default=None, description="The provider's id of the message (SMS SerialNo, WeChat msgid)"
    )
    updated_at: Instant | None = None


class Notification(Strict):
    """One event told to one recipient: its inbox text and how each channel carried it."""

    notification_id: str = Field(description="The timeline event's id (one per event)")
    citizen_id: str
    role: Literal["applicant", "agent"]
    case_kind: Literal["application", "request"]
    case_id: str
    case_number: str
    county: str
    kind: NotificationKind
    title: str
    text: str
    at: Instant
    read_at: Instant | None = None
    channels: dict[Channel, ChannelDelivery]


def sms_params(number: str) -> tuple[str, str]:
    """A case named to its applicant within any variable limit: its filing date and the
    sequence's last six digits (…20261127-000123 → 11月27日, 000123)."""
    day, sequence = number[-11:-7], number.split("-")[-1][-6:]
    return f"{int(day[:2])}月{int(day[2:])}日", sequence


def values_with(base: dict[str, str], given: dict[str, Any]) -> dict[str, str]:
    return {**base, **{k: str(v) for k, v in given.items()}}
