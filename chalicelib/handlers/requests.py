"""Citizen routes of requests (诉求) and photo uploads (citizen JWT)."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.deps import container
from chalicelib.domain.request import (
    CommentRequest,
    RequestCreate,
    RequestListQuery,
    RequestPage,
    RequestView,
    UploadRequest,
    UploadView,
)
from chalicelib.domain.review import RatingRequest
from chalicelib.handlers.applications import idempotency_key
from chalicelib.http.api import Call, Reply, operation

bp = Blueprint(__name__)
TAGS = ("requests",)


@operation(
    bp,
    "/uploads",
    "POST",
    summary="Upload a photo for a request: returns a presigned POST form and the document id",
    tags=TAGS,
    auth="citizen",
    body=UploadRequest,
    response=UploadView,
    status=201,
    errors=(422,),
)
def create_upload(call: Call, body: UploadRequest) -> Reply:
    return Reply(container().requests.request_upload(call.citizen_id, body), status=201)


@operation(
    bp,
    "/uploads/{id}",
    summary="Whether an uploaded photo passed its checks",
    tags=TAGS,
    auth="citizen",
    response=UploadView,
    errors=(404,),
)
def get_upload(call: Call, id: str) -> UploadView:
    return container().requests.upload_status(call.citizen_id, id)


@operation(
    bp,
    "/requests",
    "POST",
    summary="File a request (诉求): routed to the grid, its liaison officer and dispatcher",
    tags=TAGS,
    auth="citizen",
    body=RequestCreate,
    response=RequestView,
    status=201,
    errors=(409, 422),
)
def file_request(call: Call, body: RequestCreate) -> Reply:
    view, created = container().requests.file_for_citizen(
        call.citizen_id, body, idempotency_key(call)
    )
    return Reply(view, status=201 if created else 200)


@operation(
    bp,
    "/requests",
    summary="My requests, newest first",
    tags=TAGS,
    auth="citizen",
    query=RequestListQuery,
    response=RequestPage,
    errors=(422,),
)
def list_requests(call: Call, query: RequestListQuery) -> RequestPage:
    return container().requests.mine(call.citizen_id, query.limit, query.cursor)


@operation(
    bp,
    "/requests/{id}",
    summary="A request of mine: timeline, who holds it now, due dates",
    tags=TAGS,
    auth="citizen",
    response=RequestView,
    errors=(404,),
)
def get_request(call: Call, id: str) -> RequestView:
    return container().requests.view_for_citizen(call.citizen_id, id)


@operation(
    bp,
    "/requests/{id}/comments",
    "POST",
    summary="Add a comment to my request's timeline",
    tags=TAGS,
    auth="citizen",
    body=CommentRequest,
    response=RequestView,
    status=201,
    errors=(404, 422),
)
def comment_request(call: Call, id: str, body: CommentRequest) -> Reply:
    return Reply(container().requests.comment(call.citizen_id, id, body), status=201)


@operation(
    bp,
    "/requests/{id}/rating",
    "POST",
    summary="Rate a resolved request (1-5); 1-2 reopen it for rectification and a 回访",
    tags=TAGS,
    auth="citizen",
    body=RatingRequest,
    response=RequestView,
    errors=(404, 409, 422),
)
def rate_request(call: Call, id: str, body: RatingRequest) -> RequestView:
    return container().requests.rate(call.citizen_id, id, body)
