"""Puts a stage's table back as a point-in-time restore of it holds it (docs/DEPLOY.md, 11).

    aws dynamodb restore-table-to-point-in-time … --target-table-name bianmin-prod-main-restored
    python -m infra.restore --from bianmin-prod-main-restored --to bianmin-prod-main \
        --region cn-northwest-1 [--partition CASE#…] [--prune] [--dry-run]
    python -m infra.restore --local .local --from … [--partition …] [--prune] [--dry-run]

A restore of DynamoDB's point-in-time recovery is a new table; the stage keeps its own (its
stream, TTL, recovery, deletion protection and the stack's hold on it stay as they are).
This copies back every item of the restored copy that differs from the live one — of one
partition (`--partition`, a case's `CASE#<id>`) or of the whole table — and, with `--prune`,
deletes the live items the copy does not have (what was created after the restore point).

The figures are not copied (`STATS#…` counters and the feed's `CHANGE#…` markers): each case
item put back passes through the table's stream like any write, so the aggregator moves the
figures from the live version to the restored one. `make verify-stats ARGS=--repair` after
it confirms (and mends) them. The number counters (`COUNTER#…`) only ever move forward: a
restored counter is put back only where the live one is missing or lower, and `--prune` never
deletes one, so no case or certificate number handed out after the restore point is handed
out again. Every other write is a plain put or delete of a whole item, so the command can be
run again after an interruption; `--dry-run` only counts.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Derived items: the aggregator keeps them from the cases' changes.
DERIVED = ("STATS#", "CHANGE#")
# Number sequences (case and certificate numbers): never lowered, never deleted.
COUNTERS = "COUNTER#"
KEYS = ("pk", "sk")
Item = dict[str, Any]  # DynamoDB's attribute-value form


@dataclass
class Tally:
    same: int = 0
    put: int = 0
    deleted: int = 0
    derived: int = 0

    def line(self, dry_run: bool) -> str:
        verb = "would put back" if dry_run else "put back"
        gone = "would delete" if dry_run else "deleted"
        return (
            f"{verb} {self.put}, {gone} {self.deleted}, unchanged {self.same}, "
            f"figures left to the feed {self.derived}"
        )


def _derived(item: Item) -> bool:
    return str(item["pk"]["S"]).startswith(DERIVED)


def _counter(item: Item) -> bool:
    return str(item["pk"]["S"]).startswith(COUNTERS)


def _count(item: Item | None) -> int:
    return int(item["n"]["N"]) if item and "n" in item else -1


def _raise_counter(dynamodb: Any, table: str, item: Item) -> bool:
    """Puts a restored counter back only where the live one is missing or lower (a number
    issued after the restore point must not be issued twice); True if it wrote."""
    try:
        dynamodb.put_item(
            TableName=table,
            Item=item,
            ConditionExpression="attribute_not_exists(pk) OR #n < :n",
            ExpressionAttributeNames={"#n": "n"},
            ExpressionAttributeValues={":n": item["n"]},
        )
    except dynamodb.exceptions.ConditionalCheckFailedException:
        return False
    return True


def _key(item: Item) -> tuple[str, str]:
    return item["pk"]["S"], item["sk"]["S"]


def items(dynamodb: Any, table: str, partition: str | None) -> Iterator[Item]:
    """Every item of `table` (strongly consistent), or of its `partition`."""
    if partition:
        pages = dynamodb.get_paginator("query").paginate(
            TableName=table,
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": partition}},
            ConsistentRead=True,
        )
    else:
        pages = dynamodb.get_paginator("scan").paginate(TableName=table, ConsistentRead=True)
    for page in pages:
        yield from page.get("Items", [])


def _live(dynamodb: Any, table: str, keys: list[tuple[str, str]]) -> dict[tuple[str, str], Item]:
    """The live items of `keys` (up to 100), by key."""
    wanted = [{"pk": {"S": pk}, "sk": {"S": sk}} for pk, sk in keys]
    found: dict[tuple[str, str], Item] = {}
    request = {table: {"Keys": wanted, "ConsistentRead": True}}
    while request:
        answer = dynamodb.batch_get_item(RequestItems=request)
        for item in answer.get("Responses", {}).get(table, []):
            found[_key(item)] = item
        request = answer.get("UnprocessedKeys") or {}
        if request:
            time.sleep(0.2)
    return found


def _write(dynamodb: Any, table: str, requests: list[Item]) -> None:
    """Puts and deletes, 25 a batch, until none is left unprocessed."""
    for start in range(0, len(requests), 25):
        pending = {table: requests[start : start + 25]}
        pause = 0.1
        while pending:
            answer = dynamodb.batch_write_item(RequestItems=pending)
            pending = answer.get("UnprocessedItems") or {}
            if pending:
                time.sleep(pause)
                pause = min(pause * 2, 5.0)


def copy_back(
    dynamodb: Any,
    source: str,
    target: str,
    *,
    partition: str | None = None,
    prune: bool = False,
    dry_run: bool = False,
    say: Callable[[str], None] = print,
) -> Tally:
    """Makes `target` (the live table) hold what `source` (its restored copy) holds, but for
    the figures; returns what it did."""
    if source == target:
        raise SystemExit("--from and --to name the same table")
    tally = Tally()
    kept: set[tuple[str, str]] = set()
    counters: list[Item] = []
    batch: list[Item] = []

    def flush() -> None:
        live = _live(dynamodb, target, [_key(i) for i in batch])
        puts = []
        for item in batch:
            current = live.get(_key(item))
            if current == item or (_counter(item) and _count(current) >= _count(item)):
                tally.same += 1
            elif _counter(item):
                tally.put += 1
                counters.append(item)
            else:
                tally.put += 1
                puts.append({"PutRequest": {"Item": item}})
        if puts and not dry_run:
            _write(dynamodb, target, puts)
        if counters and not dry_run:
            for item in counters:
                if not _raise_counter(dynamodb, target, item):  # moved on meanwhile
                    tally.put -= 1
                    tally.same += 1
        counters.clear()
        batch.clear()

    for item in items(dynamodb, source, partition):
        if _derived(item):
            tally.derived += 1
            continue
        kept.add(_key(item))
        batch.append(item)
        if len(batch) == 100:
            flush()
    if batch:
        flush()
    if prune:
        extra = [
            {"DeleteRequest": {"Key": {k: item[k] for k in KEYS}}}
            for item in items(dynamodb, target, partition)
            if not _derived(item) and not _counter(item) and _key(item) not in kept
        ]
        tally.deleted = len(extra)
        if extra and not dry_run:
            _write(dynamodb, target, extra)
    say(tally.line(dry_run))
    if not dry_run and (tally.put or tally.deleted):
        say("then: make verify-stats ARGS='--table … --repair' once the feed has caught up")
    return tally


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.restore", description=__doc__)
    parser.add_argument("--from", dest="source", required=True, help="the restored copy")
    parser.add_argument("--to", dest="target", help="the live table (bianmin-<stage>-main)")
    parser.add_argument("--region", default=os.environ.get("AWS_DEFAULT_REGION", "cn-north-1"))
    parser.add_argument("--local", type=Path, help="the running local stack's .local directory")
    parser.add_argument("--partition", help="only this partition (a case: CASE#<id>)")
    parser.add_argument("--prune", action="store_true", help="delete live items not in the copy")
    parser.add_argument("--dry-run", action="store_true", help="count, do not write")
    parser.add_argument("--profile")
    args = parser.parse_args(argv)
    import boto3

    endpoint, target, region = None, args.target, args.region
    if args.local:
        stack = json.loads((args.local / "stack.json").read_text(encoding="utf-8"))
        endpoint, region = stack["aws_endpoint"], stack["region"]
        target = target or stack["table"]
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    if not target:
        parser.error("--to is required (or --local)")
    session = boto3.session.Session(profile_name=args.profile, region_name=region)
    dynamodb = session.client("dynamodb", endpoint_url=endpoint)
    copy_back(
        dynamodb,
        args.source,
        target,
        partition=args.partition,
        prune=args.prune,
        dry_run=args.dry_run,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
