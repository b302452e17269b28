"""The notification rules without AWS: which event is which notice, the templates (data) and
their rendering, quiet hours across midnight in Beijing, preferences. (The filer's SMS used to
be sent by the request services directly; it now follows the change feed, tested end to end
in tests/routes/test_notifications.py.)"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.domain.notifications import (
    Channel,
    KindRule,
    MissingValue,
    NotificationPreferences,
    in_quiet_hours,
    kind_of,
    quiet_hours_end,
    render,
)
from chalicelib.domain.sms import SmsMessage, SmsPurpose
from chalicelib.services.notification_inbox import template_book

BEIJING_2200 = datetime(2026, 11, 27, 14, 0, tzinfo=UTC)


def test_every_kind_has_a_rule_an_inbox_template_and_an_approved_sms_template() -> None:
    book = template_book()
    for kind in set(SmsPurpose) - {SmsPurpose.OTP}:
        assert book.inbox_template(kind).version >= 1
        assert render(book.inbox_template(kind).text, book.samples)
        SmsMessage.request_notice("13953700001", "汶上便民", kind, "WSXK20261127-000001")


def test_events_map_to_notices_and_a_reply_after_escalation_answers_it() -> None:
    assert kind_of("application", "supplement_requested") is SmsPurpose.APPLICATION_SUPPLEMENT
    assert kind_of("request", "not_accepted") is SmsPurpose.REQUEST_REFUSED
    assert kind_of("request", "replied", escalated=True) is SmsPurpose.REQUEST_ESCALATION_ANSWERED
    assert kind_of("request", "routed") is None


def test_a_denial_tells_the_reason_and_the_remedies() -> None:
    book = template_book()
    text = render(
        book.inbox_template(SmsPurpose.APPLICATION_DENIED).text,
        {**book.samples, "reason": "不符合法定条件"},
    )
    assert "不符合法定条件" in text and "60日" in text and "6个月" in text
    with pytest.raises(MissingValue):
        render("{reason}", {})


@pytest.mark.parametrize(
    ("utc", "quiet", "release"),
    [
        (datetime(2026, 11, 27, 12, 59, tzinfo=UTC), False, None),  # 20:59
        (datetime(2026, 11, 27, 13, 0, tzinfo=UTC), True, datetime(2026, 11, 28, 0, tzinfo=UTC)),
        (datetime(2026, 11, 27, 17, 0, tzinfo=UTC), True, datetime(2026, 11, 28, 0, tzinfo=UTC)),
        (datetime(2026, 11, 27, 23, 59, tzinfo=UTC), True, datetime(2026, 11, 28, 0, tzinfo=UTC)),
        (datetime(2026, 11, 28, 0, 0, tzinfo=UTC), False, None),  # 08:00
    ],
)
def test_quiet_hours_run_from_21_to_08_beijing_across_midnight(
    utc: datetime, quiet: bool, release: datetime | None
) -> None:
    assert in_quiet_hours(utc) is quiet
    if release is not None:
        assert quiet_hours_end(utc) == release


def test_essential_notices_and_the_inbox_ignore_an_opt_out() -> None:
    prefs = NotificationPreferences(sms="essential")
    optional, essential = (
        KindRule(essential=False, urgent=False),
        KindRule(essential=True, urgent=False),
    )
    assert not prefs.wants(Channel.SMS, optional)
    assert prefs.wants(Channel.SMS, essential) and prefs.wants(Channel.INBOX, optional)
    assert NotificationPreferences().wants(Channel.SMS, optional)
