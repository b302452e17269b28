"""The bootstrap commands (`python -m infra.bootstrap`) against a provisioned stage on moto:
loads that are checked whole before they write and write nothing the second time, a county
joining a running platform, a year's calendar, the first administrator (never a second
one), and the demo seed refusing any stage that is not a demo's."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from chalicelib.clock import FixedClock
from chalicelib.domain.county import Platform
from chalicelib.store.clients import AwsClients
from chalicelib.store.reference import ReferenceStore
from chalicelib.store.staff import StaffStore
from chalicelib.store.table import Table
from infra import bootstrap
from infra.definitions import DATA_DIR

ARN = "arn:aws-cn:iam::123456789012:user/bianmin/staff/it-office"


@pytest.fixture
def stage(aws: AwsClients, provisioned: Any) -> list[str]:
    return ["--table", provisioned.table, "--region", "cn-north-1"]


@pytest.fixture
def data(tmp_path: Path) -> Path:
    copy = tmp_path / "data"
    shutil.copytree(DATA_DIR, copy)
    return copy


def run(capsys: pytest.CaptureFixture[str], clock: FixedClock, *argv: str) -> tuple[int, str]:
    code = bootstrap.main(list(argv), clock=clock)
    out, err = capsys.readouterr()
    return code, out + err


def items(aws: AwsClients, provisioned: Any) -> int:
    pages = aws.dynamodb.get_paginator("scan").paginate(TableName=provisioned.table, Select="COUNT")
    return sum(page["Count"] for page in pages)


def edit(path: Path, change: Any) -> None:
    value = json.loads(path.read_text(encoding="utf-8"))
    change(value)
    path.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")


def new_county(data: Path, code: str = "370831", prefix: str = "YZ") -> Path:
    """A third county of the city: 嘉祥's files under another code and case prefix."""
    folder = data / "counties" / code
    shutil.copytree(data / "counties" / "370829", folder)
    for path in folder.glob("*.json"):
        path.write_text(path.read_text(encoding="utf-8").replace("370829", code), "utf-8")
    edit(folder / "county.json", lambda c: c.update(case_prefix=prefix, name="新县"))
    return folder


# ---- loading -------------------------------------------------------------------------------


def test_load_platform_twice_writes_nothing_the_second_time(
    capsys: pytest.CaptureFixture[str],
    clock: FixedClock,
    stage: list[str],
    aws: AwsClients,
    provisioned: Any,
) -> None:
    code, out = run(capsys, clock, "load-platform", *stage, "--data", str(DATA_DIR))
    assert code == 0, out
    assert "records written" in out and "catalogue (first versions)" in out
    assert "  departments                15 created, 0 updated, 0 left (zwfw, jxj" in out
    first = items(aws, provisioned)
    revisions = Table(aws, provisioned.table).get("META", "REVISION")
    code, out = run(capsys, clock, "load-platform", *stage, "--data", str(DATA_DIR))
    assert code == 0, out
    assert "nothing to write" in out and " 0 created, 0 updated" in out
    assert "created" not in out.replace("0 created", "")
    assert items(aws, provisioned) == first
    assert Table(aws, provisioned.table).get("META", "REVISION") == revisions  # no reloads
    platform = ReferenceStore(Table(aws, provisioned.table)).load(Platform)
    assert platform[0].counties == ["370830", "370829"]


def test_a_changed_record_is_updated_and_the_rest_left(
    capsys: pytest.CaptureFixture[str], clock: FixedClock, stage: list[str], data: Path
) -> None:
    assert run(capsys, clock, "load-platform", *stage, "--data", str(data))[0] == 0
    edit(data / "counties" / "370830" / "county.json", lambda c: c.update(hotline="0537-1234567"))
    code, out = run(capsys, clock, "load-platform", *stage, "--data", str(data))
    assert code == 0, out
    assert "county 370830                0 created, 1 updated, 0 left (370830)" in out
    assert "county 370829                0 created, 0 updated, 1 left" in out
    assert "1 records written" in out


