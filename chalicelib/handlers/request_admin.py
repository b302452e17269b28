"""Staff routes of requests (SigV4): liaison filing, queues, triage, returns, replies, visits."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.deps import container
from chalicelib.domain.identity import Role
from chalicelib.domain.request import (
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
    staff_upload_owner,
)
from chalicelib.errors import Forbidden
from chalicelib.handlers.applications import idempotency_key
from chalicelib.http.api import Call, Reply, operation
from chalicelib.services.open311 import IssuedKey, PartnerKeyRequest

bp = Blueprint(__name__)
TAGS = ("admin", "requests")


@operation(
    bp,
    "/admin/uploads",
    "POST",
    summary="Upload a photo for a reply or a visit",
    tags=TAGS,
    auth="staff",
    body=UploadRequest,
    response=UploadView,
    status=201,
    errors=(403, 422),
)
def create_staff_upload(call: Call, body: UploadRequest) -> Reply:
    deps = container()
    owner = staff_upload_owner(deps.staff.resolve(call.principal_arn).staff_id)
    return Reply(deps.requests.request_upload(owner, body), status=201)


@operation(
    bp,
    "/admin/uploads/{id}",
    summary="Whether a photo I uploaded passed its checks",
    tags=TAGS,
    auth="staff",
    response=UploadView,
    errors=(403, 404),
)
def get_staff_upload(call: Call, id: str) -> UploadView:
    deps = container()
    owner = staff_upload_owner(deps.staff.resolve(call.principal_arn).staff_id)
    return deps.requests.upload_status(owner, id)


@operation(
    bp,
    "/admin/requests",
    "POST",
    summary="A liaison officer files a request on behalf of a resident (channel liaison)",
    tags=TAGS,
    auth="staff",
    body=ResidentRequestCreate,
    response=RequestView,
    status=201,
    errors=(403, 409, 422),
)
def file_for_resident(call: Call, body: ResidentRequestCreate) -> Reply:
    deps = container()
    view, created = deps.requests.file_for_resident(
        deps.staff.resolve(call.principal_arn), body, idempotency_key(call)
    )
    return Reply(view, status=201 if created else 200)


@operation(
    bp,
    "/admin/queues/requests",
    summary="My request queue, oldest first: dispatcher, department, liaison or overdue",
    tags=TAGS,
    auth="staff",
    query=RequestQueueQuery,
    response=RequestPage,
    errors=(403, 422),
)
def request_queue(call: Call, query: RequestQueueQuery) -> RequestPage:
    deps = container()
    return deps.requests.queue(deps.staff.resolve(call.principal_arn), query)


@operation(
    bp,
    "/admin/requests/{id}",
    summary="A request I may see: routing, assignments, replies, visits, timeline",
    tags=TAGS,
    auth="staff",
    response=RequestView,
    errors=(403, 404),
)
def get_request_for_staff(call: Call, id: str) -> RequestView:
    deps = container()
    return deps.requests.view_for_staff(deps.staff.resolve(call.principal_arn), id)


@operation(
    bp,
    "/admin/requests/{id}/triage",
    "POST",
    summary="Dispatcher: accept, not accept (reason), assign departments jointly, or merge",
    tags=TAGS,
    auth="staff",
    body=TriageRequest,
    response=RequestView,
    errors=(403, 404, 409, 422),
)
def triage_request(call: Call, id: str, body: TriageRequest) -> RequestView:
    deps = container()
    return deps.requests.triage(deps.staff.resolve(call.principal_arn), id, body)


@operation(
    bp,
    "/admin/requests/{id}/return",
    "POST",
    summary="A department returns a mis-routed request with a reason (退单)",
    tags=TAGS,
    auth="staff",
    body=ReturnRequest,
    response=RequestView,
    errors=(403, 404, 409, 422),
)
def return_request(call: Call, id: str, body: ReturnRequest) -> RequestView:
    deps = container()
    return deps.requests.return_request(deps.staff.resolve(call.principal_arn), id, body)


@operation(
    bp,
    "/admin/requests/{id}/reply",
    "POST",
    summary="A department replies (progress, or done); resolved when every one is done",
    tags=TAGS,
    auth="staff",
    body=ReplyRequest,
    response=RequestView,
    errors=(403, 404, 409, 422),
)
def reply_request(call: Call, id: str, body: ReplyRequest) -> RequestView:
    deps = container()
    return deps.requests.reply(deps.staff.resolve(call.principal_arn), id, body)


@operation(
    bp,
    "/admin/requests/{id}/visit",
    "POST",
    summary="The liaison officer records an offline visit or the follow-up visit (回访)",
    tags=TAGS,
    auth="staff",
    body=VisitRequest,
    response=RequestView,
    errors=(403, 404, 409, 422),
)
def visit_request(call: Call, id: str, body: VisitRequest) -> RequestView:
    deps = container()
    return deps.requests.visit(deps.staff.resolve(call.principal_arn), id, body)


@operation(
    bp,
    "/admin/open311/keys",
    "POST",
    summary="Issue an Open311 api_key to a partner app (catalogue admin; shown once)",
    tags=("admin", "open311"),
    auth="staff",
    body=PartnerKeyRequest,
    response=IssuedKey,
    status=201,
    errors=(403, 422),
)
def issue_open311_key(call: Call, body: PartnerKeyRequest) -> Reply:
    deps = container()
    staff = deps.staff.resolve(call.principal_arn)
    if staff.role is not Role.CATALOGUE_ADMIN:
        raise Forbidden("Only the catalogue admin issues Open311 keys.")
    key = deps.partner_keys.issue(body.partner, deps.clock.now())
    return Reply(IssuedKey(partner=body.partner, api_key=key), status=201)
