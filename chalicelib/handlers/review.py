"""Staff routes of parallel review, supervision and unified issuance (SigV4)."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.deps import container
from chalicelib.domain.access import DEPARTMENT_STAFF, ISSUERS, REVIEWERS, SUPERVISORS
from chalicelib.domain.application_api import ApplicationPage, ApplicationView, QueueQuery
from chalicelib.domain.identity import StaffMember
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
from chalicelib.http.paths import CasePath, TaskPath

bp = Blueprint(__name__)
TAGS = ("admin", "review")


@operation(
    bp,
    "/admin/queues/review",
    summary="Open review tasks of the caller's department",
    tags=TAGS,
    auth="staff",
    allow=REVIEWERS,
    query=QueueQuery,
    response=TaskPage,
)
def review_queue(call: Call, staff: StaffMember, query: QueueQuery) -> TaskPage:
    deps = container()
    return deps.review.queue(staff, query.limit, query.cursor)


@operation(
    bp,
    "/admin/reviews/{task_id}/decision",
    "POST",
    summary="Approve or deny a review task (answers the workflow's task token)",
    tags=TAGS,
    auth="staff",
    allow=REVIEWERS,
    path_model=TaskPath,
    body=ReviewDecision,
    response=TaskView,
    errors=(409,),
)
def decide_review(call: Call, staff: StaffMember, task_id: str, body: ReviewDecision) -> TaskView:
    deps = container()
    return deps.review.decide(staff, task_id, body)


@operation(
    bp,
    "/admin/queues/escalated",
    summary="Overdue review tasks escalated to supervisors",
    tags=TAGS,
    auth="staff",
    allow=SUPERVISORS,
    query=QueueQuery,
    response=TaskPage,
)
def escalated_queue(call: Call, staff: StaffMember, query: QueueQuery) -> TaskPage:
    deps = container()
    return deps.review.escalations(staff, query.limit, query.cursor)


@operation(
    bp,
    "/admin/reviews/{task_id}/press",
    "POST",
    summary="Press (督办) an open review task",
    tags=TAGS,
    auth="staff",
    allow=SUPERVISORS,
    path_model=TaskPath,
    body=PressRequest,
    response=TaskView,
    errors=(409,),
)
def press_review(call: Call, staff: StaffMember, task_id: str, body: PressRequest) -> TaskView:
    deps = container()
    return deps.review.press(staff, task_id, body)


@operation(
    bp,
    "/admin/applications/{id}/review/restart",
    "POST",
    summary="Start an application's parallel review again after its workflow stopped",
    description="An approval workflow that fails, times out or is aborted puts its case "
    "before the supervisors (escalated tasks) and starts again by itself twice; after that a "
    "supervisor starts it here, once the operators fixed what made it stop. Decisions "
    "already recorded stand.",
    tags=TAGS,
    auth="staff",
    allow=SUPERVISORS,
    path_model=CasePath,
    response=ApplicationView,
    errors=(409,),
)
def restart_review(call: Call, staff: StaffMember, id: str) -> ApplicationView:
    return container().review_recovery.restart(staff, id)


@operation(
    bp,
    "/admin/queues/issuance",
    summary="Approved applications waiting for issuance",
    tags=TAGS,
    auth="staff",
    allow=ISSUERS,
    query=QueueQuery,
    response=ApplicationPage,
)
def issuance_queue(call: Call, staff: StaffMember, query: QueueQuery) -> ApplicationPage:
    deps = container()
    return deps.issuance.queue(staff, query.limit, query.cursor)


@operation(
    bp,
    "/admin/applications/{id}/issuance",
    "POST",
    summary="Issue the certificate and start its delivery",
    tags=TAGS,
    auth="staff",
    allow=ISSUERS,
    path_model=CasePath,
    body=IssuanceRequest,
    response=ApplicationView,
    errors=(409,),
)
def issue_certificate(
    call: Call, staff: StaffMember, id: str, body: IssuanceRequest
) -> ApplicationView:
    deps = container()
    return deps.issuance.issue(staff, id, body)


@operation(
    bp,
    "/admin/applications/{id}/handover",
    "POST",
    summary="Hand the certificate over at the window (pickup code)",
    tags=TAGS,
    auth="staff",
    allow=ISSUERS,
    path_model=CasePath,
    body=HandoverRequest,
    response=ApplicationView,
    errors=(409,),
)
def hand_over(call: Call, staff: StaffMember, id: str, body: HandoverRequest) -> ApplicationView:
    deps = container()
    return deps.issuance.handover(staff, id, body)


@operation(
    bp,
    "/admin/applications/{id}/delivered",
    "POST",
    summary="Record that the mailed certificate was delivered",
    tags=TAGS,
    auth="staff",
    allow=ISSUERS,
    path_model=CasePath,
    body=DeliveredRequest,
    response=ApplicationView,
    errors=(409,),
)
def mark_delivered(
    call: Call, staff: StaffMember, id: str, body: DeliveredRequest
) -> ApplicationView:
    deps = container()
    return deps.issuance.delivered(staff, id, body)


@operation(
    bp,
    "/admin/queues/rectification",
    summary="Bad reviews (差评) the caller's department must rectify, oldest first",
    tags=TAGS,
    auth="staff",
    allow=DEPARTMENT_STAFF,
    query=QueueQuery,
    response=ApplicationPage,
)
def rectification_queue(call: Call, staff: StaffMember, query: QueueQuery) -> ApplicationPage:
    deps = container()
    return deps.issuance.rectifications(staff, query.limit, query.cursor)


@operation(
    bp,
    "/admin/applications/{id}/rectification",
    "POST",
    summary="Close a rectification with its measures and the follow-up visit (回访)",
    tags=TAGS,
    auth="staff",
    allow=DEPARTMENT_STAFF,
    path_model=CasePath,
    body=RectificationReport,
    response=ApplicationView,
    errors=(409,),
)
def close_rectification(
    call: Call, staff: StaffMember, id: str, body: RectificationReport
) -> ApplicationView:
    deps = container()
    return deps.issuance.rectify(staff, id, body)
