"""When an approval workflow stops without an outcome (Step Functions reports an execution
FAILED, TIMED_OUT or ABORTED; an EventBridge rule puts the event on the review queue), its
case must not sit `in_review` forever: every department still to decide gets an escalated
task (so the case is on the supervisors' escalated queue and the departments' review
queues), the timeline says what happened, and the review starts again — by itself up to
MAX_AUTOMATIC_RESTARTS times (a passing fault), then when a supervisor asks (after the
operators fixed what made it fail; the alarm on failed executions told them). A new run is
answered with the decisions already recorded (ReviewService.requested), so nothing is
decided twice."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from chalicelib.clock import Clock
from chalicelib.domain.access import sees_application
from chalicelib.domain.application import Application
from chalicelib.domain.application_api import ApplicationView
from chalicelib.domain.application_parts import Status
from chalicelib.domain.calendar import beijing_date
from chalicelib.domain.identity import Role, StaffMember
from chalicelib.domain.moves import SYSTEM, Actor, TimelineEvent
from chalicelib.domain.review import ReviewTask, TaskStatus, task_id_of
from chalicelib.errors import Conflict, Forbidden, NotFound
from chalicelib.observability import logger, metrics
from chalicelib.paging import CursorCodec
from chalicelib.services import application_views as views
from chalicelib.services.cases import event, staff_actor, working_copy
from chalicelib.services.reference import ReferenceData
from chalicelib.services.review_start import review_timeout, start_review_execution
from chalicelib.settings import Settings
from chalicelib.store.cases import CaseBundle, CaseStore
from chalicelib.store.workflow import ApprovalWorkflow

MAX_AUTOMATIC_RESTARTS = 2
STOPPED = ("FAILED", "TIMED_OUT", "ABORTED")


class ReviewRecovery:
    def __init__(
        self,
        cases: CaseStore,
        reference: ReferenceData,
        workflow: ApprovalWorkflow | None,
        clock: Clock,
        settings: Settings,
        cursors: CursorCodec,
    ) -> None:
        self._cursors = cursors
        self._cases = cases
        self._reference = reference
        self._workflow = workflow
        self._clock = clock
        self._settings = settings

    def stopped(self, change: dict[str, Any]) -> None:
        """An EventBridge "Step Functions Execution Status Change" event. Only the case's
        current run counts (an older run's end, or a redelivered event, changes nothing)."""
        detail = change.get("detail") or {}
        status, execution = detail.get("status"), detail.get("executionArn")
        try:
            case_id = json.loads(detail.get("input") or "{}").get("case_id")
        except ValueError:
            case_id = None
        if status not in STOPPED or not case_id or not execution:
            logger.warning("an execution change the review does not handle")
            return
        bundle = self._cases.load(case_id)
        if bundle is None or bundle.application.status is not Status.IN_REVIEW:
            return  # already decided (the stop came after the outcome), or unknown
        app = bundle.application
        if app.execution_name != execution:
            return  # an earlier run's end
        metrics.add_metric(name="ReviewWorkflowStopped", unit="Count", value=1)
        self._escalate_undecided(bundle, status, execution)
        if app.review_restarts < MAX_AUTOMATIC_RESTARTS:
            why = (f"审批流程异常中止（{status}），自动重启", f"the workflow ended {status}")
            self._restart(app, why, SYSTEM)

    def restart(self, staff: StaffMember, case_id: str) -> ApplicationView:
        """A supervisor or leader starts the review of a case again (its run stopped and the
        automatic restarts are used up)."""
        if staff.role not in (Role.SUPERVISOR, Role.LEADER):
            raise Forbidden("Only supervisors and leaders start a review again.")
        bundle = self._cases.load(case_id)
        if bundle is None or not sees_application(staff, bundle.application):
            raise NotFound(f"No application {case_id}.")
        app = bundle.application
        if app.status is not Status.IN_REVIEW:
            raise Conflict(f"An application that is {app.status.value} is not in review.")
        # A run still going keeps its task tokens: a second one beside it would fight it over
        # the same departments' tasks.
        running = (
            self._workflow is not None
            and app.execution_name
            and self._workflow.status(app.execution_name) == "RUNNING"
        )
        if running:
            raise Conflict(
                "The review is still running; it is started again only once it has stopped."
            )
        why = (f"{staff.name}重新启动审批", f"started again by {staff.staff_id}")
        after, events = self._restart(app, why, staff_actor(staff))
        return views.bundle_view(
            CaseBundle(after, [*bundle.events, *events], bundle.documents, bundle.tasks),
            "staff",
            self._reference,
            self._clock,
            cursors=self._cursors,
        )

    def _restart(
        self, app: Application, why: tuple[str, str], by: Actor
    ) -> tuple[Application, list[TimelineEvent]]:
        if self._workflow is None:
            raise RuntimeError("BIANMIN_STATE_MACHINE_ARN is not set")
        now = self._clock.now()
        timeout = review_timeout(app, self._settings, self._reference, now)
        execution = start_review_execution(
            self._workflow, app, timeout, run=app.review_restarts + 1
        )
        after = working_copy(app)
        events = after.restart_review(execution, why, by, now)
        self._cases.save(app, after, events)
        metrics.add_metric(name="ReviewRestarted", unit="Count", value=1)
        return after, events

    def _escalate_undecided(self, bundle: CaseBundle, status: str, execution: str) -> None:
        """Every department still to decide gets an escalated task (a new one, without a
        token, where the run stopped before asking it), in one transaction with the event."""
        app, now = bundle.application, self._clock.now()
        tasks = {t.department: t for t in bundle.tasks}
        operations = []
        for department in app.review_departments:
            task = tasks.get(department) or self._new_task(app, department, now)
            if task.status is not TaskStatus.OPEN or task.last_escalation == execution:
                continue
            escalated = task.model_copy(
                update={
                    "escalations": task.escalations + 1,
                    "escalated_at": task.escalated_at or now,
                    "last_escalation": execution,
                    "token": None,  # the stopped run's token answers nothing any more
                    "version": task.version + 1 if department in tasks else 0,
                }
            )
            expected = task.status if department in tasks else None
            operations.append(self._cases.task_op(escalated, expected))
        note = self._stopped_event(status, now)
        try:
            self._cases.write(operations, [(app.application_id, note)])
        except Conflict:
            logger.info("the review changed while its stop was recorded; left as it is")

    def _new_task(self, app: Application, department: str, now: datetime) -> ReviewTask:
        return ReviewTask(
            task_id=task_id_of(app.application_id, department),
            case_id=app.application_id,
            county=app.county,
            department=department,
            rule=app.review_rule,
            status=TaskStatus.OPEN,
            requested_at=now,
            due=beijing_date(now),
        )

    def _stopped_event(self, status: str, now: datetime) -> TimelineEvent:
        return event(
            self._clock,
            "review_stopped",
            f"审批流程异常中止（{status}），已提交督办",
            f"The review workflow stopped ({status}): put before the supervisors",
            SYSTEM,
            at=now,
            status=status,
        )
