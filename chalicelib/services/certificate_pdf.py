"""The certificate as a one-page PDF, written directly (no PDF library: reportlab would
bring Pillow and double the deployment package).

Chinese text uses the standard Adobe CJK font STSong-Light with the UniGB-UCS2-H encoding,
which every PDF reader supplies (nothing is embedded); the verification QR code is drawn
as filled squares from segno's matrix.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chalicelib.domain.calendar import beijing_date

PAGE_WIDTH, PAGE_HEIGHT = 595, 842  # A4 in points
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


def _text(value: str) -> str:
    """A PDF hex string in UTF-16BE, as the UniGB-UCS2-H CMap expects."""
    return "<" + value.encode("utf-16-be").hex().upper() + ">"


def _wrap(value: str, width: int) -> list[str]:
    return [value[i : i + width] for i in range(0, len(value), width)] or [""]


def _qr_operations(url: str, x: float, y: float, size: float) -> str:
    import segno

    matrix = segno.make(url, error="m").matrix
    modules = len(matrix)
    cell = size / modules
    ops = ["0 0 0 rg"]
    for row_index, row in enumerate(matrix):
        for col_index, dark in enumerate(row):
            if dark:
                left = x + col_index * cell
                bottom = y + size - (row_index + 1) * cell
                ops.append(f"{left:.2f} {bottom:.2f} {cell:.2f} {cell:.2f} re f")
    return "\n".join(ops)


def render(content: CertificateContent) -> bytes:
    """The certificate as a one-page PDF: the frame, the text, the verification QR code."""
    text_ops = ["BT"]
    for size, x, line_y, value in _lines(content):
        text_ops.append(f"/F1 {size} Tf 1 0 0 1 {x:.2f} {line_y:.2f} Tm {_text(value)} Tj")
    text_ops.append("ET")
    frame = "0.6 0.1 0.1 RG 3 w 36 36 523 770 re S"
    stream = "\n".join([frame, *text_ops, _qr_operations(content.verify_url, 420, 170, 110)])
    return _document(stream.encode("latin-1"))


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


def _document(body: bytes) -> bytes:
    """A PDF 1.7 file of one page with `body` as its content stream, in STSong-Light (a
    font every PDF reader has for Chinese, so nothing is embedded)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_WIDTH} {PAGE_HEIGHT}] "
            "/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>"
        ).encode(),
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H "
        b"/DescendantFonts [6 0 R] >>",
        b"<< /Length " + str(len(body)).encode() + b" >>\nstream\n" + body + b"\nendstream",
        b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 4 >> "
        b"/FontDescriptor 7 0 R /DW 1000 /W [1 95 500] >>",
        b"<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 "
        b"/FontBBox [-25 -254 1000 880] /ItalicAngle 0 /Ascent 880 /Descent -120 "
        b"/CapHeight 880 /StemV 93 >>",
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + obj + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    ).encode()
    return bytes(out)
