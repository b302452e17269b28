"""The service catalogue (事项清单): what a citizen can apply for, and how."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import ConfigDict, Field, StringConstraints, model_validator

from chalicelib.domain.common import (
    COUNTY_PARAMETER,
    Code,
    CountyCode,
    Cursor,
    DepartmentCode,
    Instant,
    Name,
    QueryInt,
    Strict,
    Text,
)

SERVICE_CODE_PATTERN = r"^[0-9]{6}-[A-Z]{2}-[0-9]{4}$"
ServiceCode = Annotated[str, StringConstraints(pattern=SERVICE_CODE_PATTERN)]


class ServiceType(StrEnum):
    ADMINISTRATIVE_LICENCE = "administrative_licence"  # 行政许可
    ADMINISTRATIVE_CONFIRMATION = "administrative_confirmation"  # 行政确认
    ADMINISTRATIVE_PAYMENT = "administrative_payment"  # 行政给付
    FILING = "filing"  # 备案
    PUBLIC_SERVICE = "public_service"  # 公共服务


SERVICE_TYPE_LABELS: dict[ServiceType, tuple[str, str]] = {
    ServiceType.ADMINISTRATIVE_LICENCE: ("行政许可", "Administrative licence"),
    ServiceType.ADMINISTRATIVE_CONFIRMATION: ("行政确认", "Administrative confirmation"),
    ServiceType.ADMINISTRATIVE_PAYMENT: ("行政给付", "Administrative payment"),
    ServiceType.FILING: ("备案", "Filing"),
    ServiceType.PUBLIC_SERVICE: ("公共服务", "Public service"),
}


class ReviewRule(StrEnum):
    ALL = "all"  # 会签: every reviewing department must approve
    ANY = "any"  # 或签: one approval suffices


class DeliveryMethod(StrEnum):
    PICKUP = "pickup"  # 窗口领取
    MAIL = "mail"  # 邮寄
    ELECTRONIC = "electronic"  # 电子证照


class MaterialForm(StrEnum):
    ELECTRONIC = "electronic"
    PAPER = "paper"
    ELECTRONIC_OR_PAPER = "electronic_or_paper"


class Review(Strict):
    departments: list[DepartmentCode] = Field(min_length=1, max_length=20)
    rule: ReviewRule

    @model_validator(mode="after")
    def _unique_departments(self) -> Review:
        if len(set(self.departments)) != len(self.departments):
            raise ValueError("reviewing departments must not repeat")
        return self


class Fee(Strict):
    amount_fen: int = Field(ge=0, le=100_000_000, description="Fee in fen (0.01 CNY)")
    note: Text | None = None


class Material(Strict):
    code: Code
    name: Name
    name_en: Name
    required: bool
    form: MaterialForm
    copies: int = Field(default=1, ge=1, le=20)
    note: Text | None = None


class ProcessStep(Strict):
    name: Name
    name_en: Name
    actor: Annotated[str, StringConstraints(pattern=r"^(applicant|[a-z][a-z0-9]{1,15})$")]
    days: int = Field(ge=0, le=365)


class ServiceItemInput(Strict):
    """Everything the catalogue admin sends to create or change an item.

    Two rules JSON Schema cannot state are checked besides the schema (a 422 naming them):
    promised_days never exceeds legal_days, and material codes are unique."""

    model_config = ConfigDict(
        extra="forbid",
        defer_build=True,
        json_schema_extra={
            "if": {"properties": {"online_only": {"const": True}}, "required": ["online_only"]},
            "then": {
                "properties": {
                    "visits_required": {"const": 0},
                    "delivery": {"contains": {"const": "electronic"}},
                }
            },
        },
    )

    name: Name
    name_en: Name
    type: ServiceType
    lead_department: DepartmentCode
    review: Review
    acceptance_days: int = Field(ge=0, le=60)
    legal_days: int = Field(ge=0, le=365)
    promised_days: int = Field(ge=0, le=365)
    fee: Fee
    delivery: list[DeliveryMethod] = Field(
        min_length=1, max_length=3, json_schema_extra={"uniqueItems": True}
    )
    visits_required: int = Field(ge=0, le=10)
    online_only: bool
    conditions: list[Text] = Field(default_factory=list, max_length=30)
    materials: list[Material] = Field(min_length=1, max_length=50)
    process: list[ProcessStep] = Field(min_length=1, max_length=20)
    legal_basis: list[Text] = Field(default_factory=list, max_length=20)
    note: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _consistent(self) -> ServiceItemInput:
        if self.promised_days > self.legal_days:
            raise ValueError("promised_days must not exceed legal_days")
        if len(set(self.delivery)) != len(self.delivery):
            raise ValueError("delivery methods must not repeat")
        codes = [m.code for m in self.materials]
        if len(set(codes)) != len(codes):
            raise ValueError("material codes must be unique")
        if self.online_only and self.visits_required:
            raise ValueError("an online-only item cannot require visits")
        if self.online_only and DeliveryMethod.ELECTRONIC not in self.delivery:
            raise ValueError("an online-only item must offer electronic delivery")
        return self


class ServiceItem(ServiceItemInput):
    """A catalogue item as stored and published: one immutable version of it."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    code: ServiceCode
    version: int = Field(ge=1)
    updated_at: Instant
    updated_by: str


