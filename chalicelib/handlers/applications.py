"""Citizen routes of online applications (citizen JWT; agents act on granted cases)."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.deps import container
from chalicelib.domain.application import (
    AgentGrantRequest,
    ApplicationCreate,
    ApplicationListQuery,
    ApplicationPage,
    ApplicationView,
    DocumentList,
    DocumentRequest,
    DocumentUpload,
    WithdrawRequest,
)
from chalicelib.domain.identity import OtpRequest
from chalicelib.domain.review import CertificateLink, RatingRequest
from chalicelib.errors import FieldError, InvalidInput
from chalicelib.http.api import Call, Reply, operation

bp = Blueprint(__name__)
TAGS = ("applications",)


def idempotency_key(call: Call) -> str | None:
    key = call.header("Idempotency-Key")
    if key is not None and not (1 <= len(key) <= 100 and key.isprintable()):
        raise InvalidInput(
            "Idempotency-Key must be 1-100 printable characters.",
            errors=[FieldError("header.idempotency-key", "1-100 printable characters", "invalid")],
        )
    return key


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
    errors=(409, 422),
)
def create_application(call: Call, body: ApplicationCreate) -> Reply:
    view, created = container().applications.create(call.citizen_id, body, idempotency_key(call))
    return Reply(view, status=201 if created else 200)


@operation(
    bp,
    "/applications",
    summary="My applications, newest first (role=agent: those I act for)",
    tags=TAGS,
    auth="citizen",
    query=ApplicationListQuery,
    response=ApplicationPage,
    errors=(422,),
)
def list_applications(call: Call, query: ApplicationListQuery) -> ApplicationPage:
    return container().applications.mine(call.citizen_id, query.role, query.limit, query.cursor)


@operation(
    bp,
    "/applications/{id}",
    summary="Status, timeline, due dates, documents, next step",
    tags=TAGS,
    auth="citizen",
    response=ApplicationView,
    errors=(404,),
)
def get_application(call: Call, id: str) -> ApplicationView:
    return container().applications.view(call.citizen_id, id)


@operation(
    bp,
    "/applications/{id}/documents",
    "POST",
    summary="Register a document and get a presigned POST to upload it to",
    tags=TAGS,
    auth="citizen",
    body=DocumentRequest,
    response=DocumentUpload,
    status=201,
    errors=(404, 409, 422),
)
def request_upload(call: Call, id: str, body: DocumentRequest) -> DocumentUpload:
    return container().applications.request_upload(call.citizen_id, id, body)


@operation(
    bp,
    "/applications/{id}/documents",
    summary="The application's documents and their checks",
    tags=TAGS,
    auth="citizen",
    response=DocumentList,
    errors=(404,),
)
def list_documents(call: Call, id: str) -> DocumentList:
    return container().applications.documents(call.citizen_id, id)


@operation(
    bp,
    "/applications/{id}/documents/{document_id}",
    "DELETE",
    summary="Remove a document before submission",
    tags=TAGS,
    auth="citizen",
    status=204,
    errors=(404, 409),
)
def delete_document(call: Call, id: str, document_id: str) -> Reply:
    container().applications.delete_document(call.citizen_id, id, document_id)
    return Reply(None, status=204)


@operation(
    bp,
    "/applications/{id}/submit",
    "POST",
    summary="Submit when every required material has a clean document (Idempotency-Key)",
    tags=TAGS,
    auth="citizen",
    response=ApplicationView,
    errors=(404, 409, 422),
)
def submit_application(call: Call, id: str) -> ApplicationView:
    return container().applications.submit(call.citizen_id, id, idempotency_key(call))


@operation(
    bp,
    "/applications/{id}/supplement",
    "POST",
    summary="Send the requested supplement; back to the acceptance queue, clock resumes",
    tags=TAGS,
    auth="citizen",
    response=ApplicationView,
    errors=(404, 409, 422),
)
def send_supplement(call: Call, id: str) -> ApplicationView:
    return container().applications.send_supplement(call.citizen_id, id, idempotency_key(call))


@operation(
    bp,
    "/applications/{id}/withdraw",
    "POST",
    summary="Withdraw before a decision",
    tags=TAGS,
    auth="citizen",
    body=WithdrawRequest,
    response=ApplicationView,
    errors=(403, 404, 409),
)
def withdraw_application(call: Call, id: str, body: WithdrawRequest) -> ApplicationView:
    return container().applications.withdraw(call.citizen_id, id, body.reason)


@operation(
    bp,
    "/applications/{id}/agents",
    "POST",
    summary="Grant a proxy agent (民事代办员) access to this one case, with consent",
    tags=TAGS,
    auth="citizen",
    body=AgentGrantRequest,
    response=ApplicationView,
    errors=(403, 404, 409, 422),
)
def grant_agent(call: Call, id: str, body: AgentGrantRequest) -> ApplicationView:
    try:
        phone = OtpRequest(phone=body.agent_phone).phone
    except ValueError:
        raise InvalidInput(
            "The agent's phone is not a mainland mobile number.",
            errors=[
                FieldError("body.agent_phone", "must be a mainland China mobile number", "phone")
            ],
        ) from None
    return container().applications.grant_agent(call.citizen_id, id, phone)


@operation(
    bp,
    "/applications/{id}/agents/{agent_id}",
    "DELETE",
    summary="Revoke an agent's access",
    tags=TAGS,
    auth="citizen",
    response=ApplicationView,
    errors=(403, 404),
)
def revoke_agent(call: Call, id: str, agent_id: str) -> ApplicationView:
    return container().applications.revoke_agent(call.citizen_id, id, agent_id)


@operation(
    bp,
    "/applications/{id}/certificate",
    summary="A short-lived link to the issued certificate (PDF)",
    tags=TAGS,
    auth="citizen",
    response=CertificateLink,
    errors=(404,),
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
    body=RatingRequest,
    response=ApplicationView,
    errors=(403, 404, 409, 422),
)
def rate_application(call: Call, id: str, body: RatingRequest) -> ApplicationView:
    return container().issuance.rate(call.citizen_id, id, body)
