"""Setting a stage up from outside the API (`python -m infra.bootstrap`): the platform and
its counties' identity, reference data and catalogue, a year's national calendar, and the
first administrator.

Every load is checked whole before anything is written (`seeding.check_platform`,
`check_county`, and the stage's own state), then compares each record with what the stage
holds and writes only what differs: a second run writes nothing and says so. Records are
upserts keyed by code, never deleted (cases refer to them). A catalogue item already on the
stage is left as it is: after its first version the catalogue changes through
`PUT /admin/services/{code}`, each change a version.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel

from chalicelib.clock import Clock
from chalicelib.domain.calendar import YearArrangement
from chalicelib.domain.catalogue import ServiceItem
from chalicelib.domain.county import County, Platform
from chalicelib.domain.identity import Role, StaffMember
from chalicelib.domain.reference import Category, Department, Jurisdiction
from chalicelib.domain.staff_admin import AuditActor, StaffRecord, placement_errors
from chalicelib.errors import Conflict, InvalidInput
from chalicelib.services.reference import ReferenceData
from chalicelib.services.seeding import CountyData, PlatformData, check_county, check_platform
from chalicelib.services.staff_admin import audit_event, check_known_place
from chalicelib.store.catalogue import CatalogueStore
from chalicelib.store.reference import ReferenceStore
from chalicelib.store.staff import StaffStore


class Refused(ValueError):
    """The files, or what they would do to the stage, are refused; nothing was written."""


@dataclass(frozen=True)
class Tally:
    """What one load did to one kind of record."""

    what: str
    created: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    left: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)

    def line(self) -> str:
        counts = f"{len(self.created)} created, {len(self.updated)} updated, {len(self.left)} left"
        named = [*self.created, *self.updated]
        shown = f" ({', '.join(named[:6])}{', …' if len(named) > 6 else ''})" if named else ""
        return f"{self.what:<28} {counts}{shown}"


def _key(record: BaseModel) -> str:
    if isinstance(record, YearArrangement):
        return str(record.year)
    if isinstance(record, Platform):
        return "platform"
    return str(record.code)  # type: ignore[attr-defined]


def _same(a: BaseModel, b: BaseModel) -> bool:
    return a.model_dump(mode="json", exclude_none=True) == b.model_dump(
        mode="json", exclude_none=True
    )


def upsert(
    store: ReferenceStore,
    model: type[BaseModel],
    records: Sequence[BaseModel],
    what: str,
    county: str | None = None,
) -> Tally:
    """Writes the records that are new or differ from the stage's (one revision bump for
    the kind, none when nothing differs)."""
    existing = {_key(r): r for r in store.load(model, county)}
    created = [r for r in records if _key(r) not in existing]
    updated = [r for r in records if _key(r) in existing and not _same(existing[_key(r)], r)]
    if created or updated:
        store.replace(model, [*created, *updated], county)
    return Tally(
        what,
        created=tuple(_key(r) for r in created),
        updated=tuple(_key(r) for r in updated),
        left=tuple(_key(r) for r in records if _key(r) in existing and _same(existing[_key(r)], r)),
    )


def _county(
    data: CountyData,
    reference: ReferenceStore,
    catalogue: CatalogueStore,
    clock: Clock,
    actor: str,
) -> list[Tally]:
    code = data.county.code
    tallies = [
        upsert(reference, County, [data.county], f"county {code}"),
        upsert(reference, Department, data.departments, "  departments", code),
        upsert(reference, Category, data.categories, "  request categories", code),
        upsert(reference, Jurisdiction, data.jurisdictions, "  jurisdictions", code),
    ]
    items = [
        ServiceItem(
            **change.model_dump(), code=service, version=1, updated_at=clock.now(), updated_by=actor
        )
        for service, change in data.services
    ]
    published = {i.code for i in catalogue.publish_new(code, items)}
    tallies.append(
        Tally(
            "  catalogue (first versions)",
            created=tuple(sorted(published)),
            left=tuple(sorted(i.code for i in items if i.code not in published)),
        )
    )
    return tallies


def load_platform(
    data: PlatformData,
    reference: ReferenceStore,
    catalogue: CatalogueStore,
    clock: Clock,
    actor: str = "bootstrap",
) -> list[Tally]:
    """The platform, the national calendar and every county it lists. Refused whole if the
    files are inconsistent, or if the stage's platform serves a county the files drop."""
    try:
        check_platform(data)
    except ValueError as exc:
        raise Refused(str(exc)) from None
    current = reference.load(Platform)
    dropped = sorted(set(current[0].counties) - set(data.platform.counties)) if current else []
    if dropped:
        raise Refused(
            f"the stage's platform serves {', '.join(dropped)}, which platform.json does not "
            "list: a county is never removed (its cases refer to it); add it to platform.json"
        )
    tallies = [
        upsert(reference, Platform, [data.platform], "platform"),
        upsert(reference, YearArrangement, data.calendar, "national calendar (years)"),
    ]
    for county in data.counties:
        tallies += _county(county, reference, catalogue, clock, actor)
    return tallies


