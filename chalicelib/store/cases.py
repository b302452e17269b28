"""Applications in DynamoDB: one item collection per case.

CASE#<id> / A              the root (status, limits, applicant …) with its index keys:
                           GSI1 OWNER#<citizen> newest first; GSI2 the acceptance queue while
                           submitted (oldest first);
                           GSI3 JUR#<county> / <jurisdiction>#<created>#<id> (see store/keys.py)
CASE#<id> / EV#<ulid>      timeline events, append-only (put if absent, never updated)
CASE#<id> / DOC#<id>       documents
CASE#<id> / GRANT#<agent>  an agent's access, also on GSI1 under AGENT#<agent>
CASE#<id> / COUNT#documents  documents registered and not deleted (bounded in the write)
CASE#<id> / ACCESS#<staff>#<day>  a staff member read the documents that day (one event)
COUNTER#APP#<county> / <yyyymmdd>  the county's application numbers of the day
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from chalicelib.domain.application import Application
from chalicelib.domain.application_parts import ACCEPTANCE_WINDOW, Document, Status, check_move
from chalicelib.domain.calendar import BEIJING
from chalicelib.domain.moves import TimelineEvent
from chalicelib.domain.review import ReviewTask, TaskStatus
from chalicelib.errors import Conflict
from chalicelib.store.case_parts import ROOT, CaseParts
from chalicelib.store.keys import (
    case_pk,
    event_put,
    involvement_item,
    jurisdiction_keys,
    timeline_page,
    utc_iso,
)
from chalicelib.store.refusals import is_conditional_failure
from chalicelib.store.table import Guarded, Page, Table


def acceptance_queue(county: str) -> str:
    """A county's one-window acceptance queue (each county's windows read their own)."""
    return f"QUEUE#acceptance#{ACCEPTANCE_WINDOW}#{county}"


def issuance_queue(county: str) -> str:
    return f"QUEUE#issuance#{ACCEPTANCE_WINDOW}#{county}"


def escalated_partition(county: str) -> str:
    """A county's escalated review tasks (GSI3), oldest escalation first."""
    return f"ESCALATED#{county}"


def review_queue(county: str, department: str) -> str:
    return f"QUEUE#review#{county}#{department}"


def rectification_queue(county: str, department: str) -> str:
    return f"QUEUE#rectification#{county}#{department}"


Start = dict[str, Any] | None  # where a page starts (a DynamoDB key), None: at the top
Apps = Page[Application]


@dataclass
class CaseBundle:
    application: Application
    events: list[TimelineEvent] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)
    tasks: list[ReviewTask] = field(default_factory=list)


def _root(raw: dict[str, Any]) -> Application:
    return Application.model_validate(raw["data"])


def involved_departments(app: Application) -> list[str]:
    return sorted({ACCEPTANCE_WINDOW, app.lead_department, *app.review_departments})


def _deadline(app: Application) -> str | None:
    """The end (Beijing midnight, as UTC) of the running limit's last day, while one runs."""
    limits = app.limits
    if app.status is Status.SUBMITTED:
        due = limits.acceptance_due
    elif app.status in (Status.ACCEPTED, Status.IN_REVIEW, Status.APPROVED, Status.ISSUED):
        due = limits.promised_due
    else:
        due = None
    if due is None:
        return None
    return utc_iso(datetime.combine(due + timedelta(days=1), time(0), tzinfo=BEIJING))


def root_item(app: Application) -> dict[str, Any]:
    item: dict[str, Any] = {
        "pk": case_pk(app.application_id),
        "sk": ROOT,
        "rev": app.rev,
        "status": app.status.value,
        "gsi1pk": f"OWNER#{app.owner_id}",
        "gsi1sk": app.application_id,
        "kind": "application",
        "category": app.service_code,
        "created": utc_iso(app.submitted_at or app.created_at),
        "departments": involved_departments(app),
        **jurisdiction_keys(app.jurisdiction, app.created_at, app.application_id),
        "data": app.model_dump(mode="json", exclude_none=True),
    }
    deadline = _deadline(app)
    if deadline is not None:
        item["deadline"] = deadline
    if app.status is Status.SUBMITTED and app.submitted_at is not None:
        item["gsi2pk"] = acceptance_queue(app.county)
        item["gsi2sk"] = f"{utc_iso(app.submitted_at)}#{app.application_id}"
    elif app.status is Status.APPROVED and app.reviews_done_at is not None:
        item["gsi2pk"] = issuance_queue(app.county)
        item["gsi2sk"] = f"{utc_iso(app.reviews_done_at)}#{app.application_id}"
    elif app.rectification is not None and app.rectification.status == "open":
        item["gsi2pk"] = rectification_queue(app.county, app.rectification.department)
        item["gsi2sk"] = f"{utc_iso(app.rectification.opened_at)}#{app.application_id}"
    return item


