"""What citizen- and staff-side application services share: events, access, the calendar."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.clock import Clock
from chalicelib.domain.access import sees_application
from chalicelib.domain.application import Application
from chalicelib.domain.application_api import ApplicationPage
from chalicelib.domain.application_parts import CaseMoment
from chalicelib.domain.calendar import beijing_date
from chalicelib.domain.identity import StaffMember
from chalicelib.domain.moves import Actor, TimelineEvent, new_event
from chalicelib.errors import NotFound
from chalicelib.paging import CursorCodec
from chalicelib.services.application_views import summary
from chalicelib.services.reference import ReferenceData
from chalicelib.store.cases import CaseBundle, CaseStore
from chalicelib.store.table import Page, decode_key, encode_key


@dataclass(frozen=True)
class Caller:
    """A citizen acting on a case: its owner, or an agent the owner granted."""

    citizen_id: str


def event(
    clock: Clock,
    type: str,
    zh: str,
    en: str,
    actor: Actor,
    *,
    comment: str | None = None,
    at: datetime | None = None,
    **data: Any,
) -> TimelineEvent:
    return new_event(type, zh, en, actor, at or clock.now(), comment=comment, **data)


def case_moment(app: Application, reference: ReferenceData, now: datetime) -> CaseMoment:
    """`now`, and what the county's calendar makes of it for `app`'s moves."""
    today = beijing_date(now)
    since = app.limits.running_since
    elapsed = (
        0 if since is None else reference.calendar(app.county).working_days_between(since, today)
    )
    return CaseMoment(at=now, today=today, elapsed=elapsed)


def working_copy(app: Application) -> Application:
    """A copy of `app` for a move to change, one revision on (the store saves it only if the
    stored case is still `app`)."""
    copy = app.model_copy(deep=True)
    copy.rev = app.rev + 1
    return copy


def citizen_actor(app: Application, citizen_id: str) -> Actor:
    if citizen_id == app.owner_id:
        return Actor(role="applicant", id=citizen_id)
    return Actor(role="agent", id=citizen_id)


def staff_actor(staff: StaffMember) -> Actor:
    return Actor(
        role=staff.role.value, id=staff.staff_id, department=staff.department, name=staff.name
    )


def load_for_citizen(cases: CaseStore, case_id: str, citizen_id: str) -> tuple[CaseBundle, str]:
    """The case and the caller's relation to it ('applicant' or 'agent'). Anyone else gets
    404, never 403: a case's existence is not disclosed."""
    bundle = cases.load(case_id) if case_id.isalnum() and len(case_id) == 26 else None
    if bundle is not None:
        app = bundle.application
        if app.owner_id == citizen_id:
            return bundle, "applicant"
        if app.has_agent(citizen_id):
            return bundle, "agent"
    raise NotFound(f"No application {case_id}.")


def load_for_staff(
    cases: CaseStore, reference: ReferenceData, case_id: str, staff: StaffMember
) -> CaseBundle:
    bundle = cases.load(case_id) if case_id.isalnum() and len(case_id) == 26 else None
    if bundle is None or not sees_application(staff, bundle.application):
        raise NotFound(f"No application {case_id}.")
    return bundle


def application_page(
    cursors: CursorCodec,
    scope: str,
    cursor: str | None,
    limit: int,
    fetch: Callable[[int, dict[str, Any] | None], Page[Application]],
) -> ApplicationPage:
    """A page of application summaries from a store's queue, behind a cursor bound to
    `scope`."""
    start = decode_key(cursors.decode(cursor, scope)) if cursor else None
    page = fetch(limit, start)
    apps = page.items
    next_cursor = cursors.encode(encode_key(page.last_key), scope) if page.last_key else None
    return ApplicationPage(items=[summary(a) for a in apps], next_cursor=next_cursor)
