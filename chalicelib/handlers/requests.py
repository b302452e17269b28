"""Citizen routes of requests (诉求) and photo uploads (citizen JWT)."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.deps import container
from chalicelib.domain.application_api import TimelinePage, TimelineQuery
from chalicelib.domain.request_api import (
    CommentPage,
    CommentRequest,
    CommentView,
    RequestCreate,
    RequestListQuery,
    RequestPage,
    RequestView,
    UploadRequest,
    UploadView,
)
from chalicelib.domain.review import RatingRequest
from chalicelib.http.api import IDEMPOTENCY_HEADER, Call, Reply, created, operation
from chalicelib.http.paths import CaseCommentPath, CasePath, UploadPath

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
    errors=(429,),
)
def create_upload(call: Call, body: UploadRequest) -> Reply:
    view = container().request_filing.request_upload(call.citizen_id, body)
    return created(view, f"/uploads/{view.document_id}")


@operation(
    bp,
    "/uploads/{id}",
    summary="Whether an uploaded photo passed its checks",
    tags=TAGS,
    auth="citizen",
    path_model=UploadPath,
    response=UploadView,
)
def get_upload(call: Call, id: str) -> UploadView:
    return container().request_filing.upload_status(call.citizen_id, id)


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
    errors=(404, 409, 429),
    headers=(IDEMPOTENCY_HEADER,),
)
def file_request(call: Call, body: RequestCreate) -> Reply:
    view, fresh = container().request_filing.file_for_citizen(
        call.citizen_id, body, call.idempotency_key, call.fingerprint()
    )
    location = f"/requests/{view.request_id}"
    return created(view, location) if fresh else Reply(view, headers={"Location": location})


@operation(
    bp,
    "/requests",
    summary="My requests, newest first",
    tags=TAGS,
    auth="citizen",
    query=RequestListQuery,
    response=RequestPage,
    errors=(404,),
)
def list_requests(call: Call, query: RequestListQuery) -> RequestPage:
    return container().request_reading.mine(call.citizen_id, query.limit, query.cursor)


@operation(
    bp,
    "/requests/{id}",
    summary="A request of mine: latest events, who holds it now, due dates",
    tags=TAGS,
    auth="citizen",
    path_model=CasePath,
    response=RequestView,
)
def get_request(call: Call, id: str) -> RequestView:
    return container().request_reading.view_for_citizen(call.citizen_id, id)


@operation(
    bp,
    "/requests/{id}/timeline",
    summary="My request's timeline, newest first, page by page",
    tags=TAGS,
    auth="citizen",
    path_model=CasePath,
    query=TimelineQuery,
    response=TimelinePage,
)
def request_timeline(call: Call, id: str, query: TimelineQuery) -> TimelinePage:
    return container().request_reading.timeline_for_citizen(call.citizen_id, id, query)


@operation(
    bp,
    "/requests/{id}/comments",
    "POST",
    summary="Add a comment to my request (at most 50 per request)",
    tags=TAGS,
    auth="citizen",
    path_model=CasePath,
    body=CommentRequest,
    response=CommentView,
    status=201,
    errors=(409,),
)
def comment_request(call: Call, id: str, body: CommentRequest) -> Reply:
    comment = container().request_rating.comment(call.citizen_id, id, body)
    return created(comment, f"/requests/{id}/comments/{comment.comment_id}")


@operation(
    bp,
    "/requests/{id}/comments",
    summary="My comments on a request, newest first",
    tags=TAGS,
    auth="citizen",
    path_model=CasePath,
    query=TimelineQuery,
    response=CommentPage,
)
def list_comments(call: Call, id: str, query: TimelineQuery) -> CommentPage:
    return container().request_reading.comments(call.citizen_id, id, query)


@operation(
    bp,
    "/requests/{id}/comments/{comment_id}",
    summary="One comment of mine",
    tags=TAGS,
    auth="citizen",
    path_model=CaseCommentPath,
    response=CommentView,
)
def get_comment(call: Call, id: str, comment_id: str) -> CommentView:
    return container().request_reading.comment_of(call.citizen_id, id, comment_id)


@operation(
    bp,
    "/requests/{id}/rating",
    "POST",
    summary="Rate a resolved request (1-5); 1-2 reopen it for rectification and a 回访",
    tags=TAGS,
    auth="citizen",
    path_model=CasePath,
    body=RatingRequest,
    response=RequestView,
    errors=(409,),
)
def rate_request(call: Call, id: str, body: RatingRequest) -> RequestView:
    return container().request_rating.rate(call.citizen_id, id, body)
