"""The drawn inspectors' tasks: results (with photos through the upload pipeline), the
rectification follow-up, the overdue sweep, and the public results (公示, CSV for the
credit-information publicity system).

A result moves the task, its plan's counters and the photos' claims in one transaction;
the entity's risk signals (a failed inspection; who inspected it last) follow right after
(a conditional write of their own, retried on a concurrent change)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from chalicelib.clock import Clock
from chalicelib.domain.access import same_county
from chalicelib.domain.calendar import beijing_date
from chalicelib.domain.identity import Role, StaffMember
from chalicelib.domain.inspection_api import (
    InspectionTaskView,
    TaskList,
    outcome_label,
)
from chalicelib.domain.inspection_plan import (
    FAILED,
    Finding,
    FollowUp,
    FollowUpInput,
    InspectionTaskStatus,
    Plan,
    PlanStatus,
    Task,
    TaskQuery,
    TaskResultInput,
)
from chalicelib.domain.request_api import PhotoView
from chalicelib.domain.request_parts import Photo, staff_upload_owner
from chalicelib.errors import Conflict, FieldError, NotFound
from chalicelib.observability import logger, metrics
from chalicelib.paging import CursorCodec
from chalicelib.services.reference import ReferenceData
from chalicelib.services.request_cases import attach_photos
from chalicelib.store.documents import DocumentStorage
from chalicelib.store.inspection_plans import InspectionPlanStore, PlanMoved
from chalicelib.store.inspections import InspectionDirectoryStore
from chalicelib.store.requests import RequestStore

PLAN_ATTEMPTS = 4  # a result re-reads its plan when another result moved the counters first


class InspectionTaskService:
    def __init__(
        self,
        plans: InspectionPlanStore,
        directory: InspectionDirectoryStore,
        requests: RequestStore,
        storage: DocumentStorage,
        reference: ReferenceData,
        cursors: CursorCodec,
        clock: Clock,
    ) -> None:
        self._plans = plans
        self._directory = directory
        self._requests = requests
        self._storage = storage
        self._reference = reference
        self._cursors = cursors
        self._clock = clock

    # Reading -----------------------------------------------------------------------------

    def _sees(self, staff: StaffMember, task: Task) -> bool:
        if not same_county(staff, task.county):
            return False
        if staff.role is Role.INSPECTOR:
            return staff.staff_id in task.staff
        if staff.role is Role.SUPERVISOR and staff.department:
            return staff.department == task.department
        return staff.role in (Role.SUPERVISOR, Role.LEADER)

    def _task(self, staff: StaffMember, task_id: str) -> Task:
        plan_id, _, order = task_id.rpartition("-")
        task = self._plans.task(plan_id, int(order))
        if task is None or not self._sees(staff, task):
            raise NotFound(f"No inspection task {task_id} of yours.")
        return task

    def tasks(self, staff: StaffMember, query: TaskQuery) -> TaskList:
        if query.plan_id:
            plan = self._plans.plan(query.plan_id)
            if plan is None or not same_county(staff, plan.county):
                raise NotFound(
                    f"No plan {query.plan_id} in your county.",
                    errors=[FieldError("query.plan_id", "no such plan", "unknown")],
                )
            found = self._plans.tasks(query.plan_id)
        elif staff.role is Role.INSPECTOR or query.mine:
            found = self._plans.my_tasks(staff.staff_id)
        else:
            raise Conflict(
                "Name the plan whose tasks you want.",
                errors=[FieldError("query.plan_id", "required unless mine=true", "missing")],
            )
        if query.mine:
            found = [t for t in found if staff.staff_id in t.staff]
        if query.open:
            found = [t for t in found if t.status is not InspectionTaskStatus.DONE]
        visible = [t for t in found if self._sees(staff, t)]
        return TaskList(items=[self._view(t, with_photos=False) for t in visible])

    def task(self, staff: StaffMember, task_id: str) -> InspectionTaskView:
        return self._view(self._task(staff, task_id), with_photos=True)

    def _view(self, task: Task, with_photos: bool) -> InspectionTaskView:
        finding, follow = task.finding, task.follow_up
        outcome = task.outcome
        photos = []
        if with_photos:
            taken = [*(finding.photos if finding else []), *(follow.photos if follow else [])]
            photos = [
                PhotoView(
                    document_id=p.document_id,
                    url=self._storage.download_url(
                        p.key, p.document_id, p.content_type, p.version_id
                    ),
                )
                for p in taken
            ]
        entity = self._directory.entity(task.credit_code) if with_photos else None
        return InspectionTaskView(
            **task.model_dump(
                include={
                    "task_id",
                    "plan_id",
                    "item_id",
                    "item_name",
                    "department",
                    "credit_code",
                    "entity_name",
                    "township",
                    "inspectors",
                    "unstaffed",
                    "due",
                    "status",
                    "escalated_at",
                    "staffed_by",
                    "staffed_at",
                }
            ),
            address=entity.address if entity else None,
            overdue=task.status is InspectionTaskStatus.ASSIGNED and task.due < self._today(),
            outcome=outcome,
            outcome_label=outcome_label(outcome) if outcome else None,
            notes=finding.notes if finding else None,
            inspected_on=finding.inspected_on if finding else None,
            rectify_by=finding.rectify_by if finding else None,
            photos=photos,
            follow_up_notes=follow.notes if follow else None,
            rectified=follow.rectified if follow else None,
        )

    def _today(self) -> date:
        return beijing_date(self._clock.now())

    # Recording ---------------------------------------------------------------------------

    def record(self, staff: StaffMember, task_id: str, body: TaskResultInput) -> InspectionTaskView:
        task, plan = self._for_inspector(staff, task_id)
        self._check_day(body.inspected_on, "body.inspected_on", _first_day(plan))
        if body.inspected_on > plan.period_end:
            raise Conflict(
                "The inspection falls after the plan's period.",
                errors=[FieldError("body.inspected_on", "after period_end", "range")],
            )
        fields = body.model_dump(exclude={"photos"})

        def move(target: Task, photos: list[Photo]) -> None:
            target.record(
                Finding(
                    **fields,
                    photos=photos,
                    recorded_by=staff.staff_id,
                    recorded_at=self._clock.now(),
                )
            )

        after = self._move(staff, plan, task, body.photos, move)
        self._signals(after, body.inspected_on)
        metrics.add_metric(name="InspectionRecorded", unit="Count", value=1)
        return self._view(after, with_photos=True)

    def follow_up(
        self, staff: StaffMember, task_id: str, body: FollowUpInput
    ) -> InspectionTaskView:
        task, plan = self._for_inspector(staff, task_id)
        self._check_day(body.checked_on, "body.checked_on", _first_day(plan))
        fields = body.model_dump(exclude={"photos"})

        def move(target: Task, photos: list[Photo]) -> None:
            target.follow(
                FollowUp(
                    **fields,
                    photos=photos,
                    recorded_by=staff.staff_id,
                    recorded_at=self._clock.now(),
                )
            )

        after = self._move(staff, plan, task, body.photos, move)
        if not body.rectified:
            self._signals(after, body.checked_on)
        return self._view(after, with_photos=True)

    def _for_inspector(self, staff: StaffMember, task_id: str) -> tuple[Task, Plan]:
        task = self._task(staff, task_id)
        task.check_inspector(staff.staff_id)
        return task, self._drawn_plan(task)

    def _move(
        self,
        staff: StaffMember,
        plan: Plan,
        task: Task,
        photo_ids: list[str],
        move: Callable[[Task, list[Photo]], None],
    ) -> Task:
        """Applies `move` to a copy of the task — first without photos, so a move the task's
        status refuses touches no upload — then attaches the photos and saves it all at once."""
        move(task.model_copy(deep=True), [])
        photos, claims = attach_photos(
            self._requests,
            self._storage,
            staff_upload_owner(staff.staff_id),
            photo_ids,
            "body.photos",
            task.task_id,
        )
        after = task.model_copy(deep=True, update={"rev": task.rev + 1})
        move(after, photos)
        for attempt in range(PLAN_ATTEMPTS):
            try:
                self._save(plan, task, after, claims)
                return after
            except PlanMoved:
                # Another result of the same plan moved its counters first (this task did
                # not change: its own condition would have failed as a Conflict): read the
                # plan again and repeat.
                if attempt == PLAN_ATTEMPTS - 1:
                    raise
                plan = self._drawn_plan(task)
        raise AssertionError("unreachable")

    def _check_day(self, day: date, field: str, not_before: date) -> None:
        if day > self._today():
            raise Conflict(
                "A date in the future.", errors=[FieldError(field, "in the future", "range")]
            )
        if day < not_before:
            raise Conflict(
                "The date falls before the plan's period or its draw.",
                errors=[FieldError(field, f"before {not_before.isoformat()}", "range")],
            )

    def _drawn_plan(self, task: Task) -> Plan:
        plan = self._plans.plan(task.plan_id)
        if plan is None or plan.status is not PlanStatus.DRAWN:
            raise Conflict("The task's plan is not drawn.")
        return plan

    def _save(self, plan: Plan, before: Task, after: Task, claims: list) -> None:
        """The task and the plan's counters (by the change of the task's contribution)."""
        figures = plan.figures.model_copy(deep=True)
        for task, sign in ((before, -1), (after, 1)):
            if task.finding is None:
                continue
            outcome = task.outcome
            assert outcome is not None
            figures.done += sign
            figures.outcomes[outcome.value] = figures.outcomes.get(outcome.value, 0) + sign
            place = figures.townships.setdefault(task.township, {})
            place[outcome.value] = place.get(outcome.value, 0) + sign
        figures.outcomes = {k: n for k, n in figures.outcomes.items() if n}
        figures.townships = {
            t: kept for t, counts in figures.townships.items() if (kept := _nonzero(counts))
        }
        if after.escalated_at is not None and before.escalated_at is None:
            figures.overdue += 1
        plan_after = plan.model_copy(update={"figures": figures, "rev": plan.rev + 1})
        self._plans.save_task(before, after, plan, plan_after, claims)

    def _signals(self, task: Task, on: date) -> None:
        """The entity remembers who inspected it last (a recusal next time) and a failure (a
        weight in key-item draws)."""
        for _ in range(3):
            entity = self._directory.entity(task.credit_code)
            if entity is None:
                return
            failed = task.outcome in FAILED
            if failed:
                entity.noting("failures", task.task_id, on)
            entity = entity.model_copy(
                update={
                    "last_inspectors": sorted(task.inspectors),
                    "last_inspected": on,
                    "updated_at": self._clock.now(),
                }
            )
            try:
                self._directory.save_entity(entity)
                return
            except Conflict:
                continue
        logger.warning("entity signals not recorded", extra={"task": task.task_id})

    # The overdue sweep -------------------------------------------------------------------

    def sweep(self, limit: int = 200) -> int:
        """Tasks past their due date without a result escalate (once) to the department's
        head: the task shows it and the plan counts it. Safe to run twice at once."""
        today = self._today().isoformat()
        changed = 0
        for county in sorted(self._reference.counties()):
            for due in self._plans.due_tasks(county, today, limit):
                task = self._plans.task(due.plan_id, due.order)
                plan = self._plans.plan(due.plan_id)
                if task is None or plan is None or task.escalated_at is not None:
                    continue
                if plan.status is not PlanStatus.DRAWN:  # a draw still writing its tasks
                    continue
                if (
                    task.status is not InspectionTaskStatus.ASSIGNED
                    or task.due.isoformat() >= today
                ):
                    continue
                after = task.model_copy(
                    update={"escalated_at": self._clock.now(), "rev": task.rev + 1}
                )
                try:
                    self._save(plan, task, after, [])
                except Conflict:
                    continue
                metrics.add_metric(name="InspectionEscalated", unit="Count", value=1)
                changed += 1
        return changed


def _first_day(plan: Plan) -> date:
    """An inspection takes place within the plan's period, and not before its draw."""
    drawn = beijing_date(plan.drawn_at) if plan.drawn_at else plan.period_start
    return max(plan.period_start, drawn)


def _nonzero(counts: dict[str, int]) -> dict[str, int]:
    return {k: n for k, n in counts.items() if n}
