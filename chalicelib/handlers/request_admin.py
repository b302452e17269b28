"""Staff routes of requests (SigV4): liaison filing, queues, triage, returns, replies, visits."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.deps import container
from chalicelib.domain.access import (
    ANY_STAFF,
    CATALOGUE_ADMINS,
    DISPATCHERS,
    LIAISONS,
    PHOTO_TAKERS,
    REQUEST_WORKERS,
    REVIEWERS,
)
from chalicelib.domain.application_api import TimelinePage, TimelineQuery
from chalicelib.domain.identity import StaffMember
from chalicelib.domain.request_api import (
    ReplyRequest,
    RequestPage,
    RequestQueueQuery,
    RequestView,
    ResidentRequestCreate,
    ReturnRequest,
    TriageRequest,
    UploadRequest,
    UploadView,
    VisitRequest,
)
from chalicelib.domain.request_parts import staff_upload_owner
from chalicelib.http.api import IDEMPOTENCY_HEADER, Call, Reply, created, operation
from chalicelib.http.paths import CasePath, PartnerPath, UploadPath
from chalicelib.services.open311 import IssuedKey, PartnerKeyRequest, PartnerKeyView

bp = Blueprint(__name__)
TAGS = ("admin", "requests")


@operation(
    bp,
    "/admin/uploads",
    "POST",
    summary="Upload a photo for a reply or a visit",
    tags=TAGS,
    auth="staff",
    allow=PHOTO_TAKERS,
    body=UploadRequest,
    response=UploadView,
    status=201,
    errors=(429,),
)
def create_staff_upload(call: Call, staff: StaffMember, body: UploadRequest) -> Reply:
    view = container().request_filing.request_upload(staff_upload_owner(staff.staff_id), body)
    return created(view, f"/admin/uploads/{view.document_id}")


@operation(
    bp,
    "/admin/uploads/{id}",
    summary="Whether a photo I uploaded passed its checks",
    tags=TAGS,
    auth="staff",
    allow=PHOTO_TAKERS,
    path_model=UploadPath,
    response=UploadView,
)
def get_staff_upload(call: Call, staff: StaffMember, id: str) -> UploadView:
    return container().request_filing.upload_status(staff_upload_owner(staff.staff_id), id)


@operation(
    bp,
    "/admin/requests",
    "POST",
    summary="A liaison officer files a request on behalf of a resident (channel liaison)",
    tags=TAGS,
    auth="staff",
    allow=LIAISONS,
    body=ResidentRequestCreate,
    response=RequestView,
    status=201,
    errors=(404, 409, 429),
    headers=(IDEMPOTENCY_HEADER,),
)
def file_for_resident(call: Call, staff: StaffMember, body: ResidentRequestCreate) -> Reply:
    view, fresh = container().request_filing.file_for_resident(
        staff, body, call.idempotency_key, call.fingerprint()
    )
    location = f"/admin/requests/{view.request_id}"
    return created(view, location) if fresh else Reply(view, headers={"Location": location})


@operation(
    bp,
    "/admin/queues/requests",
    summary="My request queue, oldest first: dispatcher, department, liaison or overdue",
    tags=TAGS,
    auth="staff",
    allow=REQUEST_WORKERS,
    query=RequestQueueQuery,
    response=RequestPage,
    errors=(404,),
)
def request_queue(call: Call, staff: StaffMember, query: RequestQueueQuery) -> RequestPage:
    return container().request_reading.queue(staff, query)


@operation(
    bp,
    "/admin/requests/{id}",
    summary="A request I may see: routing, assignments, replies, visits, latest events",
    tags=TAGS,
    auth="staff",
    allow=ANY_STAFF,
    path_model=CasePath,
    response=RequestView,
)
def get_request_for_staff(call: Call, staff: StaffMember, id: str) -> RequestView:
    return container().request_reading.view_for_staff(staff, id)


@operation(
    bp,
    "/admin/requests/{id}/timeline",
    summary="A request's timeline, newest first, page by page",
    tags=TAGS,
    auth="staff",
    allow=ANY_STAFF,
    path_model=CasePath,
    query=TimelineQuery,
    response=TimelinePage,
)
def request_timeline_for_staff(
    call: Call, staff: StaffMember, id: str, query: TimelineQuery
) -> TimelinePage:
    return container().request_reading.timeline_for_staff(staff, id, query)


@operation(
    bp,
    "/admin/requests/{id}/triage",
    "POST",
    summary="Dispatcher: accept, not accept (reason), assign departments jointly, merge, or "
    "conclude a partly returned request with the other departments' replies",
    tags=TAGS,
    auth="staff",
    allow=DISPATCHERS,
    path_model=CasePath,
    body=TriageRequest,
    response=RequestView,
    errors=(409,),
)
def triage_request(call: Call, staff: StaffMember, id: str, body: TriageRequest) -> RequestView:
    return container().request_triage.triage(staff, id, body)


@operation(
    bp,
    "/admin/requests/{id}/return",
    "POST",
    summary="A department returns its part of a mis-routed request with a reason (退单)",
    tags=TAGS,
    auth="staff",
    allow=REVIEWERS,
    path_model=CasePath,
    body=ReturnRequest,
    response=RequestView,
    errors=(409,),
)
def return_request(call: Call, staff: StaffMember, id: str, body: ReturnRequest) -> RequestView:
    return container().request_triage.return_request(staff, id, body)


@operation(
    bp,
    "/admin/requests/{id}/reply",
    "POST",
    summary="A department replies (progress, or done); resolved when every one is done",
    tags=TAGS,
    auth="staff",
    allow=REVIEWERS,
    path_model=CasePath,
    body=ReplyRequest,
    response=RequestView,
    errors=(409,),
)
def reply_request(call: Call, staff: StaffMember, id: str, body: ReplyRequest) -> RequestView:
    return container().request_handling.reply(staff, id, body)


@operation(
    bp,
    "/admin/requests/{id}/visit",
    "POST",
    summary="The liaison officer records an offline visit or the follow-up visit (回访)",
    tags=TAGS,
    auth="staff",
    allow=LIAISONS,
    path_model=CasePath,
    body=VisitRequest,
    response=RequestView,
    errors=(409,),
)
def visit_request(call: Call, staff: StaffMember, id: str, body: VisitRequest) -> RequestView:
    return container().request_handling.visit(staff, id, body)


@operation(
    bp,
    "/admin/open311/keys",
    "POST",
    summary="Issue an Open311 api_key to a partner app (catalogue admin; the key is shown once)",
    tags=("admin", "open311"),
    auth="staff",
    allow=CATALOGUE_ADMINS,
    body=PartnerKeyRequest,
    response=IssuedKey,
    status=201,
    errors=(409,),
)
def issue_open311_key(call: Call, staff: StaffMember, body: PartnerKeyRequest) -> Reply:
    issued = container().open311.issue_key(body.partner)
    return created(issued, f"/admin/open311/keys/{issued.partner}")


@operation(
    bp,
    "/admin/open311/keys/{partner}",
    summary="A partner's Open311 key record (never the key itself)",
    tags=("admin", "open311"),
    auth="staff",
    allow=CATALOGUE_ADMINS,
    path_model=PartnerPath,
    response=PartnerKeyView,
)
def get_open311_key(call: Call, staff: StaffMember, partner: str) -> PartnerKeyView:
    return container().open311.key_record(partner)
