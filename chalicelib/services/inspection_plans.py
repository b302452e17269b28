"""Plans and draws of 双随机、一公开, with the seed's custody:

1. announce (a department head): the plan freezes its scope of the entity directory and its
   department's inspectors (an S3 object, `inputs.json`), publishes their hashes and the
   commitment to a secret seed the platform generated (os-level randomness; nobody chose
   it, and it is sealed in the table, served by no endpoint);
2. draw (the head, later — e.g. in a meeting the public may attend): the published
   procedure (`domain/draw_procedure.py`) over the sealed seed and the frozen inputs, whose
   hashes are checked first; one task per drawn entity, due after the plan's working days;
   the seed is revealed and the whole record (`proof.json`) published;
3. anyone recomputes it: `GET /public/inspections/plans/{id}/proof` and
   `python scripts/verify_draw.py <url>`.
"""

from __future__ import annotations

import json
import secrets
from collections import Counter
from datetime import date
from typing import Any

from chalicelib.clock import Clock
from chalicelib.domain import draw_procedure as procedure
from chalicelib.domain.calendar import beijing_date
from chalicelib.domain.identity import Role, StaffMember
from chalicelib.domain.inspection import InspectionEntity, InspectionItem
from chalicelib.domain.inspection_api import PublicPlan, PublicPlanPage
from chalicelib.domain.inspection_plan import (
    Plan,
    PlanFigures,
    PlanInput,
    PlanQuery,
    PlanStatus,
    Task,
)
from chalicelib.errors import Conflict, FieldError, Forbidden, NotFound
from chalicelib.ids import new_ulid
from chalicelib.observability import metrics
from chalicelib.paging import CursorCodec
from chalicelib.services.inspection_directory import InspectionDirectoryService
from chalicelib.services.reference import ReferenceData
from chalicelib.store.documents import DocumentStorage
from chalicelib.store.inspection_plans import InspectionPlanStore
from chalicelib.store.inspections import InspectionDirectoryStore

JSON_TYPE = "application/json"
# A draw runs within one API call (29 s): its tasks are written in transactions of 99 items.
MOST_TASKS = 2000


def inputs_key(plan_id: str) -> str:
    return f"inspections/{plan_id}/inputs.json"


def proof_key(plan_id: str) -> str:
    return f"inspections/{plan_id}/proof.json"


def draw_key(plan_id: str) -> str:
    return f"inspections/{plan_id}/draw.json"


def task_id(plan_id: str, order: int) -> str:
    return f"{plan_id}-{order:04d}"


