"""Counter items of the statistics (see domain/stats.py): `STATS#<scope>` / `<period>`, one
attribute per figure, moved by ADD in the transactions that change the cases."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.stats import Counters
from chalicelib.store.table import Table


def counter_ops(delta: Counters) -> list[dict[str, Any]]:
    """One Update per counter item the delta touches (ADD creates missing attributes)."""
    operations = []
    for (scope, period), attrs in sorted(delta.items()):
        ordered = sorted(attrs)
        names = {f"#a{i}": attr for i, attr in enumerate(ordered)}
        values = {f":v{i}": attrs[attr] for i, attr in enumerate(ordered)}
        clauses = ", ".join(f"#a{i} :v{i}" for i in range(len(ordered)))
        operations.append(
            {
                "Update": {
                    "Key": {"pk": f"STATS#{scope}", "sk": period},
                    "UpdateExpression": f"ADD {clauses}",
                    "ExpressionAttributeNames": names,
                    "ExpressionAttributeValues": values,
                }
            }
        )
    return operations


class StatsStore:
    def __init__(self, table: Table) -> None:
        self._table = table

    def get(self, scope: str, period: str) -> dict[str, int]:
        raw = self._table.get(f"STATS#{scope}", period)
        if raw is None:
            return {}
        return {k: int(v) for k, v in raw.items() if k not in ("pk", "sk")}

    def periods(self, scope: str, prefix: str = "") -> list[tuple[str, dict[str, int]]]:
        """Every period of a scope (optionally those starting with `prefix`), in order."""
        return [
            (raw["sk"], {k: int(v) for k, v in raw.items() if k not in ("pk", "sk")})
            for raw in self._table.query_all(
                f"STATS#{scope}", sk_prefix=prefix or None, consistent=True
            )
        ]

    def many(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], dict[str, int]]:
        """Several counter items at once (BatchGetItem, 100 keys a call)."""
        items = self._table.batch_get([(f"STATS#{s}", p) for s, p in keys], consistent=False)
        return {
            (item["pk"][6:], item["sk"]): {
                k: int(v) for k, v in item.items() if k not in ("pk", "sk")
            }
            for item in items
        }
