"""Staff-side use cases before review: the acceptance queue, reading a case with download
links, and the one-window decision (accept / supplement once / not accept)."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from chalicelib.clock import Clock
from chalicelib.domain.access import works_on_application
from chalicelib.domain.application import Application
from chalicelib.domain.application_api import (
    AcceptanceDecision,
    AcceptDecision,
    ApplicationPage,
    ApplicationView,
    NotAcceptDecision,
    SupplementDecision,
    TimelinePage,
    TimelineQuery,
)
from chalicelib.domain.application_parts import (
    ACCEPTANCE_WINDOW,
    CaseMoment,
    DocumentStatus,
    Status,
    SupplementItem,
    SupplementNote,
)
from chalicelib.domain.calendar import beijing_date
from chalicelib.domain.identity import Role, StaffMember
from chalicelib.domain.moves import TimelineEvent
from chalicelib.domain.notice import NoticeKind
from chalicelib.errors import Conflict, FieldError, Forbidden, NotFound
from chalicelib.observability import logger, metrics
from chalicelib.paging import CursorCodec
from chalicelib.services import application_views as views
from chalicelib.services.cases import (
    application_page,
    case_moment,
    event,
    load_for_staff,
    staff_actor,
    working_copy,
)
from chalicelib.services.notice_texts import NoticeFacts
from chalicelib.services.reference import ReferenceData
from chalicelib.services.review_start import review_timeout, start_review_execution
from chalicelib.settings import Settings
from chalicelib.store.cases import CaseBundle, CaseStore
from chalicelib.store.documents import DocumentStorage, object_key
from chalicelib.store.workflow import ApprovalWorkflow

if TYPE_CHECKING:
    from chalicelib.services.notices import NoticeService


class AcceptanceService:
    _notices: NoticeService | None = None

    def issue_notices_with(self, notices: NoticeService) -> AcceptanceService:
        """Each decision then writes its written notice (受理/不予受理/补正) with it."""
        self._notices = notices
        return self

    def _with_notice(
        self,
        kind: NoticeKind,
        after: Application,
        events: list[TimelineEvent],
        staff: StaffMember,
        facts: NoticeFacts | None = None,
    ) -> tuple[list[TimelineEvent], list[dict[str, Any]]]:
        """`events` with the notice's own, and the steps writing the notice with the move."""
        if self._notices is None:
            return events, []
        prepared = self._notices.prepare(
            kind, after, trigger=events[0], by=staff_actor(staff), facts=facts
        )
        return [*events, prepared.event], prepared.operations

    def __init__(
        self,
        cases: CaseStore,
        reference: ReferenceData,
        storage: DocumentStorage,
        workflow: ApprovalWorkflow | None,
        cursors: CursorCodec,
        clock: Clock,
        settings: Settings,
    ) -> None:
        self._cases = cases
        self._reference = reference
        self._storage = storage
        self._workflow = workflow
        self._cursors = cursors
        self._clock = clock
        self._settings = settings

    @staticmethod
    def _require_clerk(staff: StaffMember) -> None:
        if staff.role is not Role.CLERK or staff.department != ACCEPTANCE_WINDOW:
            raise Forbidden("Only the one-window acceptance clerks (综合受理窗口) do this.")

    def queue(self, staff: StaffMember, limit: int, cursor: str | None) -> ApplicationPage:
        """Applications waiting for acceptance, oldest submission first."""
        self._require_clerk(staff)
        return application_page(
            self._cursors,
            f"acceptance|{staff.department}|{staff.jurisdiction[:6]}",
            cursor,
            limit,
            functools.partial(self._cases.acceptance_queue, staff.jurisdiction[:6]),
        )

    def view(self, staff: StaffMember, case_id: str) -> ApplicationView:
        """The case with personal numbers masked and a short-lived download link per clean
        document. Reading the documents is recorded on the timeline once per staff member and
        day (each link issued is logged), so reading a case again does not grow it."""
        bundle = load_for_staff(self._cases, self._reference, case_id, staff)
        app = bundle.application
        urls = {
            d.document_id: self._storage.download_url(
                object_key(case_id, d.document_id), d.filename, d.content_type, d.version_id
            )
            for d in bundle.documents
            if d.status is DocumentStatus.CLEAN and works_on_application(staff, app)
        }
        events = bundle.events
        if urls:
            now = self._clock.now()
            opened = event(
                self._clock,
                "documents_accessed",
                f"{staff.name} 查阅材料（{len(urls)} 份）",
                f"{staff.staff_id} opened {len(urls)} document(s)",
                staff_actor(staff),
                at=now,
                documents=sorted(urls),
            )
            marker = f"{staff.staff_id}#{beijing_date(now):%Y%m%d}"
            if self._cases.record_access(case_id, marker, opened):
                events = [*events, opened]
            logger.info("documents opened", extra={"case_id": case_id, "staff": staff.staff_id})
        return views.bundle_view(
            CaseBundle(app, events, bundle.documents, bundle.tasks),
            "staff",
            self._reference,
            self._clock,
            cursors=self._cursors,
            download_urls=urls,
        )

    def timeline(self, staff: StaffMember, case_id: str, query: TimelineQuery) -> TimelinePage:
        load_for_staff(self._cases, self._reference, case_id, staff)
        return views.timeline(self._cases, self._cursors, case_id, "staff", query)

    def decide(
        self, staff: StaffMember, case_id: str, decision: AcceptanceDecision
    ) -> ApplicationView:
        self._require_clerk(staff)
        bundle = load_for_staff(self._cases, self._reference, case_id, staff)
        app = bundle.application
        choice = decision.root
        if isinstance(choice, AcceptDecision) and app.status is Status.ACCEPTED:
            # This clerk's accept whose workflow start did not finish: finish it (starting is
            # idempotent). Another clerk's accept in flight is a conflict, as for any decision.
            accepted_by = next(
                (e.actor.id for e in reversed(bundle.events) if e.type == "accepted"), None
            )
            if accepted_by == staff.staff_id:
                return self._start_review(bundle, staff)
        if isinstance(choice, SupplementDecision):
            return self._request_supplement(bundle, staff, choice)
        if isinstance(choice, NotAcceptDecision):
            return self._not_accept(bundle, staff, choice)
        return self._accept(bundle, staff, choice)

    def _request_supplement(
        self, bundle: CaseBundle, staff: StaffMember, decision: SupplementDecision
    ) -> ApplicationView:
        app = bundle.application
        known = {m.code for m in app.materials}
        errors = [
            FieldError(
                f"body.materials[{i}].material_code", "not a material of this item", "unknown"
            )
            for i, item in enumerate(decision.materials)
            if item.material_code not in known
        ]
        if errors:
            raise NotFound("The supplement lists materials this item does not have.", errors=errors)
        items = supplement_notes(decision.materials)
        listing = "；".join(
            f"{views.material_name(app, i.material_code)}：{i.reason}" for i in items
        )
        after = working_copy(app)
        events = after.ask_supplement(
            items, listing, staff_actor(staff), self._moment(app), decision.comment
        )
        facts = NoticeFacts(
            items=tuple(f"{views.material_name(app, i.material_code)}：{i.reason}" for i in items)
        )
        events, notice = self._with_notice(NoticeKind.SUPPLEMENT, after, events, staff, facts)
        self._cases.save(app, after, events, extra=notice)
        return self._staff_view(after, [*bundle.events, *events], bundle)

    def _not_accept(
        self, bundle: CaseBundle, staff: StaffMember, decision: NotAcceptDecision
    ) -> ApplicationView:
        app = bundle.application
        after = working_copy(app)
        events = after.refuse(
            decision.reason, staff_actor(staff), self._moment(app), decision.comment
        )
        facts = NoticeFacts(reason=decision.reason)
        events, notice = self._with_notice(NoticeKind.NON_ACCEPTANCE, after, events, staff, facts)
        self._cases.save(app, after, events, extra=notice)
        metrics.add_metric(name="ApplicationNotAccepted", unit="Count", value=1)
        return self._staff_view(after, [*bundle.events, *events], bundle)

    def _accept(
        self, bundle: CaseBundle, staff: StaffMember, decision: AcceptDecision
    ) -> ApplicationView:
        app = bundle.application
        when = self._moment(app)
        calendar = self._reference.calendar(app.county)
        promised = calendar.add_working_days(when.today, app.limits.promised_days)
        legal = calendar.add_working_days(when.today, app.limits.legal_days)
        after = working_copy(app)
        events = after.accept(
            promised,
            legal,
            calendar.estimated(promised, legal),
            staff_actor(staff),
            when,
            decision.comment,
        )
        events, notice = self._with_notice(NoticeKind.ACCEPTANCE, after, events, staff)
        self._cases.save(app, after, events, extra=notice)
        metrics.add_metric(name="ApplicationAccepted", unit="Count", value=1)
        return self._start_review(
            CaseBundle(after, [*bundle.events, *events], bundle.documents), staff
        )

    def _moment(self, app: Application) -> CaseMoment:
        return case_moment(app, self._reference, self._clock.now())

    def _start_review(self, bundle: CaseBundle, staff: StaffMember) -> ApplicationView:
        """Starts the parallel-review execution (named after the case, so never twice) and
        moves the case into review."""
        app = bundle.application
        if self._workflow is None:
            raise RuntimeError("BIANMIN_STATE_MACHINE_ARN is not set")
        timeout = review_timeout(app, self._settings, self._reference, self._clock.now())
        execution = start_review_execution(self._workflow, app, timeout)
        logger.info("approval workflow started", extra={"case_id": app.application_id})
        after = working_copy(app)
        started = after.start_review(
            execution,
            self._department_names(app.county, app.review_departments),
            staff_actor(staff),
            self._clock.now(),
        )
        try:
            self._cases.save(app, after, started)
        except Conflict:
            current = self._cases.load(app.application_id)
            if current is not None and current.application.status is Status.IN_REVIEW:
                return self._staff_view(current.application, current.events, current)
            raise
        return self._staff_view(after, [*bundle.events, *started], bundle)

    def _department_names(self, county: str, codes: list[str]) -> list[str]:
        departments = self._reference.departments(county)
        return [departments[c].name if c in departments else c for c in codes]

    def _staff_view(
        self, app: Application, events: list[TimelineEvent], bundle: CaseBundle
    ) -> ApplicationView:
        return views.bundle_view(
            CaseBundle(app, events, bundle.documents, bundle.tasks),
            "staff",
            self._reference,
            self._clock,
            cursors=self._cursors,
        )


def supplement_notes(items: list[SupplementItem]) -> list[SupplementNote]:
    """One note per material, in the order listed; a material listed twice keeps every
    reason given for it (一次性告知 says everything at once)."""
    reasons: dict[str, list[str]] = {}
    for item in items:
        reasons.setdefault(item.material_code, []).append(item.reason)
    return [SupplementNote(material_code=c, reason="；".join(r)) for c, r in reasons.items()]
