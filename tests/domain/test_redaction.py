"""Phone and ID numbers in free text are masked however they are written, and nothing else
in the text changes."""

from __future__ import annotations

import pytest

from chalicelib.domain.redaction import redact

ID = "370830199001011235"


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("电话13953710001", "电话139****0001"),
        ("sfz370830199001011235", "sfz370830********1235"),
        ("tel13953710001abc", "tel139****0001abc"),
        ("139.5371.0001", "139****0001"),
        ("139/5371/0001", "139****0001"),
        ("(139)53710001", "(139****0001"),
        ("（139）5371-0001", "（139****0001"),
        ("139  5371  0001", "139****0001"),
        ("1 3 9 5 3 7 1 0 0 0 1", "139****0001"),
        ("139\u30005371\u30000001", "139****0001"),  # ideographic spaces
        ("139-5371-0001", "139****0001"),
        ("１３９５３７１０００１", "139****0001"),  # full-width digits
        ("+86 139 5371 0001", "139****0001"),
        ("0086-13953710001", "139****0001"),
        ("370830.19900101.1235", "370830********1235"),
        ("370830 1990 0101 1235", "370830********1235"),
        ("37083019900101123X", "370830********123X"),
        ("37083019900101123x号", "370830********123X号"),
        ("1\u200b3\u200b9\u200b5\u200b3\u200b7\u200b1\u200b0\u200b0\u200b0\u200b1", "139****0001"),
        ("1\u20603\u00ad953710001", "139****0001"),  # word joiner, soft hyphen
        ("\ufeff13953710001", "\ufeff139****0001"),
        ("电话13953710001，13953710002", "电话139****0001，139****0002"),
        ("13953710001 13953710002", "139****0001 139****0002"),
        ("电话139\n5371\n0001", "电话139****0001"),  # newlines
        ("139\r\n5371\r\n0001", "139****0001"),
        ("139    5371     0001", "139****0001"),  # long runs of spaces
        ("139\u22125371\u22120001", "139****0001"),  # minus sign
        ("139\u20275371\u20270001", "139****0001"),  # hyphenation point
        ("139ー5371ー0001", "139****0001"),  # katakana long vowel mark
        ("139~5371~0001", "139****0001"),
        ("139*5371*0001", "139****0001"),
        ("139#5371#0001", "139****0001"),
        ("139|5371|0001", "139****0001"),
        ("☎13953710001", "☎139****0001"),
        ("370830\n19900101\n1235", "370830********1235"),
    ],
)
def test_numbers_are_masked_whatever_their_separators(text: str, masked: str) -> None:
    assert redact(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "路灯坏了，已经一周。请尽快处理！",
        "快递单号1187654321098，",  # 13 digits: not a phone
        "订单139537100012",  # a phone with a digit glued on is some other number
        "2026-11-28 10:00 第3次反映",
        "面积120.5平方米，费用1,395.37元",
        "（全角括号）、顿号、句号。",
    ],
)
def test_the_rest_of_the_text_is_left_exactly_as_it_was(text: str) -> None:
    assert redact(text) == text


def test_full_width_punctuation_around_a_number_stays_full_width() -> None:
    assert redact("请联系：１３９５３７１０００１，谢谢。") == "请联系：139****0001，谢谢。"
