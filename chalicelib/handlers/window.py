"""The service halls' walk-in desk (SigV4-signed: window clerks and self-service terminals)
and the receipt (受理回执) it prints, which the citizen can download too."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.deps import container
from chalicelib.domain.access import WINDOW_DESK
from chalicelib.domain.application_api import ApplicationView, DocumentUpload, DocumentView
from chalicelib.domain.application_parts import DocumentRequest
from chalicelib.domain.identity import StaffMember
from chalicelib.domain.request_api import RequestView
from chalicelib.domain.window import (
    CITIZEN_TOKEN_HEADER,
    Receipt,
    WindowApplicationCreate,
    WindowRequestCreate,
)
from chalicelib.http.api import IDEMPOTENCY_HEADER, Call, Reply, created, operation
from chalicelib.http.parsing import Header
from chalicelib.http.paths import CaseDocumentPath, CasePath

bp = Blueprint(__name__)
TAGS = ("admin", "window")
SIGNED_IN_HEADER = Header(
    CITIZEN_TOKEN_HEADER,
    "A self-service terminal's calls only (required there): the access token of the citizen "
    "signed in at it, as sent in `citizen_token` when filing. The case must be theirs (404 "
    "otherwise); a window clerk sends none.",
)


def signed_in(call: Call, staff: StaffMember) -> str | None:
    """The citizen signed in at a terminal (422 without a valid token); None for a clerk."""
    return container().window_applications.signed_in(staff, call.header(CITIZEN_TOKEN_HEADER))


@operation(
    bp,
    "/admin/window/applications",
    "POST",
    summary="File an application for a walk-in visitor (channel window; a terminal: terminal)",
    tags=TAGS,
    auth="staff",
    allow=WINDOW_DESK,
    body=WindowApplicationCreate,
    response=ApplicationView,
    status=201,
    errors=(404, 409, 429),
    headers=(IDEMPOTENCY_HEADER,),
    description="A draft owned by the citizen who signs in with `visitor.phone` (their "
    "record is created if they never signed in), so the visitor follows it online. Then "
    "upload the scanned materials and submit it; it joins the acceptance queue.",
)
def file_walk_in_application(
    call: Call, staff: StaffMember, body: WindowApplicationCreate
) -> Reply:
    view, fresh = container().window_applications.file(
        staff, body, call.idempotency_key, call.fingerprint()
    )
    location = f"/admin/window/applications/{view.id}"
    return created(view, location) if fresh else Reply(view, headers={"Location": location})


@operation(
    bp,
    "/admin/window/applications/{id}",
    summary="A walk-in application as the desk sees it (its materials' checks)",
    tags=TAGS,
    auth="staff",
    allow=WINDOW_DESK,
    path_model=CasePath,
    response=ApplicationView,
    headers=(SIGNED_IN_HEADER,),
)
def walk_in_application(call: Call, staff: StaffMember, id: str) -> ApplicationView:
    return container().window_applications.desk_view(staff, id, signed_in(call, staff))


@operation(
    bp,
    "/admin/window/applications/{id}/documents",
    "POST",
    summary="Register a scanned material and get a presigned POST to upload it to",
    tags=TAGS,
    auth="staff",
    allow=WINDOW_DESK,
    path_model=CasePath,
    body=DocumentRequest,
    response=DocumentUpload,
    status=201,
    errors=(409,),
    headers=(SIGNED_IN_HEADER,),
)
def walk_in_upload(call: Call, staff: StaffMember, id: str, body: DocumentRequest) -> Reply:
    upload = container().window_applications.request_upload(staff, id, body, signed_in(call, staff))
    path = f"/admin/window/applications/{id}/documents/{upload.document.document_id}"
    return created(upload, path)


@operation(
    bp,
    "/admin/window/applications/{id}/documents/{document_id}",
    summary="A scanned material and its check",
    tags=TAGS,
    auth="staff",
    allow=WINDOW_DESK,
    path_model=CaseDocumentPath,
    response=DocumentView,
    headers=(SIGNED_IN_HEADER,),
)
def walk_in_document(call: Call, staff: StaffMember, id: str, document_id: str) -> DocumentView:
    return container().window_applications.desk_document(
        staff, id, document_id, signed_in(call, staff)
    )


@operation(
    bp,
    "/admin/window/applications/{id}/submit",
    "POST",
    summary="Submit a walk-in application to the acceptance queue",
    tags=TAGS,
    auth="staff",
    allow=WINDOW_DESK,
    path_model=CasePath,
    response=ApplicationView,
    errors=(409,),
    headers=(IDEMPOTENCY_HEADER, SIGNED_IN_HEADER),
    description="Every required material's scan must be clean. The walk-in receipt (受理回执) "
    "is printed now: GET /admin/window/receipts/{id} then carries its PDF link.",
)
def submit_walk_in(call: Call, staff: StaffMember, id: str) -> ApplicationView:
    return container().window_applications.submit(
        staff, id, call.idempotency_key, call.fingerprint(), signed_in(call, staff)
    )


@operation(
    bp,
    "/admin/window/requests",
    "POST",
    summary="File a request (诉求) for a walk-in visitor (channel window; a terminal: terminal)",
    tags=TAGS,
    auth="staff",
    allow=WINDOW_DESK,
    body=WindowRequestCreate,
    response=RequestView,
    status=201,
    errors=(404, 409, 429),
    headers=(IDEMPOTENCY_HEADER,),
    description="The visitor's own request (they follow it by signing in with "
    "`visitor.phone`); `photos` are the scanned papers, uploaded through POST /admin/uploads. "
    "The walk-in receipt (受理回执) is printed now: its Location, GET /admin/window/receipts/{id}, "
    "carries its PDF link.",
)
def file_walk_in_request(call: Call, staff: StaffMember, body: WindowRequestCreate) -> Reply:
    view, fresh = container().window_requests.file_for_visitor(
        staff, body, call.idempotency_key, call.fingerprint()
    )
    location = f"/admin/window/receipts/{view.request_id}"
    return created(view, location) if fresh else Reply(view, headers={"Location": location})


@operation(
    bp,
    "/admin/window/receipts/{id}",
    summary="The receipt (受理回执) of a walk-in application or request, to print",
    tags=TAGS,
    auth="staff",
    allow=WINDOW_DESK,
    path_model=CasePath,
    response=Receipt,
    headers=(SIGNED_IN_HEADER,),
)
def desk_receipt(call: Call, staff: StaffMember, id: str) -> Receipt:
    return container().receipts.for_desk(staff, id, signed_in(call, staff))


@operation(
    bp,
    "/applications/{id}/receipt",
    summary="The receipt (受理回执) of my application",
    tags=("applications",),
    auth="citizen",
    path_model=CasePath,
    response=Receipt,
)
def application_receipt(call: Call, id: str) -> Receipt:
    return container().receipts.for_citizen(call.citizen_id, id, "application")


@operation(
    bp,
    "/requests/{id}/receipt",
    summary="The receipt (受理回执) of my request",
    tags=("requests",),
    auth="citizen",
    path_model=CasePath,
    response=Receipt,
)
def request_receipt(call: Call, id: str) -> Receipt:
    return container().receipts.for_citizen(call.citizen_id, id, "request")
