"""A written notice as a PDF: title, addressee, the body's paragraphs and numbered items,
the issuing authority and date, and on every page the case number, the verification code
and its QR code (and, on a receipt, how to follow the case).

`render(NoticeContent) -> (pdf bytes, every character embedded?)`; the wording of each kind
is built by `services/notice_texts.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from chalicelib.domain.calendar import beijing_date
from chalicelib.services.pdf_writer import PAGE_HEIGHT, PAGE_WIDTH, Page, Pdf

LEFT, RIGHT = 72.0, PAGE_WIDTH - 72.0
BODY_SIZE, LINE = 13.0, 23.0
FOOTER_TOP = 150.0  # the body stops above the footer (QR code and verification)
NO_LINE_START = set("，。、；：？！）》」』〕】”’,.;:?!)%")


@dataclass(frozen=True)
class NoticeContent:
    title: str
    case_number: str
    addressee: str
    paragraphs: list[str]
    items: list[str] = field(default_factory=list)  # numbered, after the first paragraph
    closing: list[str] = field(default_factory=list)  # paragraphs after the items
    issuer: str = ""
    issued_at: datetime | None = None
    verify_code: str = ""
    verify_url: str = ""
    follow_url: str | None = None  # a receipt: where the visitor follows the case
    follow_text: str = ""


def wrap(pdf: Pdf, value: str, size: float, width: float, indent: float = 0) -> list[str]:
    """`value` cut into lines no wider than `width` (the first `indent` narrower); a closing
    punctuation mark never starts a line (it hangs at the end of the one before)."""
    lines, current, limit = [], "", width - indent
    for char in value:
        if current and pdf.width(current + char, size) > limit and char not in NO_LINE_START:
            lines.append(current)
            current, limit = "", width
        current += char
    return [*lines, current]


class _Layout:
    def __init__(self, pdf: Pdf, content: NoticeContent) -> None:
        self.pdf, self.content = pdf, content
        self.page: Page = pdf.page()
        self.y = PAGE_HEIGHT - 100

    def _room(self, height: float) -> None:
        if self.y - height < FOOTER_TOP:
            self.page = self.pdf.page()
            self.y = PAGE_HEIGHT - 90

    def heading(self) -> None:
        c = self.content
        self.pdf.centred(self.page, self.y, 24, c.title, bold=True)
        self.y -= 34
        self.pdf.right(self.page, RIGHT, self.y, 11, f"办件编号：{c.case_number}")
        self.y -= 10
        self.pdf.line(self.page, LEFT, self.y, RIGHT, self.y, 1.2)
        self.y -= 36
        self.pdf.text(self.page, LEFT, self.y, BODY_SIZE, f"{c.addressee}：")
        self.y -= LINE + 4

    def paragraph(self, value: str, indent: float = 2 * BODY_SIZE, hang: float = 0) -> None:
        width = RIGHT - LEFT - hang
        for number, line in enumerate(wrap(self.pdf, value, BODY_SIZE, width, indent - hang)):
            self._room(LINE)
            x = LEFT + (indent if number == 0 else hang)
            self.pdf.text(self.page, x, self.y, BODY_SIZE, line)
            self.y -= LINE
        self.y -= 6

    def signature(self) -> None:
        c = self.content
        self._room(3 * LINE + 20)
        self.y -= 24
        self.pdf.right(self.page, RIGHT - 20, self.y, 14, c.issuer)
        self.y -= LINE + 2
        when = beijing_date(c.issued_at) if c.issued_at else None
        if when is not None:
            self.pdf.right(
                self.page, RIGHT - 20, self.y, 14, f"{when:%Y}年{when.month}月{when.day}日"
            )

    def footers(self) -> None:
        c, pages = self.content, self.pdf.pages
        for number, page in enumerate(pages, start=1):
            self.pdf.line(page, LEFT, 136, RIGHT, 136, 0.5)
            self.pdf.qr(page, c.verify_url, LEFT, 40, 84)
            x = LEFT + 98
            self.pdf.text(page, x, 110, 11, f"办件编号：{c.case_number}")
            self.pdf.text(page, x, 92, 11, f"验证码：{c.verify_code}")
            for i, line in enumerate(wrap(self.pdf, f"扫码或访问 {c.verify_url} 核验真伪", 9, 250)):
                self.pdf.text(page, x, 74 - 12 * i, 9, line)
            if c.follow_url and number == 1:
                self.pdf.qr(page, c.follow_url, RIGHT - 84, 40, 84)
                for i, line in enumerate(wrap(self.pdf, c.follow_text, 9, 150)):
                    self.pdf.right(page, RIGHT - 92, 110 - 12 * i, 9, line)
            self.pdf.centred(page, 22, 9, f"第 {number} 页 共 {len(pages)} 页")


def render(content: NoticeContent) -> tuple[bytes, bool]:
    """The notice's PDF, and whether every character is in the embedded font."""
    pdf = Pdf()
    layout = _Layout(pdf, content)
    layout.heading()
    first, *rest = content.paragraphs or [""]
    layout.paragraph(first)
    for number, item in enumerate(content.items, start=1):
        label = f"{number}. "
        layout.paragraph(
            label + item, indent=2 * BODY_SIZE, hang=2 * BODY_SIZE + pdf.width(label, BODY_SIZE)
        )
    for value in [*rest, *content.closing]:
        layout.paragraph(value)
    layout.signature()
    layout.footers()
    when = content.issued_at or datetime.now().astimezone()
    return pdf.to_bytes(content.title, when), not pdf.fallback_used
