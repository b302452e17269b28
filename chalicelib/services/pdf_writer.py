"""A small PDF writer for the app's documents (notices, certificates): A4 pages of text in an
embedded CJK font, lines, rectangles and QR codes. No PDF library: reportlab would bring
Pillow and double the deployment package.

The text font is embedded as a subset (a Type0 font over a CIDFontType2, Identity-H, with a
ToUnicode map, so the text can be searched, copied and extracted, and the document looks
the same everywhere). A character the shipped font lacks (a rare name character beyond
GB 2312) is drawn in the reader's STSong-Light instead of as a blank box; such a document
says so (`Pdf.fallback_used`), since an archival copy must embed every font it uses.
"""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass, field
from datetime import datetime

from chalicelib.services.pdf_font import TrueTypeFont, shipped_font

PAGE_WIDTH, PAGE_HEIGHT = 595, 842  # A4 in points
FALLBACK = "F2"  # STSong-Light, UniGB-UCS2-H: the reader's own
_FALLBACK_FONT = (
    b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H "
    b"/DescendantFonts [<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
    b"/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 4 >> "
    b"/FontDescriptor << /Type /FontDescriptor /FontName /STSong-Light /Flags 6 "
    b"/FontBBox [-25 -254 1000 880] /ItalicAngle 0 /Ascent 880 /Descent -120 "
    b"/CapHeight 880 /StemV 93 >> /DW 1000 >>] >>"
)


@dataclass
class Page:
    operations: list[str] = field(default_factory=list)


class Pdf:
    """One document: add pages and draw on them, then `to_bytes()`."""

    def __init__(self, font: TrueTypeFont | None = None) -> None:
        self._font = font or shipped_font()
        self.pages: list[Page] = []
        self._glyphs: dict[int, int] = {0: 0}  # the font's glyph → this document's CID
        self._unicode: dict[int, str] = {}  # CID → the text it draws
        self.fallback_used = False

    def page(self) -> Page:
        page = Page()
        self.pages.append(page)
        return page

    def width(self, value: str, size: float) -> float:
        """How wide `value` is at `size` points."""
        total = 0
        for char in value:
            glyph = self._font.glyph(char)
            total += self._font.advance(glyph) if glyph is not None else 1000
        return total * size / 1000

    def _cid(self, char: str) -> int | None:
        glyph = self._font.glyph(char)
        if glyph is None:
            return None
        cid = self._glyphs.setdefault(glyph, len(self._glyphs))
        self._unicode.setdefault(cid, char)
        return cid

    def text(
        self, page: Page, x: float, y: float, size: float, value: str, *, bold: bool = False
    ) -> None:
        """`value` from (x, y) on its baseline; `bold` strokes the outlines as well (the one
        shipped weight, emboldened)."""
        runs: list[tuple[bool, str]] = []  # (embedded, hex)
        for char in value:
            cid = self._cid(char)
            if cid is None:
                self.fallback_used = True
                code = char.encode("utf-16-be").hex().upper()
            else:
                code = f"{cid:04X}"
            if runs and runs[-1][0] == (cid is not None):
                runs[-1] = (runs[-1][0], runs[-1][1] + code)
            else:
                runs.append((cid is not None, code))
        mode = f"2 Tr {size * 0.025:.2f} w" if bold else "0 Tr"
        ops = [f"BT {mode} 1 0 0 1 {x:.2f} {y:.2f} Tm"]
        for embedded, code in runs:
            ops.append(f"/{'F1' if embedded else FALLBACK} {size:g} Tf <{code}> Tj")
        ops.append("ET")
        page.operations.append(" ".join(ops))

    def centred(self, page: Page, y: float, size: float, value: str, *, bold: bool = False) -> None:
        self.text(page, (PAGE_WIDTH - self.width(value, size)) / 2, y, size, value, bold=bold)

    def right(self, page: Page, right: float, y: float, size: float, value: str) -> None:
        self.text(page, right - self.width(value, size), y, size, value)

    @staticmethod
    def line(page: Page, x1: float, y1: float, x2: float, y2: float, width: float = 0.8) -> None:
        page.operations.append(f"{width:.2f} w {x1:.2f} {y1:.2f} m {x2:.2f} {y2:.2f} l S")

    @staticmethod
    def frame(page: Page, x: float, y: float, w: float, h: float, colour: str) -> None:
        page.operations.append(f"{colour} RG 2 w {x} {y} {w} {h} re S 0 0 0 RG")

    @staticmethod
    def qr(page: Page, url: str, x: float, y: float, size: float) -> None:
        """A QR code of `url` (segno's matrix, error correction M) as filled squares."""
        import segno

        matrix = segno.make(url, error="m").matrix
        cell = size / len(matrix)
        ops = ["0 0 0 rg"]
        for row_index, row in enumerate(matrix):
            for col_index, dark in enumerate(row):
                if dark:
                    left = x + col_index * cell
                    bottom = y + size - (row_index + 1) * cell
                    ops.append(f"{left:.2f} {bottom:.2f} {cell:.2f} {cell:.2f} re f")
        page.operations.append("\n".join(ops))

    def to_bytes(self, title: str, created: datetime) -> bytes:
        """The file: catalog, pages, the embedded subset font, the information dictionary."""
        writer = _Objects()
        catalog, pages_ref = writer.reserve(), writer.reserve()
        font_ref = self._embed(writer)
        fallback_ref = writer.add(_FALLBACK_FONT) if self.fallback_used else None
        fonts = f"/F1 {font_ref} 0 R" + (f" /{FALLBACK} {fallback_ref} 0 R" if fallback_ref else "")
        kids = []
        for page in self.pages:
            content = writer.stream("\n".join(page.operations).encode("latin-1"))
            kids.append(
                writer.add(
                    (
                        f"<< /Type /Page /Parent {pages_ref} 0 R /MediaBox [0 0 {PAGE_WIDTH} "
                        f"{PAGE_HEIGHT}] /Resources << /Font << {fonts} >> >> "
                        f"/Contents {content} 0 R >>"
                    ).encode()
                )
            )
        refs = " ".join(f"{k} 0 R" for k in kids)
        writer.set(pages_ref, f"<< /Type /Pages /Kids [{refs}] /Count {len(kids)} >>".encode())
        writer.set(catalog, f"<< /Type /Catalog /Pages {pages_ref} 0 R /Lang (zh-CN) >>".encode())
        stamp = created.strftime("D:%Y%m%d%H%M%SZ")
        info = writer.add(
            (
                f"<< /Title <FEFF{title.encode('utf-16-be').hex().upper()}> "
                f"/Producer (Bianmin) /CreationDate ({stamp}) /ModDate ({stamp}) >>"
            ).encode()
        )
        return writer.file(catalog, info)

    def _embed(self, writer: _Objects) -> int:
        """The Type0 font: its CIDFontType2 with the subset, widths and the ToUnicode map."""
        font = self._font
        glyphs = sorted(self._glyphs, key=self._glyphs.__getitem__)  # by CID
        subset = font.subset(glyphs[1:])
        # closure() keeps our order and appends any composite components after it
        tag = "".join(chr(65 + b % 26) for b in hashlib.sha256(repr(glyphs).encode()).digest()[:6])
        name = f"{tag}+NotoSerifCJKsc-Regular"
        file_ref = writer.stream(subset, extra=f"/Length1 {len(subset)}")
        scale = 1000 / font.units_per_em
        bbox = " ".join(str(round(v * scale)) for v in font.bbox)
        descriptor = writer.add(
            (
                f"<< /Type /FontDescriptor /FontName /{name} /Flags 6 /FontBBox [{bbox}] "
                f"/ItalicAngle 0 /Ascent {round(font.ascent * scale)} "
                f"/Descent {round(font.descent * scale)} "
                f"/CapHeight {round(font.cap_height * scale)} /StemV 80 "
                f"/FontFile2 {file_ref} 0 R >>"
            ).encode()
        )
        widths = " ".join(str(font.advance(g)) for g in glyphs)
        cid_font = writer.add(
            (
                f"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /{name} "
                "/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
                f"/FontDescriptor {descriptor} 0 R /CIDToGIDMap /Identity "
                f"/DW 1000 /W [0 [{widths}]] >>"
            ).encode()
        )
        to_unicode = writer.stream(_to_unicode(self._unicode))
        return writer.add(
            (
                f"<< /Type /Font /Subtype /Type0 /BaseFont /{name} /Encoding /Identity-H "
                f"/DescendantFonts [{cid_font} 0 R] /ToUnicode {to_unicode} 0 R >>"
            ).encode()
        )


