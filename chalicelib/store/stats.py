"""Counter items of the statistics (see domain/stats.py), moved by ADD off the user's path:
the table's change feed hands each write of a case root to the aggregator
(services/stats_feed.py), which applies its before/after difference here once — counters and
a marker of the change record in one transaction, so a redelivered record finds its marker
and changes nothing. No item grows with the catalogue, the map or the cases:

`STATS#<scope>` / `<period>`                 a scope's overall figures (a fixed set of metrics;
                                             a region's in shards, `STATS#370800~3`)
`STATS#<scope>#<period>` / `<dim>:<value>`   one breakdown row (category, service, child
                                             jurisdiction, grid, repeated grid×category)
`CHANGE#<record id>` / `APPLIED#<n>`         a chunk of a change record applied (expires
                                             after the stream's 24 h retention, doubled)"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.domain.application import Application
from chalicelib.domain.request import ServiceRequest
from chalicelib.domain.stats import Counters, stored_scopes
from chalicelib.store.case_parts import ROOT as APPLICATION_ROOT
from chalicelib.store.refusals import failed_steps, is_conditional_failure
from chalicelib.store.request_items import ROOT as REQUEST_ROOT
from chalicelib.store.table import Serializer, Table

MARKER_SECONDS = 2 * 24 * 3600
ROOTS = frozenset({APPLICATION_ROOT, REQUEST_ROOT})  # the sort keys of the case roots
Case = Application | ServiceRequest


@dataclass(frozen=True)
class CaseChange:
    """One write of a case root as the change feed reports it."""

    record_id: str
    before: Case | None
    after: Case | None


def _case(image: dict[str, Any] | None, serializer: Serializer) -> Case | None:
    if not image:
        return None
    item = serializer.load(image)
    kind = item.get("kind")
    if kind == "request":
        return ServiceRequest.model_validate(item["data"])
    if kind == "application":
        return Application.model_validate(item["data"])
    return None


def case_change(
    record_id: str, old: dict[str, Any] | None, new: dict[str, Any] | None
) -> CaseChange | None:
    """A stream record (images in DynamoDB's attribute-value form) as a change of a case
    root; None for any other item (events, queues, counters, markers …)."""
    keys = new or old or {}
    if keys.get("sk", {}).get("S") not in ROOTS or not keys.get("pk", {}).get("S", "").startswith(
        "CASE#"
    ):
        return None
    serializer = Serializer()
    before, after = _case(old, serializer), _case(new, serializer)
    if before is None and after is None:
        return None
    return CaseChange(record_id, before, after)


AS_OF = "as_of"  # epoch seconds of the latest change applied to a scope's figures
CHUNK = 90  # counter updates per transaction (with its marker, under DynamoDB's 100)


def item_key(scope: str, period: str, attr: str) -> tuple[str, str, str]:
    """Where a counter lives: (pk, sk, attribute). A scope's overall figures of a period are
    one small item (`STATS#<scope>` / `<period>`, a fixed set of metrics); each breakdown row
    is an item of its own in the period's partition (`STATS#<scope>#<period>` /
    `<dimension>:<value>`, e.g. `cat:road`, `child:370830001`, `grid:…`, `rep:<grid>:<cat>`),
    so no item grows with the catalogue, the map or the cases."""
    metric, breakdown, dimension = attr.partition("@")
    if not breakdown:
        return f"STATS#{scope}", period, metric
    return f"STATS#{scope}#{period}", dimension, metric


def counter_ops(delta: Counters, as_of: int | None = None) -> list[dict[str, Any]]:
    """One Update per counter item the delta touches (ADD creates missing attributes), in a
    fixed order; with `as_of`, each overall item also records when it last moved."""
    items: dict[tuple[str, str], dict[str, int]] = {}
    for (scope, period), attrs in delta.items():
        for attr, value in attrs.items():
            pk, sk, metric = item_key(scope, period, attr)
            items.setdefault((pk, sk), {})[metric] = value
    operations = []
    for (pk, sk), attrs in sorted(items.items()):
        ordered = sorted(attrs)
        names = {f"#a{i}": attr for i, attr in enumerate(ordered)}
        values: dict[str, Any] = {f":v{i}": attrs[attr] for i, attr in enumerate(ordered)}
        expression = "ADD " + ", ".join(f"#a{i} :v{i}" for i in range(len(ordered)))
        if as_of is not None and pk.count("#") == 1:
            names["#asof"], values[":asof"] = AS_OF, as_of
            expression += " SET #asof = :asof"
        operations.append(
            {
                "Update": {
                    "Key": {"pk": pk, "sk": sk},
                    "UpdateExpression": expression,
                    "ExpressionAttributeNames": names,
                    "ExpressionAttributeValues": values,
                }
            }
        )
    return operations


def _numbers(raw: dict[str, Any]) -> dict[str, int]:
    return {k: int(v) for k, v in raw.items() if k not in ("pk", "sk")}


def _merge(total: dict[str, int], more: dict[str, int]) -> None:
    """Adds a shard's figures to `total` (when they last moved: the latest of the shards)."""
    for attr, value in more.items():
        if attr == AS_OF:
            total[attr] = max(total.get(attr, 0), value)
        else:
            total[attr] = total.get(attr, 0) + value


