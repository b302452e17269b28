"""Builds the font the written notices and certificates embed (a subset per document):
chalicelib/fonts/NotoSerifSC-GB2312.ttf, from Noto Serif CJK SC Regular (SIL Open Font
License 1.1, chalicelib/fonts/OFL.txt) as Debian's `fonts-noto-cjk` ships it.

    python -m infra.fonts                  # apt-get installs fonts-noto-cjk if it is missing
    python -m infra.fonts --source FILE    # another copy of NotoSerifCJK-Regular.ttc

What it keeps: printable ASCII, every character of GB 2312 (its 6,763 hanzi and 682 other
characters: CJK and full-width punctuation, Greek, Cyrillic, kana, box drawing, circled
numbers) and a few punctuation marks official documents use beyond it (〔〕《》·—…).
What it changes: the CFF outlines become TrueType quadratic ones (fontTools' cu2qu, error
2/1000 em) at 500 units per em, so the app's own subsetter handles one simple outline format
(`services/pdf_font.py`); layout tables, vertical metrics and glyph names are dropped. The
output is deterministic for a given source (fontTools writes no timestamps we keep), so the
committed file can be rebuilt and compared. Needs `fonttools` (requirements-dev.txt); the
Lambda package never imports it.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

SOURCE = Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc")
FAMILY = "Noto Serif CJK SC"
OUT = Path(__file__).resolve().parent.parent / "chalicelib" / "fonts" / "NotoSerifSC-GB2312.ttf"
EXTRA = "〔〕《》〈〉「」『』【】·—…‘’“”、。，；：？！（）—－～￥℃№※"
MAX_ERROR = 2.0  # font units (of 1000): cu2qu's tolerance
UNITS_PER_EM = 500  # scaled down: most coordinate deltas fit a byte (0.03 pt at 13 pt)


def gb2312_characters() -> set[str]:
    """Every character GB 2312 encodes (rows 1–9 symbols, 16–87 hanzi)."""
    chars: set[str] = set()
    for row in range(0xA1, 0xF8):
        for cell in range(0xA1, 0xFF):
            try:
                chars.add(bytes([row, cell]).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return chars


def wanted_codepoints() -> set[int]:
    chars = gb2312_characters() | set(EXTRA) | {chr(c) for c in range(0x20, 0x7F)}
    return {ord(c) for c in chars} | {0x3000}


def _ensure_source(source: Path) -> None:
    if source.exists():
        return
    subprocess.run(["apt-get", "install", "-y", "-qq", "fonts-noto-cjk"], check=True)


def _face(source: Path):  # type: ignore[no-untyped-def]
    from fontTools.ttLib import TTCollection

    for font in TTCollection(str(source)).fonts:
        if font["name"].getDebugName(1) == FAMILY:
            return font
    raise SystemExit(f"{FAMILY} is not in {source}")


def _subset(font, codepoints: set[int]) -> None:  # type: ignore[no-untyped-def]
    from fontTools import subset

    options = subset.Options()
    options.layout_features = []
    options.hinting = False
    options.desubroutinize = True
    options.notdef_outline = True
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14]
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "BASE", "VORG", "vhea", "vmtx", "DSIG"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=codepoints)
    subsetter.subset(font)


def _to_truetype(font) -> None:  # type: ignore[no-untyped-def]
    """CFF → glyf: each outline through cu2qu (cubic to quadratic), no hints, no names."""
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import newTable

    order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, MAX_ERROR, reverse_direction=True))
        glyphs[name] = pen.glyph()
    glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = glyphs
    font["glyf"] = glyf
    font["loca"] = newTable("loca")
    del font["CFF "]
    maxp = font["maxp"]
    maxp.tableVersion = 0x00010000
    for field in (
        "maxZones",
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
        "maxComponentElements",
        "maxPoints",
        "maxContours",
        "maxCompositePoints",
        "maxCompositeContours",
        "maxComponentDepth",
    ):
        setattr(maxp, field, 0)
    maxp.maxZones = 1
    head = font["head"]
    head.glyphDataFormat = 0
    font["post"].formatType = 3.0
    font.sfntVersion = "\x00\x01\x00\x00"


def build(source: Path, out: Path) -> Path:
    _ensure_source(source)
    font = _face(source)
    _subset(font, wanted_codepoints())
    _to_truetype(font)
    from fontTools.ttLib.scaleUpem import scale_upem

    scale_upem(font, UNITS_PER_EM)
    out.parent.mkdir(parents=True, exist_ok=True)
    font["head"].modified = font["head"].created  # reproducible: no build time inside
    font.save(str(out), reorderTables=True)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.fonts", description=__doc__)
    parser.add_argument("--source", type=Path, default=SOURCE)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    out = build(args.source, args.out)
    print(f"{out} ({out.stat().st_size / 1_000_000:.2f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