def _to_unicode(mapping: dict[int, str]) -> bytes:
    lines = [
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap",
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        "/CMapName /Adobe-Identity-UCS def /CMapType 2 def",
        "1 begincodespacerange <0000> <FFFF> endcodespacerange",
    ]
    items = sorted(mapping.items())
    for start in range(0, len(items), 100):
        chunk = items[start : start + 100]
        lines.append(f"{len(chunk)} beginbfchar")
        lines += [f"<{cid:04X}> <{char.encode('utf-16-be').hex().upper()}>" for cid, char in chunk]
        lines.append("endbfchar")
    lines.append("endcmap CMapName currentdict /CMap defineresource pop end end")
    return "\n".join(lines).encode()


class _Objects:
    """The numbered objects of a PDF file and its cross-reference table."""

    def __init__(self) -> None:
        self._objects: list[bytes | None] = []

    def reserve(self) -> int:
        self._objects.append(None)
        return len(self._objects)

    def set(self, number: int, body: bytes) -> None:
        self._objects[number - 1] = body

    def add(self, body: bytes) -> int:
        self._objects.append(body)
        return len(self._objects)

    def stream(self, data: bytes, extra: str = "") -> int:
        packed = zlib.compress(data, 9)
        head = f"<< /Length {len(packed)} /Filter /FlateDecode {extra} >>\nstream\n".encode()
        return self.add(head + packed + b"\nendstream")

    def file(self, catalog: int, info: int) -> bytes:
        out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for number, body in enumerate(self._objects, start=1):
            offsets.append(len(out))
            out += f"{number} 0 obj\n".encode() + (body or b"null") + b"\nendobj\n"
        xref = len(out)
        count = len(self._objects) + 1
        out += f"xref\n0 {count}\n0000000000 65535 f \n".encode()
        out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
        ident = hashlib.md5(bytes(out), usedforsecurity=False).hexdigest().upper()
        out += (
            f"trailer\n<< /Size {count} /Root {catalog} 0 R /Info {info} 0 R "
            f"/ID [<{ident}> <{ident}>] >>\nstartxref\n{xref}\n%%EOF\n"
        ).encode()
        return bytes(out)
