"""What was done to a stage from outside the API: the bootstrap commands
(`python -m infra.bootstrap`) leave their mark, and the demo seed refuses a stage that has
one (it mints demo IAM users and demo citizens: never on a real county's stage).

META / BOOTSTRAP   when the first and the last bootstrap command ran, which, and who ran it
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.store.keys import utc_iso
from chalicelib.store.table import Table

MARK = ("META", "BOOTSTRAP")


class StageMarks:
    def __init__(self, table: Table) -> None:
        self._table = table

    def mark_bootstrapped(self, command: str, by: str, at: datetime) -> None:
        self._table.update(
            *MARK,
            UpdateExpression=(
                "SET first_at = if_not_exists(first_at, :at), last_at = :at,"
                " last_command = :command, last_by = :by"
            ),
            ExpressionAttributeValues={":at": utc_iso(at), ":command": command, ":by": by},
        )

    def bootstrapped(self) -> dict[str, Any] | None:
        """The mark, if a bootstrap command ever ran on this stage."""
        return self._table.get(*MARK, consistent=True)