@pytest.mark.parametrize(
    ("breakage", "said"),
    [
        (
            lambda d: edit(
                d / "counties" / "370829" / "county.json", lambda c: c.update(code="370830")
            ),
            "county.json is county 370830, not 370829",
        ),
        (
            lambda d: edit(
                d / "counties" / "370829" / "services.json",
                lambda s: s["services"][0].update(promised_days="soon"),
            ),
            "ServiceItemInput is invalid",
        ),
        (
            lambda d: edit(
                d / "counties" / "370829" / "county.json", lambda c: c.update(case_prefix="WS")
            ),
            "case prefixes ['WS'] are used by more than one county",
        ),
        (lambda d: (d / "holidays.json").unlink(), "holidays.json: no such file"),
        (lambda d: edit(d / "platform.json", lambda p: p.update(scope="370100")), "outside"),
    ],
)
def test_bad_files_are_refused_before_anything_is_written(
    capsys: pytest.CaptureFixture[str],
    clock: FixedClock,
    stage: list[str],
    data: Path,
    aws: AwsClients,
    provisioned: Any,
    breakage: Any,
    said: str,
) -> None:
    before = items(aws, provisioned)
    breakage(data)
    code, out = run(capsys, clock, "load-platform", *stage, "--data", str(data))
    assert code == 1 and "refused:" in out and said in out, out
    assert items(aws, provisioned) == before


def test_a_county_joins_a_running_platform(
    capsys: pytest.CaptureFixture[str],
    clock: FixedClock,
    stage: list[str],
    data: Path,
    aws: AwsClients,
    provisioned: Any,
) -> None:
    folder = new_county(data)
    code, out = run(capsys, clock, "load-county", *stage, "--data", str(folder))
    assert code == 1 and "run load-platform first" in out
    assert run(capsys, clock, "load-platform", *stage, "--data", str(DATA_DIR))[0] == 0
    code, out = run(capsys, clock, "load-county", *stage, "--data", str(folder))
    assert code == 0, out
    assert "platform                     0 created, 1 updated" in out
    assert "county 370831                1 created" in out
    reference = ReferenceStore(Table(aws, provisioned.table))
    assert reference.load(Platform)[0].counties == ["370830", "370829", "370831"]
    code, out = run(capsys, clock, "load-county", *stage, "--data", str(folder))
    assert code == 0 and "nothing to write" in out
    # a later load-platform from files that do not list it would drop it: refused
    code, out = run(capsys, clock, "load-platform", *stage, "--data", str(DATA_DIR))
    assert code == 1 and "serves 370831, which platform.json does not list" in out


@pytest.mark.parametrize(
    ("code", "prefix", "said"),
    [
        ("370831", "JX", "case prefix JX is county 370829's"),
        ("370102", "JN", "cannot join platform 370800"),  # 济南's: outside the city
    ],
)
def test_a_county_that_cannot_join_is_refused(
    capsys: pytest.CaptureFixture[str],
    clock: FixedClock,
    stage: list[str],
    data: Path,
    aws: AwsClients,
    provisioned: Any,
    code: str,
    prefix: str,
    said: str,
) -> None:
    assert run(capsys, clock, "load-platform", *stage, "--data", str(DATA_DIR))[0] == 0
    before = items(aws, provisioned)
    folder = new_county(data, code, prefix)
    if code == "370102":
        edit(
            folder / "county.json",
            lambda c: c.update(
                city={"code": "370100", "name": "济南市", "name_en": "Jinan"},
            ),
        )
    status, out = run(capsys, clock, "load-county", *stage, "--data", str(folder))
    assert status == 1 and said in out, out
    assert items(aws, provisioned) == before


def test_a_county_folder_must_be_the_county_it_holds(
    capsys: pytest.CaptureFixture[str], clock: FixedClock, stage: list[str], data: Path
) -> None:
    folder = data / "counties" / "370831"
    shutil.copytree(data / "counties" / "370829", folder)
    code, out = run(capsys, clock, "load-county", *stage, "--data", str(folder))
    assert code == 1 and "county.json is county 370829, not 370831" in out


def test_a_year_s_calendar_loads_once(
    capsys: pytest.CaptureFixture[str], clock: FixedClock, stage: list[str], tmp_path: Path
) -> None:
    year = tmp_path / "2027.json"
    year.write_text(json.dumps({"holidays": ["2027-01-01", "2027-02-06"], "workdays": []}))
    code, out = run(capsys, clock, "load-calendar", *stage, "--year", "2027", "--file", str(year))
    assert code == 0 and "1 created" in out, out
    code, out = run(capsys, clock, "load-calendar", *stage, "--year", "2027", "--file", str(year))
    assert code == 0 and "nothing to write" in out
    code, out = run(capsys, clock, "load-calendar", *stage, "--year", "2026", "--file", str(year))
    assert code == 1 and "every date in holidays must fall in 2026" in out
    # holidays.json's own form, one year of it
    code, out = run(
        capsys,
        clock,
        "load-calendar",
        *stage,
        "--year",
        "2026",
        "--file",
        str(DATA_DIR / "holidays.json"),
    )
    assert code == 0 and "1 created" in out


