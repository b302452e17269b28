"""The review tasks as departments and supervisors list them: a department's open tasks, and
the escalated (overdue) ones of the cases a supervisor or leader sees — a city's or a
province's leader's county after county. Also what the decisions share: the collaborators,
department names and loading a task for a staff member."""

from __future__ import annotations

from typing import Any

from chalicelib.clock import Clock
from chalicelib.domain.access import sees_application
from chalicelib.domain.calendar import beijing_date
from chalicelib.domain.identity import Role, StaffMember
from chalicelib.domain.review import ReviewTask, TaskPage, TaskQueueItem, split_task_id
from chalicelib.errors import Forbidden, NotFound
from chalicelib.paging import CursorCodec, across
from chalicelib.services.application_views import task_view
from chalicelib.services.cases import load_for_staff
from chalicelib.services.reference import ReferenceData
from chalicelib.store.cases import CaseBundle, CaseStore
from chalicelib.store.table import Page, decode_key, encode_key
from chalicelib.store.workflow import ApprovalWorkflow


class ReviewQueues:
    def __init__(
        self,
        cases: CaseStore,
        reference: ReferenceData,
        workflow: ApprovalWorkflow | None,
        cursors: CursorCodec,
        clock: Clock,
    ) -> None:
        self._cases = cases
        self._reference = reference
        self._workflow = workflow
        self._cursors = cursors
        self._clock = clock

    def _name(self, county: str, department: str) -> str:
        found = self._reference.departments(county).get(department)
        return found.name if found else department

    def _load_task(self, staff: StaffMember, task_id: str) -> tuple[CaseBundle, ReviewTask]:
        parsed = split_task_id(task_id)
        if parsed is None:
            raise NotFound(f"No review task {task_id}.")
        case_id, department = parsed
        bundle = load_for_staff(self._cases, self._reference, case_id, staff)
        task = next((t for t in bundle.tasks if t.department == department), None)
        if task is None:
            raise NotFound(f"No review task {task_id}.")
        return bundle, task

    def queue(self, staff: StaffMember, limit: int, cursor: str | None) -> TaskPage:
        """The open review tasks of the caller's department, oldest first."""
        if staff.role is not Role.REVIEWER or not staff.department:
            raise Forbidden("Only department reviewers have a review queue.")
        scope = f"review|{staff.county}|{staff.department}"
        start = decode_key(self._cursors.decode(cursor, scope)) if cursor else None
        page = self._cases.review_queue(staff.county, staff.department, limit, start)
        return self._page(page, scope, staff)

    def escalations(self, staff: StaffMember, limit: int, cursor: str | None) -> TaskPage:
        """Overdue review tasks of the cases the caller may see (the one visibility rule: a
        township's supervisor sees its township's, a department head its department's)."""
        if staff.role not in (Role.SUPERVISOR, Role.LEADER):
            raise Forbidden("Only supervisors and leaders see the escalated queue.")
        scope = f"escalated|{staff.staff_id}"
        start = decode_key(self._cursors.decode(cursor, scope)) if cursor else None
        tasks, last = across(  # a city's or a province's leader: each county's in turn
            self._reference.counties_within(staff.jurisdiction),
            lambda county, n, key: _items(self._cases.escalated(county, n, key)),
            limit,
            start,
        )
        if staff.department and staff.department != "zwfw":
            tasks = [t for t in tasks if t.department == staff.department]
        return self._page(Page(tasks, last), scope, staff)

    def _page(self, page: Page[ReviewTask], scope: str, viewer: StaffMember) -> TaskPage:
        tasks = page.items
        apps = {
            a.application_id: a
            for a in self._cases.roots(sorted({t.case_id for t in tasks}))
            if sees_application(viewer, a)
        }
        today = beijing_date(self._clock.now())
        items = []
        for task in tasks:
            app = apps.get(task.case_id)
            if app is None:
                continue
            view = task_view(task, self._name(task.county, task.department))
            items.append(
                TaskQueueItem(
                    **view.model_dump(),
                    case_id=task.case_id,
                    case_number=app.number,
                    service_name=app.service_name,
                    overdue=today > task.due,
                )
            )
        next_cursor = (
            self._cursors.encode(encode_key(page.last_key), scope) if page.last_key else None
        )
        return TaskPage(items=items, next_cursor=next_cursor)


def _items(page: Page[ReviewTask]) -> tuple[list[ReviewTask], dict[str, Any] | None]:
    return page.items, page.last_key
