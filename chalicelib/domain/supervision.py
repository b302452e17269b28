"""Supervision views: every case of a scope, one summary shape for both kinds."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import Field, model_validator

from chalicelib.domain.common import Strict, Text


class CaseListQuery(Strict):
    scope: str | None = Field(
        default=None,
        max_length=20,
        description="A jurisdiction code (county → grid) or dept:<department>; default: yours",
    )
    kind: Literal["application", "request"] | None = None
    status: str | None = Field(default=None, pattern=r"^[a-z_]{2,30}$")
    category: str | None = Field(
        default=None, max_length=40, description="A request category or a catalogue item code"
    )
    department: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9]{1,15}$")
    overdue: bool | None = None
    from_: date | None = Field(default=None, alias="from", description="Received on or after")
    to: date | None = Field(default=None, description="Received on or before")
    limit: int = Field(default=20, ge=1, le=100)
    cursor: str | None = Field(default=None, max_length=1000)

    @model_validator(mode="after")
    def _range(self) -> CaseListQuery:
        for day in (self.from_, self.to):
            if day is not None and not 2000 <= day.year <= 2100:
                raise ValueError("from and to lie between the years 2000 and 2100")
        if self.from_ and self.to and self.from_ > self.to:
            raise ValueError("from must not be after to")
        return self


class CaseSummary(Strict):
    kind: Literal["application", "request"]
    id: str
    number: str
    title: Text
    category: str
    status: str
    status_label: Text
    jurisdiction: str
    jurisdiction_name: str
    departments: list[str]
    created_at: datetime = Field(description="Received (submitted or filed)")
    deadline: datetime | None = None
    overdue: bool
    escalated: bool
    private: bool
    rating: int | None = None
    on_time: bool | None = None


class CasePage(Strict):
    scope: str
    items: list[CaseSummary]
    next_cursor: str | None = None


class ExportQuery(Strict):
    scope: str | None = Field(default=None, max_length=20)
    period: str | None = Field(default=None, pattern=r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$")
