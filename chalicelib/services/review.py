"""Parallel review: the workflow's review tasks as the departments see and decide them, the
escalation of overdue tasks, and the outcome when every branch has ended."""

from __future__ import annotations

from typing import Any

from chalicelib.clock import Clock
from chalicelib.domain.application import Application, Status
from chalicelib.domain.calendar import beijing_date
from chalicelib.domain.identity import Role, StaffMember
from chalicelib.domain.review import (
    PressRequest,
    ReviewDecision,
    ReviewTask,
    TaskPage,
    TaskQueueItem,
    TaskStatus,
    TaskView,
    split_task_id,
    task_id_of,
)
from chalicelib.errors import Conflict, Forbidden, NotFound
from chalicelib.http.cursor import CursorCodec
from chalicelib.observability import logger, metrics
from chalicelib.services.application_views import task_view
from chalicelib.services.cases import SYSTEM, event, load_for_staff, staff_actor
from chalicelib.services.reference import ReferenceData
from chalicelib.store.cases import CaseBundle, CaseStore
from chalicelib.store.table import decode_key, encode_key
from chalicelib.store.workflow import ApprovalWorkflow


class ReviewService:
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

    def _name(self, department: str) -> str:
        found = self._reference.departments().get(department)
        return found.name if found else department

    @property
    def _flow(self) -> ApprovalWorkflow:
        if self._workflow is None:
            raise RuntimeError("BIANMIN_STATE_MACHINE_ARN is not set")
        return self._workflow

    # workflow events (the review queue's consumer) -----------------------------------------
    def handle(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "review_requested":
            self.requested(
                message["case_id"], message["department"], message["rule"], message["task_token"]
            )
        elif kind == "review_escalated":
            self.escalated(message["case_id"], message["department"])
        elif kind == "review_completed":
            self.completed(message["case_id"])
        else:
            logger.warning("unknown review message", extra={"type": str(kind)})

    def requested(self, case_id: str, department: str, rule: str, token: str) -> None:
        """A department's review task is waiting (first time, or again after an escalation)."""
        existing = self._cases.task(case_id, department)
        if existing is not None:
            if existing.status is TaskStatus.OPEN:
                self._cases.write(
                    [
                        self._cases.task_op(
                            existing.model_copy(update={"token": token}), TaskStatus.OPEN
                        )
                    ],
                    [],
                )
            else:
                # Decided while the workflow re-requested it: answer the new token the same way.
                self._answer(existing, token)
            return
        app = self._cases.application(case_id)
        if app is None:
            logger.warning("review requested for an unknown case")
            return
        now = self._clock.now()
        due = self._reference.calendar().add_working_days(
            beijing_date(now), max(app.limits.promised_days, 1)
        )
        task = ReviewTask(
            task_id=task_id_of(case_id, department),
            case_id=case_id,
            department=department,
            rule=rule,
            status=TaskStatus.OPEN,
            token=token,
            requested_at=now,
            due=due,
        )
        note = event(
            self._clock,
            "review_requested",
            f"{self._name(department)}开始审批，期限 {due.isoformat()}",
            f"Review by {department} requested, due {due.isoformat()}",
            SYSTEM,
            at=now,
            department=department,
        )
        try:
            self._cases.write([self._cases.task_op(task, None)], [(case_id, note)])
        except Conflict:  # a duplicate delivery created it meanwhile: refresh its token
            self.requested(case_id, department, rule, token)

    def escalated(self, case_id: str, department: str) -> None:
        task = self._cases.task(case_id, department)
        if task is None or task.status is not TaskStatus.OPEN:
            return
        now = self._clock.now()
        updated = task.model_copy(
            update={"escalations": task.escalations + 1, "escalated_at": task.escalated_at or now}
        )
        note = event(
            self._clock,
            "review_escalated",
            f"{self._name(department)}审批超时，已提交督办（第 {updated.escalations} 次）",
            f"Review by {department} is overdue: escalated to the supervisors "
            f"(#{updated.escalations})",
            SYSTEM,
            at=now,
            department=department,
        )
        self._cases.write([self._cases.task_op(updated, TaskStatus.OPEN)], [(case_id, note)])
        metrics.add_metric(name="ReviewEscalated", unit="Count", value=1)

    def completed(self, case_id: str) -> None:
        """Every branch has ended: the case is approved or denied by its rule."""
        bundle = self._cases.load(case_id)
        if bundle is None or bundle.application.status is not Status.IN_REVIEW:
            return  # unknown, or already settled (a redelivered message)
        app, tasks = bundle.application, bundle.tasks
        approvals = [t for t in tasks if t.status is TaskStatus.APPROVED]
        denials = [t for t in tasks if t.status is TaskStatus.DENIED]
        if app.review_rule == "any":
            approved = bool(approvals)
        else:
            approved = not denials and len(approvals) == len(app.review_departments)
        now = self._clock.now()
        if approved:
            after = app.model_copy(
                update={"status": Status.APPROVED, "reviews_done_at": now, "rev": app.rev + 1}
            )
            note = event(
                self._clock,
                "approved",
                "审批通过，转统一出件窗口",
                "Approved by the review; on to the issuance window",
                SYSTEM,
                at=now,
                opinions={t.department: t.opinion for t in approvals},
            )
        else:
            after = finish(
                app.model_copy(update={"status": Status.DENIED, "reviews_done_at": now}),
                self._reference,
                now,
            )
            reasons = "；".join(f"{self._name(t.department)}：{t.opinion}" for t in denials)
            note = event(
                self._clock,
                "denied",
                f"不予许可：{reasons or '审批未通过'}",
                "Denied by the review",
                SYSTEM,
                at=now,
                opinions={t.department: t.opinion for t in denials},
            )
        self._cases.save(app, after, [note])
        metrics.add_metric(
            name="ApplicationApproved" if approved else "ApplicationDenied", unit="Count", value=1
        )

    # staff ---------------------------------------------------------------------------------
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
        scope = f"review|{staff.department}"
        start = decode_key(self._cursors.decode(cursor, scope)) if cursor else None
        page = self._cases.review_queue(staff.department, limit, start)
        return self._page(page, scope)

    def escalations(self, staff: StaffMember, limit: int, cursor: str | None) -> TaskPage:
        """Overdue review tasks: all of them for leaders and the service center; a
        department supervisor sees its own department's."""
        if staff.role not in (Role.SUPERVISOR, Role.LEADER):
            raise Forbidden("Only supervisors and leaders see the escalated queue.")
        scope = f"escalated|{staff.staff_id}"
        start = decode_key(self._cursors.decode(cursor, scope)) if cursor else None
        page = self._cases.escalated(limit, start)
        if staff.department and staff.department != "zwfw":
            page.items = [i for i in page.items if i["data"]["department"] == staff.department]
        return self._page(page, scope)

    def _page(self, page: Any, scope: str) -> TaskPage:
        tasks = [ReviewTask.model_validate(raw["data"]) for raw in page.items]
        apps = {a.application_id: a for a in self._cases.roots(sorted({t.case_id for t in tasks}))}
        today = beijing_date(self._clock.now())
        items = []
        for task in tasks:
            app = apps.get(task.case_id)
            if app is None:
                continue
            view = task_view(task, self._name(task.department))
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

    def decide(self, staff: StaffMember, task_id: str, decision: ReviewDecision) -> TaskView:
        bundle, task = self._load_task(staff, task_id)
        if staff.role is not Role.REVIEWER or staff.department != task.department:
            raise Forbidden("Only a reviewer of the task's department decides it.")
        if task.status is not TaskStatus.OPEN:
            raise Conflict(f"The review task is already {task.status.value}.")
        now = self._clock.now()
        approve = decision.decision == "approve"
        decided = task.model_copy(
            update={
                "status": TaskStatus.APPROVED if approve else TaskStatus.DENIED,
                "decided_at": now,
                "decided_by": staff.staff_id,
                "opinion": decision.opinion,
                "conditions": decision.conditions,
            }
        )
        note = event(
            self._clock,
            "review_decided",
            f"{self._name(task.department)}{'同意' if approve else '不同意'}：{decision.opinion}",
            f"{task.department} {'approved' if approve else 'denied'}: {decision.opinion}",
            staff_actor(staff),
            at=now,
            department=task.department,
            decision=decision.decision,
            conditions=decision.conditions,
        )
        self._cases.write([self._cases.task_op(decided, TaskStatus.OPEN)], [(task.case_id, note)])
        self._answer(decided, task.token)
        rule = bundle.application.review_rule
        if (rule == "any" and approve) or (rule != "any" and not approve):
            self._close_others(bundle, decided, staff)
        metrics.add_metric(name="ReviewDecided", unit="Count", value=1)
        return task_view(decided, self._name(decided.department))

    def _close_others(self, bundle: CaseBundle, decided: ReviewTask, staff: StaffMember) -> None:
        """The rule is settled: the other departments' open tasks close (their branches end)."""
        for other in bundle.tasks:
            if other.department == decided.department or other.status is not TaskStatus.OPEN:
                continue
            closed = other.model_copy(
                update={"status": TaskStatus.CLOSED, "decided_at": self._clock.now()}
            )
            note = event(
                self._clock,
                "review_closed",
                f"{self._name(other.department)}无需继续审批（已由{self._name(decided.department)}决定）",
                f"Review by {other.department} closed: settled by {decided.department}",
                staff_actor(staff),
                department=other.department,
            )
            try:
                self._cases.write(
                    [self._cases.task_op(closed, TaskStatus.OPEN)], [(other.case_id, note)]
                )
            except Conflict:
                continue  # decided by its own reviewer meanwhile
            self._answer(closed, other.token)

    def _answer(self, task: ReviewTask, token: str | None) -> None:
        if not token:
            return
        approved = {TaskStatus.APPROVED: True, TaskStatus.DENIED: False}.get(task.status)
        self._flow.answer(
            token,
            approved=approved,
            detail={
                "department": task.department,
                "opinion": task.opinion or "",
                "conditions": task.conditions,
            },
        )

    def press(self, staff: StaffMember, task_id: str, request: PressRequest) -> TaskView:
        """督办: a supervisor presses an open task; recorded on the case's timeline."""
        if staff.role not in (Role.SUPERVISOR, Role.LEADER):
            raise Forbidden("Only supervisors and leaders press (督办) a task.")
        _, task = self._load_task(staff, task_id)
        if task.status is not TaskStatus.OPEN:
            raise Conflict(f"The review task is already {task.status.value}.")
        pressed = task.model_copy(update={"pressed": task.pressed + 1})
        note = event(
            self._clock,
            "review_pressed",
            f"{staff.name}督办{self._name(task.department)}：{request.comment}",
            f"{staff.staff_id} pressed {task.department}: {request.comment}",
            staff_actor(staff),
            department=task.department,
        )
        self._cases.write([self._cases.task_op(pressed, TaskStatus.OPEN)], [(task.case_id, note)])
        return task_view(pressed, self._name(task.department))


def finish(app: Application, reference: ReferenceData, now: Any) -> Application:
    """Closes the case's clock: working days used, and whether it beat its limits."""
    limits = app.limits
    calendar = reference.calendar()
    today = beijing_date(now)
    used = limits.used_days
    if limits.running_since is not None:
        used += calendar.working_days_between(limits.running_since, today)
    return app.model_copy(
        update={
            "limits": limits.model_copy(update={"used_days": used, "running_since": None}),
            "completed_at": now,
            "on_time": limits.promised_due is None or today <= limits.promised_due,
            "within_legal": limits.legal_due is None or today <= limits.legal_due,
            "rev": app.rev + 1,
        }
    )