class ServiceSummary(Strict):
    code: ServiceCode
    name: str
    name_en: str
    type: ServiceType
    type_label: Text
    lead_department: str
    review_departments: list[str]
    promised_days: int
    legal_days: int
    online_only: bool
    delivery: list[DeliveryMethod]
    version: int

    @classmethod
    def of(cls, item: ServiceItem) -> ServiceSummary:
        zh, en = SERVICE_TYPE_LABELS[item.type]
        return cls(
            code=item.code,
            name=item.name,
            name_en=item.name_en,
            type=item.type,
            type_label=Text(zh=zh, en=en),
            lead_department=item.lead_department,
            review_departments=list(item.review.departments),
            promised_days=item.promised_days,
            legal_days=item.legal_days,
            online_only=item.online_only,
            delivery=list(item.delivery),
            version=item.version,
        )


def item_matches(item: ServiceItem, keyword: str) -> bool:
    """Keyword search over names (zh/en), code and material names."""
    needle = keyword.casefold()
    haystack = [item.name, item.name_en, item.code]
    haystack += [text for m in item.materials for text in (m.name, m.name_en)]
    return any(needle in text.casefold() for text in haystack)


DELIVERY_LABELS: dict[DeliveryMethod, tuple[str, str]] = {
    DeliveryMethod.PICKUP: ("窗口领取", "Pick up at the window"),
    DeliveryMethod.MAIL: ("邮寄送达", "Delivered by post"),
    DeliveryMethod.ELECTRONIC: ("电子证照", "Electronic certificate"),
}

RULE_LABELS: dict[ReviewRule, tuple[str, str]] = {
    ReviewRule.ALL: ("会签（全部同意）", "All reviewing departments must approve"),
    ReviewRule.ANY: ("或签（任一同意）", "Any one reviewing department's approval suffices"),
}


class DepartmentRef(Strict):
    code: str
    name: str
    name_en: str


class ServiceGuide(ServiceItem):
    """The published guide of one item version, with labels a phone app can show as is."""

    type_label: Text
    review_rule_label: Text
    delivery_labels: list[Text]
    departments: list[DepartmentRef]
    etag: str


# What GET /services/{code} returns beyond the editable fields: a PUT may send them back.
READ_ONLY_FIELDS = (
    "code",
    "version",
    "updated_at",
    "updated_by",
    "type_label",
    "review_rule_label",
    "delivery_labels",
    "departments",
    "etag",
)


class ServiceItemEdit(ServiceItemInput):
    """A PUT body: the editable fields, optionally with the read-only ones of the guide the
    client read (GET → edit → PUT). Read-only fields that still match the current version are
    ignored; any that differ are named in a 422 (a stale version or etag is a 412)."""

    code: ServiceCode | None = None
    version: int | None = Field(default=None, ge=1)
    updated_at: Instant | None = None
    updated_by: Annotated[str, StringConstraints(max_length=64)] | None = None
    type_label: Text | None = None
    review_rule_label: Text | None = None
    delivery_labels: list[Text] | None = Field(default=None, max_length=3)
    departments: list[DepartmentRef] | None = Field(default=None, max_length=21)
    etag: Annotated[str, StringConstraints(max_length=40)] | None = None

    def editable(self) -> ServiceItemInput:
        return ServiceItemInput.model_validate(
            self.model_dump(exclude=set(READ_ONLY_FIELDS), exclude_none=False)
        )

    def read_only(self) -> dict[str, object]:
        return {
            name: getattr(self, name)
            for name in READ_ONLY_FIELDS
            if name in self.model_fields_set and getattr(self, name) is not None
        }


class ServicePage(Strict):
    items: list[ServiceSummary]
    next_cursor: str | None = None


class ServiceVersion(Strict):
    code: str
    version: int
    updated_at: Instant
    updated_by: str
    current: bool


class ServiceVersionList(Strict):
    items: list[ServiceVersion]


class ServiceQuery(Strict):
    county: CountyCode = Field(description=COUNTY_PARAMETER)
    type: ServiceType | None = None
    department: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9]{1,15}$")] | None = None
    q: Annotated[str, StringConstraints(min_length=1, max_length=50)] | None = Field(
        default=None, description="Keyword in the item's or its materials' names (zh or en)"
    )
    limit: QueryInt = Field(default=20, ge=1, le=100)
    cursor: Cursor | None = None


class GuideQuery(Strict):
    version: QueryInt = Field(
        default=0, ge=0, le=999999, description="An earlier version (0 or absent: the current)"
    )


class PublicGuide(ServiceGuide):
    """A guide as the public information channel shows it: where to apply and whom to ask
    besides what the catalogue says."""

    apply_at: Text = Field(description="The county's one window (政务服务中心)")
    hotline: str
