"""Citizen requests (诉求): the O2O channel. A resident reports or asks something online; the
grid's liaison officer, the township's dispatcher and the departments act offline.

    submitted → accepted → assigned → replied → resolved → closed (rated, or unrated in time)
        │           ▲          │                    │ bad rating (差评)
        │           └─returned─┘                    ▼
        ├→ not_accepted (reason)            reopened → resolved (all re-replied + 回访)
        └→ merged (into an earlier request of the same matter)

`assign` implies acceptance; a department that gets a mis-routed request returns it (退单)
and, when no department is left on it, it goes back to the dispatcher as `accepted`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.domain.common import Instant, Text, local_iso
from chalicelib.domain.moves import SYSTEM, Actor, TimelineEvent, new_event
from chalicelib.domain.reference import JurisdictionCode
from chalicelib.domain.request_dispatch import DispatchMoves
from chalicelib.domain.request_handling import HandlingMoves
from chalicelib.domain.request_parts import (
    MAX_REOPENINGS,
    STAGE_LABELS,
    Assignment,
    Channel,
    Escalation,
    Photo,
    RequestRectification,
    RequestStatus,
    Routing,
    Stage,
    Visit,
    check_request_move,
)
from chalicelib.domain.review import BAD_RATING_MAX, RATING_LABELS, Rating
from chalicelib.errors import Conflict


class ServiceRequest(DispatchMoves, HandlingMoves, BaseModel):
    """The stored request root. Its moves: the filer's rating and the overdue escalation
    here, the dispatcher's in `request_dispatch`, the departments' and liaison officers' in
    `request_handling`."""

    model_config = ConfigDict(defer_build=True, extra="ignore")

    request_id: str
    number: str
    kind: Literal["request"] = "request"
    owner_id: str
    owner_phone: str
    filed_by: Actor
    channel: Channel
    category: str
    category_name: str
    category_name_en: str
    sla_days: int
    description: str
    address: str | None = None
    lat: float | None = None
    lng: float | None = None
    jurisdiction: JurisdictionCode
    routing: Routing
    photos: list[Photo] = Field(default_factory=list)
    private: bool = False
    anonymous: bool = False
    status: RequestStatus
    rev: int = 0
    created_at: Instant
    updated_at: Instant
    dispatch_since: Instant | None = None
    accepted_at: Instant | None = None
    resolved_at: Instant | None = None
    closed_at: Instant | None = None
    stage: Stage | None = None
    deadline: Instant | None = None
    resolution_due: Instant | None = None
    escalations: list[Escalation] = Field(default_factory=list)
    assignments: list[Assignment] = Field(default_factory=list)
    visits: list[Visit] = Field(default_factory=list)
    not_accepted_reason: str | None = None
    merged_into: str | None = None
    merged_into_number: str | None = None
    merged: list[str] = Field(default_factory=list)
    needs_dispatch: bool = Field(
        default=False, description="A department returned it: the dispatcher decides again"
    )
    ratings: list[Rating] = Field(default_factory=list)
    rectification: RequestRectification | None = None
    on_time: bool | None = None
    resolution_days: int | None = Field(
        default=None, description="Working days from filing to the first resolution"
    )
    repeat_of: list[str] = Field(
        default_factory=list, description="Open requests of the same matter when it was filed"
    )
    partner: str | None = None
    hall: JurisdictionCode | None = None  # the service hall it was filed at (window, terminal)

    @property
    def county(self) -> str:
        return self.jurisdiction[:6]

    @property
    def township(self) -> str | None:
        return self.jurisdiction[:9] if len(self.jurisdiction) >= 9 else None

    def active(self) -> list[Assignment]:
        return [a for a in self.assignments if a.status != "returned"]

    def assignment(self, department: str) -> Assignment | None:
        return next((a for a in self.assignments if a.department == department), None)

    def escalated(self, stage: Stage) -> bool:
        return any(e.stage is stage and e.deadline == self.deadline for e in self.escalations)

    @property
    def rating(self) -> Rating | None:
        return self.ratings[-1] if self.ratings else None

    # ---- moves: each changes this (working) copy, checked against REQUEST_TRANSITIONS, and
    # returns the timeline events it produces; the service saves both.

    def _move_to(self, status: RequestStatus) -> None:
        check_request_move(self.status, status)
        self.status = status

    def _close(self, at: datetime) -> None:
        self._move_to(RequestStatus.CLOSED)
        self.closed_at = at
        self.stage = None
        self.deadline = None

    def rate(
        self, level: int, comment: str | None, by: Actor, at: datetime, rectification_due: datetime
    ) -> list[TimelineEvent]:
        """The filer's rating of a resolved request: a good one closes it; a bad one (差评)
        reopens it for rectification by its departments and a follow-up visit (回访), until
        MAX_REOPENINGS bad ratings, after which it closes."""
        if self.status is not RequestStatus.RESOLVED:
            raise Conflict(
                "Only a resolved request can be rated."
                if self.status is not RequestStatus.CLOSED
                else "This request has been rated or closed already."
            )
        reopenings = sum(r.level <= BAD_RATING_MAX for r in self.ratings)
        zh, en = RATING_LABELS[level]
        self.ratings.append(
            Rating(level=level, label=Text(zh=zh, en=en), comment=comment, rated_at=at)
        )
        events = [
            new_event(
                "rated", f"群众评价：{zh}", f"Rated: {en}", by, at, comment=comment, level=level
            )
        ]
        if level > BAD_RATING_MAX or reopenings >= MAX_REOPENINGS:
            self._close(at)
            return [*events, new_event("closed", "诉求已关闭", "Closed", SYSTEM, at)]
        self._move_to(RequestStatus.REOPENED)
        # The grid's liaison officer makes the follow-up visit; a private request (a
        # petition) is followed up by its departments, as is one no liaison officer serves.
        visited_by_liaison = self.routing.liaison_id is not None and not self.private
        self.rectification = RequestRectification(
            opened_at=at,
            due=rectification_due,
            rating_level=level,
            follow_up="pending" if visited_by_liaison else "not_required",
        )
        for assignment in self.active():
            assignment.status = "pending"
            assignment.round += 1
            assignment.done_at = None
            assignment.assigned_at = at
            # the new round starts from the department's last answer; its earlier replies
            # stay on the timeline (so the record stays small, see MAX_*)
            assignment.replies = assignment.replies[-1:]
        self.stage = Stage.RECTIFICATION
        self.deadline = rectification_due
        reopened = new_event(
            "reopened",
            "差评重办：承办单位整改，民情联络员回访",
            "Bad rating: reopened for rectification and a follow-up visit",
            SYSTEM,
            at,
            due=rectification_due.isoformat(),
        )
        return [*events, reopened]

    def close_unrated(self, at: datetime) -> list[TimelineEvent]:
        """The rating period ended without a rating: the request closes."""
        self._close(at)
        return [
            new_event(
                "closed",
                "评价期满未评价，诉求自动关闭",
                "Closed: not rated within the rating period",
                SYSTEM,
                at,
            )
        ]

    def escalate(self, to: list[str], at: datetime) -> list[TimelineEvent]:
        """The running stage fell due: escalates once to the supervisors `to` (a private
        request to its dispatchers)."""
        stage, deadline = self.stage, self.deadline
        if stage is None or deadline is None or self.escalated(stage):
            raise Conflict("Nothing is due on this request.")
        self.escalations.append(Escalation(stage=stage, deadline=deadline, at=at, to=to))
        zh, en = STAGE_LABELS[stage]
        whom = (
            ("信息管理员", "its dispatchers")
            if self.private
            else ("街道（乡镇）和县级负责人", "the township and county supervisors")
        )
        return [
            new_event(
                "escalated",
                f"{zh}超期，已提请{whom[0]}督办",
                f"Overdue for {en}: escalated to {whom[1]}",
                SYSTEM,
                at,
                stage=stage.value,
                deadline=local_iso(deadline),
                to=to,
            )
        ]
