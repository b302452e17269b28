"""Shared building blocks of the domain models."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from typing import Annotated, Generic, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    RootModel,
    StringConstraints,
    WithJsonSchema,
)

# One time convention everywhere the API speaks (JSON, CSV, XLSX, Open311): ISO 8601 in
# Beijing time with its offset, e.g. 2026-11-27T10:00:00+08:00. Keys and filtered attributes
# inside DynamoDB are UTC (store/keys.py: utc_iso), where string order must be time order.
BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")


def local_iso(moment: datetime) -> str:
    """`moment` as the API writes instants: ISO 8601, Beijing time, +08:00."""
    return moment.astimezone(BEIJING).isoformat()


Instant = Annotated[datetime, PlainSerializer(local_iso, return_type=str, when_used="json")]


class Strict(BaseModel):
    """Base of every boundary model: unknown fields are an error, never silently dropped.
    Values are taken as sent (no whitespace stripping), so what the OpenAPI document allows
    is exactly what is accepted."""

    model_config = ConfigDict(extra="forbid", defer_build=True)


T = TypeVar("T")


class OneOf(RootModel[T], Generic[T]):
    """A body that is one of several models told apart by a discriminator field. Like
    Strict's, its validator is built when first used, not at import."""

    model_config = ConfigDict(defer_build=True)


NonEmpty = Annotated[str, StringConstraints(min_length=1, max_length=2000)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Code = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
DepartmentCode = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9]{1,15}$")]


# A pagination cursor as the API hands them out: base64url, no padding, at least one payload
# byte and the 16-byte MAC (chalicelib/paging.py).
CURSOR_PATTERN = r"^[A-Za-z0-9_-]{23,1500}$"
Cursor = Annotated[
    str,
    Field(
        pattern=CURSOR_PATTERN,
        description="The `next_cursor` of the previous page, exactly as it was returned",
    ),
]


def _query_bool(value: object) -> object:
    """A boolean in a query string is exactly `true` or `false` (as the document says)."""
    if isinstance(value, str):
        if value not in ("true", "false"):
            raise ValueError("must be true or false")
        return value == "true"
    return value


QueryBool = Annotated[bool, BeforeValidator(_query_bool)]


def _query_int(value: object) -> object:
    """A whole number in a query string is its digits (no sign, spaces, dots or _)."""
    if isinstance(value, str) and not re.fullmatch(r"[0-9]{1,9}", value):
        raise ValueError("must be a whole number written in digits")
    return value


def _query_date(value: object) -> object:
    """A date in a query string is YYYY-MM-DD (not a timestamp, not a date-time)."""
    if isinstance(value, str) and not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        raise ValueError("must be a date written YYYY-MM-DD")
    return value


QueryInt = Annotated[int, BeforeValidator(_query_int)]
query_int = _query_int  # for bounds that must come before it (see inspection_api.FiguresQuery)
QueryDate = Annotated[date, BeforeValidator(_query_date)]


# A statistics period: a year, a month or a day (Beijing calendar). Written as the union of
# the three forms, so that the document states exactly what is accepted: any real date.
_Y = "([1-9][0-9]{3}|0[1-9][0-9]{2}|00[1-9][0-9]|000[1-9])"  # 0001-9999
_YEAR = f"^{_Y}$"
_MONTH = f"^{_Y}-(0[1-9]|1[0-2])$"


def _period(value: str) -> str:
    if re.fullmatch(_YEAR[1:-1], value) or re.fullmatch(_MONTH[1:-1], value):
        return value
    try:
        date.fromisoformat(value)
    except ValueError:
        raise ValueError("a period is YYYY, YYYY-MM or a real date YYYY-MM-DD") from None
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        raise ValueError("a period is YYYY, YYYY-MM or a real date YYYY-MM-DD")
    return value


Period = Annotated[
    str,
    StringConstraints(max_length=10),
    AfterValidator(_period),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": _YEAR},
                {"type": "string", "pattern": _MONTH},
                {"type": "string", "format": "date"},
            ],
            "description": "YYYY, YYYY-MM or YYYY-MM-DD (Beijing calendar)",
        }
    ),
]

# GB/T 2260: a county's code does not end in 00; a city's ends in 00, a province's in 0000.
CountyCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}(0[1-9]|[1-9][0-9])$")]
RegionCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{2}(0000|[0-9]{2}00)$")]
COUNTY_PARAMETER = (
    "The county (its GB/T 2260 code; GET /counties lists the ones this platform serves): "
    "catalogues, categories and maps are each county's"
)

# Whose cases or figures: a jurisdiction code (province, city, county → grid) or a county's
# department: dept:<department> (the caller's county) or dept:<county>:<department>.
SCOPE_PATTERN = r"^([0-9]{6}([0-9]{3}){0,3}|dept:([0-9]{6}:)?[a-z][a-z0-9]{1,15})$"
Scope = Annotated[
    str,
    StringConstraints(pattern=SCOPE_PATTERN),
    Field(
        description="A jurisdiction code (province, city, county → grid) or a department: "
        "dept:<department> (of your county) or dept:<county>:<department>; default: yours"
    ),
]


class Text(Strict):
    """User-facing text in Chinese with English alongside."""

    zh: NonEmpty
    en: NonEmpty


class Page(Strict):
    """Pagination parameters shared by list routes."""

    limit: QueryInt = Field(default=20, ge=1, le=100)
    cursor: Cursor | None = None
