"""Shaping an application for whoever reads it: the applicant sees everything; an agent and
staff see ID numbers and phones masked."""

from __future__ import annotations

from datetime import datetime

from chalicelib.clock import Clock
from chalicelib.domain.applicant import MailDelivery
from chalicelib.domain.application import Application
from chalicelib.domain.application_api import (
    AgentView,
    ApplicationSummary,
    ApplicationView,
    CertificateRef,
    DocumentView,
    Holder,
    NextAction,
    ServiceRef,
    Step,
    SupplementView,
    TimelinePage,
    TimelineQuery,
    TimeView,
)
from chalicelib.domain.application_parts import STATUS_LABELS, Document, DocumentStatus, Status
from chalicelib.domain.calendar import WorkingCalendar, beijing_date
from chalicelib.domain.common import Text
from chalicelib.domain.identity import mask_phone
from chalicelib.domain.moves import TimelineEvent
from chalicelib.domain.redaction import redact
from chalicelib.domain.reference import Department
from chalicelib.domain.review import TASK_LABELS, DeliveryState, ReviewTask, TaskView
from chalicelib.paging import CursorCodec
from chalicelib.services.reference import ReferenceData
from chalicelib.services.request_views import masked_event
from chalicelib.services.timelines import latest_events, timeline_page
from chalicelib.store.cases import CaseBundle, CaseStore

WINDOW = Text(zh="县政务服务中心综合受理窗口", en="County one-window acceptance desk")


def label(status: Status) -> Text:
    zh, en = STATUS_LABELS[status]
    return Text(zh=zh, en=en)


def service_ref(app: Application) -> ServiceRef:
    return ServiceRef(
        code=app.service_code,
        name=app.service_name,
        name_en=app.service_name_en,
        version=app.service_version,
    )


def summary(app: Application) -> ApplicationSummary:
    return ApplicationSummary(
        id=app.application_id,
        number=app.number,
        status=app.status,
        status_label=label(app.status),
        service=service_ref(app),
        applicant_name=app.applicant.name,
        created_at=app.created_at,
        submitted_at=app.submitted_at,
    )


def material_name(app: Application, code: str) -> str:
    return next((m.name for m in app.materials if m.code == code), code)


def missing_materials(app: Application, documents: list[Document]) -> list[str]:
    """Required materials with no clean document."""
    clean = {d.material_code for d in documents if d.status is DocumentStatus.CLEAN}
    return [m.code for m in app.materials if m.required and m.code not in clean]


def time_view(app: Application, calendar: WorkingCalendar, now: datetime) -> TimeView:
    limits = app.limits
    today = beijing_date(now)
    used = limits.used_days
    if limits.running_since is not None:
        used += calendar.working_days_between(limits.running_since, today)
    due = None
    if app.status is Status.SUBMITTED:
        due = limits.acceptance_due
    elif app.status in (Status.ACCEPTED, Status.IN_REVIEW):
        due = limits.promised_due
    left = None
    overdue = False
    if due is not None:
        left = calendar.working_days_between(today, due)
        overdue = today > due
    return TimeView(
        acceptance_days=limits.acceptance_days,
        promised_days=limits.promised_days,
        legal_days=limits.legal_days,
        acceptance_due=limits.acceptance_due,
        promised_due=limits.promised_due,
        legal_due=limits.legal_due,
        used_days=used,
        acceptance_used_days=limits.acceptance_used_days,
        left_days=left,
        overdue=overdue,
        paused=limits.paused,
        estimated=limits.estimated,
    )


