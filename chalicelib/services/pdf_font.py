"""A TrueType font read from bytes, and the subset of it one PDF embeds: only the glyphs the
document draws, renumbered from 1 (0 stays .notdef), as a CIDFontType2's FontFile2.

The shipped font (chalicelib/fonts/NotoSerifSC-GB2312.ttf, built by `python -m infra.fonts`)
has simple quadratic outlines and no hinting; composite glyphs are still handled (their
components join the subset and are renumbered) so another TrueType font works too. Only the
tables a PDF reader needs for an embedded CIDFontType2 are written (ISO 32000 9.9: head,
hhea, hmtx, loca, glyf, maxp, and cvt/fpgm/prep when present); the PDF's CIDToGIDMap is
Identity and its ToUnicode map gives the text back.
"""

from __future__ import annotations

import struct
from functools import cache
from pathlib import Path

FONT_PATH = Path(__file__).resolve().parent.parent / "fonts" / "NotoSerifSC-GB2312.ttf"
KEEP_TABLES = (b"cvt ", b"fpgm", b"prep")

# composite glyph flags (OpenType glyf)
_ARGS_ARE_WORDS = 0x0001
_HAVE_SCALE = 0x0008
_MORE_COMPONENTS = 0x0020
_HAVE_XY_SCALE = 0x0040
_HAVE_2X2 = 0x0080


