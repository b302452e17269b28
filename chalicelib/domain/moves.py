"""What a move of a case records: its timeline events, made in the domain so that an entity's
method can return the events its move produces (the service saves them with the case)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from chalicelib.domain.common import Instant, Strict, Text
from chalicelib.ids import new_ulid


class Actor(Strict):
    """Who did something: the applicant, an agent, a staff member, or the system."""

    role: str
    id: str | None = None
    department: str | None = None
    name: str | None = None
    on_behalf_of: str | None = Field(
        default=None,
        description="The citizen the actor acted for (a window clerk filing for a walk-in "
        "visitor): their citizen id",
    )
    via: str | None = Field(
        default=None, description="The self-service terminal the citizen acted through"
    )


class TimelineEvent(Strict):
    event_id: str
    at: Instant
    type: str
    title: Text
    actor: Actor
    comment: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)


SYSTEM = Actor(role="system")


def new_event(
    type: str,
    zh: str,
    en: str,
    actor: Actor,
    at: datetime,
    *,
    comment: str | None = None,
    **data: Any,
) -> TimelineEvent:
    return TimelineEvent(
        event_id=new_ulid(at),
        at=at,
        type=type,
        title=Text(zh=zh, en=en),
        actor=actor,
        comment=comment,
        data=data,
    )
