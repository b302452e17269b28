"""The certificate as a one-page PDF, through the app's PDF writer (services/pdf_writer.py):
its text in the embedded subset of the shipped CJK font (so it reads the same everywhere and
can be archived), the verification QR code drawn as filled squares from segno's matrix.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chalicelib.domain.calendar import beijing_date
from chalicelib.services.pdf_writer import Pdf

MAX_OPINION_LINES = 12


@dataclass(frozen=True)
class CertificateContent:
    title: str
    number: str
    holder: str
    service: str
    issued_at: datetime
    opinions: list[tuple[str, str]]  # (department, opinion)
    verify_code: str
    verify_url: str
    issuer: str


def _wrap(value: str, width: int) -> list[str]:
    return [value[i : i + width] for i in range(0, len(value), width)] or [""]


def render(content: CertificateContent) -> bytes:
    """The certificate as a one-page PDF: the frame, the text, the verification QR code."""
    pdf = Pdf()
    page = pdf.page()
    page.operations.append("0.6 0.1 0.1 RG 3 w 36 36 523 770 re S 0 0 0 RG")
    for size, x, line_y, value in _lines(content):
        pdf.text(page, x, line_y, size, value)
    pdf.qr(page, content.verify_url, 420, 170, 110)
    return pdf.to_bytes(f"{content.title} {content.number}", content.issued_at)


def _lines(content: CertificateContent) -> list[tuple[int, float, float, str]]:
    """Each line of text: (font size, x, y, text); long opinions wrap and are cut short
    before they reach the QR code and the seal."""
    lines: list[tuple[int, float, float, str]] = [
        (26, 150, 740, content.title),
        (12, 72, 690, f"证书编号 No.: {content.number}"),
        (14, 72, 650, f"持证人：{content.holder}"),
        (14, 72, 622, f"事项：{content.service}"),
        (14, 72, 594, f"发证日期：{beijing_date(content.issued_at).strftime('%Y年%m月%d日')}"),
        (14, 72, 552, "审批意见："),
    ]
    y = 528.0
    opinion_lines = [
        part
        for department, opinion in content.opinions
        for part in _wrap(f"{department}：{opinion}", 34)
    ]
    if len(opinion_lines) > MAX_OPINION_LINES:  # keep clear of the QR code and the seal
        opinion_lines = [*opinion_lines[: MAX_OPINION_LINES - 1], "……（详见审批记录）"]
    for part in opinion_lines:
        lines.append((12, 90, y, part))
        y -= 20
    lines += [
        (14, 330, 150, content.issuer),
        (11, 72, 110, f"验证码 Verification code: {content.verify_code}"),
        (9, 72, 92, f"扫码或访问 {content.verify_url} 核验真伪"),
    ]
    return lines
