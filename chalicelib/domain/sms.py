"""A text message to a citizen's phone, as the SMS port carries it: an approved template and
its parameters, never free text.

China's carriers deliver an application's text only as an approved signature (签名: the
sender's name, shown between 【】 before the text) and an approved template (模板) whose
variables the sender fills in; the providers (Tencent Cloud, Alibaba Cloud) take a template
id and the parameters. Each purpose has one template, defined here once: the outbox and the
logs render its text from the same definition the provider was given for approval.
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum

from pydantic import ConfigDict, Field, model_validator

from chalicelib.domain.common import Strict
from chalicelib.domain.county import SmsSignature


class SmsPurpose(StrEnum):
    OTP = "otp"  # a sign-in code (验证码 template)
    # The applicant's notices (通知 templates), one per notification kind
    # (domain/notifications.py): the kind is the purpose.
    APPLICATION_RECEIVED = "application_received"
    APPLICATION_ACCEPTED = "application_accepted"
    APPLICATION_NOT_ACCEPTED = "application_not_accepted"
    APPLICATION_SUPPLEMENT = "application_supplement"
    APPLICATION_IN_REVIEW = "application_in_review"
    APPLICATION_APPROVED = "application_approved"
    APPLICATION_DENIED = "application_denied"
    APPLICATION_ISSUED = "application_issued"
    APPLICATION_RATING = "application_rating"
    APPLICATION_RECTIFIED = "application_rectified"
    REQUEST_RECEIVED = "request_received"
    REQUEST_ACCEPTED = "request_accepted"
    REQUEST_REFUSED = "request_refused"  # a request (诉求) not accepted
    REQUEST_ASSIGNED = "request_assigned"
    REQUEST_REPLIED = "request_replied"
    REQUEST_ESCALATION_ANSWERED = "request_escalation_answered"
    REQUEST_RESOLVED = "request_resolved"  # a request resolved, to be rated


# One template per purpose, {1}, {2} … as the providers number them. What a template says is
# what was approved: changing a text here means applying for (and configuring) a new template
# id. A refusal's reason is free text, which no variable can carry: the filer reads it after
# signing in, and no personal data is ever put in a text.
_APPLICATION = "您{1}提交的申请（编号尾号{2}）"  # the case named to its applicant
_REQUEST = "您{1}提交的诉求（编号尾号{2}）"
TEMPLATES: dict[SmsPurpose, str] = {
    SmsPurpose.OTP: "验证码{1}，{2}分钟内有效，请勿告诉他人。",
    SmsPurpose.APPLICATION_RECEIVED: _APPLICATION + "已收到，请登录便民查看进度。",
    SmsPurpose.APPLICATION_ACCEPTED: _APPLICATION + "已受理，请登录便民查看办结期限。",
    SmsPurpose.APPLICATION_NOT_ACCEPTED: _APPLICATION + "不予受理，请登录便民查看原因。",
    SmsPurpose.APPLICATION_SUPPLEMENT: _APPLICATION + "需补正材料，请登录便民查看清单。",
    SmsPurpose.APPLICATION_IN_REVIEW: _APPLICATION + "已进入审批，请登录便民查看进度。",
    SmsPurpose.APPLICATION_APPROVED: _APPLICATION + "已审批通过，正在出证。",
    SmsPurpose.APPLICATION_DENIED: _APPLICATION + "未获许可，请登录便民查看理由及救济途径。",
    SmsPurpose.APPLICATION_ISSUED: _APPLICATION + "已出证，请登录便民查看领取方式。",
    SmsPurpose.APPLICATION_RATING: _APPLICATION + "已办结，欢迎登录便民评价。",
    SmsPurpose.APPLICATION_RECTIFIED: _APPLICATION + "评价反映的问题已整改，请登录便民查看。",
    SmsPurpose.REQUEST_RECEIVED: _REQUEST + "已收到，请登录便民查看进度。",
    SmsPurpose.REQUEST_ACCEPTED: _REQUEST + "已受理，请登录便民查看进度。",
    SmsPurpose.REQUEST_REFUSED: _REQUEST + "未予受理，请登录便民查看原因。",
    SmsPurpose.REQUEST_ASSIGNED: _REQUEST + "已交承办单位办理，请登录便民查看。",
    SmsPurpose.REQUEST_REPLIED: _REQUEST + "有新的答复，请登录便民查看。",
    SmsPurpose.REQUEST_ESCALATION_ANSWERED: _REQUEST + "经督办已答复，请登录便民查看。",
    SmsPurpose.REQUEST_RESOLVED: _REQUEST + "已办结，请登录便民查看并评价。",
}

# Each template's version: a changed text is a new approval (and template id), so its
# version moves with it; a stored notification records the version it was sent with.
TEMPLATE_VERSIONS: dict[SmsPurpose, int] = {purpose: 1 for purpose in SmsPurpose}

# The strictest published limit on one variable's value: Tencent Cloud accounts opened after
# 2024-01-25 (and long-unused ones) take at most 6 characters per variable unless raised
# (personal accounts 12, verified enterprises more); a verification template's variables are
# 0-6 digits. Every parameter made here fits all of them.
PARAM_MAX_LENGTH = 6
_PLACEHOLDER = re.compile(r"\{(\d+)\}")
# Not in a variable: 【】 (taken for a signature), links, whitespace at either end.
_FORBIDDEN_IN_PARAM = re.compile(r"[【】]|https?:|www\.|^\s|\s$", re.IGNORECASE)
_REQUEST_NUMBER = re.compile(r"(?P<month>\d{2})(?P<day>\d{2})-(?P<sequence>\d+)$")


class NoticeRef(Strict):
    """The notification a notice text belongs to: where its delivery status is recorded
    (sent, delivered, failed) and whether the quiet hours hold it."""

    model_config = ConfigDict(extra="forbid", defer_build=True, frozen=True)

    citizen_id: str = Field(min_length=1, max_length=64)
    notification_id: str = Field(min_length=1, max_length=64)
    county: str = Field(pattern=r"^[0-9]{6}$")
    urgent: bool = False


class SmsMessage(Strict):
    """What to send to `phone`: `purpose` names the template, `params` fill it in order; the
    signature is the county's for its cases, the platform's for what is no county's (sign-in
    codes). A message with `expires_at` (a sign-in code) is worthless after it: delivery drops
    it rather than send a code that can no longer be used."""

    # A validation error never quotes the phone number or a code (errors end up in logs).
    model_config = ConfigDict(extra="forbid", defer_build=True, hide_input_in_errors=True)

    phone: str = Field(pattern=r"^1[3-9][0-9]{9}$")
    signature: SmsSignature
    purpose: SmsPurpose
    params: tuple[str, ...] = Field(max_length=10)
    expires_at: datetime | None = None
    notice: NoticeRef | None = None

    @model_validator(mode="after")
    def _fits_the_template(self) -> SmsMessage:
        expected = len(_PLACEHOLDER.findall(TEMPLATES[self.purpose]))
        if len(self.params) != expected:
            raise ValueError(f"the {self.purpose} template takes {expected} parameters")
        for index, value in enumerate(self.params, start=1):
            # The messages never echo a value: an error names the parameter, not its content.
            if not 1 <= len(value) <= PARAM_MAX_LENGTH or _FORBIDDEN_IN_PARAM.search(value):
                raise ValueError(f"parameter {index} is not a valid template variable")
            if self.purpose is SmsPurpose.OTP and not (value.isascii() and value.isdigit()):
                raise ValueError(f"parameter {index} of a verification template is not digits")
        return self

    @classmethod
    def sign_in_code(
        cls, phone: str, signature: str, code: str, minutes: int, expires_at: datetime | None = None
    ) -> SmsMessage:
        return cls(
            phone=phone,
            signature=signature,
            purpose=SmsPurpose.OTP,
            params=(code, str(minutes)),
            expires_at=expires_at,
        )

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and now >= self.expires_at

    @classmethod
    def request_notice(
        cls,
        phone: str,
        signature: str,
        purpose: SmsPurpose,
        number: str,
        notice: NoticeRef | None = None,
    ) -> SmsMessage:
        """A notice about case `number` (…SQ20261127-000123): the filing date and the
        sequence's last six digits name it to its filer within any variable limit."""
        return cls(
            phone=phone,
            signature=signature,
            purpose=purpose,
            params=_request_ref(number),
            notice=notice,
        )

    @property
    def text(self) -> str:
        """The template filled in: what follows the signature on the phone."""
        return _PLACEHOLDER.sub(lambda m: self.params[int(m[1]) - 1], TEMPLATES[self.purpose])

    @property
    def rendered(self) -> str:
        """What the phone shows: 【signature】text."""
        return f"【{self.signature}】{self.text}"

    @property
    def code(self) -> str | None:
        """The sign-in code a verification message carries (the local outbox shows it)."""
        return self.params[0] if self.purpose is SmsPurpose.OTP else None


