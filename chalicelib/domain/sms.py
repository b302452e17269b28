"""A text message to a citizen's phone, as the SMS port carries it."""

from __future__ import annotations

from pydantic import Field

from chalicelib.domain.common import Strict
from chalicelib.domain.county import SmsSignature


class SmsMessage(Strict):
    """China's carriers take a message as an approved signature (the sender's name, shown
    between 【】 before the text) and the text; the signature is the county's for its cases,
    the platform's for what is no county's (sign-in codes)."""

    phone: str = Field(pattern=r"^1[3-9][0-9]{9}$")
    signature: SmsSignature
    text: str = Field(min_length=1, max_length=500)
    code: str | None = Field(default=None, pattern=r"^[0-9]{6}$")
    purpose: str = "otp"

    @property
    def rendered(self) -> str:
        """What the phone shows: 【signature】text."""
        return f"【{self.signature}】{self.text}"
