"""双随机、一公开 (random inspections): the one list and the two directories.

- The inspection-item list (抽查事项清单): what a department inspects, on what legal basis,
  which entities, how many (a ratio: at least 5 % a year for a general item, key items
  without cap) and how often; versioned like the service catalogue.
- The directory of inspectable entities (检查对象名录库): enterprises and individual
  businesses by their unified social credit code (GB 32100, check character verified),
  loaded from files and kept current by the licences the platform issues; with the risk
  signals the platform itself sees (complaint requests naming the entity, failed
  inspections, the abnormal-operation list).
- The directory of inspectors (执法检查人员名录库): law-enforcement staff by their
  certificate number (执法证号), with department, qualifications, whether active, their grid
  of residence (if recorded) and the entities they declared a conflict with.

The draw itself (`draw_procedure.py`) sees only the fields it publishes.
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from chalicelib.domain import draw_procedure as procedure
from chalicelib.domain.applicant import CreditCode
from chalicelib.domain.common import (
    COUNTY_PARAMETER,
    CountyCode,
    Cursor,
    DepartmentCode,
    Instant,
    QueryInt,
    Strict,
)
from chalicelib.domain.identity import StaffId

ItemId = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2,8}-[0-9]{3}$")]
InspectorId = Annotated[str, StringConstraints(pattern=r"^[0-9A-Z]{6,20}$")]
TownshipCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{9}$")]
GridCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{15}$")]
Text = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"\S")]
Qualification = Annotated[str, StringConstraints(min_length=1, max_length=30, pattern=r"\S")]

MIN_GENERAL_RATIO = 50  # per mille: a general item inspects at least 5 % a year
COMPLAINT_LOOKBACK = timedelta(days=365)  # complaints and failures that weigh in a draw
KEPT_SIGNALS = 10  # complaint and failure dates kept per entity (the weight caps at 3 and 2)


class EntityType(StrEnum):
    ENTERPRISE = "enterprise"  # 企业
    INDIVIDUAL = "individual"  # 个体工商户


class InspectionItemInput(Strict):
    """An item of the list as the catalogue administrator writes it."""

    department: DepartmentCode = Field(description="The department that inspects")
    name: Text = Field(description="e.g. 食品经营者经营活动的检查")
    name_en: Text
    legal_basis: Annotated[str, StringConstraints(min_length=1, max_length=500)] = Field(
        description="The law and article the inspection rests on (抽查依据)"
    )
    entity_type: Literal["enterprise", "individual", "any"] = "any"
    key_item: bool = Field(
        default=False,
        description="A key item (重点检查事项): risk-weighted draws, no cap on the ratio",
    )
    ratio_permille: int = Field(
        ge=1, le=1000, description="Share of the entities inspected each time, in ‰ (50 = 5 %)"
    )
    frequency_per_year: int = Field(default=1, ge=1, le=12, description="Times a year (频次)")

    @model_validator(mode="after")
    def _ratio_floor(self) -> InspectionItemInput:
        if not self.key_item and self.ratio_permille < MIN_GENERAL_RATIO:
            raise ValueError(
                f"ratio_permille: a general item inspects at least {MIN_GENERAL_RATIO} ‰ (5 %)"
            )
        return self


class InspectionItemEdit(InspectionItemInput):
    version: int | None = Field(
        default=None, ge=1, le=999999, description="The version this edit was made from"
    )


class InspectionItem(InspectionItemInput):
    item_id: ItemId
    county: CountyCode
    version: int
    updated_at: Instant
    updated_by: str

    def takes(self, kind: EntityType) -> bool:
        return self.entity_type in ("any", kind.value)


class ItemList(Strict):
    county: str
    items: list[InspectionItem]


class ItemHistory(Strict):
    item: InspectionItem
    versions: list[InspectionItem]


class Licence(Strict):
    """A licence the platform issued to the entity (an application's certificate)."""

    service_code: str
    number: str
    issued_on: date


def entity_type_of(credit_code: str) -> EntityType:
    """GB 32100: registration authority 9 (market regulation), type 2 is an individual
    business (个体工商户); every other code is an organisation."""
    return EntityType.INDIVIDUAL if credit_code.startswith("92") else EntityType.ENTERPRISE


class EntityInput(Strict):
    """One record of a directory file (or what an issued licence says)."""

    credit_code: CreditCode
    name: Text
    kind: EntityType | None = Field(default=None, description="Derived from the code if left out")
    operator: Annotated[str, StringConstraints(min_length=1, max_length=50)] | None = Field(
        default=None, description="个体工商户 only: the operator (never public)"
    )
    address: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    industry: Annotated[str, StringConstraints(min_length=1, max_length=50)] | None = None
    township: TownshipCode
    grid: GridCode | None = None
    abnormal: bool = Field(default=False, description="On the abnormal-operation list")

    @model_validator(mode="after")
    def _kind(self) -> EntityInput:
        derived = entity_type_of(self.credit_code)
        if self.kind is not None and self.kind is not derived:
            raise ValueError(f"kind: the credit code is of an {derived.value}")
        self.kind = derived
        if self.operator is not None and derived is EntityType.ENTERPRISE:
            raise ValueError("operator: only an individual business names its operator")
        return self


class InspectionEntity(EntityInput):
    """An entity of the directory as it stands, with the risk signals the platform saw."""

    county: CountyCode
    complaints: dict[str, date] = Field(default_factory=dict)  # request id -> filed on
    failures: dict[str, date] = Field(default_factory=dict)  # task id -> inspected on
    last_inspectors: list[str] = Field(default_factory=list)
    last_inspected: date | None = None
    licences: list[Licence] = Field(default_factory=list)
    source: Literal["file", "licence"] = "file"
    rev: int = 0
    updated_at: Instant

    def for_draw(self, today: date) -> procedure.Entity:
        """The fields the draw publishes, the signals counted over the look-back year."""
        since = today - COMPLAINT_LOOKBACK
        return procedure.Entity(
            credit_code=self.credit_code,
            name=self.name,
            township=self.township,
            grid=self.grid,
            complaints=sum(1 for d in self.complaints.values() if d > since),
            failed_inspections=sum(1 for d in self.failures.values() if d > since),
            abnormal=self.abnormal,
        )

    def noting(self, kind: Literal["complaints", "failures"], key: str, on: date) -> bool:
        """Records a complaint or a failure once (the newest KEPT_SIGNALS kept); False when
        it was recorded already."""
        signals = getattr(self, kind)
        if key in signals:
            return False
        signals[key] = on
        kept = sorted(signals.items(), key=lambda kv: (kv[1], kv[0]))[-KEPT_SIGNALS:]
        setattr(self, kind, dict(kept))
        return True

    def public(self) -> PublicEntity:
        """What the public sees: an individual business's operator and address are personal."""
        assert self.kind is not None
        enterprise = self.kind is EntityType.ENTERPRISE
        return PublicEntity(
            credit_code=self.credit_code,
            name=self.name,
            kind=self.kind,
            township=self.township,
            address=self.address if enterprise else None,
        )


class PublicEntity(Strict):
    credit_code: str
    name: str
    kind: EntityType
    township: str
    address: str | None = None


class EntityQuery(Strict):
    county: CountyCode = Field(description=COUNTY_PARAMETER)
    township: TownshipCode | None = None
    limit: QueryInt = Field(default=50, ge=1, le=200)
    cursor: Cursor | None = None


class EntityPage(Strict):
    items: list[InspectionEntity]
    next_cursor: str | None = None


class InspectorInput(Strict):
    """An inspector's record as their department head (or the administrator) keeps it."""

    staff_id: StaffId = Field(description="The staff member who signs in as this inspector")
    name: Annotated[str, StringConstraints(min_length=1, max_length=50)]
    department: DepartmentCode
    qualifications: list[Qualification] = Field(default_factory=list, max_length=10)
    active: bool = True
    grid: GridCode | None = Field(default=None, description="Grid of residence, if recorded")
    relations: list[CreditCode] = Field(
        default_factory=list,
        max_length=50,
        description="Entities the inspector declared a conflict of interest with (回避)",
    )


class Inspector(InspectorInput):
    inspector_id: InspectorId
    county: CountyCode
    declared: list[CreditCode] = Field(
        default_factory=list,
        max_length=50,
        description="Conflicts the inspector declared themselves (kept when the record is edited)",
    )
    updated_at: Instant
    updated_by: str | None = None
    rev: int = 0

    def for_draw(self) -> procedure.Inspector:
        """Both the recorded and the self-declared conflicts recuse."""
        return procedure.Inspector(
            inspector_id=self.inspector_id,
            department=self.department,
            active=self.active,
            grid=self.grid,
            relations=tuple(sorted(set(self.relations) | set(self.declared))),
        )


class InspectorList(Strict):
    county: str
    items: list[Inspector]


class Declaration(Strict):
    """An inspector declares (or withdraws) a conflict of interest with an entity."""

    credit_code: CreditCode
    conflict: bool = Field(default=True, description="false withdraws the declaration")


class EntityLink(Strict):
    """The entity a complaint request is about."""

    credit_code: CreditCode


class CountyQuery(Strict):
    county: CountyCode = Field(description=COUNTY_PARAMETER)
