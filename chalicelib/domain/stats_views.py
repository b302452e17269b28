"""What the statistics routes answer."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, StringConstraints

from chalicelib.domain.common import Instant, Period, Scope, Strict


class Figures(Strict):
    received: int
    accepted: int
    acceptance_rate: float | None = Field(default=None, description="accepted / received")
    not_accepted: int
    completed: int = Field(description="Applications completed; requests resolved")
    completion_rate: float | None = Field(default=None, description="completed / received")
    on_time: int
    on_time_rate: float | None = Field(default=None, description="on time / completed")
    avg_hours_to_accept: float | None = None
    avg_days_to_complete: float | None = Field(default=None, description="Working days")
    rated: int
    satisfied: int = Field(description="非常满意 + 满意")
    satisfaction_rate: float | None = Field(default=None, description="satisfied / rated")
    dissatisfied: int = Field(description="Latest rating 不满意 or 非常不满意")
    bad_reviews: int = Field(description="Cases that ever got a bad review (差评)")
    rectified: int = Field(description="Bad reviews whose rectification is done")
    open: int
    escalated: int
    approved: int
    denied: int
    avg_used_days: float | None = Field(default=None, description="Completed applications")
    avg_promised_days: float | None = None
    avg_legal_days: float | None = None
    days_saved_vs_legal: int | None = Field(
        default=None, description="Working days: legal limits minus days used, summed"
    )
    repeated: int = Field(description="Requests filed while the same matter was open nearby")


class Breakdown(Strict):
    code: str
    name: str
    figures: Figures


class StatsView(Strict):
    scope: str
    scope_name: str
    period: str
    as_of: Instant | None = Field(
        default=None,
        description="When these figures last moved: they follow the cases within seconds "
        "(the table's change feed); null before any case counts here",
    )
    total: Figures
    requests: Figures
    applications: Figures
    by_category: list[Breakdown] = Field(description="Requests by category")
    by_service: list[Breakdown] = Field(description="Applications by catalogue item")
    by_jurisdiction: list[Breakdown] = Field(description="By child jurisdiction")


class StatsQuery(Strict):
    scope: Scope | None = None
    period: Period | None = Field(default=None, description="Default: this year")


class PublicStatsQuery(Strict):
    scope: Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")] | None = Field(
        default=None,
        description="A county, city or province the platform serves (GB/T 2260 code); "
        "default: the platform's own",
    )
    period: Period | None = Field(default=None, description="Default: this year")


class Ranked(Strict):
    code: str
    name: str
    count: int


class Cluster(Strict):
    grid: str
    grid_name: str
    category: str
    category_name: str
    repeats: int = Field(description="Requests filed while the same matter was already open")


class HotTopics(Strict):
    scope: str
    period: str
    categories: list[Ranked]
    grids: list[Ranked]
    repeated: list[Cluster] = Field(description="Likely systemic problems")


class TrendPoint(Strict):
    period: str
    figures: Figures


class Trend(Strict):
    scope: str
    points: list[TrendPoint]


class PublicStats(Strict):
    scope: str = Field(description="The county, city or province these figures are of")
    county: str = Field(description="Its name (the county's, or the city's or province's)")
    period: str
    as_of: Instant | None = Field(
        default=None,
        description="When these figures last moved: they follow the cases within seconds "
        "(the table's change feed); null before any case counts here",
    )
    requests: dict[str, Any]
    applications: dict[str, Any]
    townships: list[dict[str, Any]] = Field(
        description="Its parts: a county's townships, a city's counties, a province's cities"
    )
