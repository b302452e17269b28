"""The service phone directory (服务电话): a county's numbers by department and township,
kept by its content editors. Every change is a new immutable version of the entry (its
record); a deleted entry leaves its versions, the last one marked deleted."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from chalicelib.domain.common import (
    COUNTY_PARAMETER,
    CountyCode,
    DepartmentCode,
    Instant,
    QueryInt,
    Strict,
)

# A landline with its area code (0537-7212345, an extension after a dash), a mobile number,
# a short public-service number (110, 12345, 12315) or a 400 number.
PHONE_NUMBER_PATTERN = (
    r"^(0[0-9]{2,3}-[0-9]{7,8}(-[0-9]{1,5})?|1[3-9][0-9]{9}|1[0-9]{2,4}|400-?[0-9]{3}-?[0-9]{4})$"
)
PhoneNumber = Annotated[str, StringConstraints(pattern=PHONE_NUMBER_PATTERN)]
TownshipCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{9}$")]
EntryName = Annotated[str, StringConstraints(min_length=1, max_length=60, pattern=r"\S")]
Hours = Annotated[str, StringConstraints(min_length=1, max_length=60)]
Note = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class PhoneEntryInput(Strict):
    """One number of the directory, as its editor writes it."""

    name: EntryName = Field(description="e.g. 县政务服务中心咨询电话")
    name_en: EntryName
    phone: PhoneNumber = Field(description="0537-7212345, 13953700001, 12345 …")
    department: DepartmentCode | None = Field(default=None, description="The county department")
    township: TownshipCode | None = Field(default=None, description="The township (乡镇/街道)")
    hours: Hours | None = Field(default=None, description="e.g. 工作日 9:00-17:00")
    note: Note | None = None


class PhoneEntryEdit(PhoneEntryInput):
    version: int = Field(ge=1, le=999999, description="The version this edit was made from")


class PhoneEntry(PhoneEntryInput):
    entry_id: str
    county: CountyCode
    version: int
    updated_at: Instant
    updated_by: str
    deleted: bool = False


class PhoneDirectory(Strict):
    county: str
    items: list[PhoneEntry]


class PhoneQuery(Strict):
    county: CountyCode = Field(description=COUNTY_PARAMETER)
    department: DepartmentCode | None = None
    township: TownshipCode | None = None


class PhoneDeletion(Strict):
    version: QueryInt = Field(ge=1, le=999999, description="The version the deletion is made on")


class PhoneHistory(Strict):
    entry: PhoneEntry
    versions: list[PhoneEntry]