def _step(app: Application, documents: list[Document]) -> tuple[Step, NextAction | None]:
    applicant = Holder(kind="applicant", label=Text(zh="申请人", en="The applicant"))
    status = app.status
    if status is Status.DRAFT:
        missing = missing_materials(app, documents)
        pending = [d.material_code for d in documents if d.status is DocumentStatus.PENDING]
        if missing:
            text = Text(
                zh="请上传所需材料：" + "、".join(material_name(app, c) for c in missing),
                en="Upload the required materials, then submit.",
            )
            action = NextAction(code="upload_materials", text=text, materials=missing)
        elif pending:
            text = Text(zh="材料正在检查，请稍候。", en="Your documents are being checked.")
            action = NextAction(code="wait_for_checks", text=text, materials=pending)
        else:
            text = Text(zh="材料齐全，请提交申请。", en="All materials are in: submit.")
            action = NextAction(code="submit", text=text)
        return Step(name=Text(zh="网上申请", en="Apply online"), holder=applicant), action
    if status is Status.SUBMITTED:
        text = Text(zh="等待综合受理窗口审核材料。", en="Waiting for the acceptance desk.")
        holder = Holder(kind="window", departments=["zwfw"], label=WINDOW)
        return Step(name=Text(zh="综合受理", en="Acceptance"), holder=holder), NextAction(
            code="wait", text=text
        )
    if status is Status.SUPPLEMENT_REQUIRED:
        codes = [item.material_code for item in app.supplement or []]
        text = Text(
            zh="请一次性补正以下材料后重新提交：" + "、".join(material_name(app, c) for c in codes),
            en="Replace the listed materials, then send the supplement.",
        )
        return Step(name=Text(zh="补正材料", en="Supplement materials"), holder=applicant), (
            NextAction(code="supplement", text=text, materials=codes)
        )
    if status in (Status.ACCEPTED, Status.IN_REVIEW):
        holder = Holder(
            kind="departments",
            departments=list(app.review_departments),
            label=Text(zh="部门并联审批", en="Parallel review by the departments"),
        )
        text = Text(zh="部门审批中，请等待结果。", en="The departments are reviewing.")
        return Step(name=Text(zh="并联审批", en="Parallel review"), holder=holder), NextAction(
            code="wait", text=text
        )
    window = Holder(
        kind="window",
        departments=["zwfw"],
        label=Text(zh="县政务服务中心统一出件窗口", en="County unified issuance window"),
    )
    if status is Status.APPROVED:
        text = Text(zh="审批通过，等待统一出件。", en="Approved; the certificate is being issued.")
        return Step(name=Text(zh="统一出件", en="Issuance"), holder=window), NextAction(
            code="wait", text=text
        )
    if status is Status.ISSUED:
        state = app.delivery_state
        if state is not None and state.method == "pickup":
            text = Text(
                zh="请凭取件码到政务服务中心窗口领取证书。",
                en="Collect the certificate at the window with your pickup code.",
            )
            return Step(name=Text(zh="窗口领取", en="Pickup"), holder=applicant), NextAction(
                code="pick_up", text=text
            )
        text = Text(zh="证书已邮寄，请注意查收。", en="The certificate is in the post.")
        return Step(name=Text(zh="邮寄送达", en="In the post"), holder=window), NextAction(
            code="wait", text=text
        )
    if status is Status.COMPLETED and app.rating is None:
        text = Text(zh="已办结，请对本次服务作出评价。", en="Completed: please rate the service.")
        return Step(name=label(status)), NextAction(code="rate", text=text)
    return Step(name=label(status)), None


def task_view(task: ReviewTask, department_name: str) -> TaskView:
    zh, en = TASK_LABELS[task.status]
    return TaskView(
        task_id=task.task_id,
        department=task.department,
        department_name=department_name,
        status=task.status,
        status_label=Text(zh=zh, en=en),
        requested_at=task.requested_at,
        due=task.due,
        escalations=task.escalations,
        pressed=task.pressed,
        decided_at=task.decided_at,
        opinion=task.opinion,
        conditions=task.conditions,
    )


def document_view(
    app: Application, document: Document, url: str | None = None, *, masked: bool = False
) -> DocumentView:
    return DocumentView(
        document_id=document.document_id,
        material_code=document.material_code,
        material_name=material_name(app, document.material_code),
        filename=redact(document.filename) if masked else document.filename,
        content_type=document.content_type,
        size=document.size,
        status=document.status,
        reason=document.reason,
        requested_at=document.requested_at,
        checked_at=document.checked_at,
        download_url=url,
    )


def application_view(
    app: Application,
    events: list[TimelineEvent],
    documents: list[Document],
    *,
    role: str,
    calendar: WorkingCalendar,
    now: datetime,
    download_urls: dict[str, str] | None = None,
    tasks: list[ReviewTask] | None = None,
    departments: dict[str, Department] | None = None,
    older_events: str | None = None,
) -> ApplicationView:
    """`role`: applicant (sees everything), agent or staff: personal numbers masked — the
    applicant's own fields, and phone and ID numbers typed into any free text (the form's
    answers, the address, reasons, opinions, the timeline)."""
    full = role == "applicant"
    step, action = _step(app, documents)
    visible_docs = [d for d in documents if d.status is not DocumentStatus.DELETED]
    if not full:
        app = masked_application(app)
        events = [masked_event(e) for e in events]
        tasks = [masked_task(t) for t in tasks or []]
    return ApplicationView(
        id=app.application_id,
        number=app.number,
        status=app.status,
        status_label=label(app.status),
        service=service_ref(app),
        applicant=(app.applicant if full else app.applicant.masked()).model_dump(),
        form=app.form,
        delivery=(app.delivery if full else app.delivery.masked()).model_dump(mode="json"),
        jurisdiction=app.jurisdiction,
        created_at=app.created_at,
        submitted_at=app.submitted_at,
        decided_at=app.decided_at,
        time=time_view(app, calendar, now),
        current_step=step,
        next_action=action if role != "staff" else None,
        supplement=[
            SupplementView(
                material_code=i.material_code,
                material_name=material_name(app, i.material_code),
                reason=i.reason,
            )
            for i in app.supplement
        ]
        if app.supplement and app.status is Status.SUPPLEMENT_REQUIRED
        else None,
        not_accepted_reason=app.not_accepted_reason,
        documents=[
            document_view(app, d, (download_urls or {}).get(d.document_id), masked=not full)
            for d in visible_docs
        ],
        timeline=events,
        timeline_next_cursor=older_events,
        agents=[
            AgentView(
                agent_id=a.agent_id, agent_phone=mask_phone(a.agent_phone), granted_at=a.granted_at
            )
            for a in app.agents
        ]
        if full
        else None,
        reviews=[
            task_view(t, _department_name(t.department, departments))
            for t in sorted(tasks or [], key=lambda t: _review_order(app, t.department))
        ],
        certificate=CertificateRef(
            number=app.certificate.number,
            code=app.certificate.code,
            issued_at=app.certificate.issued_at,
            status=app.certificate.status,
            verify_path=f"/certificates/{app.certificate.code}",
        )
        if app.certificate
        else None,
        delivery_state=_delivery_state(app, role),
        completed_at=app.completed_at,
        on_time=app.on_time,
        rating=app.rating,
        rectification=app.rectification,
        your_role=role,
    )


