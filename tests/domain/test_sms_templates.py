"""Text messages are an approved template and its parameters: each purpose's template is
defined once, every parameter fits the strictest provider limit on a variable (6 characters,
digits only in a verification template), and the text shown locally is the template filled
in. A request is named by its filing date and its number's sequence, never by free text."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from chalicelib.domain.sms import PARAM_MAX_LENGTH, TEMPLATES, SmsMessage, SmsPurpose


def test_every_purpose_has_one_template_numbered_from_one() -> None:
    assert set(TEMPLATES) == set(SmsPurpose)
    for template in TEMPLATES.values():
        numbers = [int(n) for n in re.findall(r"\{(\d+)\}", template)]
        assert numbers == list(range(1, len(numbers) + 1))
        assert "【" not in template and "】" not in template  # taken for a signature


def test_a_sign_in_code_renders_the_otp_template() -> None:
    message = SmsMessage.sign_in_code("13953700001", "济宁便民", "012345", 5)
    assert message.params == ("012345", "5")
    assert message.code == "012345"
    assert message.rendered == "【济宁便民】验证码012345，5分钟内有效，请勿告诉他人。"


@pytest.mark.parametrize(
    ("number", "params"),
    [
        ("WSSQ20261127-000001", ("11月27日", "000001")),
        ("JXSQ20270105-000123", ("1月5日", "000123")),
        ("WSSQ20261231-1234567", ("12月31日", "234567")),  # a seven-digit day: its tail
    ],
)
def test_a_request_is_named_by_its_filing_date_and_sequence(
    number: str, params: tuple[str, str]
) -> None:
    message = SmsMessage.request_notice(
        "13953700001", "汶上便民", SmsPurpose.REQUEST_RESOLVED, number
    )
    assert message.params == params
    assert all(len(p) <= PARAM_MAX_LENGTH for p in message.params)
    assert message.code is None
    assert (
        message.text
        == f"您{params[0]}提交的诉求（编号尾号{params[1]}）已办结，请登录便民查看并评价。"
    )


@pytest.mark.parametrize(
    ("purpose", "params"),
    [
        (SmsPurpose.OTP, ("12345a", "5")),  # a verification variable is digits
        (SmsPurpose.OTP, ("1234567", "5")),  # at most six
        (SmsPurpose.OTP, ("123456",)),  # the template takes two
        (SmsPurpose.REQUEST_REFUSED, ("11月27日", "属于司法程序事项")),  # free text: too long
        (SmsPurpose.REQUEST_REFUSED, ("11月27日", "")),
        (SmsPurpose.REQUEST_REFUSED, ("11月27日", "【假】")),
        (SmsPurpose.REQUEST_RESOLVED, ("11月27日", "www.x")),
    ],
)
def test_a_parameter_no_provider_would_take_is_refused_without_quoting_it(
    purpose: SmsPurpose, params: tuple[str, ...]
) -> None:
    with pytest.raises(ValidationError) as refused:
        SmsMessage(phone="13953700001", signature="汶上便民", purpose=purpose, params=params)
    assert "13953700001" not in str(refused.value)
    assert not [p for p in params if p and p in str(refused.value)]


def test_a_queued_message_reads_back_as_it_was_written() -> None:
    message = SmsMessage.request_notice(
        "13953700001", "汶上便民", SmsPurpose.REQUEST_REFUSED, "WSSQ20261127-000042"
    )
    assert SmsMessage.model_validate_json(message.model_dump_json()) == message


def test_the_deploy_guide_lists_every_template_word_for_word() -> None:
    """The county applies for exactly these texts (docs/DEPLOY.md, section 4)."""
    from pathlib import Path

    guide = (Path(__file__).resolve().parents[2] / "docs" / "DEPLOY.md").read_text()
    listed = dict(
        (m[1], m[2]) for m in re.finditer(r"^\s*\| `([a-z_]+)` \| \S+ \| (.+?) \|$", guide, re.M)
    )
    assert listed == {purpose.value: text for purpose, text in TEMPLATES.items()}