def _request_ref(number: str) -> tuple[str, str]:
    match = _REQUEST_NUMBER.search(number)
    if match is None:
        raise ValueError("not a request number with a date and a sequence")
    when = f"{int(match['month'])}月{int(match['day'])}日"
    return when, match["sequence"][-PARAM_MAX_LENGTH:]


class SmsNotSent(Exception):
    """A provider did not send a message. `code` is the provider's error code; never its
    message, which may quote the number. `request_id` is the provider's, for its support."""

    def __init__(self, code: str, request_id: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.request_id = request_id


class SmsRefused(SmsNotSent):
    """Sending this message again cannot succeed until an operator acts (the signature or
    template is not approved, a template id is not configured): it is parked on the
    dead-letter queue, to be replayed once they have, and its alarm calls them."""


class SmsUnreachable(SmsRefused):
    """This recipient cannot have this message (the number is invalid, on the carriers'
    do-not-disturb list, or has had its share of texts for now): dropped, counted, not
    parked — no operator can fix it, and a replay would only be refused again. A citizen
    who wants a code asks for another."""


class SmsNotConfigured(SmsNotSent):
    """The stage sends no text of this purpose: the county has no approved template for it
    (a notice is optional — the inbox carries it anyway). Dropped and counted, not parked:
    nothing is wrong. A sign-in code without a template is refused instead (SmsRefused):
    without it nobody can sign in."""


class SmsDeferred(SmsNotSent):
    """The provider could not send it now (throttled, the account's daily limit, an internal
    error, the network): sending it again later may succeed."""