def load_county(
    data: CountyData,
    reference: ReferenceStore,
    catalogue: CatalogueStore,
    clock: Clock,
    actor: str = "bootstrap",
) -> list[Tally]:
    """One county, onto a stage whose platform is loaded. A county the platform does not
    list yet joins it (the platform record gains it), if it lies in the platform's scope and
    its case prefix is no other county's; anything else is refused."""
    try:
        check_county(data)
    except ValueError as exc:
        raise Refused(str(exc)) from None
    code = data.county.code
    current = reference.load(Platform)
    if not current:
        raise Refused("the stage has no platform yet: run load-platform first")
    platform = current[0]
    if code not in platform.counties:
        try:
            platform = Platform.model_validate(
                {**platform.model_dump(), "counties": [*platform.counties, code]}
            )
        except ValueError as exc:
            raise Refused(
                f"county {code} cannot join platform {platform.scope}: {exc}; widen the "
                "platform's scope in platform.json and run load-platform"
            ) from None
    prefix = data.county.case_prefix
    clash = [c.code for c in reference.load(County) if c.code != code and c.case_prefix == prefix]
    if clash:
        raise Refused(
            f"case prefix {prefix} is county {clash[0]}'s: two counties would issue the same "
            "case numbers"
        )
    return [
        upsert(reference, Platform, [platform], "platform"),
        *_county(data, reference, catalogue, clock, actor),
    ]


def load_calendar(arrangement: YearArrangement, reference: ReferenceStore) -> Tally:
    """A year's national arrangement (a county's own days are its catalogue administrator's,
    through PUT /admin/calendar/{year})."""
    return upsert(reference, YearArrangement, [arrangement], "national calendar (years)")


def first_administrator(
    store: StaffStore,
    reference: ReferenceData,
    member: StaffMember,
    actor: AuditActor,
    clock: Clock,
    *,
    force: bool = False,
) -> StaffRecord:
    """The stage's first administrator, for the platform's scope, a region of it or one of
    its counties. Refused while any administrator is active on the platform, unless
    `force` (recovery: the last administrator's principal is gone), so that it cannot be
    used to take a running stage over."""
    if member.role is not Role.ADMINISTRATOR:
        raise InvalidInput("The first administrator is an administrator.")
    placement = placement_errors(member.role, member.department, member.jurisdiction, "--")
    if placement:
        raise InvalidInput(
            "An administrator works for a county, a city or a province (a six-digit code).",
            errors=placement,
        )
    try:
        reference.platform()
    except LookupError:
        raise Refused("the stage has no platform yet: run load-platform first") from None
    check_known_place(reference, member.jurisdiction, "--jurisdiction")
    partitions = {*reference.counties(), *reference.regions()}
    existing = store.administrators(sorted(partitions))
    if existing and not force:
        names = ", ".join(f"{a.staff_id} ({a.jurisdiction})" for a in existing)
        raise Conflict(
            f"The stage has administrators already: {names}. They add staff through "
            "POST /admin/staff; --force adds another anyway (recovery only)."
        )
    now = clock.now()
    record = StaffRecord(
        member=member, revision=1, created_at=now, updated_at=now, updated_by="bootstrap"
    )
    store.create(record, audit_event(record, None, "created", actor, None))
    return record
