"""A text message to a citizen's phone, as the SMS port carries it."""

from __future__ import annotations

from pydantic import Field

from chalicelib.domain.common import Strict


class SmsMessage(Strict):
    phone: str = Field(pattern=r"^1[3-9][0-9]{9}$")
    text: str = Field(min_length=1, max_length=500)
    code: str | None = Field(default=None, pattern=r"^[0-9]{6}$")
    purpose: str = "otp"
