"""Tabular exports: CSV (UTF-8 with BOM, so spreadsheet programs read Chinese right) and
XLSX workbooks (XlsxWriter, imported by the export route only). Instants are written as the
API writes them (ISO 8601, +08:00) in CSV, and as date cells in Beijing time in XLSX."""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import datetime

from chalicelib.domain.common import BEIJING, local_iso

Cell = str | int | float | bool | datetime | None
Sheet = tuple[str, Sequence[str], Iterable[Sequence[Cell]]]

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else _safe_text(_text(v)) for v in row])
    return "\ufeff" + out.getvalue()


def _text(value: Cell) -> Cell:
    return local_iso(value) if isinstance(value, datetime) else value


def _safe_text(value: Cell) -> Cell:
    """Text starting with = + - @ would run as a formula in a spreadsheet (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _width(value: Cell) -> int:
    """Display width in spreadsheet columns: CJK characters take two."""
    if isinstance(value, datetime):
        return 25
    text = "" if value is None else str(value)
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def to_xlsx(sheets: Sequence[Sheet]) -> bytes:
    """One worksheet per table (XlsxWriter, imported only here): instants as real date
    cells in Beijing time, a frozen and filtered header, widths fitted to the content."""
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )
    header_format = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    when = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    for name, header, rows in sheets:
        sheet = workbook.add_worksheet(name[:31])
        widths = [_width(h) for h in header]
        for c, title in enumerate(header):
            sheet.write_string(0, c, title, header_format)
        count = 0
        for r, row in enumerate(rows, start=1):
            count = r
            for c, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, datetime):
                    local = value.astimezone(BEIJING).replace(tzinfo=None)
                    sheet.write_datetime(r, c, local, when)
                elif isinstance(value, bool):
                    sheet.write_boolean(r, c, value)
                elif isinstance(value, int | float):
                    sheet.write_number(r, c, value)
                else:
                    sheet.write_string(r, c, str(value))
                if c < len(widths):
                    widths[c] = max(widths[c], _width(value))
        for c, width in enumerate(widths):
            sheet.set_column(c, c, min(max(width + 2, 8), 60))
        sheet.freeze_panes(1, 0)
        if header:
            sheet.autofilter(0, 0, max(count, 1), len(header) - 1)
    workbook.close()
    return buffer.getvalue()