def task_item(task: ReviewTask) -> dict[str, Any]:
    item: dict[str, Any] = {
        "pk": case_pk(task.case_id),
        "sk": f"TASK#{task.department}",
        "status": task.status.value,
        "v": task.version,
        "data": task.model_dump(mode="json", exclude_none=True),
    }
    if task.status is TaskStatus.OPEN:
        item["gsi2pk"] = review_queue(task.county, task.department)
        item["gsi2sk"] = f"{utc_iso(task.requested_at)}#{task.task_id}"
        if task.escalated_at is not None:
            item["gsi3pk"] = escalated_partition(task.county)
            item["gsi3sk"] = f"{utc_iso(task.escalated_at)}#{task.task_id}"
    return item


class CaseStore(CaseParts):
    def __init__(self, table: Table) -> None:
        self._table = table

    # reads ---------------------------------------------------------------------------------
    def load(self, case_id: str) -> CaseBundle | None:
        """The root, its timeline (oldest first) and documents: one Query."""
        app = None
        events, documents, tasks = [], [], []
        for raw in self._table.query_all(case_pk(case_id), consistent=True):
            sk = raw["sk"]
            if sk == ROOT:
                app = Application.model_validate(raw["data"])
            elif sk.startswith("EV#"):
                events.append(TimelineEvent.model_validate(raw["data"]))
            elif sk.startswith("DOC#"):
                documents.append(Document.model_validate(raw["data"]))
            elif sk.startswith("TASK#"):
                tasks.append(ReviewTask.model_validate(raw["data"]))
        if app is None:
            return None
        return CaseBundle(app, events, documents, tasks)

    def application(self, case_id: str) -> Application | None:
        raw = self._table.get(case_pk(case_id), ROOT, consistent=True)
        return Application.model_validate(raw["data"]) if raw else None

    def _applications(self, key: str, index: str, limit: int, start: Start, **kw: Any) -> Apps:
        page = self._table.query(key, index=index, limit=limit, start_key=start, **kw)
        return Page([_root(raw) for raw in page.items], page.last_key)

    def owned(self, owner_id: str, limit: int, start: Start) -> Apps:
        return self._applications(f"OWNER#{owner_id}", "gsi1", limit, start, forward=False)

    def granted(self, agent_id: str, limit: int, start: Start) -> Apps:
        """The applications `agent_id` holds a grant on (and still does), newest first."""
        page = self._table.query(
            f"AGENT#{agent_id}", index="gsi1", forward=False, limit=limit, start_key=start
        )
        apps = self.roots([raw["gsi1sk"] for raw in page.items])
        return Page([a for a in apps if a.has_agent(agent_id)], page.last_key)

    def acceptance_queue(self, county: str, limit: int, start: Start) -> Apps:
        return self._applications(acceptance_queue(county), "gsi2", limit, start)

    def roots(self, case_ids: list[str]) -> list[Application]:
        """BatchGetItem of roots, in the order asked for."""
        items = self._table.batch_get([(case_pk(c), ROOT) for c in case_ids])
        found = {app.application_id: app for app in (_root(raw) for raw in items)}
        return [found[c] for c in case_ids if c in found]

    # writes --------------------------------------------------------------------------------
    def next_number(self, county: str, day: str) -> int:
        """The county's next application number of the day (one counter item per county)."""
        return self._table.next_in_sequence(f"COUNTER#APP#{county}", day)

    def create(self, app: Application, event: TimelineEvent, guards: list[Guarded]) -> None:
        """The new draft with its event and department markers, with its `guards` (the
        applicant's daily quota, the Idempotency-Key) in the same transaction."""
        operations: list[dict[str, Any] | Guarded] = [
            {"Put": {"Item": root_item(app), "ConditionExpression": "attribute_not_exists(pk)"}},
            event_put(app.application_id, event),
            *(
                {
                    "Put": {
                        "Item": involvement_item(
                            "application", app.county, d, app.created_at, app.application_id
                        )
                    }
                }
                for d in involved_departments(app)
            ),
            *guards,
        ]
        self._table.transact_guarded(
            operations, Conflict("The same request is being processed; retry shortly.")
        )

    def timeline(self, case_id: str, limit: int, after: str | None) -> Page[TimelineEvent]:
        return timeline_page(self._table, case_id, limit, after)

    def save(
        self,
        before: Application,
        after: Application,
        events: list[TimelineEvent],
        *,
        extra: list[dict[str, Any]] | None = None,
        guards: list[Guarded] | None = None,
    ) -> None:
        """Writes `after` only if the stored root is still `before` (same rev), with its
        events, in one transaction. A concurrent change makes this raise Conflict."""
        if after.rev != before.rev + 1:
            raise ValueError("save() needs after.rev == before.rev + 1")
        check_move(before.status, after.status)
        operations: list[dict[str, Any] | Guarded] = [
            {
                "Put": {
                    "Item": root_item(after),
                    "ConditionExpression": "#rev = :rev",
                    "ExpressionAttributeNames": {"#rev": "rev"},
                    "ExpressionAttributeValues": {":rev": before.rev},
                }
            },
            *(event_put(after.application_id, e) for e in events),
            *(extra or []),
            *(guards or []),
        ]
        if after.submitted_at is not None and before.submitted_at is None:
            # the departments' markers move to when the case was received, as `created` does
            operations.extend(
                {
                    "Put": {
                        "Item": involvement_item(
                            "application",
                            after.county,
                            d,
                            after.submitted_at,
                            after.application_id,
                        )
                    }
                }
                for d in involved_departments(after)
            )
        self._table.transact_guarded(
            operations,
            Conflict("The application changed meanwhile (someone else acted on it first)."),
        )

    def append_event(self, case_id: str, event: TimelineEvent) -> None:
        self._table.transact([event_put(case_id, event)])

    def record_access(self, case_id: str, marker: str, event: TimelineEvent) -> bool:
        """Puts `event` on the timeline once per `marker` (a staff member and a day): reading
        a case again and again does not grow its timeline. False if already recorded."""
        try:
            self._table.transact(
                [
                    {
                        "Put": {
                            "Item": {
                                "pk": case_pk(case_id),
                                "sk": f"ACCESS#{marker}",
                                "event_id": event.event_id,
                            },
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    event_put(case_id, event),
                ]
            )
        except Exception as exc:
            if is_conditional_failure(exc):
                return False
            raise
        return True

    # review tasks --------------------------------------------------------------------------
    def task(self, case_id: str, department: str) -> ReviewTask | None:
        raw = self._table.get(case_pk(case_id), f"TASK#{department}", consistent=True)
        return ReviewTask.model_validate(raw["data"]) if raw else None

    def tasks(self, case_id: str) -> list[ReviewTask]:
        items = self._table.query_all(case_pk(case_id), sk_prefix="TASK#", consistent=True)
        return [ReviewTask.model_validate(raw["data"]) for raw in items]

    @staticmethod
    def task_op(task: ReviewTask, expected: TaskStatus | None) -> dict[str, Any]:
        """Put a task if absent (expected None), or replace the version it was read at
        (task.version - 1) if its status is still `expected`: a writer holding a stale copy
        (an older token, fewer escalations) never overwrites a newer one."""
        put: dict[str, Any] = {"Item": task_item(task)}
        if expected is None:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            put["ConditionExpression"] = "#s = :expected AND #v = :read"
            put["ExpressionAttributeNames"] = {"#s": "status", "#v": "v"}
            put["ExpressionAttributeValues"] = {
                ":expected": expected.value,
                ":read": task.version - 1,
            }
        return {"Put": put}

    def write(
        self, operations: list[dict[str, Any]], events: list[tuple[str, TimelineEvent]]
    ) -> None:
        """One transaction of task/root operations plus timeline events; Conflict if any
        condition fails."""
        try:
            self._table.transact([*operations, *(event_put(c, e) for c, e in events)])
        except Exception as exc:
            if is_conditional_failure(exc):
                raise Conflict("The case changed meanwhile; reload it and try again.") from None
            raise

    @staticmethod
    def root_ops(before: Application, after: Application) -> list[dict[str, Any]]:
        """Transaction steps replacing the root read at `before.rev`, with its statistics
        (the move checked against the transition table)."""
        check_move(before.status, after.status)
        return [
            {
                "Put": {
                    "Item": root_item(after),
                    "ConditionExpression": "#rev = :rev",
                    "ExpressionAttributeNames": {"#rev": "rev"},
                    "ExpressionAttributeValues": {":rev": before.rev},
                }
            },
        ]

    def _tasks(self, key: str, index: str, limit: int, start: Start) -> Page[ReviewTask]:
        page = self._table.query(key, index=index, limit=limit, start_key=start)
        return Page([ReviewTask.model_validate(raw["data"]) for raw in page.items], page.last_key)

    def review_queue(
        self, county: str, department: str, limit: int, start: Start
    ) -> Page[ReviewTask]:
        return self._tasks(review_queue(county, department), "gsi2", limit, start)

    def escalated(self, county: str, limit: int, start: Start) -> Page[ReviewTask]:
        return self._tasks(escalated_partition(county), "gsi3", limit, start)

    def rectification_queue(self, county: str, department: str, limit: int, start: Start) -> Apps:
        return self._applications(rectification_queue(county, department), "gsi2", limit, start)

    def issuance_queue(self, county: str, limit: int, start: Start) -> Apps:
        return self._applications(issuance_queue(county), "gsi2", limit, start)

    # certificates --------------------------------------------------------------------------
