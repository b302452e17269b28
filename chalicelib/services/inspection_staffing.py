"""A department head staffs a task the draw left unstaffed (fewer inspectors without a
conflict than the plan asked for): at least two of the department's active inspectors, none
with a conflict by the published procedure's own rule (`recusal_reason`). The draw's public
record is unchanged; the task shows who staffed it and when."""

from __future__ import annotations

from chalicelib.clock import Clock
from chalicelib.domain import draw_procedure as procedure
from chalicelib.domain.calendar import beijing_date
from chalicelib.domain.identity import Role, StaffMember
from chalicelib.domain.inspection_plan import PlanStatus, StaffingInput, Task
from chalicelib.errors import Conflict, FieldError, Forbidden, NotFound
from chalicelib.store.inspection_plans import InspectionPlanStore
from chalicelib.store.inspections import InspectionDirectoryStore


class InspectionStaffing:
    def __init__(
        self, plans: InspectionPlanStore, directory: InspectionDirectoryStore, clock: Clock
    ) -> None:
        self._plans = plans
        self._directory = directory
        self._clock = clock

    def staff(self, staff: StaffMember, task_id: str, body: StaffingInput) -> Task:
        plan_id, _, order = task_id.rpartition("-")
        task = self._plans.task(plan_id, int(order))
        plan = self._plans.plan(plan_id)
        if task is None or plan is None or plan.county != staff.county:
            raise NotFound(f"No inspection task {task_id} in your county.")
        if staff.role is not Role.SUPERVISOR or staff.department != plan.department:
            raise Forbidden(f"Only the head of department {plan.department} staffs its tasks.")
        if plan.status is not PlanStatus.DRAWN:
            raise Conflict(
                "The plan's draw is not complete.",
                errors=[FieldError("status", f"the plan is {plan.status.value}", "state")],
            )
        entity = self._directory.entity(task.credit_code)
        if entity is None:
            raise Conflict("The task's entity is no longer in the directory.")
        drawn = entity.for_draw(beijing_date(self._clock.now()))
        accounts = []
        for index, inspector_id in enumerate(body.inspectors):
            where = f"body.inspectors[{index}]"
            inspector = self._directory.inspector(plan.county, inspector_id)  # consistent
            if inspector is None or inspector.department != plan.department:
                raise NotFound(
                    f"No inspector {inspector_id} of {plan.department}.",
                    errors=[FieldError(where, "not an inspector of the department", "unknown")],
                )
            if not inspector.active:
                raise Conflict(
                    f"Inspector {inspector_id} is not active.",
                    errors=[FieldError(where, "inactive", "inactive")],
                )
            reason = procedure.recusal_reason(inspector.for_draw(), drawn, entity.last_inspectors)
            if reason is not None:
                raise Conflict(
                    f"Inspector {inspector_id} must recuse ({reason}).",
                    errors=[FieldError(where, f"conflict of interest: {reason}", "recusal")],
                )
            accounts.append(inspector.staff_id)
        if len(set(accounts)) < len(accounts):
            raise Conflict(
                "Two of these certificates belong to one staff account: one person.",
                errors=[FieldError("body.inspectors", "not distinct people", "duplicate")],
            )
        after = task.model_copy(deep=True, update={"rev": task.rev + 1})
        after.staff_with(body.inspectors, accounts, staff.staff_id, self._clock.now())
        figures = plan.figures.model_copy(update={"unstaffed": plan.figures.unstaffed - 1})
        plan_after = plan.model_copy(update={"figures": figures, "rev": plan.rev + 1})
        self._plans.save_staffing(task, after, plan, plan_after)
        return after
