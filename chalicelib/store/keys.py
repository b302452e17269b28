"""Index keys every kind of case shares."""

from __future__ import annotations

from datetime import datetime


def jurisdiction_keys(jurisdiction: str, created: datetime, case_id: str) -> dict[str, str]:
    """GSI3: one partition per county (the code's first six digits), sorted by the full
    jurisdiction code, then creation time: any subtree — county, township, community or
    village, grid — is one begins_with query, and a grid's recent cases one range query."""
    return {
        "gsi3pk": f"JUR#{jurisdiction[:6]}",
        "gsi3sk": f"{jurisdiction}#{created.isoformat()}#{case_id}",
    }
