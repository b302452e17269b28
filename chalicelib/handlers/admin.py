"""Staff routes (SigV4-signed): who am I, and catalogue administration."""

from __future__ import annotations

from datetime import date

from chalice import Blueprint
from pydantic import Field

from chalicelib.deps import container
from chalicelib.domain.application import (
    AcceptanceDecision,
    ApplicationPage,
    ApplicationView,
    QueueQuery,
)
from chalicelib.domain.calendar import YearArrangement
from chalicelib.domain.catalogue import ServiceGuide, ServiceItemInput
from chalicelib.domain.common import Strict, Text
from chalicelib.domain.identity import ROLE_LABELS, Role
from chalicelib.http.api import Call, Reply, operation
from chalicelib.services.views import guide_of

bp = Blueprint(__name__)


class StaffProfile(Strict):
    staff_id: str
    name: str
    role: Role
    role_label: Text
    department: str | None = None
    department_name: str | None = None
    jurisdiction: str
    jurisdiction_name: str | None = None
    principal_arn: str


@operation(
    bp,
    "/admin/me",
    summary="The calling staff member's record",
    tags=("admin",),
    auth="staff",
    response=StaffProfile,
    errors=(403,),
)
def staff_me(call: Call) -> StaffProfile:
    deps = container()
    staff = deps.staff.resolve(call.principal_arn)
    department = deps.reference.departments().get(staff.department or "")
    jurisdiction = deps.reference.jurisdictions().nodes.get(staff.jurisdiction)
    zh, en = ROLE_LABELS[staff.role]
    return StaffProfile(
        staff_id=staff.staff_id,
        name=staff.name,
        role=staff.role,
        role_label=Text(zh=zh, en=en),
        department=staff.department,
        department_name=department.name if department else None,
        jurisdiction=staff.jurisdiction,
        jurisdiction_name=jurisdiction.name if jurisdiction else None,
        principal_arn=staff.principal_arn,
    )


@operation(
    bp,
    "/admin/services/{code}",
    "PUT",
    summary="Create or change a catalogue item; every change is kept as a new version",
    tags=("admin", "catalogue"),
    auth="staff",
    body=ServiceItemInput,
    response=ServiceGuide,
    errors=(403, 409, 412, 422),
)
def put_service(call: Call, code: str, body: ServiceItemInput) -> Reply:
    deps = container()
    staff = deps.staff.resolve(call.principal_arn)
    item, created = deps.catalogue.publish(staff, code, body, if_match=call.header("If-Match"))
    guide = guide_of(item, deps.reference.departments())
    status = 201 if created and item.version == 1 else 200
    return Reply(guide, status=status, headers={"ETag": guide.etag})


@operation(
    bp,
    "/admin/queues/acceptance",
    summary="Applications waiting for acceptance, oldest first",
    tags=("admin", "applications"),
    auth="staff",
    query=QueueQuery,
    response=ApplicationPage,
    errors=(403, 422),
)
def acceptance_queue(call: Call, query: QueueQuery) -> ApplicationPage:
    deps = container()
    staff = deps.staff.resolve(call.principal_arn)
    return deps.acceptance.queue(staff, query.limit, query.cursor)


@operation(
    bp,
    "/admin/applications/{id}",
    summary="An application with short-lived document download links (access is logged)",
    tags=("admin", "applications"),
    auth="staff",
    response=ApplicationView,
    errors=(403, 404),
)
def staff_get_application(call: Call, id: str) -> ApplicationView:
    deps = container()
    return deps.acceptance.view(deps.staff.resolve(call.principal_arn), id)


@operation(
    bp,
    "/admin/applications/{id}/acceptance",
    "POST",
    summary="One-window decision: accept, supplement (一次性告知) or not accept",
    tags=("admin", "applications"),
    auth="staff",
    body=AcceptanceDecision,
    response=ApplicationView,
    errors=(403, 404, 409, 422),
)
def decide_acceptance(call: Call, id: str, body: AcceptanceDecision) -> ApplicationView:
    deps = container()
    return deps.acceptance.decide(deps.staff.resolve(call.principal_arn), id, body)


class CalendarYear(Strict):
    holidays: list[date] = Field(max_length=120)
    workdays: list[date] = Field(default_factory=list, max_length=30)


@operation(
    bp,
    "/admin/calendar/{year}",
    "PUT",
    summary="Load a year's public holidays and adjusted working days (State Council notice)",
    tags=("admin",),
    auth="staff",
    body=CalendarYear,
    response=YearArrangement,
    errors=(403, 422),
)
def put_calendar_year(call: Call, year: str, body: CalendarYear) -> YearArrangement:
    deps = container()
    staff = deps.staff.resolve(call.principal_arn)
    return deps.calendar.load_year(staff, year, body.holidays, body.workdays)