class InspectionPlanService:
    def __init__(
        self,
        plans: InspectionPlanStore,
        directory: InspectionDirectoryStore,
        directories: InspectionDirectoryService,
        storage: DocumentStorage,
        reference: ReferenceData,
        cursors: CursorCodec,
        clock: Clock,
    ) -> None:
        self._plans = plans
        self._directory = directory
        self._directories = directories
        self._storage = storage
        self._reference = reference
        self._cursors = cursors
        self._clock = clock

    @staticmethod
    def _head_of(staff: StaffMember, department: str, where: str = "department") -> None:
        if staff.role is not Role.SUPERVISOR or staff.department != department:
            raise Forbidden(
                f"Only the head of department {department} announces and draws its plans.",
                errors=[FieldError(where, "another department's", "forbidden")],
            )

    def announce(self, staff: StaffMember, body: PlanInput) -> PublicPlan:
        county = staff.county
        item = self._directory.item(county, body.item_id)
        if item is None:
            raise NotFound(
                f"No inspection item {body.item_id} in the county's list.",
                errors=[FieldError("body.item_id", "not on the county's list", "unknown")],
            )
        self._head_of(staff, item.department, "body.item_id")
        ratio = body.ratio_permille or item.ratio_permille
        if ratio < item.ratio_permille:
            raise Conflict(
                f"The item asks for at least {item.ratio_permille} ‰.",
                errors=[FieldError("body.ratio_permille", f"below {item.ratio_permille}", "range")],
            )
        now = self._clock.now()
        today = beijing_date(now)
        entities = self._scope(county, item, body.townships)
        if procedure.sample_size(len(entities), ratio) > MOST_TASKS:
            raise Conflict(
                f"The plan would draw more than {MOST_TASKS} entities; split it by townships.",
                errors=[FieldError("body.townships", f"over {MOST_TASKS} tasks", "limit")],
            )
        inspectors = [
            i for i in self._directory.inspectors(county) if i.department == item.department
        ]
        frozen = _frozen(entities, inspectors, today)
        seed = secrets.token_hex(32)
        plan = Plan(
            plan_id=new_ulid(now),
            county=county,
            item_id=item.item_id,
            item_version=item.version,
            item_name=item.name,
            department=item.department,
            key_item=item.key_item,
            period_start=body.period_start,
            period_end=body.period_end,
            ratio_permille=ratio,
            townships=sorted(body.townships),
            inspectors_per_entity=body.inspectors_per_entity,
            task_days=body.task_days,
            status=PlanStatus.ANNOUNCED,
            commitment=procedure.commitment(seed),
            entities_hash=procedure.directory_hash(frozen["entities"], "credit_code"),
            inspectors_hash=procedure.directory_hash(frozen["inspectors"], "inspector_id"),
            last_inspections_hash=_hash(frozen["last_inspectors"]),
            population=len(entities),
            populations=dict(Counter(e.township for e in entities)),
            announced_at=now,
            announced_by=staff.staff_id,
        )
        self._storage.put(inputs_key(plan.plan_id), _json(frozen), JSON_TYPE)
        self._plans.announce(plan, seed)
        metrics.add_metric(name="InspectionPlanAnnounced", unit="Count", value=1)
        return PublicPlan.of(plan, procedure.PROCEDURE_VERSION)

    def _scope(
        self, county: str, item: InspectionItem, chosen: list[str]
    ) -> list[InspectionEntity]:
        """The entities of the plan's townships (all the county's if none are chosen) of the
        kind the item inspects."""
        townships = self._directories.townships(county)
        for index, code in enumerate(chosen):
            if code not in townships:
                raise NotFound(
                    f"No township {code} in this county.",
                    errors=[FieldError(f"body.townships[{index}]", "no such township", "unknown")],
                )
        entities = [
            e
            for township in chosen or townships
            for e in self._directory.township_entities(township)
            if e.kind is not None and item.takes(e.kind)
        ]
        if not entities:
            raise Conflict(
                "No entity of the directory falls within the plan's scope.",
                errors=[FieldError("body.townships", "no entity to draw from", "empty")],
            )
        return entities

    def draw(self, staff: StaffMember, plan_id: str) -> PublicPlan:
        plan = self._plan(plan_id)
        if plan.county != staff.county:
            raise NotFound(f"No plan {plan_id} in your county.")
        self._head_of(staff, plan.department)
        plan.check_drawable()
        if beijing_date(self._clock.now()) > plan.period_end:
            raise Conflict(
                "The plan's period is over; announce a new plan.",
                errors=[FieldError("period_end", "in the past", "range")],
            )
        seed = self._plans.sealed_seed(plan_id)
        stored = self._storage.read(inputs_key(plan_id))
        if seed is None or stored is None:
            raise Conflict("The plan's sealed inputs are missing; it cannot be drawn.")
        frozen = json.loads(stored.body)
        record = procedure.published_record(
            plan.procedure_plan(),
            seed,
            frozen["entities"],
            frozen["inspectors"],
            frozen["last_inspectors"],
        )
        published = {
            name: record[name]
            for name in ("entities_hash", "inspectors_hash", "last_inspections_hash", "commitment")
        }
        if published != {n: getattr(plan, n) for n in published}:
            raise Conflict("The frozen inputs no longer match their published hashes.")
        now = self._clock.now()
        due = self._reference.calendar(plan.county).add_working_days(
            beijing_date(now), plan.task_days
        )
        due = min(due, max(plan.period_end, beijing_date(now)))  # within the plan's period
        tasks = _tasks(plan, record["selections"], frozen.get("staff", {}), due)
        outputs = {k: v for k, v in record.items() if k not in procedure.INPUTS[2:]}
        self._storage.put(proof_key(plan_id), procedure.canonical_json(record), JSON_TYPE)
        self._storage.put(draw_key(plan_id), procedure.canonical_json(outputs), JSON_TYPE)
        self._plans.put_tasks(tasks)
        after = plan.model_copy(
            update={
                "status": PlanStatus.DRAWN,
                "seed": seed,
                "sample_size": record["sample_size"],
                "due": due,
                "drawn_at": now,
                "drawn_by": staff.staff_id,
                "figures": PlanFigures(
                    tasks=len(tasks),
                    unstaffed=sum(1 for t in tasks if t.unstaffed),
                    township_tasks=dict(Counter(t.township for t in tasks)),
                ),
                "rev": plan.rev + 1,
            }
        )
        self._plans.save_plan(plan, after)
        metrics.add_metric(name="InspectionPlanDrawn", unit="Count", value=1)
        return PublicPlan.of(after, procedure.PROCEDURE_VERSION, outputs)

    def _plan(self, plan_id: str) -> Plan:
        plan = self._plans.plan(plan_id)
        if plan is None:
            raise NotFound(f"No inspection plan {plan_id}.")
        return plan

    def staff_plan(self, staff: StaffMember, plan_id: str) -> PublicPlan:
        plan = self._plan(plan_id)
        if plan.county != staff.county:
            raise NotFound(f"No plan {plan_id} in your county.")
        return self._public(plan)

    def public_plan(self, plan_id: str) -> PublicPlan:
        return self._public(self._plan(plan_id))

    def _public(self, plan: Plan) -> PublicPlan:
        drawn = None
        if plan.status is PlanStatus.DRAWN:
            stored = self._storage.read(draw_key(plan.plan_id))
            drawn = json.loads(stored.body) if stored else None
        return PublicPlan.of(plan, procedure.PROCEDURE_VERSION, drawn)

    def page(self, query: PlanQuery) -> PublicPlanPage:
        county = self._reference.county_named(query.county, "query.county").code
        scope = f"plans|{county}"
        start = self._cursors.decode(query.cursor, scope) if query.cursor else None
        found = self._plans.plans(county, query.limit, start)
        cursor = self._cursors.encode(found.last_key, scope) if found.last_key else None
        items = [PublicPlan.of(p, procedure.PROCEDURE_VERSION) for p in found.items]
        return PublicPlanPage(items=items, next_cursor=cursor)

    def proof_url(self, plan_id: str) -> str:
        """A short-lived link to the published record (S3); drawn plans only."""
        plan = self._plan(plan_id)
        if plan.status is not PlanStatus.DRAWN:
            raise NotFound("The plan is not drawn yet: its proof is published with the draw.")
        return self._storage.download_url(proof_key(plan_id), f"draw-{plan_id}.json", JSON_TYPE)