def _department_name(code: str, departments: dict[str, Department] | None) -> str:
    return departments[code].name if departments and code in departments else code


def _review_order(app: Application, department: str) -> int:
    order = app.review_departments
    return order.index(department) if department in order else len(order)


def _delivery_state(app: Application, role: str) -> DeliveryState | None:
    """The pickup code is the applicant's alone: the window checks the code the collector
    tells it, so no staff member (nor an agent) reads it."""
    state = app.delivery_state
    if state is None or role == "applicant":
        return state
    return state.model_copy(update={"pickup_code": None})


def masked_answer(value: object) -> object:
    """A form answer as others read it: text redacted, and a number typed as a JSON number
    (a phone or an ID as digits) masked like the same digits in text."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, int) and not isinstance(value, bool):
        masked = redact(str(value))
        return value if masked == str(value) else masked
    return value


def masked_application(app: Application) -> Application:
    """The free text of an application as anyone but the applicant reads it."""
    delivery = app.delivery
    if isinstance(delivery, MailDelivery):
        address = delivery.address.model_copy(update={"detail": redact(delivery.address.detail)})
        delivery = delivery.model_copy(update={"address": address})
    update: dict[str, object] = {
        "form": {k: masked_answer(v) for k, v in app.form.items()},
        "delivery": delivery,
        "not_accepted_reason": redact(app.not_accepted_reason) if app.not_accepted_reason else None,
        "supplement": [n.model_copy(update={"reason": redact(n.reason)}) for n in app.supplement]
        if app.supplement
        else app.supplement,
    }
    if app.rating is not None and app.rating.comment:
        update["rating"] = app.rating.model_copy(update={"comment": redact(app.rating.comment)})
    if app.rectification is not None:
        update["rectification"] = app.rectification.model_copy(
            update={
                "measures": redact(app.rectification.measures or "") or None,
                "visit_note": redact(app.rectification.visit_note or "") or None,
            }
        )
    return app.model_copy(update=update)


def masked_task(task: ReviewTask) -> ReviewTask:
    return task.model_copy(
        update={
            "opinion": redact(task.opinion) if task.opinion else task.opinion,
            "conditions": [redact(c) for c in task.conditions],
        }
    )


def timeline_scope(case_id: str, role: str) -> str:
    return f"timeline|application|{case_id}|{'applicant' if role == 'applicant' else role}"


def timeline(
    cases: CaseStore, cursors: CursorCodec, case_id: str, role: str, query: TimelineQuery
) -> TimelinePage:
    """The case's events newest first, page by page (masked for anyone but the applicant)."""
    events, cursor = timeline_page(
        cursors,
        timeline_scope(case_id, role),
        query.cursor,
        query.limit,
        lambda limit, after: cases.timeline(case_id, limit, after),
    )
    if role != "applicant":
        events = [masked_event(e) for e in events]
    return TimelinePage(items=events, next_cursor=cursor)


def bundle_view(
    bundle: CaseBundle,
    role: str,
    reference: ReferenceData,
    clock: Clock,
    *,
    cursors: CursorCodec,
    download_urls: dict[str, str] | None = None,
) -> ApplicationView:
    """`application_view` of a loaded case, with the calendar and department names, and
    its latest events (a cursor pages back through the rest)."""
    window, older = latest_events(
        bundle.events, cursors, timeline_scope(bundle.application.application_id, role)
    )
    return application_view(
        bundle.application,
        window,
        bundle.documents,
        role=role,
        calendar=reference.calendar(),
        now=clock.now(),
        download_urls=download_urls,
        tasks=bundle.tasks,
        departments=reference.departments(),
        older_events=older,
    )
