"""Setting up a fresh stage: `python -m infra.bootstrap <command> <target> …`

  load-platform --data data                   the platform (platform.json), the national
                                              calendar (holidays.json) and every county the
                                              platform lists (counties/<code>/)
  load-county --data data/counties/370831     one county; a county the platform does not list
                                              yet joins it (the platform record gains it)
  load-calendar --year 2027 --file 2027.json  a year's national arrangement: {"holidays": [...],
                                              "workdays": [...]}, or holidays.json's form
  first-admin --arn ARN --name NAME --jurisdiction 370800
                                              the first administrator (refused while any
                                              administrator is active, unless --force)

The target: a deployed stage's table, `--table bianmin-prod-main --region cn-north-1`, with
the operator's usual AWS credentials; or the running local stack, `--local .local`.

Everything a command reads is checked before anything is written; a load writes only what
differs from the stage (a second run writes nothing and says so) and prints what it created,
updated and left. A county's staff.json is the demo's and is not loaded: staff are added by
an administrator (POST /admin/staff). The stage is marked as set up this way, and the demo
seed refuses it from then on. Exit status: 0 done, 1 refused (nothing written; the reason on
stderr), 2 usage.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from chalicelib.clock import Clock, SystemClock
from chalicelib.domain.calendar import YearArrangement
from chalicelib.domain.identity import Role, StaffMember
from chalicelib.domain.staff_admin import AuditActor
from chalicelib.errors import DomainError
from chalicelib.services import bootstrap
from chalicelib.services.bootstrap import Refused, Tally
from chalicelib.services.seeding import CountyData, PlatformData
from chalicelib.store.clients import AwsClients
from chalicelib.store.table import Table

COUNTY_FILES = ("county", "departments", "request-categories", "jurisdictions", "services")


# ---- reading the files ---------------------------------------------------------------------


def _json(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise Refused(f"{path}: no such file") from None
    except ValueError as exc:
        raise Refused(f"{path}: not JSON ({exc})") from None
    if not isinstance(value, dict):
        raise Refused(f"{path}: a JSON object expected")
    return value


def _invalid(where: Path, exc: ValidationError) -> Refused:
    first = exc.errors(include_url=False)[:3]
    said = "; ".join(f"{'.'.join(map(str, e['loc'])) or '(top)'}: {e['msg']}" for e in first)
    return Refused(f"{where}: {exc.title} is invalid: {said}")


def read_county(folder: Path) -> CountyData:
    """One county's files; refused when they do not parse, or name another county than
    their folder's."""
    files = {name: _json(folder / f"{name}.json") for name in COUNTY_FILES}
    try:
        data = CountyData.parse(*files.values())
    except ValidationError as exc:
        raise _invalid(folder, exc) from None
    except KeyError as exc:
        raise Refused(f"{folder}: a file lacks its {exc} list") from None
    if data.county.code != folder.name:
        raise Refused(f"{folder}: county.json is county {data.county.code}, not {folder.name}")
    return data


def read_platform(folder: Path) -> PlatformData:
    platform = _json(folder / "platform.json")
    counties = platform.get("counties")
    if not isinstance(counties, list) or not all(isinstance(c, str) for c in counties):
        raise Refused(f"{folder / 'platform.json'}: `counties` must list county codes")
    loaded = [read_county(folder / "counties" / code) for code in counties]
    try:
        return PlatformData.parse(platform, _json(folder / "holidays.json"), loaded)
    except ValidationError as exc:
        raise _invalid(folder, exc) from None
    except (KeyError, TypeError) as exc:
        raise Refused(f"{folder / 'holidays.json'}: needs `years` by year ({exc})") from None


def read_year(path: Path, year: int) -> YearArrangement:
    raw = _json(path)
    days = raw.get("years", {}).get(str(year)) if "years" in raw else raw
    if not isinstance(days, dict):
        raise Refused(f"{path}: no arrangement for {year}")
    try:
        return YearArrangement.model_validate({**days, "year": year})
    except ValidationError as exc:
        raise _invalid(path, exc) from None


