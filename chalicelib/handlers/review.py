"""Staff routes of parallel review, supervision and unified issuance (SigV4)."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.deps import container
from chalicelib.domain.application import ApplicationPage, ApplicationView, QueueQuery
from chalicelib.domain.review import (
    DeliveredRequest,
    HandoverRequest,
    IssuanceRequest,
    PressRequest,
    RectificationReport,
    ReviewDecision,
    TaskPage,
    TaskView,
)
from chalicelib.http.api import Call, operation

bp = Blueprint(__name__)
TAGS = ("admin", "review")


@operation(
    bp,
    "/admin/queues/review",
    summary="Open review tasks of the caller's department",
    tags=TAGS,
    auth="staff",
    query=QueueQuery,
    response=TaskPage,
    errors=(403, 422),
)
def review_queue(call: Call, query: QueueQuery) -> TaskPage:
    deps = container()
    return deps.review.queue(deps.staff.resolve(call.principal_arn), query.limit, query.cursor)


@operation(
    bp,
    "/admin/reviews/{task_id}/decision",
    "POST",
    summary="Approve or deny a review task (answers the workflow's task token)",
    tags=TAGS,
    auth="staff",
    body=ReviewDecision,
    response=TaskView,
    errors=(403, 404, 409, 422),
)
def decide_review(call: Call, task_id: str, body: ReviewDecision) -> TaskView:
    deps = container()
    return deps.review.decide(deps.staff.resolve(call.principal_arn), task_id, body)


@operation(
    bp,
    "/admin/queues/escalated",
    summary="Overdue review tasks escalated to supervisors",
    tags=TAGS,
    auth="staff",
    query=QueueQuery,
    response=TaskPage,
    errors=(403, 422),
)
def escalated_queue(call: Call, query: QueueQuery) -> TaskPage:
    deps = container()
    return deps.review.escalations(
        deps.staff.resolve(call.principal_arn), query.limit, query.cursor
    )


@operation(
    bp,
    "/admin/reviews/{task_id}/press",
    "POST",
    summary="Press (督办) an open review task",
    tags=TAGS,
    auth="staff",
    body=PressRequest,
    response=TaskView,
    errors=(403, 404, 409, 422),
)
def press_review(call: Call, task_id: str, body: PressRequest) -> TaskView:
    deps = container()
    return deps.review.press(deps.staff.resolve(call.principal_arn), task_id, body)


@operation(
    bp,
    "/admin/queues/issuance",
    summary="Approved applications waiting for issuance",
    tags=TAGS,
    auth="staff",
    query=QueueQuery,
    response=ApplicationPage,
    errors=(403, 422),
)
def issuance_queue(call: Call, query: QueueQuery) -> ApplicationPage:
    deps = container()
    return deps.issuance.queue(deps.staff.resolve(call.principal_arn), query.limit, query.cursor)


@operation(
    bp,
    "/admin/applications/{id}/issuance",
    "POST",
    summary="Issue the certificate and start its delivery",
    tags=TAGS,
    auth="staff",
    body=IssuanceRequest,
    response=ApplicationView,
    errors=(403, 404, 409, 422),
)
def issue_certificate(call: Call, id: str, body: IssuanceRequest) -> ApplicationView:
    deps = container()
    return deps.issuance.issue(deps.staff.resolve(call.principal_arn), id, body)


@operation(
    bp,
    "/admin/applications/{id}/handover",
    "POST",
    summary="Hand the certificate over at the window (pickup code)",
    tags=TAGS,
    auth="staff",
    body=HandoverRequest,
    response=ApplicationView,
    errors=(403, 404, 409, 422),
)
def hand_over(call: Call, id: str, body: HandoverRequest) -> ApplicationView:
    deps = container()
    return deps.issuance.handover(deps.staff.resolve(call.principal_arn), id, body)


@operation(
    bp,
    "/admin/applications/{id}/delivered",
    "POST",
    summary="Record that the mailed certificate was delivered",
    tags=TAGS,
    auth="staff",
    body=DeliveredRequest,
    response=ApplicationView,
    errors=(403, 404, 409, 422),
)
def mark_delivered(call: Call, id: str, body: DeliveredRequest) -> ApplicationView:
    deps = container()
    return deps.issuance.delivered(deps.staff.resolve(call.principal_arn), id, body)


@operation(
    bp,
    "/admin/queues/rectification",
    summary="Bad reviews (差评) the caller's department must rectify, oldest first",
    tags=TAGS,
    auth="staff",
    query=QueueQuery,
    response=ApplicationPage,
    errors=(403, 422),
)
def rectification_queue(call: Call, query: QueueQuery) -> ApplicationPage:
    deps = container()
    return deps.issuance.rectifications(
        deps.staff.resolve(call.principal_arn), query.limit, query.cursor
    )


@operation(
    bp,
    "/admin/applications/{id}/rectification",
    "POST",
    summary="Close a rectification with its measures and the follow-up visit (回访)",
    tags=TAGS,
    auth="staff",
    body=RectificationReport,
    response=ApplicationView,
    errors=(403, 404, 409, 422),
)
def close_rectification(call: Call, id: str, body: RectificationReport) -> ApplicationView:
    deps = container()
    return deps.issuance.rectify(deps.staff.resolve(call.principal_arn), id, body)