def _tasks(
    plan: Plan, selections: list[dict[str, Any]], staff_of: dict[str, str], due: date
) -> list[Task]:
    """One task per drawn entity, to its inspectors (their staff ids: who records it)."""
    return [
        Task(
            task_id=task_id(plan.plan_id, s["order"]),
            plan_id=plan.plan_id,
            order=s["order"],
            county=plan.county,
            department=plan.department,
            item_id=plan.item_id,
            item_name=plan.item_name,
            credit_code=s["credit_code"],
            entity_name=s["name"],
            township=s["township"],
            inspectors=s["inspectors"],
            staff=list(dict.fromkeys(staff_of[i] for i in s["inspectors"] if i in staff_of)),
            unstaffed=bool(s.get("unstaffed")),
            due=due,
        )
        for s in selections
    ]


def _frozen(entities: list[InspectionEntity], inspectors: list[Any], today: Any) -> dict[str, Any]:
    """The inputs the draw will read: the procedure's fields of each record, sorted; and,
    outside what is hashed and published, the inspectors' staff ids (who gets each task)."""
    drawn = sorted((e.for_draw(today).to_dict() for e in entities), key=lambda r: r["credit_code"])
    people = sorted((i.for_draw().to_dict() for i in inspectors), key=lambda r: r["inspector_id"])
    last = {e.credit_code: sorted(set(e.last_inspectors)) for e in entities if e.last_inspectors}
    return {
        "entities": drawn,
        "inspectors": people,
        "last_inspectors": last,
        "staff": {i.inspector_id: i.staff_id for i in inspectors},
    }


def _hash(value: Any) -> str:
    import hashlib

    return hashlib.sha256(procedure.canonical_json(value)).hexdigest()


def _json(value: Any) -> bytes:
    return procedure.canonical_json(value)
