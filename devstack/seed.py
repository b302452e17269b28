"""Seeds the demo platform (Jining's: 汶上县 and 嘉祥县) into a provisioned stage and issues the
demo staff's credentials.

Only ever into a stage of the local stack, the tests or the benchmarks: it mints IAM users
with access keys and demo citizens. `seed` refuses unless its caller says `allow_demo=True`
(the local stack, the tests' fixtures and the benchmarks do), the stage is one of
DEMO_STAGES, and the table never saw a bootstrap command (`python -m infra.bootstrap`
marks the stages it sets up). A real stage is set up with those commands instead."""

from __future__ import annotations

import configparser
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from chalicelib.clock import Clock
from chalicelib.domain.identity import Citizen, StaffMember
from chalicelib.domain.phones import PhoneEntry
from chalicelib.domain.staff_admin import placement_errors
from chalicelib.ids import new_ulid
from chalicelib.services.seeding import CountyData, PlatformData, load_platform
from chalicelib.store.catalogue import CatalogueStore
from chalicelib.store.clients import AwsClients
from chalicelib.store.identity import CitizenStore
from chalicelib.store.partners import PartnerKeyStore
from chalicelib.store.phones import PhoneStore
from chalicelib.store.reference import ReferenceStore
from chalicelib.store.staff import StaffStore
from chalicelib.store.stage import StageMarks
from chalicelib.store.table import Table
from devstack.sigv4 import StaffCredential
from infra.bootstrap import read_county, read_platform
from infra.definitions import DATA_DIR

DEMO_STAGES = frozenset({"local", "test", "bench"})


class DemoRefused(RuntimeError):
    """The demo seed was pointed at a stage that is not a demo's."""


def check_demo_stage(table: Table, stage: str, *, allow_demo: bool) -> None:
    if not allow_demo:
        raise DemoRefused(
            "The demo seed creates IAM users with access keys and demo citizens: its caller "
            "must pass allow_demo=True (the local stack, the tests and the benchmarks do). "
            "Set up a real stage with `python -m infra.bootstrap`."
        )
    if stage not in DEMO_STAGES:
        raise DemoRefused(
            f"Stage {stage!r} is not a demo stage ({', '.join(sorted(DEMO_STAGES))}): the demo "
            "seed never runs there. Set up a real stage with `python -m infra.bootstrap`."
        )
    mark = StageMarks(table).bootstrapped()
    if mark:
        raise DemoRefused(
            f"Table {table.name} was set up with `python -m infra.bootstrap` "
            f"({mark.get('last_command')} by {mark.get('last_by')}): no demo data goes there."
        )


@dataclass(frozen=True)
class Seeded:
    credentials: dict[str, StaffCredential]  # access key -> credential
    profiles: dict[str, StaffCredential]  # profile -> credential
    staff: list[StaffMember]
    citizen_phones: list[str]
    open311_key: str = ""


def _json(name: str) -> dict:
    return json.loads((DATA_DIR / name).read_text(encoding="utf-8"))


def county_data(code: str = "370830") -> CountyData:
    """One county's files (data/counties/<code>/), read as the bootstrap commands read them."""
    return read_county(DATA_DIR / "counties" / code)


def platform_data() -> PlatformData:
    """The platform (data/platform.json), the national calendar and every county it lists."""
    return read_platform(DATA_DIR)


def staff_entries() -> list[dict]:
    """The demo staff: the platform's own (data/people.json) and each county's. A profile is
    the staff id and the IAM user's name, so it is unique across the platform."""
    platform = _json("platform.json")
    entries = list(_json("people.json")["staff"])
    for code in platform["counties"]:
        county = _json(f"counties/{code}/staff.json")["staff"]
        elsewhere = [e["profile"] for e in county if e["jurisdiction"][:6] != code]
        if elsewhere:
            raise ValueError(f"county {code}'s staff {elsewhere} work in another county")
        entries += county
    profiles = [e["profile"] for e in entries]
    repeated = sorted({p for p in profiles if profiles.count(p) > 1})
    if repeated:
        raise ValueError(f"staff profiles {repeated} are used more than once")
    return entries


def _staff_credential(clients: AwsClients, profile: str, stage: str) -> StaffCredential:
    """An IAM user per demo staff member; its old keys are replaced on every run."""
    iam = clients.client("iam")
    user_name = f"bianmin-{stage}-{profile}"
    try:
        user = iam.get_user(UserName=user_name)["User"]
    except iam.exceptions.NoSuchEntityException:
        user = iam.create_user(UserName=user_name, Path="/bianmin/staff/")["User"]
    for key in iam.list_access_keys(UserName=user_name)["AccessKeyMetadata"]:
        iam.delete_access_key(UserName=user_name, AccessKeyId=key["AccessKeyId"])
    key = iam.create_access_key(UserName=user_name)["AccessKey"]
    return StaffCredential(
        access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"], user_arn=user["Arn"]
    )


