"""Supervision views: every case of a scope, one summary shape for both kinds."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from chalicelib.domain.common import (
    Cursor,
    Instant,
    Period,
    QueryBool,
    QueryDate,
    QueryInt,
    Scope,
    Strict,
    Text,
)

CaseStatus = Literal[
    "submitted",
    "supplement_required",
    "accepted",
    "in_review",
    "approved",
    "denied",
    "not_accepted",
    "withdrawn",
    "issued",
    "completed",
    "assigned",
    "replied",
    "resolved",
    "reopened",
    "closed",
    "merged",
]


class CaseListQuery(Strict):
    scope: Scope | None = None
    kind: Literal["application", "request"] | None = None
    status: CaseStatus | None = None
    category: str | None = Field(
        default=None, max_length=40, description="A request category or a catalogue item code"
    )
    department: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9]{1,15}$")
    overdue: QueryBool | None = None
    from_: QueryDate | None = Field(
        default=None, alias="from", description="Received on or after (a Beijing date)"
    )
    to: QueryDate | None = Field(
        default=None,
        description="Received on or before (a Beijing date; before `from`, nothing is listed)",
    )
    limit: QueryInt = Field(default=20, ge=1, le=100)
    cursor: Cursor | None = None


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
    created_at: Instant = Field(description="Received (submitted or filed)")
    deadline: Instant | None = None
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
    scope: Scope | None = None
    period: Period | None = None
