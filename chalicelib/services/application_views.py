"""Shaping an application for whoever reads it: the applicant sees everything; an agent and
staff see ID numbers and phones masked."""

from __future__ import annotations

from datetime import datetime

from chalicelib.clock import Clock
from chalicelib.domain.application import Application
from chalicelib.domain.application_api import (
    AgentView,
    ApplicationSummary,
    ApplicationView,
    CertificateRef,
    DocumentView,
    ServiceRef,
    SupplementView,
    TimelinePage,
    TimelineQuery,
    TimeView,
)
from chalicelib.domain.application_parts import Document, DocumentStatus, Status
from chalicelib.domain.calendar import WorkingCalendar, beijing_date
from chalicelib.domain.common import Text
from chalicelib.domain.identity import mask_phone
from chalicelib.domain.moves import TimelineEvent
from chalicelib.domain.redaction import redact
from chalicelib.domain.reference import Department
from chalicelib.domain.review import TASK_LABELS, ReviewTask, TaskView
from chalicelib.paging import CursorCodec
from chalicelib.services.application_masking import (
    delivery_state_for,
    masked_application,
    masked_task,
)
from chalicelib.services.application_steps import current_step, label, material_name
from chalicelib.services.reference import ReferenceData
from chalicelib.services.request_views import masked_event
from chalicelib.services.timelines import latest_events, timeline_page
from chalicelib.store.cases import CaseBundle, CaseStore


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
        channel=app.channel,
    )


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
    step, action = current_step(app, documents)
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
        supplement=_supplement_views(app),
        not_accepted_reason=app.not_accepted_reason,
        documents=[
            document_view(app, d, (download_urls or {}).get(d.document_id), masked=not full)
            for d in visible_docs
        ],
        timeline=events,
        timeline_next_cursor=older_events,
        agents=_agent_views(app) if full else None,
        reviews=_review_views(app, tasks or [], departments),
        certificate=_certificate_ref(app),
        delivery_state=delivery_state_for(app, role),
        completed_at=app.completed_at,
        on_time=app.on_time,
        rating=app.rating,
        rectification=app.rectification,
        your_role=role,
        channel=app.channel,
        hall=app.hall,
    )


def _agent_views(app: Application) -> list[AgentView]:
    return [
        AgentView(
            agent_id=a.agent_id, agent_phone=mask_phone(a.agent_phone), granted_at=a.granted_at
        )
        for a in app.agents
    ]


def _supplement_views(app: Application) -> list[SupplementView] | None:
    """What the supplement notice asks for, while it does."""
    if not app.supplement or app.status is not Status.SUPPLEMENT_REQUIRED:
        return None
    return [
        SupplementView(
            material_code=i.material_code,
            material_name=material_name(app, i.material_code),
            reason=i.reason,
        )
        for i in app.supplement
    ]


def _review_views(
    app: Application, tasks: list[ReviewTask], departments: dict[str, Department] | None
) -> list[TaskView]:
    """The review tasks in the order of the case's review departments."""
    order = app.review_departments

    def position(task: ReviewTask) -> int:
        return order.index(task.department) if task.department in order else len(order)

    return [
        task_view(t, _department_name(t.department, departments))
        for t in sorted(tasks, key=position)
    ]


def _certificate_ref(app: Application) -> CertificateRef | None:
    certificate = app.certificate
    if certificate is None:
        return None
    return CertificateRef(
        number=certificate.number,
        code=certificate.code,
        issued_at=certificate.issued_at,
        status=certificate.status,
        verify_path=f"/certificates/{certificate.code}",
    )


def _department_name(code: str, departments: dict[str, Department] | None) -> str:
    return departments[code].name if departments and code in departments else code


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
        calendar=reference.calendar(bundle.application.county),
        now=clock.now(),
        download_urls=download_urls,
        tasks=bundle.tasks,
        departments=reference.departments(bundle.application.county),
        older_events=older,
    )
