"""Staff routes (SigV4-signed): who am I, and catalogue administration."""

from __future__ import annotations

from datetime import date

from chalice import Blueprint
from pydantic import Field

from chalicelib.deps import container
from chalicelib.domain.access import ANY_STAFF, CATALOGUE_ADMINS, CLERKS
from chalicelib.domain.application_api import (
    AcceptanceDecision,
    ApplicationPage,
    ApplicationView,
    QueueQuery,
    TimelinePage,
    TimelineQuery,
)
from chalicelib.domain.calendar import YearArrangement
from chalicelib.domain.catalogue import ServiceGuide, ServiceItemEdit
from chalicelib.domain.common import Strict, Text
from chalicelib.domain.identity import ROLE_LABELS, Role, StaffMember
from chalicelib.http.api import IF_MATCH_HEADER, Call, Reply, operation
from chalicelib.http.paths import CalendarPath, CasePath, ServicePath
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
    allow=ANY_STAFF,
    response=StaffProfile,
)
def staff_me(call: Call, staff: StaffMember) -> StaffProfile:
    deps = container()
    department = deps.reference.departments(staff.county).get(staff.department or "")
    jurisdiction_name = deps.reference.place_name(staff.jurisdiction)
    zh, en = ROLE_LABELS[staff.role]
    return StaffProfile(
        staff_id=staff.staff_id,
        name=staff.name,
        role=staff.role,
        role_label=Text(zh=zh, en=en),
        department=staff.department,
        department_name=department.name if department else None,
        jurisdiction=staff.jurisdiction,
        jurisdiction_name=jurisdiction_name,
        principal_arn=staff.principal_arn,
    )


@operation(
    bp,
    "/admin/services/{code}",
    "PUT",
    summary="Create or change a catalogue item; every change is kept as a new version",
    tags=("admin", "catalogue"),
    auth="staff",
    allow=CATALOGUE_ADMINS,
    path_model=ServicePath,
    body=ServiceItemEdit,
    response=ServiceGuide,
    status=200,
    errors=(409, 412),
    headers=(IF_MATCH_HEADER,),
    response_headers=("ETag",),
    may_create=True,
    description="The body is the item's editable fields — or the whole guide that "
    "GET /services/{code} returned: its read-only fields (code, version, labels, "
    "departments, etag, updated_*) are ignored when they still match the current version, "
    "and named in a 422 when they differ. 201 with Location when the code is new.",
)
def put_service(call: Call, staff: StaffMember, code: str, body: ServiceItemEdit) -> Reply:
    deps = container()
    item, created = deps.catalogue.publish(staff, code, body, if_match=call.header("If-Match"))
    guide = guide_of(item, deps.reference.departments(code[:6]))
    headers = {"ETag": guide.etag}
    if created and item.version == 1:
        return Reply(guide, status=201, headers={**headers, "Location": f"/services/{code}"})
    return Reply(guide, headers=headers)


@operation(
    bp,
    "/admin/queues/acceptance",
    summary="Applications waiting for acceptance, oldest first",
    tags=("admin", "applications"),
    auth="staff",
    allow=CLERKS,
    query=QueueQuery,
    response=ApplicationPage,
)
def acceptance_queue(call: Call, staff: StaffMember, query: QueueQuery) -> ApplicationPage:
    return container().acceptance.queue(staff, query.limit, query.cursor)


@operation(
    bp,
    "/admin/applications/{id}",
    summary="An application with short-lived document download links (access is logged)",
    tags=("admin", "applications"),
    auth="staff",
    allow=ANY_STAFF,
    path_model=CasePath,
    response=ApplicationView,
)
def staff_get_application(call: Call, staff: StaffMember, id: str) -> ApplicationView:
    return container().acceptance.view(staff, id)


@operation(
    bp,
    "/admin/applications/{id}/timeline",
    summary="An application's timeline, newest first, page by page",
    tags=("admin", "applications"),
    auth="staff",
    allow=ANY_STAFF,
    path_model=CasePath,
    query=TimelineQuery,
    response=TimelinePage,
)
def staff_application_timeline(
    call: Call, staff: StaffMember, id: str, query: TimelineQuery
) -> TimelinePage:
    return container().acceptance.timeline(staff, id, query)


@operation(
    bp,
    "/admin/applications/{id}/acceptance",
    "POST",
    summary="One-window decision: accept, supplement (一次性告知) or not accept",
    tags=("admin", "applications"),
    auth="staff",
    allow=CLERKS,
    path_model=CasePath,
    body=AcceptanceDecision,
    response=ApplicationView,
    errors=(409,),
)
def decide_acceptance(
    call: Call, staff: StaffMember, id: str, body: AcceptanceDecision
) -> ApplicationView:
    return container().acceptance.decide(staff, id, body)


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
    allow=CATALOGUE_ADMINS,
    path_model=CalendarPath,
    body=CalendarYear,
    response=YearArrangement,
)
def put_calendar_year(
    call: Call, staff: StaffMember, year: int, body: CalendarYear
) -> YearArrangement:
    return container().calendar.load_year(staff, year, body.holidays, body.workdays)