class StatsStore:
    def __init__(self, table: Table) -> None:
        self._table = table

    def apply(self, record_id: str, delta: Counters, now: datetime) -> bool:
        """Adds `delta` to the counters unless the change record was applied already (False).
        The updates go in transactions of at most CHUNK, each with a marker of its own
        (`CHANGE#<record>` / `APPLIED#<n>`): a chunk moves with its marker or not at all, so a
        redelivered record applies only what it has not applied before."""
        operations = counter_ops(delta, int(now.timestamp()))
        applied = False
        for n, start in enumerate(range(0, len(operations), CHUNK)):
            marker = {
                "Put": {
                    "Item": {
                        "pk": f"CHANGE#{record_id}",
                        "sk": f"APPLIED#{n}",
                        "expires_at": int(now.timestamp()) + MARKER_SECONDS,
                    },
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
            try:
                self._table.transact([marker, *operations[start : start + CHUNK]])
            except Exception as exc:
                if is_conditional_failure(exc) and 0 in failed_steps(exc):
                    continue
                raise
            applied = True
        return applied

    def _breakdowns(self, scope: str, period: str) -> dict[str, int]:
        """A period's breakdown rows, flattened to `<metric>@<dimension>:<value>` (paged)."""
        flat: dict[str, int] = {}
        for raw in self._table.query_all(f"STATS#{scope}#{period}", consistent=True):
            for metric, value in _numbers(raw).items():
                flat[f"{metric}@{raw['sk']}"] = value
        return flat

    def get(self, scope: str, period: str) -> dict[str, int]:
        """A scope's figures of a period with every breakdown: one GetItem and the period's
        breakdown partition (one Query page for a county's catalogue and map; paged on). A
        region's are the sum of its shards: one BatchGetItem and a Query a shard."""
        shards = stored_scopes(scope)
        if len(shards) == 1:
            raw = self._table.get(f"STATS#{scope}", period, consistent=True)
            return {**_numbers(raw), **self._breakdowns(scope, period)} if raw else {}
        found = self.many([(shard, period) for shard in shards], consistent=True)
        total: dict[str, int] = {}
        for shard in shards:
            if (shard, period) in found:
                _merge(total, found[(shard, period)])
                _merge(total, self._breakdowns(shard, period))
        return total

    def periods(
        self, scope: str, prefix: str = "", *, breakdowns: bool = False
    ) -> list[tuple[str, dict[str, int]]]:
        """Every period of a scope (optionally those starting with `prefix`), in order: the
        overall figures, and with `breakdowns` every breakdown row too (a region's summed
        over its shards)."""
        found: dict[str, dict[str, int]] = {}
        for shard in stored_scopes(scope):
            for raw in self._table.query_all(
                f"STATS#{shard}", sk_prefix=prefix or None, consistent=True
            ):
                attrs = _numbers(raw)
                if breakdowns:
                    attrs.update(self._breakdowns(shard, raw["sk"]))
                _merge(found.setdefault(raw["sk"], {}), attrs)
        return sorted(found.items())

    def many(
        self, keys: list[tuple[str, str]], consistent: bool = False
    ) -> dict[tuple[str, str], dict[str, int]]:
        """Several overall counter items at once (BatchGetItem, 100 keys a call)."""
        items = self._table.batch_get([(f"STATS#{s}", p) for s, p in keys], consistent=consistent)
        return {
            (item["pk"][6:], item["sk"]): {
                k: int(v)
                for k, v in item.items()
                if k not in ("pk", "sk")  # overall only
            }
            for item in items
        }
