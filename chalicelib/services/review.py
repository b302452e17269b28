"""Parallel review: the workflow's review tasks as the departments see and decide them, the
escalation of overdue tasks, and the outcome when every branch has ended."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from chalicelib.domain.application_parts import Status
from chalicelib.domain.calendar import beijing_date
from chalicelib.domain.identity import Role, StaffMember
from chalicelib.domain.moves import SYSTEM, TimelineEvent
from chalicelib.domain.notice import NoticeKind
from chalicelib.domain.review import (
    PressRequest,
    ReviewDecision,
    ReviewTask,
    TaskStatus,
    TaskView,
    task_id_of,
)
from chalicelib.errors import Conflict, Forbidden, NotFound
from chalicelib.observability import logger, metrics
from chalicelib.services.application_views import task_view
from chalicelib.services.cases import case_moment, event, staff_actor, working_copy
from chalicelib.services.review_queues import ReviewQueues
from chalicelib.services.review_recovery import ReviewRecovery
from chalicelib.store.cases import CaseBundle
from chalicelib.store.workflow import ApprovalWorkflow

if TYPE_CHECKING:
    from chalicelib.services.notices import NoticeService

MAX_PRESSES = 20  # 督办 of one task: each is a timeline event


class ReviewService(ReviewQueues):
    """The workflow's review tasks: requested, escalated, decided and pressed, and the case's
    outcome when every branch has ended (a run that stops without one: ReviewRecovery)."""

    _recovery: ReviewRecovery | None = None
    _notices: NoticeService | None = None

    def issue_notices_with(self, notices: NoticeService) -> ReviewService:
        """The outcome then writes its decision (准予/不予行政许可决定书) with it."""
        self._notices = notices
        return self

    def recover_with(self, recovery: ReviewRecovery) -> ReviewService:
        self._recovery = recovery
        return self

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
            self.escalated(message["case_id"], message["department"], message.get("escalation_id"))
        elif kind == "review_completed":
            self.completed(message["case_id"])
        elif message.get("source") == "aws.states" and self._recovery is not None:
            self._recovery.stopped(message)  # the workflow stopped without an outcome
        else:
            logger.warning("unknown review message", extra={"type": str(kind)})

    def _update(
        self,
        case_id: str,
        department: str,
        change: Callable[[ReviewTask], tuple[ReviewTask, list[TimelineEvent]] | None],
    ) -> ReviewTask | None:
        """Read the task, apply `change` (None: nothing to do), write it only if nobody wrote
        it since it was read; on a race, read again and retry."""
        for _ in range(5):
            task = self._cases.task(case_id, department)
            if task is None:
                return None
            changed = change(task)
            if changed is None:
                return task
            updated, events = changed
            updated = updated.model_copy(update={"version": task.version + 1})
            try:
                self._cases.write(
                    [self._cases.task_op(updated, task.status)], [(case_id, e) for e in events]
                )
            except Conflict:
                continue
            return updated
        raise Conflict("The review task keeps changing; try again.")

    def _settled(self, case_id: str, rule: str, department: str) -> bool:
        """Whether the other departments have already settled the rule."""
        others = [t for t in self._cases.tasks(case_id) if t.department != department]
        if rule == "any":
            return any(t.status is TaskStatus.APPROVED for t in others)
        return any(t.status is TaskStatus.DENIED for t in others)

    def requested(self, case_id: str, department: str, rule: str, token: str) -> None:
        """A department's review task is waiting (first time, or again after an escalation)."""
        existing = self._update(
            case_id,
            department,
            lambda t: (
                (t.model_copy(update={"token": token}), []) if t.status is TaskStatus.OPEN else None
            ),
        )
        if existing is not None:
            if existing.status is not TaskStatus.OPEN:
                # Decided while the workflow re-requested it: answer the new token the same way.
                self._answer(existing, token)
            return
        app = self._cases.application(case_id)
        if app is None:
            logger.warning("review requested for an unknown case")
            return
        now = self._clock.now()
        due = self._reference.calendar(app.county).add_working_days(
            beijing_date(now), max(app.limits.promised_days, 1)
        )
        settled = self._settled(case_id, rule, department)
        task = ReviewTask(
            task_id=task_id_of(case_id, department),
            case_id=case_id,
            county=app.county,
            department=department,
            rule=rule,
            status=TaskStatus.CLOSED if settled else TaskStatus.OPEN,
            token=token,
            requested_at=now,
            due=due,
            decided_at=now if settled else None,
        )
        note = event(
            self._clock,
            "review_requested",
            f"{self._name(app.county, department)}开始审批，期限 {due.isoformat()}",
            f"Review by {department} requested, due {due.isoformat()}",
            SYSTEM,
            at=now,
            department=department,
        )
        try:
            self._cases.write([self._cases.task_op(task, None)], [(case_id, note)])
        except Conflict:  # a duplicate delivery created it meanwhile: refresh its token
            self.requested(case_id, department, rule, token)
            return
        if settled:  # arrived after the rule was decided: this branch ends at once
            self._answer(task, token)

    def escalated(self, case_id: str, department: str, escalation_id: str | None = None) -> None:
        """A task passed its time limit; `escalation_id` (when the workflow entered its
        Escalate state) makes a redelivered message count once."""
        now = self._clock.now()

        def escalate(task: ReviewTask) -> tuple[ReviewTask, list[TimelineEvent]] | None:
            if task.status is not TaskStatus.OPEN:
                return None
            if escalation_id is not None and task.last_escalation == escalation_id:
                return None
            count = task.escalations + 1
            note = event(
                self._clock,
                "review_escalated",
                f"{self._name(task.county, department)}审批超时，已提交督办（第 {count} 次）",
                f"Review by {department} is overdue: escalated to the supervisors (#{count})",
                SYSTEM,
                at=now,
                department=department,
            )
            updated = task.model_copy(
                update={
                    "escalations": count,
                    "escalated_at": task.escalated_at or now,
                    "last_escalation": escalation_id,
                }
            )
            return updated, [note]

        if self._update(case_id, department, escalate) is not None:
            metrics.add_metric(name="ReviewEscalated", unit="Count", value=1)

    def completed(self, case_id: str) -> None:
        """Every branch has ended: the case is approved or denied by its rule."""
        bundle = self._cases.load(case_id)
        if bundle is None or bundle.application.status not in (Status.IN_REVIEW, Status.ACCEPTED):
            return  # unknown, or already settled (a redelivered message)
        app, tasks = bundle.application, bundle.tasks
        approvals = [t for t in tasks if t.status is TaskStatus.APPROVED]
        denials = [t for t in tasks if t.status is TaskStatus.DENIED]
        if app.review_rule == "any":
            approved = bool(approvals)
        else:
            approved = not denials and len(approvals) == len(app.review_departments)
        now = self._clock.now()
        after = working_copy(app)
        if approved:
            events = after.approve({t.department: t.opinion for t in approvals}, now)
        else:
            reasons = "；".join(
                f"{self._name(t.county, t.department)}：{t.opinion}" for t in denials
            )
            events = after.deny(
                {t.department: t.opinion for t in denials},
                reasons,
                case_moment(app, self._reference, now),
            )
        extra: list[dict[str, Any]] = []
        if self._notices is not None:
            from chalicelib.services.notice_texts import NoticeFacts

            opinions = tuple(
                f"{self._name(t.county, t.department)}：{t.opinion or '同意'}"
                for t in (approvals if approved else denials)
            )
            prepared = self._notices.prepare(
                NoticeKind.APPROVAL if approved else NoticeKind.DENIAL,
                after,
                trigger=events[0],
                by=SYSTEM,
                facts=NoticeFacts(items=opinions),
            )
            events, extra = [*events, prepared.event], prepared.operations
        self._cases.save(app, after, events, extra=extra)
        metrics.add_metric(
            name="ApplicationApproved" if approved else "ApplicationDenied", unit="Count", value=1
        )

    def decide(self, staff: StaffMember, task_id: str, decision: ReviewDecision) -> TaskView:
        bundle, task = self._load_task(staff, task_id)
        if staff.role is not Role.REVIEWER or staff.department != task.department:
            raise Forbidden("Only a reviewer of the task's department decides it.")
        now = self._clock.now()
        approve = decision.decision == "approve"

        def record(current: ReviewTask) -> tuple[ReviewTask, list[TimelineEvent]]:
            if current.status is not TaskStatus.OPEN:
                raise Conflict(f"The review task is already {current.status.value}.")
            note = event(
                self._clock,
                "review_decided",
                f"{self._name(task.county, task.department)}{'同意' if approve else '不同意'}："
                f"{decision.opinion}",
                f"{task.department} {'approved' if approve else 'denied'}: {decision.opinion}",
                staff_actor(staff),
                at=now,
                department=task.department,
                decision=decision.decision,
                conditions=decision.conditions,
            )
            decided = current.model_copy(
                update={
                    "status": TaskStatus.APPROVED if approve else TaskStatus.DENIED,
                    "decided_at": now,
                    "decided_by": staff.staff_id,
                    "opinion": decision.opinion,
                    "conditions": decision.conditions,
                }
            )
            return decided, [note]

        decided = self._update(task.case_id, task.department, record)
        if decided is None:
            raise NotFound(f"No review task {task_id}.")
        # The token of the version this decision replaced: the one the workflow waits on now.
        self._answer(decided, decided.token)
        rule = bundle.application.review_rule
        if (rule == "any" and approve) or (rule != "any" and not approve):
            self._close_others(bundle, decided, staff)
        metrics.add_metric(name="ReviewDecided", unit="Count", value=1)
        return task_view(decided, self._name(decided.county, decided.department))

    def _close_others(self, bundle: CaseBundle, decided: ReviewTask, staff: StaffMember) -> None:
        """The rule is settled: the other departments' open tasks close (their branches end)."""
        for other in bundle.tasks:
            if other.department == decided.department:
                continue
            now = self._clock.now()

            def close(
                current: ReviewTask, department: str = other.department, now: Any = now
            ) -> tuple[ReviewTask, list[TimelineEvent]] | None:
                if current.status is not TaskStatus.OPEN:
                    return None
                note = event(
                    self._clock,
                    "review_closed",
                    f"{self._name(decided.county, department)}无需继续审批"
                    f"（已由{self._name(decided.county, decided.department)}决定）",
                    f"Review by {department} closed: settled by {decided.department}",
                    staff_actor(staff),
                    department=department,
                )
                closed = current.model_copy(update={"status": TaskStatus.CLOSED, "decided_at": now})
                return closed, [note]

            closed = self._update(other.case_id, other.department, close)
            if (
                closed is not None
                and closed.status is TaskStatus.CLOSED
                and closed.decided_at == now
            ):
                self._answer(closed, closed.token)

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

        def press(current: ReviewTask) -> tuple[ReviewTask, list[TimelineEvent]]:
            if current.status is not TaskStatus.OPEN:
                raise Conflict(f"The review task is already {current.status.value}.")
            if current.pressed >= MAX_PRESSES:
                raise Conflict(f"A review task is pressed at most {MAX_PRESSES} times.")
            note = event(
                self._clock,
                "review_pressed",
                f"{staff.name}督办{self._name(task.county, task.department)}：{request.comment}",
                f"{staff.staff_id} pressed {task.department}: {request.comment}",
                staff_actor(staff),
                department=task.department,
            )
            return current.model_copy(update={"pressed": current.pressed + 1}), [note]

        pressed = self._update(task.case_id, task.department, press)
        if pressed is None:
            raise NotFound(f"No review task {task_id}.")
        return task_view(pressed, self._name(pressed.county, pressed.department))
