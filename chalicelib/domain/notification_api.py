"""The notifications API's bodies: the citizen's inbox and preferences, the catalogue
administrator's templates and preview, the supervisors' figures."""

from __future__ import annotations

from datetime import date

from pydantic import Field, model_validator

from chalicelib.domain.common import Cursor, Instant, QueryDate, QueryInt, Strict
from chalicelib.domain.notifications import Channel, DeliveryStatus


class NotificationQuery(Strict):
    limit: QueryInt = Field(default=20, ge=1, le=100)
    cursor: Cursor | None = None


class NotificationView(Strict):
    id: str
    kind: str
    title: str
    text: str
    case_kind: str
    case_id: str
    case_number: str
    role: str = Field(description="applicant, or agent (a case I act for)")
    at: Instant
    read: bool
    read_at: Instant | None = None
    channels: dict[Channel, DeliveryStatus] = Field(description="How each channel carried it")


class NotificationPage(Strict):
    items: list[NotificationView]
    unread: int = Field(ge=0)
    next_cursor: str | None = None


class TemplateView(Strict):
    id: str = Field(description="<kind>.<channel>")
    kind: str
    channel: Channel
    version: int
    title: str | None = None
    text: str
    placeholders: list[str]
    essential: bool
    urgent: bool


class TemplateList(Strict):
    items: list[TemplateView]


class PreviewRequest(Strict):
    values: dict[str, str] = Field(
        default_factory=dict,
        description="Placeholder values (named for the inbox, 1, 2 … for SMS); samples fill "
        "the rest",
    )


class TemplatePreview(Strict):
    id: str
    version: int
    text: str


class NotificationFiguresQuery(Strict):
    county: str = Field(pattern=r"^[0-9]{6}$")
    from_: QueryDate = Field(alias="from")
    to: QueryDate

    @model_validator(mode="after")
    def _bounded(self) -> NotificationFiguresQuery:
        if self.to < self.from_ or (self.to - self.from_).days > 30:
            raise ValueError("to must be on or after from, at most 31 days")
        return self


class DayFigures(Strict):
    date: date
    counts: dict[str, int] = Field(description="<channel>_<status>: how many, that day")


class NotificationFigures(Strict):
    county: str
    days: list[DayFigures]
