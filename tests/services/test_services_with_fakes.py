"""Use cases against in-memory fakes of their stores (no AWS, no moto): which queue each role
works from and what the visibility rule leaves in it; the one staff cache."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from chalicelib.clock import FixedClock
from chalicelib.domain.identity import Role, StaffMember
from chalicelib.domain.request import ServiceRequest
from chalicelib.domain.request_api import RequestQueueQuery
from chalicelib.domain.request_parts import Assignment, RequestStatus
from chalicelib.errors import Forbidden
from chalicelib.paging import CursorCodec
from chalicelib.services.request_reading import RequestReading
from chalicelib.services.staff import StaffDirectory
from chalicelib.store.request_lists import Queue
from chalicelib.store.table import Page
from tests.support.entities import NOW, service_request

ARN = "arn:aws-cn:iam::123456789012:user/{}"


def staff(staff_id: str, role: Role, jurisdiction: str = "370830", **kw: Any) -> StaffMember:
    return StaffMember(
        staff_id=f"staff-{staff_id}",
        name=staff_id,
        role=role,
        jurisdiction=jurisdiction,
        principal_arn=ARN.format(staff_id),
        **kw,
    )


def request(number: int, *, private: bool = False, departments: tuple[str, ...] = ()) -> Any:
    return service_request(
        request_id=f"01M8DBP78000000000000000{number:02d}",
        number=f"SQ20261127-{number:06d}",
        status=RequestStatus.ASSIGNED if departments else RequestStatus.SUBMITTED,
        private=private,
        assignments=[
            Assignment(department=d, status="pending", assigned_at=NOW, assigned_by="d")
            for d in departments
        ],
    )


@dataclass
class FakeLists:
    """RequestLists in memory: hands back what it holds and records the queue asked for."""

    held: list[ServiceRequest]
    asked: list[Queue] = field(default_factory=list)

    def queue(self, queue: Queue, limit: int, start: Any) -> Page[ServiceRequest]:
        self.asked.append(queue)
        return Page(self.held[:limit], None)


def reading(lists: FakeLists) -> RequestReading:
    clock = FixedClock(NOW)
    return RequestReading(
        None,  # type: ignore[arg-type]  # the request store: queues do not load cases
        None,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        CursorCodec(b"k" * 32),
        None,
        clock,
        None,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        lists,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("member", "kind"),
    [
        (staff("d", Role.DISPATCHER, "370830001"), "dispatch"),
        (staff("l", Role.LIAISON, "370830001001001"), "grid"),
        (staff("r", Role.REVIEWER, department="jtj"), "department"),
        (staff("h", Role.SUPERVISOR, department="jtj"), "department"),
        (staff("s", Role.SUPERVISOR, "370830001"), "overdue"),
        (staff("c", Role.LEADER), "overdue"),
    ],
)
def test_each_role_works_from_its_own_queue(member: StaffMember, kind: str) -> None:
    lists = FakeLists([])
    reading(lists).queue(member, RequestQueueQuery())
    assert [q.kind for q in lists.asked] == [kind]
    assert lists.asked[0].jurisdiction == member.jurisdiction


def test_roles_without_a_request_queue_are_refused() -> None:
    lists = FakeLists([])
    for member in (
        staff("a", Role.CATALOGUE_ADMIN, department="zwfw"),
        staff("k", Role.CLERK, department="zwfw"),
    ):
        with pytest.raises(Forbidden):
            reading(lists).queue(member, RequestQueueQuery())
    assert lists.asked == []


def test_a_queue_never_shows_what_the_visibility_rule_hides() -> None:
    public, private = request(1, departments=("jtj",)), request(2, private=True)
    lists = FakeLists([public, private])
    liaison = staff("l", Role.LIAISON, "370830001001001")
    shown = reading(lists).queue(liaison, RequestQueueQuery())
    assert [i.request_id for i in shown.items] == [public.request_id]
    handler = staff("r", Role.REVIEWER, department="jtj")
    shown = reading(lists).queue(handler, RequestQueueQuery())
    assert [i.request_id for i in shown.items] == [public.request_id]  # not assigned to jtj


@dataclass
class FakeStaffStore:
    members: list[StaffMember]
    reads: int = 0

    def by_principal(self, arn: str) -> StaffMember | None:
        self.reads += 1
        return next((m for m in self.members if m.principal_arn == arn), None)

    def of_county(self, county: str) -> list[StaffMember]:
        self.reads += 1
        return [m for m in self.members if m.county == county]


def test_the_staff_cache_reads_once_per_window_and_refuses_the_inactive() -> None:
    clock = FixedClock(NOW)
    gone = staff("gone", Role.CLERK, department="zwfw", active=False)
    clerk = staff("clerk", Role.CLERK, department="zwfw")
    store = FakeStaffStore([clerk, gone, staff("r", Role.REVIEWER, department="jtj")])
    directory = StaffDirectory(store, clock, cache_seconds=60)  # type: ignore[arg-type]
    assert directory.resolve(clerk.principal_arn) == clerk
    assert directory.resolve(clerk.principal_arn) == clerk
    assert store.reads == 1
    clock.advance(seconds=61)
    directory.resolve(clerk.principal_arn)
    assert store.reads == 2
    with pytest.raises(Forbidden):
        directory.resolve(gone.principal_arn)
    with pytest.raises(Forbidden):
        directory.resolve("")
    assert [s.staff_id for s in directory.handlers("370830", "jtj")] == ["staff-r"]
    assert directory.handlers("370829", "jtj") == []  # a department is one county's
    assert directory.by_id("370830", "staff-gone") is None  # inactive: not found for work