def _minted_credential(profile: str, stage: str) -> StaffCredential:
    """A credential of the shape IAM issues, made without IAM: for the in-process tests, whose
    gateway checks signatures against the seeded credentials and never asks IAM."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    return StaffCredential(
        access_key="AKIA" + "".join(secrets.choice(alphabet) for _ in range(16)),
        secret_key=secrets.token_urlsafe(30),
        user_arn=f"arn:aws-cn:iam::123456789012:user/bianmin/staff/bianmin-{stage}-{profile}",
    )


def seed(
    table: Table,
    clients: AwsClients,
    clock: Clock,
    stage: str,
    *,
    iam: bool = True,
    allow_demo: bool = False,
) -> Seeded:
    """Loads the platform and its staff and demo citizens; each staff member gets an IAM user
    and access key (with `iam=False`, a minted credential of the same shape). Refuses
    (`DemoRefused`) anything but a demo stage: see the module's docstring."""
    check_demo_stage(table, stage, allow_demo=allow_demo)
    load_platform(platform_data(), ReferenceStore(table), CatalogueStore(table), clock)
    people = _json("people.json")
    staff_store = StaffStore(table)
    credentials: dict[str, StaffCredential] = {}
    profiles: dict[str, StaffCredential] = {}
    members = []
    for entry in staff_entries():
        credential = (
            _staff_credential(clients, entry["profile"], stage)
            if iam
            else _minted_credential(entry["profile"], stage)
        )
        member = StaffMember(
            staff_id=entry["profile"],
            name=entry["name"],
            role=entry["role"],
            department=entry.get("department"),
            jurisdiction=entry["jurisdiction"],
            principal_arn=credential.user_arn,
        )
        misplaced = placement_errors(member.role, member.department, member.jurisdiction)
        if misplaced:
            raise ValueError(f"demo staff {member.staff_id}: {misplaced[0].message}")
        staff_store.save(member, clock.now())
        credentials[credential.access_key] = credential
        profiles[entry["profile"]] = credential
        members.append(member)
    citizens = CitizenStore(table)
    phones = []
    for person in people["citizens"]:
        if citizens.by_phone(person["phone"]) is None:
            citizens.create(
                Citizen(
                    citizen_id=new_ulid(clock.now()),
                    phone=person["phone"],
                    created_at=clock.now().isoformat(),
                )
            )
        phones.append(person["phone"])
    seed_phone_directories(table, clock)
    open311_key = secrets.token_urlsafe(24)
    PartnerKeyStore(table).issue("demo-311-app", open311_key, clock.now())
    return Seeded(
        credentials=credentials,
        profiles=profiles,
        staff=members,
        citizen_phones=phones,
        open311_key=open311_key,
    )


def seed_phone_directories(table: Table, clock: Clock) -> None:
    """Each county's demo service phone numbers (data/counties/<code>/phones.json, if it has
    one), as first versions by the seed; a county whose directory has entries is left as is."""
    store = PhoneStore(table)
    for code in _json("platform.json")["counties"]:
        path = DATA_DIR / "counties" / code / "phones.json"
        if not path.exists() or store.directory(code):
            continue
        for entry in json.loads(path.read_text(encoding="utf-8"))["entries"]:
            now = clock.now()
            store.save(
                PhoneEntry(
                    **entry,
                    entry_id=new_ulid(now),
                    county=code,
                    version=1,
                    updated_at=now,
                    updated_by="demo-seed",
                )
            )


def seed_inspections(table: Table, clock: Clock) -> None:
    """Each county's demo inspection items and directories (data/counties/<code>/inspection-
    *.json, if it has them), as `python -m infra.bootstrap load-inspections` loads them."""
    from chalicelib.services.inspection_files import load_county_files

    for code in _json("platform.json")["counties"]:
        loaded = load_county_files(table, clock, code, DATA_DIR / "counties" / code)
        if loaded.refused:
            raise ValueError(f"demo inspections of {code}: {loaded.refused[0]}")


def write_local_files(local_dir: Path, seeded: Seeded, region: str) -> None:
    """.local/aws/credentials (one profile per staff member), .local/aws/config,
    .local/staff.json (role, department, jurisdiction) and .local/env to source."""
    aws_dir = local_dir / "aws"
    aws_dir.mkdir(parents=True, exist_ok=True)
    creds = configparser.ConfigParser()
    config = configparser.ConfigParser()
    for profile, credential in seeded.profiles.items():
        creds[profile] = {
            "aws_access_key_id": credential.access_key,
            "aws_secret_access_key": credential.secret_key,
        }
        config[f"profile {profile}"] = {"region": region}
    path = aws_dir / "credentials"
    with open(path, "w") as handle:
        creds.write(handle)
    os.chmod(path, 0o600)
    with open(aws_dir / "config", "w") as handle:
        config.write(handle)
    (local_dir / "staff.json").write_text(
        json.dumps(
            [
                {
                    "profile": m.staff_id,
                    "name": m.name,
                    "role": m.role.value,
                    "department": m.department,
                    "jurisdiction": m.jurisdiction,
                    "principal_arn": m.principal_arn,
                }
                for m in seeded.staff
            ],
            ensure_ascii=False,
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    (local_dir / "open311-key").write_text(seeded.open311_key + "\n", encoding="utf-8")
    root = local_dir.resolve()
    shim = Path(__file__).resolve().parent / "bin"
    (local_dir / "env").write_text(
        f"export AWS_SHARED_CREDENTIALS_FILE={root}/aws/credentials\n"
        f"export AWS_CONFIG_FILE={root}/aws/config\n"
        f"export AWS_DEFAULT_REGION={region}\n"
        f'export PATH="{shim}:$PATH"\n'
    )