class TrueTypeFont:
    """The tables of a TrueType (glyf) font: character map, advance widths, outlines."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        (count,) = struct.unpack_from(">H", data, 4)
        self._tables: dict[bytes, tuple[int, int]] = {}
        for i in range(count):
            tag, _, offset, length = struct.unpack_from(">4sIII", data, 12 + 16 * i)
            self._tables[tag] = (offset, length)
        head = self.table(b"head")
        self.units_per_em = struct.unpack_from(">H", head, 18)[0]
        self.bbox = struct.unpack_from(">hhhh", head, 36)
        long_loca = struct.unpack_from(">h", head, 50)[0] == 1
        hhea = self.table(b"hhea")
        self.ascent, self.descent = struct.unpack_from(">hh", hhea, 4)
        metrics = struct.unpack_from(">H", hhea, 34)[0]
        self.glyph_count = struct.unpack_from(">H", self.table(b"maxp"), 4)[0]
        hmtx = self.table(b"hmtx")
        widths = list(struct.unpack_from(f">{metrics * 2}H", hmtx)[0::2])
        self._advances = widths + [widths[-1]] * (self.glyph_count - metrics)
        loca = self.table(b"loca")
        if long_loca:
            self._loca = list(struct.unpack_from(f">{self.glyph_count + 1}I", loca))
        else:
            self._loca = [2 * v for v in struct.unpack_from(f">{self.glyph_count + 1}H", loca)]
        self._cmap = _parse_cmap(self.table(b"cmap"))
        os2 = self.table(b"OS/2")
        self.cap_height = (
            struct.unpack_from(">h", os2, 88)[0] if len(os2) >= 90 else int(self.ascent * 0.7)
        )

    def table(self, tag: bytes) -> bytes:
        offset, length = self._tables[tag]
        return self._data[offset : offset + length]

    def glyph(self, char: str) -> int | None:
        """The glyph drawing `char`, or None when the font has none."""
        return self._cmap.get(ord(char))

    def advance(self, glyph: int) -> int:
        """The advance width of `glyph` in 1/1000 of the font size (PDF's text space)."""
        return round(self._advances[glyph] * 1000 / self.units_per_em)

    def _outline(self, glyph: int) -> bytes:
        start, end = self._loca[glyph], self._loca[glyph + 1]
        offset = self._tables[b"glyf"][0]
        return self._data[offset + start : offset + end]

    def closure(self, glyphs: list[int]) -> list[int]:
        """`glyphs` and, after them, the components their composite outlines use."""
        order = list(dict.fromkeys([0, *glyphs]))
        seen = set(order)
        for glyph in order:  # grows while it is walked: components of components
            for component in _components(self._outline(glyph)):
                if component not in seen:
                    seen.add(component)
                    order.append(component)
        return order

    def subset(self, glyphs: list[int]) -> bytes:
        """A font of `glyphs` (their closure) where new glyph i is `closure[i]`: the caller
        numbers its text by that same order (0 is .notdef)."""
        order = self.closure(glyphs)
        renumber = {old: new for new, old in enumerate(order)}
        outlines, loca = bytearray(), []
        for old in order:
            loca.append(len(outlines))
            outlines += _renumbered(self._outline(old), renumber)
            outlines += b"\0" * (-len(outlines) % 4)
        loca.append(len(outlines))
        count = len(order)
        head = bytearray(self.table(b"head"))
        head[8:12] = b"\0\0\0\0"  # checkSumAdjustment, set below
        head[50:52] = struct.pack(">h", 1)  # long loca
        hhea = bytearray(self.table(b"hhea"))
        hhea[34:36] = struct.pack(">H", count)
        maxp = bytearray(self.table(b"maxp"))
        maxp[4:6] = struct.pack(">H", count)
        hmtx = b"".join(struct.pack(">Hh", self._advances[g], 0) for g in order)
        tables = {
            b"glyf": bytes(outlines),
            b"head": bytes(head),
            b"hhea": bytes(hhea),
            b"hmtx": hmtx,
            b"loca": struct.pack(f">{count + 1}I", *loca),
            b"maxp": bytes(maxp),
            **{tag: self.table(tag) for tag in KEEP_TABLES if tag in self._tables},
        }
        return _sfnt(tables)


def _parse_cmap(cmap: bytes) -> dict[int, int]:
    """Unicode → glyph from the best Unicode subtable (format 12, else format 4)."""
    (count,) = struct.unpack_from(">H", cmap, 2)
    subtables: dict[int, int] = {}
    for i in range(count):
        platform, encoding, offset = struct.unpack_from(">HHI", cmap, 4 + 8 * i)
        if (platform, encoding) in ((3, 10), (0, 4), (3, 1), (0, 3)):
            subtables.setdefault(struct.unpack_from(">H", cmap, offset)[0], offset)
    if 12 in subtables:
        offset = subtables[12]
        (groups,) = struct.unpack_from(">I", cmap, offset + 12)
        mapping: dict[int, int] = {}
        for g in range(groups):
            first, last, glyph = struct.unpack_from(">III", cmap, offset + 16 + 12 * g)
            for code in range(first, last + 1):
                mapping[code] = glyph + code - first
        return mapping
    if 4 in subtables:
        return _format4(cmap, subtables[4])
    raise ValueError("the font has no Unicode cmap subtable")


def _format4(cmap: bytes, offset: int) -> dict[int, int]:
    segments = struct.unpack_from(">H", cmap, offset + 6)[0] // 2
    base = offset + 14
    ends = struct.unpack_from(f">{segments}H", cmap, base)
    starts = struct.unpack_from(f">{segments}H", cmap, base + 2 * segments + 2)
    deltas = struct.unpack_from(f">{segments}h", cmap, base + 4 * segments + 2)
    ranges_at = base + 6 * segments + 2
    ranges = struct.unpack_from(f">{segments}H", cmap, ranges_at)
    mapping: dict[int, int] = {}
    for i in range(segments):
        for code in range(starts[i], ends[i] + 1):
            if code == 0xFFFF:
                continue
            if ranges[i] == 0:
                glyph = (code + deltas[i]) & 0xFFFF
            else:
                at = ranges_at + 2 * i + ranges[i] + 2 * (code - starts[i])
                glyph = struct.unpack_from(">H", cmap, at)[0]
                glyph = (glyph + deltas[i]) & 0xFFFF if glyph else 0
            if glyph:
                mapping[code] = glyph
    return mapping


def _component_offsets(outline: bytes) -> list[int]:
    """Where each component's glyph index sits in a composite outline (none if simple)."""
    if len(outline) < 10 or struct.unpack_from(">h", outline, 0)[0] >= 0:
        return []
    offsets, at = [], 10
    while True:
        flags = struct.unpack_from(">H", outline, at)[0]
        offsets.append(at + 2)
        at += 4 + (4 if flags & _ARGS_ARE_WORDS else 2)
        if flags & _HAVE_SCALE:
            at += 2
        elif flags & _HAVE_XY_SCALE:
            at += 4
        elif flags & _HAVE_2X2:
            at += 8
        if not flags & _MORE_COMPONENTS:
            return offsets


def _components(outline: bytes) -> list[int]:
    return [struct.unpack_from(">H", outline, at)[0] for at in _component_offsets(outline)]


def _renumbered(outline: bytes, renumber: dict[int, int]) -> bytes:
    offsets = _component_offsets(outline)
    if not offsets:
        return outline
    changed = bytearray(outline)
    for at in offsets:
        old = struct.unpack_from(">H", outline, at)[0]
        changed[at : at + 2] = struct.pack(">H", renumber[old])
    return bytes(changed)


def _checksum(data: bytes) -> int:
    padded = data + b"\0" * (-len(data) % 4)
    return sum(struct.unpack(f">{len(padded) // 4}I", padded)) & 0xFFFFFFFF


def _sfnt(tables: dict[bytes, bytes]) -> bytes:
    """An OpenType file of `tables`, sorted by tag, with checksums and head's adjustment."""
    tags = sorted(tables)
    count = len(tags)
    power = 1 << (count.bit_length() - 1)
    header = struct.pack(">IHHHH", 0x00010000, count, power * 16, power.bit_length() - 1,
                         count * 16 - power * 16)  # fmt: skip
    directory, body = bytearray(), bytearray()
    offset = 12 + 16 * count
    for tag in tags:
        data = tables[tag]
        directory += struct.pack(">4sIII", tag, _checksum(data), offset + len(body), len(data))
        body += data + b"\0" * (-len(data) % 4)
    font = bytearray(header + directory + body)
    head_at = offset + sum(
        len(tables[t]) + (-len(tables[t]) % 4) for t in tags[: tags.index(b"head")]
    )
    adjustment = (0xB1B0AFBA - _checksum(bytes(font))) & 0xFFFFFFFF
    font[head_at + 8 : head_at + 12] = struct.pack(">I", adjustment)
    return bytes(font)


@cache
def shipped_font() -> TrueTypeFont:
    """The font every notice and certificate embeds, read once per container."""
    return TrueTypeFont(FONT_PATH.read_bytes())