# ---- the stage -----------------------------------------------------------------------------


class Stage:
    """The table a command writes to, and who is running it."""

    def __init__(self, args: argparse.Namespace, clock: Clock) -> None:
        if args.local:
            stack = _json(Path(args.local) / "stack.json")
            os.environ["AWS_ENDPOINT_URL"] = stack["aws_endpoint"]
            os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
            os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
            name, region = stack["table"], stack["region"]
        else:
            name, region = args.table, args.region
        self.clients = AwsClients(region)
        self.table = Table(self.clients, name)
        self.clock = clock
        self.label = f"table {name} ({region})"
        try:
            self.clients.dynamodb.describe_table(TableName=name)
        except self.clients.dynamodb.exceptions.ResourceNotFoundException:
            raise Refused(f"no table {name} in {region}: deploy the stage first") from None

    def caller(self) -> str:
        """The operator's AWS identity, for the audit trail and the stage's mark."""
        return str(self.clients.client("sts").get_caller_identity()["Arn"])

    def mark(self, command: str) -> None:
        from chalicelib.store.stage import StageMarks

        StageMarks(self.table).mark_bootstrapped(command, self.caller(), self.clock.now())

    def stores(self) -> tuple[Any, Any]:
        from chalicelib.store.catalogue import CatalogueStore
        from chalicelib.store.reference import ReferenceStore

        return ReferenceStore(self.table), CatalogueStore(self.table)


def _report(stage: Stage, command: str, tallies: list[Tally]) -> int:
    for tally in tallies:
        print(tally.line())
    written = sum(len(t.created) + len(t.updated) for t in tallies)
    if written:
        stage.mark(command)
        print(f"{command}: {written} records written to {stage.label}.")
    else:
        print(f"{command}: nothing to write, {stage.label} holds these files already.")
    return 0


def load_platform(args: argparse.Namespace, stage: Stage) -> int:
    data = read_platform(Path(args.data))
    reference, catalogue = stage.stores()
    return _report(
        stage,
        "load-platform",
        bootstrap.load_platform(data, reference, catalogue, stage.clock),
    )


def load_county(args: argparse.Namespace, stage: Stage) -> int:
    data = read_county(Path(args.data))
    reference, catalogue = stage.stores()
    return _report(
        stage, "load-county", bootstrap.load_county(data, reference, catalogue, stage.clock)
    )


def load_calendar(args: argparse.Namespace, stage: Stage) -> int:
    arrangement = read_year(Path(args.file), args.year)
    reference, _ = stage.stores()
    return _report(stage, "load-calendar", [bootstrap.load_calendar(arrangement, reference)])


def first_admin(args: argparse.Namespace, stage: Stage) -> int:
    from chalicelib.services.reference import ReferenceData, RevisionCache
    from chalicelib.store.catalogue import RevisionStore
    from chalicelib.store.staff import StaffStore

    try:
        member = StaffMember(
            staff_id=args.staff_id or f"admin-{args.jurisdiction}",
            name=args.name,
            role=Role.ADMINISTRATOR,
            jurisdiction=args.jurisdiction,
            principal_arn=args.arn,
            phone=args.phone,
        )
    except ValidationError as exc:
        raise Refused(
            "; ".join(f"{_flag(str(e['loc'][0]))}: {e['msg']}" for e in exc.errors())
        ) from None
    reference_store, catalogue = stage.stores()
    reference = ReferenceData(
        reference_store, catalogue, RevisionCache(RevisionStore(stage.table), stage.clock, 0)
    )
    caller = stage.caller()
    actor = AuditActor(via="bootstrap", principal_arn=caller, name="python -m infra.bootstrap")
    record = bootstrap.first_administrator(
        StaffStore(stage.table), reference, member, actor, stage.clock, force=args.force
    )
    stage.mark("first-admin")
    where = reference.place_name(member.jurisdiction) or member.jurisdiction
    print(f"administrator {record.member.staff_id} ({member.name}) for {where}: created")
    print(f"  signs as {member.principal_arn}; recorded as done by {caller}")
    print("  next: they add the staff through POST /admin/staff (README: Staff administration)")
    return 0


