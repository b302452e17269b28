"""Inspection plans, their sealed seeds and their tasks in DynamoDB.

PLAN#<plan id> / CURRENT          the plan (public once announced); on GSI1 under
                                  INSPPLANS#<county> / <plan id> (ULIDs: newest last)
PLAN#<plan id> / SEED             the secret seed until the draw reveals it (never served)
PLAN#<plan id> / T#0001           a task, by draw order; while it waits for its result it
                                  is on GSI2 under INSPDUE#<county> / <due>#<task id> (the
                                  overdue sweep), once its result is recorded on GSI1 under
                                  INSPRESULTS#<county> / <recorded UTC>#<task id> (public)
MYTASKS#<staff id> / T#<task id>  an inspector's pointer to a task drawn for them

The frozen directories and the published proof are S3 objects (inspections/<plan id>/…),
written by the service. The draw writes its tasks (idempotently: ids and contents follow
from the seed) before it moves the plan to drawn on its revision; a result moves the task
and the plan's counters in one transaction, each on its revision.
"""

from __future__ import annotations

from typing import Any

from chalicelib.domain.inspection_plan import InspectionTaskStatus, Plan, Task
from chalicelib.errors import Conflict
from chalicelib.store.keys import utc_iso
from chalicelib.store.refusals import is_conditional_failure
from chalicelib.store.table import Guarded, Page, Table, revision_put

TRANSACTION_ITEMS = 99
_NEVER = Conflict("unreachable: an unconditional step")  # the pointers' steps have no condition


class PlanMoved(Conflict):
    """The plan's counters moved under a result (another result of the same plan): the
    result's task did not change, so the caller reads the plan again and repeats."""


def _plan_pk(plan_id: str) -> str:
    return f"PLAN#{plan_id}"


def task_sk(order: int) -> str:
    return f"T#{order:04d}"


def _due_keys(task: Task) -> dict[str, str]:
    return {"gsi2pk": f"INSPDUE#{task.county}", "gsi2sk": f"{task.due.isoformat()}#{task.task_id}"}


def _task_item(task: Task) -> dict[str, Any]:
    item: dict[str, Any] = {
        "pk": _plan_pk(task.plan_id),
        "sk": task_sk(task.order),
        "rev": task.rev,
        "task": task.model_dump(mode="json", exclude_none=True),
    }
    if task.status is InspectionTaskStatus.ASSIGNED and task.escalated_at is None:
        item.update(_due_keys(task))
    if task.finding is not None:
        item["gsi1pk"] = f"INSPRESULTS#{task.county}"
        item["gsi1sk"] = f"{utc_iso(task.finding.recorded_at)}#{task.task_id}"
    return item


def _plan_put(plan: Plan, previous_rev: int | None) -> dict[str, Any]:
    item = {
        "pk": _plan_pk(plan.plan_id),
        "sk": "CURRENT",
        "gsi1pk": f"INSPPLANS#{plan.county}",
        "gsi1sk": plan.plan_id,
        "rev": plan.rev,
        "plan": plan.model_dump(mode="json", exclude_none=True),
    }
    return revision_put(item, previous_rev)


