"""The joint-handling table (docs/ARCHITECTURE.md): the status a request being handled by
several departments settles at, row by row, with no AWS at all."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.domain.request import ServiceRequest
from chalicelib.domain.request_handling import settled_status
from chalicelib.domain.request_parts import Assignment, RequestRectification, RequestStatus
from tests.support.entities import NOW, service_request


def request(*parts: str, needs_dispatch: bool = False, **extra: Any) -> ServiceRequest:
    """A request whose departments' parts are `pending`, `done` or `returned`, in order."""
    return service_request(
        assignments=[
            Assignment(department=d, status=p, assigned_at=NOW, assigned_by="dispatcher")
            for d, p in zip(("cgj", "jtj", "zjj"), parts, strict=False)
        ],
        needs_dispatch=needs_dispatch,
        **extra,
    )


def rectifying(follow_up: str) -> RequestRectification:
    return RequestRectification(opened_at=NOW, due=NOW, rating_level=2, follow_up=follow_up)


@pytest.mark.parametrize(
    ("parts", "needs_dispatch", "expected"),
    [
        # every assigned department returned it: back to the dispatcher
        (("returned",), True, RequestStatus.ACCEPTED),
        (("returned", "returned"), True, RequestStatus.ACCEPTED),
        # one returned, the others still at it: they go on; the dispatcher reassigns the part
        (("returned", "pending"), True, RequestStatus.ASSIGNED),
        (("returned", "pending", "done"), True, RequestStatus.REPLIED),
        # one returned, the others done: their replies stand, the returned part waits
        (("returned", "done"), True, RequestStatus.REPLIED),
        # ... and once the dispatcher concluded without it (or reassigned it and that is done)
        (("returned", "done"), False, RequestStatus.RESOLVED),
        # no returns
        (("pending", "pending"), False, RequestStatus.ASSIGNED),
        (("done", "pending"), False, RequestStatus.REPLIED),
        (("done", "done"), False, RequestStatus.RESOLVED),
        (("done",), False, RequestStatus.RESOLVED),
    ],
)
def test_joint_handling_settles_by_the_table(
    parts: tuple[str, ...], needs_dispatch: bool, expected: RequestStatus
) -> None:
    assert settled_status(request(*parts, needs_dispatch=needs_dispatch)) is expected


@pytest.mark.parametrize(
    ("parts", "needs_dispatch", "follow_up", "expected"),
    [
        (("done", "done"), False, "done", RequestStatus.RESOLVED),
        (("done", "done"), False, "not_required", RequestStatus.RESOLVED),
        (("done", "done"), False, "pending", RequestStatus.REOPENED),  # the 回访 is due
        (("done", "pending"), False, "done", RequestStatus.REOPENED),
        (("done", "returned"), True, "done", RequestStatus.REOPENED),
        (("done", "returned"), False, "done", RequestStatus.RESOLVED),
        (("returned", "returned"), True, "done", RequestStatus.ACCEPTED),
    ],
)
def test_during_a_rectification_it_resolves_once_redone_and_visited(
    parts: tuple[str, ...], needs_dispatch: bool, follow_up: str, expected: RequestStatus
) -> None:
    req = request(*parts, needs_dispatch=needs_dispatch, rectification=rectifying(follow_up))
    assert settled_status(req) is expected


def test_a_return_never_undoes_the_others_replies() -> None:
    before = request("done", "pending")
    after = before.model_copy(deep=True)
    after.assignments[1].status = "returned"
    after.needs_dispatch = True
    assert settled_status(after) is RequestStatus.REPLIED
    assert [a.status for a in after.active()] == ["done"]
