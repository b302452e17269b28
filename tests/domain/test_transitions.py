"""The transition tables of both kinds of case: one table per kind, checked by the stores'
single writers, with no AWS in sight."""

from __future__ import annotations

import pytest

from chalicelib.domain.application_parts import TRANSITIONS, Status, can_move, check_move
from chalicelib.domain.request_parts import (
    HANDLING_STATUSES,
    REQUEST_TRANSITIONS,
    RequestStatus,
    check_request_move,
)
from chalicelib.errors import Conflict

FINAL_APPLICATION = {Status.DENIED, Status.NOT_ACCEPTED, Status.WITHDRAWN, Status.COMPLETED}
FINAL_REQUEST = {RequestStatus.CLOSED, RequestStatus.NOT_ACCEPTED, RequestStatus.MERGED}


def test_every_status_has_a_row_and_only_final_ones_are_empty() -> None:
    assert set(TRANSITIONS) == set(Status)
    assert {s for s, moves in TRANSITIONS.items() if not moves} == FINAL_APPLICATION
    assert set(REQUEST_TRANSITIONS) == set(RequestStatus)
    assert {s for s, moves in REQUEST_TRANSITIONS.items() if not moves} == FINAL_REQUEST


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (Status.DRAFT, Status.ISSUED),
        (Status.SUBMITTED, Status.IN_REVIEW),  # acceptance comes first
        (Status.DENIED, Status.APPROVED),
        (Status.COMPLETED, Status.IN_REVIEW),
    ],
)
def test_an_application_move_the_table_does_not_list_is_a_409(
    current: Status, target: Status
) -> None:
    assert not can_move(current, target)
    with pytest.raises(Conflict) as refused:
        check_move(current, target)
    assert refused.value.errors[0].field == "status"


def test_an_application_may_always_stay_where_it_is() -> None:
    for status in Status:
        check_move(status, status)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (RequestStatus.CLOSED, RequestStatus.REOPENED),  # the rating window is over
        (RequestStatus.MERGED, RequestStatus.ASSIGNED),
        (RequestStatus.NOT_ACCEPTED, RequestStatus.ACCEPTED),
        (RequestStatus.RESOLVED, RequestStatus.ASSIGNED),  # only a rating reopens it
        (RequestStatus.ASSIGNED, RequestStatus.MERGED),  # merging is the dispatcher's, early
    ],
)
def test_a_request_move_the_table_does_not_list_is_a_409(
    current: RequestStatus, target: RequestStatus
) -> None:
    with pytest.raises(Conflict):
        check_request_move(current, target)


def test_handling_may_settle_anywhere_the_joint_handling_table_leads() -> None:
    settled = {
        RequestStatus.ACCEPTED,
        RequestStatus.ASSIGNED,
        RequestStatus.REPLIED,
        RequestStatus.RESOLVED,
        RequestStatus.REOPENED,
    }
    for status in HANDLING_STATUSES | {RequestStatus.SUBMITTED}:
        for target in settled:
            check_request_move(status, target)


def test_a_review_outcome_lands_even_if_the_in_review_save_did_not() -> None:
    """The workflow may report on a case still `accepted` (its in_review save was lost)."""
    check_move(Status.ACCEPTED, Status.APPROVED)
    check_move(Status.ACCEPTED, Status.DENIED)
