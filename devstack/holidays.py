"""Regenerates data/holidays.json from the chinese-calendar package (the State Council's
published arrangements it knows). Later years are loaded by an administrator through
PUT /admin/calendar/{year} as the State Council publishes them each November.

    python -m devstack.holidays 2024 2026
"""

from __future__ import annotations

import json
import sys

from infra.definitions import DATA_DIR


def arrangement(first: int, last: int) -> dict[str, dict[str, list[str]]]:
    import chinese_calendar

    years = {}
    for year in range(first, last + 1):
        years[str(year)] = {
            "holidays": sorted(d.isoformat() for d in chinese_calendar.holidays if d.year == year),
            "workdays": sorted(d.isoformat() for d in chinese_calendar.workdays if d.year == year),
        }
    return years


def main(argv: list[str]) -> None:
    first, last = (int(argv[0]), int(argv[1])) if len(argv) == 2 else (2024, 2026)
    document = {
        "comment": "Public holidays and adjusted working days (调休上班) by year, from the "
        "chinese-calendar package (regenerate: python -m devstack.holidays FIRST LAST). "
        "Load later years with PUT /admin/calendar/{year}.",
        "years": arrangement(first, last),
    }
    (DATA_DIR / "holidays.json").write_text(
        json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