def test_a_missing_table_is_refused(
    capsys: pytest.CaptureFixture[str], clock: FixedClock, aws: Any
) -> None:
    code, out = run(capsys, clock, "load-platform", "--table", "nope", "--data", str(DATA_DIR))
    assert code == 1 and "no table nope" in out
    with pytest.raises(SystemExit):
        bootstrap.main(["load-platform", "--data", str(DATA_DIR)])  # no target: usage


# ---- the first administrator ---------------------------------------------------------------


def test_the_first_administrator_is_created_once(
    capsys: pytest.CaptureFixture[str],
    clock: FixedClock,
    stage: list[str],
    aws: AwsClients,
    provisioned: Any,
) -> None:
    base = ["first-admin", *stage]
    admin = [*base, "--arn", ARN, "--name", "市大数据中心", "--jurisdiction"]
    code, out = run(capsys, clock, *admin, "370800")
    assert code == 1 and "run load-platform first" in out
    assert run(capsys, clock, "load-platform", *stage, "--data", str(DATA_DIR))[0] == 0
    code, out = run(capsys, clock, *admin, "370800")
    assert code == 0, out
    assert "administrator admin-370800 (市大数据中心) for 济宁市: created" in out
    store = StaffStore(Table(aws, provisioned.table))
    record = store.record("admin-370800")
    assert record is not None and record.member.role.value == "administrator"
    assert store.by_principal(ARN) == record.member  # signs from now on
    (event,) = store.history("admin-370800", 10, None).items
    assert event.action == "created" and event.actor.via == "bootstrap"
    assert event.actor.principal_arn.startswith("arn:aws")  # the operator (STS)
    # a second one: refused, whoever asks and for whichever county
    other = ARN + "-2"
    code, out = run(capsys, clock, *base, "--arn", other, "--name", "x", "--jurisdiction", "370830")
    assert code == 1 and "administrators already: admin-370800 (370800)" in out
    assert store.by_principal(other) is None
    code, out = run(
        capsys,
        clock,
        *base,
        "--arn",
        other,
        "--name",
        "x",
        "--jurisdiction",
        "370830",
        "--force",
    )
    assert code == 0, out
    assert store.record("admin-370830") is not None


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        (["--arn", "it-office", "--jurisdiction", "370830"], "--arn: Value error, must be the ARN"),
        (  # a role's own ARN never signs a call: its sessions do
            ["--arn", "arn:aws-cn:iam::123456789012:role/admin", "--jurisdiction", "370830"],
            "assumed role's session",
        ),
        (
            ["--arn", ARN, "--jurisdiction", "370830001"],
            "--jurisdiction: the administrator role works in",
        ),
        (["--arn", ARN, "--jurisdiction", "370899"], "--jurisdiction: not a jurisdiction of this"),
        (["--arn", ARN, "--jurisdiction", "370000"], "--jurisdiction: not a jurisdiction of this"),
    ],
)
def test_a_bad_first_administrator_is_refused_naming_the_option(
    capsys: pytest.CaptureFixture[str],
    clock: FixedClock,
    stage: list[str],
    arguments: list[str],
    said: str,
) -> None:
    assert run(capsys, clock, "load-platform", *stage, "--data", str(DATA_DIR))[0] == 0
    code, out = run(capsys, clock, "first-admin", *stage, "--name", "x", *arguments)
    assert code == 1 and said in out, out


# ---- the demo seed -------------------------------------------------------------------------


def test_the_demo_seed_runs_on_demo_stages_only(
    capsys: pytest.CaptureFixture[str],
    clock: FixedClock,
    stage: list[str],
    aws: AwsClients,
    provisioned: Any,
) -> None:
    from devstack.seed import DemoRefused, seed

    table = Table(aws, provisioned.table)
    with pytest.raises(DemoRefused, match="allow_demo=True"):
        seed(table, aws, clock, "test", iam=False)
    with pytest.raises(DemoRefused, match="'prod' is not a demo stage"):
        seed(table, aws, clock, "prod", iam=False, allow_demo=True)
    assert items(aws, provisioned) == 0
    # a stage set up with the bootstrap commands is a real one, whatever its name
    assert run(capsys, clock, "load-platform", *stage, "--data", str(DATA_DIR))[0] == 0
    before = items(aws, provisioned)
    with pytest.raises(DemoRefused, match=r"set up with `python -m infra\.bootstrap`"):
        seed(table, aws, clock, "test", iam=False, allow_demo=True)
    assert items(aws, provisioned) == before
