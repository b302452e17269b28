"""Masking personal numbers typed into free text: mainland mobile phones and resident ID card
numbers (and their +86 / 0086 forms), wherever a role other than the person who typed them
reads the text, and always on public output.

Written to survive what people (and probes) type: full-width and other Unicode digits,
separators between the digits (whitespace of any kind and newlines, dashes, dots, slashes,
brackets, commas, underscores, and any other punctuation or symbol character), invisible
characters (zero-width spaces and joiners, soft hyphens, BOMs), and numbers glued to
letters (`sfz370830199001011235`, `tel13953700001`). Only the number itself is replaced —
separators inside it go too — and every other character of the text is left exactly as it
was (full-width punctuation stays full-width).

A number is found as a *run*: digits with at most a few separators or invisible characters
between neighbours. Inside a run, a phone or an ID starts where a group of digits starts
(after a separator, or at the run's start) and ends where a group ends, so a longer number —
a tracking or an order number written without separators — is never partly masked.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

# Characters that may sit between the digits of one number.
_SEPARATORS = frozenset(" \t\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008")
_SEPARATORS |= frozenset("\u2009\u200a\u202f\u205f\u3000")
_SEPARATORS |= frozenset("-‐‑‒–—―－.。．·・/／\\(（)）[［]］,，、_＿:：")
# Beyond the list: any whitespace (newlines too), dash, connector, other punctuation, bracket,
# quote, math or modifier symbol (− ~ * # | …) and other symbol (☎ 📱 …) separates too.
_SEPARATOR_CATEGORIES = frozenset({"Pd", "Pc", "Po", "Ps", "Pe", "Pi", "Pf", "Sm", "Sk", "So"})
_SEPARATORS |= frozenset("ー～")
_MAX_GAP = 6  # separators between two digits of one number (invisible characters don't count)


def _separator(char: str) -> bool:
    return (
        char in _SEPARATORS or char.isspace() or unicodedata.category(char) in _SEPARATOR_CATEGORIES
    )


def _invisible(char: str) -> bool:
    """Format characters (zero-width space, joiners, BOM, soft hyphen …) show nothing."""
    return unicodedata.category(char) == "Cf"


def _digit(char: str) -> str | None:
    """The ASCII digit `char` stands for: ASCII, full-width, other scripts' decimal digits and
    compatibility forms such as ① or ⒈."""
    if char.isdigit() or char.isdecimal():
        try:
            return str(unicodedata.digit(char))
        except (TypeError, ValueError):
            pass
    folded = unicodedata.normalize("NFKC", char)
    if len(folded) == 1 and folded.isascii() and folded.isdigit():
        return folded
    if len(folded) == 2 and folded[0].isascii() and folded[0].isdigit() and folded[1] == ".":
        return folded[0]  # ⒈ …
    return None


def _is_x(char: str) -> bool:
    return unicodedata.normalize("NFKC", char) in ("X", "x")


@dataclass
class _Digit:
    value: str
    start: int  # index in the text
    end: int  # index after it
    group_start: bool  # a separator (or the run's start) comes before it


def _runs(text: str) -> list[list[_Digit]]:
    runs: list[list[_Digit]] = []
    current: list[_Digit] = []
    gap = 0
    separated = True
    for index, char in enumerate(text):
        value = _digit(char)
        if value is not None:
            if current and gap > _MAX_GAP:
                runs.append(current)
                current = []
            current.append(_Digit(value, index, index + 1, separated or not current))
            gap = 0
            separated = False
        elif _invisible(char):
            continue
        elif current and _separator(char):
            gap += 1
            separated = True
        else:
            if current:
                runs.append(current)
            current = []
            gap = 0
            separated = True
    if current:
        runs.append(current)
    return runs


def _group_end(run: list[_Digit], index: int) -> bool:
    """Digit `index` ends a group: the run ends after it, or a separator follows."""
    return index + 1 == len(run) or run[index + 1].group_start


def _mask_phone(digits: str) -> str:
    return digits[:3] + "****" + digits[-4:]


def _mask_id(digits: str) -> str:
    return digits[:6] + "********" + digits[-4:]


def _x_after(text: str, position: int) -> int | None:
    """Index of an X check character right after `position` (separators and invisible
    characters allowed in between, as between digits)."""
    index = position
    gap = 0
    while index < len(text) and (_invisible(text[index]) or _separator(text[index])):
        gap += _separator(text[index])
        index += 1
    if gap > _MAX_GAP or index >= len(text) or not _is_x(text[index]):
        return None
    return index


def _plus_before(text: str, position: int) -> int:
    """`position`, or the index of a + (or ＋) just before it: part of +86."""
    index = position - 1
    while index >= 0 and (_invisible(text[index]) or text[index] in " \u3000"):
        index -= 1
    return index if index >= 0 and text[index] in "+＋" else position


def _phone_at(run: list[_Digit], i: int) -> int | None:
    """Length in digits of a phone (with +86 / 0086 in front, or not) starting at `i`."""
    values = "".join(d.value for d in run[i : i + 15])
    for prefix in ("0086", "86", ""):
        n = len(prefix) + 11
        number = values[len(prefix) : n]
        if (
            values.startswith(prefix)
            and len(number) == 11
            and number[0] == "1"
            and number[1] in "3456789"
            and _group_end(run, i + n - 1)
        ):
            return n
    return None


def redact(text: str) -> str:
    """`text` with every phone and ID card number masked (139****0001, 370830********1235)."""
    if not text:
        return text
    replacements: list[tuple[int, int, str]] = []
    for run in _runs(text):
        i = 0
        while i < len(run):
            if not run[i].group_start:
                i += 1
                continue
            digits = "".join(d.value for d in run[i : i + 18])
            x_at = _x_after(text, run[i + 16].end) if len(run) >= i + 17 else None
            if len(digits) == 18 and _group_end(run, i + 17):
                replacements.append((run[i].start, run[i + 17].end, _mask_id(digits)))
                i += 18
                continue
            if x_at is not None and (i + 17 == len(run) or run[i + 17].start > x_at):
                replacements.append((run[i].start, x_at + 1, _mask_id(digits[:17] + "X")))
                i += 17
                continue
            length = _phone_at(run, i)
            if length:
                number = "".join(d.value for d in run[i + length - 11 : i + length])
                start = _plus_before(text, run[i].start) if length > 11 else run[i].start
                replacements.append((start, run[i + length - 1].end, _mask_phone(number)))
                i += length
                continue
            i += 1
    if not replacements:
        return text
    out = []
    last = 0
    for start, end, masked in replacements:
        out.append(text[last:start])
        out.append(masked)
        last = end
    out.append(text[last:])
    return "".join(out)


def redact_all(value: object) -> object:
    """Every string inside `value` (a JSON-like structure) redacted."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list):
        return [redact_all(v) for v in value]
    if isinstance(value, dict):
        return {k: redact_all(v) for k, v in value.items()}
    return value
