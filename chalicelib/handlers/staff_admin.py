"""Staff administration (SigV4-signed, administrators only): a county's staff records, each
change kept in an audit trail."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.context import current_request_id
from chalicelib.deps import container
from chalicelib.domain.access import ADMINISTRATORS
from chalicelib.domain.identity import StaffMember
from chalicelib.domain.staff_admin import (
    HistoryQuery,
    StaffChange,
    StaffCreate,
    StaffHistory,
    StaffPage,
    StaffQuery,
    StaffRecord,
    StaffStatusChange,
    StaffView,
)
from chalicelib.http.api import Call, Reply, operation
from chalicelib.http.parsing import Header
from chalicelib.http.paths import StaffPath

bp = Blueprint(__name__)
TAGS = ("admin", "staff")
IF_MATCH = Header(
    "If-Match",
    'The ETag of the record as read (e.g. "zwfw-clerk@3", or *): a stale one is a 412',
    pattern=r'^(\*|"[a-z0-9-]{2,64}@[0-9]{1,9}")$',
)


def _reply(record: StaffRecord, status: int = 200) -> Reply:
    view = container().staff_admin.view(record)
    headers = {"ETag": view.etag}
    if status == 201:
        headers["Location"] = f"/admin/staff/{view.staff_id}"
    return Reply(view, status=status, headers=headers)


@operation(
    bp,
    "/admin/staff",
    summary="The staff of a county (or a city's or a province's own) under your administration",
    tags=TAGS,
    auth="staff",
    allow=ADMINISTRATORS,
    query=StaffQuery,
    response=StaffPage,
)
def list_staff(call: Call, staff: StaffMember, query: StaffQuery) -> StaffPage:
    return container().staff_admin.list(staff, query)


@operation(
    bp,
    "/admin/staff",
    "POST",
    summary="Add a staff member: their IAM principal signs their calls from now on",
    tags=TAGS,
    auth="staff",
    allow=ADMINISTRATORS,
    body=StaffCreate,
    response=StaffView,
    status=201,
    errors=(404, 409),
    response_headers=("ETag",),
    description="A principal registered already or a staff id taken is a 409; a department "
    "the county does not have, a 404; a jurisdiction outside yours, a 403; a role where it "
    "cannot work (a department on a role without one, a region's staff with a department, "
    "a liaison officer off a grid), a 422 naming the field.",
)
def add_staff(call: Call, staff: StaffMember, body: StaffCreate) -> Reply:
    record = container().staff_admin.add(staff, body, current_request_id.get())
    return _reply(record, status=201)


@operation(
    bp,
    "/admin/staff/{staff_id}",
    summary="A staff record (with its ETag)",
    tags=TAGS,
    auth="staff",
    allow=ADMINISTRATORS,
    path_model=StaffPath,
    response=StaffView,
    response_headers=("ETag",),
)
def get_staff(call: Call, staff: StaffMember, staff_id: str) -> Reply:
    return _reply(container().staff_admin.record(staff, staff_id))


@operation(
    bp,
    "/admin/staff/{staff_id}",
    "PATCH",
    summary="Change a staff member's name, role, department, jurisdiction or phone",
    tags=TAGS,
    auth="staff",
    allow=ADMINISTRATORS,
    path_model=StaffPath,
    body=StaffChange,
    response=StaffView,
    errors=(409, 412),
    headers=(IF_MATCH,),
    response_headers=("ETag",),
    description="Fields left out stay; `department` or `phone` null removes it. The same "
    "values again change nothing. A new principal is a new record: retire this one and add "
    "another.",
)
def change_staff(call: Call, staff: StaffMember, staff_id: str, body: StaffChange) -> Reply:
    record = container().staff_admin.change(
        staff, staff_id, body, call.header("If-Match"), current_request_id.get()
    )
    return _reply(record)


@operation(
    bp,
    "/admin/staff/{staff_id}/retire",
    "POST",
    summary="Retire a staff member: their principal can no longer sign in",
    tags=TAGS,
    auth="staff",
    allow=ADMINISTRATORS,
    path_model=StaffPath,
    body=StaffStatusChange,
    response=StaffView,
    errors=(409, 412),
    headers=(IF_MATCH,),
    response_headers=("ETag",),
    description="Refused on the member's next call once each API container's staff cache "
    "lets go of the record (within 60 s). The record and its history stay.",
)
def retire_staff(call: Call, staff: StaffMember, staff_id: str, body: StaffStatusChange) -> Reply:
    record = container().staff_admin.set_active(
        staff, staff_id, False, body.reason, call.header("If-Match"), current_request_id.get()
    )
    return _reply(record)


@operation(
    bp,
    "/admin/staff/{staff_id}/reactivate",
    "POST",
    summary="Reactivate a retired staff member (the same principal signs again)",
    tags=TAGS,
    auth="staff",
    allow=ADMINISTRATORS,
    path_model=StaffPath,
    body=StaffStatusChange,
    response=StaffView,
    errors=(409, 412),
    headers=(IF_MATCH,),
    response_headers=("ETag",),
)
def reactivate_staff(
    call: Call, staff: StaffMember, staff_id: str, body: StaffStatusChange
) -> Reply:
    record = container().staff_admin.set_active(
        staff, staff_id, True, body.reason, call.header("If-Match"), current_request_id.get()
    )
    return _reply(record)


@operation(
    bp,
    "/admin/staff/{staff_id}/history",
    summary="A staff record's audit trail, newest first: who changed what, when, why",
    tags=TAGS,
    auth="staff",
    allow=ADMINISTRATORS,
    path_model=StaffPath,
    query=HistoryQuery,
    response=StaffHistory,
)
def staff_history(
    call: Call, staff: StaffMember, staff_id: str, query: HistoryQuery
) -> StaffHistory:
    return container().staff_admin.history(staff, staff_id, query)