class InspectionPlanStore:
    def __init__(self, table: Table) -> None:
        self._table = table

    def announce(self, plan: Plan, seed: str) -> None:
        """The plan and its sealed seed, together."""
        seed_item = {"pk": _plan_pk(plan.plan_id), "sk": "SEED", "seed": seed}
        self._table.transact(
            [
                {"Put": _plan_put(plan, None)},
                {"Put": {"Item": seed_item, "ConditionExpression": "attribute_not_exists(pk)"}},
            ]
        )

    def plan(self, plan_id: str) -> Plan | None:
        raw = self._table.get(_plan_pk(plan_id), "CURRENT", consistent=True)
        return Plan.model_validate(raw["plan"]) if raw else None

    def sealed_seed(self, plan_id: str) -> str | None:
        raw = self._table.get(_plan_pk(plan_id), "SEED", consistent=True)
        return str(raw["seed"]) if raw else None

    def plans(self, county: str, limit: int, start: dict[str, Any] | None) -> Page[Plan]:
        """A county's plans, newest first."""
        page = self._table.query(
            f"INSPPLANS#{county}", index="gsi1", forward=False, limit=limit, start_key=start
        )
        return Page(
            items=[Plan.model_validate(raw["plan"]) for raw in page.items], last_key=page.last_key
        )

    def all_plans(self, county: str) -> list[Plan]:
        return [
            Plan.model_validate(raw["plan"])
            for raw in self._table.query_all(f"INSPPLANS#{county}", index="gsi1")
        ]

    def put_tasks(self, tasks: list[Task]) -> None:
        """The draw's tasks and the inspectors' pointers (repeatable: same ids, same contents;
        written only while the plan is still announced, so no result is overwritten)."""
        operations: list[dict[str, Any]] = []
        for task in tasks:
            # A repeated draw (after a failure half-way) rewrites only untouched tasks.
            operations.append(
                {
                    "Put": {
                        "Item": _task_item(task),
                        "ConditionExpression": "attribute_not_exists(pk) OR #rev = :first",
                        "ExpressionAttributeNames": {"#rev": "rev"},
                        "ExpressionAttributeValues": {":first": 1},
                    }
                }
            )
            operations += [
                {
                    "Put": {
                        "Item": {
                            "pk": f"MYTASKS#{staff}",
                            "sk": f"T#{task.task_id}",
                            "plan_id": task.plan_id,
                            "order": task.order,
                        }
                    }
                }
                for staff in task.staff
            ]
        conflict = Conflict("The plan's tasks have been worked on: it was drawn already.")
        for start in range(0, len(operations), TRANSACTION_ITEMS):
            self._table.transact_guarded(operations[start : start + TRANSACTION_ITEMS], conflict)

    def save_plan(self, before: Plan, after: Plan) -> None:
        try:
            self._table.transact([{"Put": _plan_put(after, before.rev)}])
        except Exception as exc:
            if is_conditional_failure(exc):
                raise Conflict("The plan changed meanwhile; read it again.") from None
            raise

    def tasks(self, plan_id: str) -> list[Task]:
        found = self._table.query_all(_plan_pk(plan_id), sk_prefix="T#", consistent=True)
        return [Task.model_validate(raw["task"]) for raw in found]

    def task(self, plan_id: str, order: int) -> Task | None:
        raw = self._table.get(_plan_pk(plan_id), task_sk(order), consistent=True)
        return Task.model_validate(raw["task"]) if raw else None

    def my_tasks(self, staff_id: str, limit: int = 200) -> list[Task]:
        pointers = self._table.query(f"MYTASKS#{staff_id}", limit=limit, forward=False).items
        keys = [(_plan_pk(str(p["plan_id"])), task_sk(int(p["order"]))) for p in pointers]
        tasks = [Task.model_validate(raw["task"]) for raw in self._table.batch_get(keys)]
        return sorted(tasks, key=lambda t: (t.due, t.task_id))

    def save_task(
        self,
        before: Task,
        after: Task,
        plan_before: Plan,
        plan_after: Plan,
        extra: list[Guarded] | None = None,
    ) -> None:
        """The task and its plan's counters in one transaction, each on its revision, with
        `extra` steps (the photos' claims)."""
        put: dict[str, Any] = {
            "Item": _task_item(after),
            "ConditionExpression": "#rev = :previous",
            "ExpressionAttributeNames": {"#rev": "rev"},
            "ExpressionAttributeValues": {":previous": before.rev},
        }
        moved = PlanMoved("Another result of the plan was recorded meanwhile; send it again.")
        self._table.transact_guarded(
            [
                {"Put": put},
                Guarded({"Put": _plan_put(plan_after, plan_before.rev)}, moved),
                *(extra or []),
            ],
            Conflict("The task changed meanwhile; read the task again."),
        )

    def save_staffing(self, before: Task, after: Task, plan_before: Plan, plan_after: Plan) -> None:
        """A task staffed by hand, its plan's count of unstaffed tasks, and the inspectors'
        pointers (the new ones written, the draw's eligible ones removed), in one transaction."""
        steps = [
            {
                "Put": {
                    "Item": {
                        "pk": f"MYTASKS#{staff}",
                        "sk": f"T#{after.task_id}",
                        "plan_id": after.plan_id,
                        "order": after.order,
                    }
                }
            }
            for staff in after.staff
        ]
        steps += [
            {"Delete": {"Key": {"pk": f"MYTASKS#{staff}", "sk": f"T#{after.task_id}"}}}
            for staff in set(before.staff) - set(after.staff)
        ]
        self.save_task(before, after, plan_before, plan_after, [Guarded(p, _NEVER) for p in steps])

    def due_tasks(self, county: str, before: str, limit: int) -> list[Task]:
        """Assigned tasks not yet escalated whose due date is before `before` (YYYY-MM-DD)."""
        page = self._table.query(
            f"INSPDUE#{county}", index="gsi2", sk_between=("0", before), limit=limit
        )
        return [Task.model_validate(raw["task"]) for raw in page.items]

    def results(self, county: str, limit: int, start: dict[str, Any] | None) -> Page[Task]:
        """Tasks with a recorded result, newest first."""
        page = self._table.query(
            f"INSPRESULTS#{county}", index="gsi1", forward=False, limit=limit, start_key=start
        )
        return Page(
            items=[Task.model_validate(raw["task"]) for raw in page.items], last_key=page.last_key
        )