FLAGS = {"principal_arn": "--arn", "staff_id": "--staff-id"}


def _flag(field: str) -> str:
    """The option a field of the first administrator's record came from."""
    name = field.rpartition(".")[2]
    return FLAGS.get(name, f"--{name}")


def load_inspections(args: argparse.Namespace, stage: Stage) -> int:
    """A county's inspection-item list and directories (inspection-*.json in its folder)."""
    from chalicelib.services.inspection_files import load_county_files

    folder = Path(args.data)
    loaded = load_county_files(stage.table, stage.clock, folder.name, folder)
    print(
        f"inspections {folder.name}: {loaded.items} items, {loaded.entities} entities, "
        f"{loaded.inspectors} inspectors written"
    )
    for line in loaded.refused:
        print(f"  refused {line}", file=sys.stderr)
    if loaded.items or loaded.entities or loaded.inspectors:
        stage.mark("load-inspections")
    return 1 if loaded.refused else 0


COMMANDS: dict[str, Callable[[argparse.Namespace, Stage], int]] = {
    "load-platform": load_platform,
    "load-county": load_county,
    "load-inspections": load_inspections,
    "load-calendar": load_calendar,
    "first-admin": first_admin,
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m infra.bootstrap",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1] if __doc__ else None,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    found = {
        "load-platform": "the platform, the national calendar and every county it lists",
        "load-county": "one county (joins the platform if it is not listed yet)",
        "load-inspections": "a county's inspection items and directories (双随机 files)",
        "load-calendar": "a year's national holiday arrangement",
        "first-admin": "the stage's first administrator",
    }
    sub = {name: commands.add_parser(name, help=text) for name, text in found.items()}
    for command in sub.values():
        where = command.add_mutually_exclusive_group(required=True)
        where.add_argument("--table", help="a deployed stage's table (bianmin-<stage>-main)")
        where.add_argument("--local", help="the running local stack's directory (.local)")
        command.add_argument("--region", default=os.environ.get("AWS_DEFAULT_REGION", "cn-north-1"))
    sub["load-platform"].add_argument("--data", required=True, help="e.g. data")
    sub["load-county"].add_argument("--data", required=True, help="e.g. data/counties/370831")
    sub["load-inspections"].add_argument(
        "--data", required=True, help="e.g. data/counties/370830 (its inspection-*.json)"
    )
    sub["load-calendar"].add_argument("--year", required=True, type=int)
    sub["load-calendar"].add_argument("--file", required=True)
    admin = sub["first-admin"]
    admin.add_argument("--arn", required=True, help="the IAM principal that will sign")
    admin.add_argument("--name", required=True)
    admin.add_argument(
        "--jurisdiction", required=True, help="the platform's scope, a region or a county"
    )
    admin.add_argument("--staff-id", help="default: admin-<jurisdiction>")
    admin.add_argument("--phone")
    admin.add_argument(
        "--force", action="store_true", help="even if administrators exist (recovery only)"
    )
    return parser


def main(argv: list[str] | None = None, clock: Clock | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        stage = Stage(args, clock or SystemClock())
        print(f"{args.command} → {stage.label}")
        return COMMANDS[args.command](args, stage)
    except (Refused, LookupError) as exc:
        print(f"refused: {exc}", file=sys.stderr)
    except DomainError as exc:
        print(f"refused: {exc.detail}", file=sys.stderr)
        for error in exc.errors:
            print(f"  {_flag(error.field)}: {error.message}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
