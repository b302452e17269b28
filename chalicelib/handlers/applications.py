"""Citizen routes of online applications (citizen JWT; agents act on granted cases)."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.deps import container
from chalicelib.domain.application_api import (
    AgentGrantRequest,
    ApplicationCreate,
    ApplicationListQuery,
    ApplicationPage,
    ApplicationView,
    DocumentList,
    DocumentUpload,
    DocumentView,
    TimelinePage,
    TimelineQuery,
    WithdrawRequest,
)
from chalicelib.domain.application_parts import DocumentRequest
from chalicelib.domain.review import CertificateLink, RatingRequest
from chalicelib.http.api import IDEMPOTENCY_HEADER, Call, Reply, created, operation
from chalicelib.http.paths import CaseAgentPath, CaseDocumentPath, CasePath

bp = Blueprint(__name__)
TAGS = ("applications",)


@operation(
    bp,
    "/applications",
    "POST",
    summary="Start an application for a catalogue item (draft)",
    tags=TAGS,
    auth="citizen",
    body=ApplicationCreate,
    response=ApplicationView,
    status=201,
    errors=(404, 409, 429),
    headers=(IDEMPOTENCY_HEADER,),
)
def create_application(call: Call, body: ApplicationCreate) -> Reply:
    view, fresh = container().applications.create(
        call.citizen_id, body, call.idempotency_key, call.fingerprint()
    )
    location = f"/applications/{view.id}"
    return created(view, location) if fresh else Reply(view, headers={"Location": location})


@operation(
    bp,
    "/applications",
    summary="My applications, newest first (role=agent: those I act for)",
    tags=TAGS,
    auth="citizen",
    query=ApplicationListQuery,
    response=ApplicationPage,
)
def list_applications(call: Call, query: ApplicationListQuery) -> ApplicationPage:
    return container().applications.mine(call.citizen_id, query.role, query.limit, query.cursor)


@operation(
    bp,
    "/applications/{id}",
    summary="Status, latest events, due dates, documents, next step",
    tags=TAGS,
    auth="citizen",
    path_model=CasePath,
    response=ApplicationView,
)
def get_application(call: Call, id: str) -> ApplicationView:
    return container().applications.view(call.citizen_id, id)


@operation(
    bp,
    "/applications/{id}/timeline",
    summary="The application's timeline, newest first, page by page",
    tags=TAGS,
    auth="citizen",
    path_model=CasePath,
    query=TimelineQuery,
    response=TimelinePage,
)
def application_timeline(call: Call, id: str, query: TimelineQuery) -> TimelinePage:
    return container().applications.timeline(call.citizen_id, id, query)


@operation(
    bp,
    "/applications/{id}/documents",
    "POST",
    summary="Register a document and get a presigned POST to upload it to (at most 60)",
    tags=TAGS,
    auth="citizen",
    path_model=CasePath,
    body=DocumentRequest,
    response=DocumentUpload,
    status=201,
    errors=(409,),
)
def request_upload(call: Call, id: str, body: DocumentRequest) -> Reply:
    upload = container().applications.request_upload(call.citizen_id, id, body)
    return created(upload, f"/applications/{id}/documents/{upload.document.document_id}")


@operation(
    bp,
    "/applications/{id}/documents",
    summary="The application's documents and their checks",
    tags=TAGS,
    auth="citizen",
    path_model=CasePath,
    response=DocumentList,
)
def list_documents(call: Call, id: str) -> DocumentList:
    return container().applications.documents(call.citizen_id, id)


@operation(
    bp,
    "/applications/{id}/documents/{document_id}",
    summary="One document and its check",
    tags=TAGS,
    auth="citizen",
    path_model=CaseDocumentPath,
    response=DocumentView,
)
def get_document(call: Call, id: str, document_id: str) -> DocumentView:
    return container().applications.document(call.citizen_id, id, document_id)


@operation(
    bp,
    "/applications/{id}/documents/{document_id}",
    "DELETE",
    summary="Remove a document before submission",
    tags=TAGS,
    auth="citizen",
    path_model=CaseDocumentPath,
    status=204,
    errors=(403, 409),
)
def delete_document(call: Call, id: str, document_id: str) -> Reply:
    container().applications.delete_document(call.citizen_id, id, document_id)
    return Reply(None, status=204)


@operation(
    bp,
    "/applications/{id}/submit",
    "POST",
    summary="Submit when every required material has a clean document",
    tags=TAGS,
    auth="citizen",
    path_model=CasePath,
    response=ApplicationView,
    errors=(409,),
    headers=(IDEMPOTENCY_HEADER,),
)
def submit_application(call: Call, id: str) -> ApplicationView:
    return container().application_submission.submit(
        call.citizen_id, id, call.idempotency_key, call.fingerprint()
    )


@operation(
    bp,
    "/applications/{id}/supplement",
    "POST",
    summary="Send the requested supplement; back to the acceptance queue, clock resumes",
    tags=TAGS,
    auth="citizen",
    path_model=CasePath,
    response=ApplicationView,
    errors=(409,),
    headers=(IDEMPOTENCY_HEADER,),
)
def send_supplement(call: Call, id: str) -> ApplicationView:
    return container().application_submission.send_supplement(
        call.citizen_id, id, call.idempotency_key, call.fingerprint()
    )


@operation(
    bp,
    "/applications/{id}/withdraw",
    "POST",
    summary="Withdraw before a decision",
    tags=TAGS,
    auth="citizen",
    path_model=CasePath,
    body=WithdrawRequest,
    response=ApplicationView,
    errors=(403, 409),
)
def withdraw_application(call: Call, id: str, body: WithdrawRequest) -> ApplicationView:
    return container().application_submission.withdraw(call.citizen_id, id, body.reason)


@operation(
    bp,
    "/applications/{id}/agents",
    "POST",
    summary="Grant a proxy agent (民事代办员) access to this one case, with consent",
    tags=TAGS,
    auth="citizen",
    path_model=CasePath,
    body=AgentGrantRequest,
    response=ApplicationView,
    errors=(403, 409),
)
def grant_agent(call: Call, id: str, body: AgentGrantRequest) -> ApplicationView:
    return container().application_agents.grant_agent(call.citizen_id, id, body.agent_phone)


@operation(
    bp,
    "/applications/{id}/agents/{agent_id}",
    "DELETE",
    summary="Revoke an agent's access",
    tags=TAGS,
    auth="citizen",
    path_model=CaseAgentPath,
    response=ApplicationView,
    errors=(403,),
)
def revoke_agent(call: Call, id: str, agent_id: str) -> ApplicationView:
    return container().application_agents.revoke_agent(call.citizen_id, id, agent_id)


@operation(
    bp,
    "/applications/{id}/certificate",
    summary="A short-lived link to the issued certificate (PDF)",
    tags=TAGS,
    auth="citizen",
    path_model=CasePath,
    response=CertificateLink,
)
def certificate_link(call: Call, id: str) -> CertificateLink:
    return container().issuance.certificate_link(call.citizen_id, id)


@operation(
    bp,
    "/applications/{id}/rating",
    "POST",
    summary="Rate the completed case once (非常满意 5 … 非常不满意 1)",
    tags=TAGS,
    auth="citizen",
    path_model=CasePath,
    body=RatingRequest,
    response=ApplicationView,
    errors=(403, 409),
)
def rate_application(call: Call, id: str, body: RatingRequest) -> ApplicationView:
    return container().issuance.rate(call.citizen_id, id, body)
