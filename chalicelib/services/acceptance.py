"""Staff-side use cases before review: the acceptance queue, reading a case with download
links, and the one-window decision (accept / supplement once / not accept)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from chalicelib.clock import Clock
from chalicelib.domain.application import (
    ACCEPTANCE_WINDOW,
    AcceptanceDecision,
    Application,
    ApplicationPage,
    ApplicationView,
    DocumentStatus,
    Status,
    SupplementItem,
    TimelineEvent,
)
from chalicelib.domain.calendar import BEIJING, beijing_date
from chalicelib.domain.identity import Role, StaffMember
from chalicelib.errors import Conflict, FieldError, Forbidden, InvalidInput
from chalicelib.http.cursor import CursorCodec
from chalicelib.observability import logger, metrics
from chalicelib.services import application_views as views
from chalicelib.services.cases import application_page, event, load_for_staff, staff_actor
from chalicelib.services.reference import ReferenceData
from chalicelib.settings import Settings
from chalicelib.store.cases import CaseBundle, CaseStore
from chalicelib.store.documents import DocumentStorage, object_key
from chalicelib.store.workflow import ApprovalWorkflow


class AcceptanceService:
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
            f"acceptance|{staff.department}",
            cursor,
            limit,
            self._cases.acceptance_queue,
        )

    def view(self, staff: StaffMember, case_id: str) -> ApplicationView:
        """The case with personal numbers masked and a short-lived download link per clean
        document; issuing the links is recorded on the timeline."""
        bundle = load_for_staff(self._cases, self._reference, case_id, staff)
        app = bundle.application
        urls = {
            d.document_id: self._storage.download_url(
                object_key(case_id, d.document_id), d.filename, d.content_type, d.version_id
            )
            for d in bundle.documents
            if d.status is DocumentStatus.CLEAN
        }
        events = bundle.events
        if urls:
            opened = event(
                self._clock,
                "documents_accessed",
                f"{staff.name} 查阅材料（{len(urls)} 份）",
                f"{staff.staff_id} opened {len(urls)} document(s)",
                staff_actor(staff),
                documents=sorted(urls),
            )
            self._cases.append_event(case_id, opened)
            events = [*events, opened]
        return views.bundle_view(
            CaseBundle(app, events, bundle.documents, bundle.tasks),
            "staff",
            self._reference,
            self._clock,
            download_urls=urls,
        )

    def decide(
        self, staff: StaffMember, case_id: str, decision: AcceptanceDecision
    ) -> ApplicationView:
        self._require_clerk(staff)
        bundle = load_for_staff(self._cases, self._reference, case_id, staff)
        app = bundle.application
        if decision.decision == "accept" and app.status is Status.ACCEPTED:
            # This clerk's accept whose workflow start did not finish: finish it (starting is
            # idempotent). Another clerk's accept in flight is a conflict, as for any decision.
            accepted_by = next(
                (e.actor.id for e in reversed(bundle.events) if e.type == "accepted"), None
            )
            if accepted_by == staff.staff_id:
                return self._start_review(bundle, staff)
        if app.status is not Status.SUBMITTED:
            raise Conflict(
                f"The application is {app.status.value}: it is not waiting for acceptance "
                "(another clerk may have decided it)."
            )
        if decision.decision == "supplement":
            return self._request_supplement(bundle, staff, decision)
        if decision.decision == "not_accept":
            return self._not_accept(bundle, staff, decision)
        return self._accept(bundle, staff, decision)

    def _stop_clock(self, app: Application) -> Application:
        limits = app.limits
        if limits.running_since is None:
            return app
        used = limits.used_days + self._reference.calendar().working_days_between(
            limits.running_since, beijing_date(self._clock.now())
        )
        return app.model_copy(
            update={"limits": limits.model_copy(update={"used_days": used, "running_since": None})}
        )

    def _request_supplement(
        self, bundle: CaseBundle, staff: StaffMember, decision: AcceptanceDecision
    ) -> ApplicationView:
        app = bundle.application
        items: list[SupplementItem] = decision.materials or []
        known = {m.code for m in app.materials}
        errors = [
            FieldError(
                f"body.materials[{i}].material_code", "not a material of this item", "unknown"
            )
            for i, item in enumerate(items)
            if item.material_code not in known
        ]
        if errors:
            raise InvalidInput("The supplement lists unknown materials.", errors=errors)
        now = self._clock.now()
        stopped = self._stop_clock(app)
        after = stopped.model_copy(
            update={
                "status": Status.SUPPLEMENT_REQUIRED,
                "supplement": items,
                "supplement_requested_at": now,
                "limits": stopped.limits.model_copy(update={"paused": True}),
                "rev": app.rev + 1,
            }
        )
        listing = "；".join(
            f"{views.material_name(app, i.material_code)}：{i.reason}" for i in items
        )
        asked = event(
            self._clock,
            "supplement_requested",
            f"一次性告知补正：{listing}（计时暂停）",
            f"Supplement requested for {len(items)} material(s); the clock is paused",
            staff_actor(staff),
            comment=decision.comment,
            at=now,
            materials=[i.model_dump() for i in items],
        )
        self._cases.save(app, after, [asked])
        return self._staff_view(after, [*bundle.events, asked], bundle)

    def _not_accept(
        self, bundle: CaseBundle, staff: StaffMember, decision: AcceptanceDecision
    ) -> ApplicationView:
        app = bundle.application
        now = self._clock.now()
        stopped = self._stop_clock(app)
        after = stopped.model_copy(
            update={
                "status": Status.NOT_ACCEPTED,
                "decided_at": now,
                "not_accepted_reason": decision.reason,
                "rev": app.rev + 1,
            }
        )
        refused = event(
            self._clock,
            "not_accepted",
            f"不予受理：{decision.reason}",
            f"Not accepted: {decision.reason}",
            staff_actor(staff),
            comment=decision.comment,
            at=now,
        )
        self._cases.save(app, after, [refused])
        metrics.add_metric(name="ApplicationNotAccepted", unit="Count", value=1)
        return self._staff_view(after, [*bundle.events, refused], bundle)

    def _accept(
        self, bundle: CaseBundle, staff: StaffMember, decision: AcceptanceDecision
    ) -> ApplicationView:
        app = bundle.application
        now = self._clock.now()
        today = beijing_date(now)
        calendar = self._reference.calendar()
        stopped = self._stop_clock(app)
        promised = calendar.add_working_days(today, app.limits.promised_days)
        legal = calendar.add_working_days(today, app.limits.legal_days)
        limits = stopped.limits.model_copy(
            update={
                "promised_due": promised,
                "legal_due": legal,
                "acceptance_used_days": stopped.limits.used_days,
                "used_days": 0,
                "running_since": today,
                "estimated": calendar.estimated(promised, legal),
            }
        )
        after = stopped.model_copy(
            update={
                "status": Status.ACCEPTED,
                "decided_at": now,
                "limits": limits,
                "rev": app.rev + 1,
            }
        )
        accepted = event(
            self._clock,
            "accepted",
            f"已受理，承诺办结期限 {promised.isoformat()}（法定 {legal.isoformat()}）",
            f"Accepted; promised by {promised.isoformat()} (legal limit {legal.isoformat()})",
            staff_actor(staff),
            comment=decision.comment,
            at=now,
            promised_due=promised.isoformat(),
            legal_due=legal.isoformat(),
        )
        self._cases.save(app, after, [accepted])
        metrics.add_metric(name="ApplicationAccepted", unit="Count", value=1)
        return self._start_review(
            CaseBundle(after, [*bundle.events, accepted], bundle.documents), staff
        )

    def _start_review(self, bundle: CaseBundle, staff: StaffMember) -> ApplicationView:
        """Starts the parallel-review execution (named after the case, so never twice) and
        moves the case into review."""
        app = bundle.application
        if self._workflow is None:
            raise RuntimeError("BIANMIN_STATE_MACHINE_ARN is not set")
        timeout = self._review_timeout(app)
        execution = self._workflow.start(
            app.application_id,
            {
                "case_id": app.application_id,
                "departments": app.review_departments,
                "rule": app.review_rule,
                "review_timeout_seconds": timeout,
            },
        )
        logger.info("approval workflow started", extra={"case_id": app.application_id})
        after = app.model_copy(
            update={"status": Status.IN_REVIEW, "execution_name": execution, "rev": app.rev + 1}
        )
        started = event(
            self._clock,
            "review_started",
            "并联审批开始：" + "、".join(self._department_names(app.review_departments)),
            "Parallel review started: " + ", ".join(app.review_departments),
            staff_actor(staff),
            departments=app.review_departments,
            rule=app.review_rule,
        )
        try:
            self._cases.save(app, after, [started])
        except Conflict:
            current = self._cases.load(app.application_id)
            if current is not None and current.application.status is Status.IN_REVIEW:
                return self._staff_view(current.application, current.events, current)
            raise
        return self._staff_view(after, [*bundle.events, started], bundle)

    def _review_timeout(self, app: Application) -> int:
        """Seconds a review task may wait: until the end of its due working day in Beijing
        (so weekends and holidays do not escalate early), or, with a shortened day for
        drills and tests, promised days × BIANMIN_REVIEW_SECONDS_PER_DAY."""
        per_day = self._settings.review_seconds_per_day
        if per_day < 86_400 or app.limits.promised_due is None:
            return max(app.limits.promised_days, 1) * per_day
        due = max(
            app.limits.promised_due,
            self._reference.calendar().add_working_days(beijing_date(self._clock.now()), 1),
        )
        end = datetime.combine(due + timedelta(days=1), time.min, tzinfo=BEIJING)
        return max(int((end - self._clock.now()).total_seconds()), 60)

    def _department_names(self, codes: list[str]) -> list[str]:
        departments = self._reference.departments()
        return [departments[c].name if c in departments else c for c in codes]

    def _staff_view(
        self, app: Application, events: list[TimelineEvent], bundle: CaseBundle
    ) -> ApplicationView:
        return views.bundle_view(
            CaseBundle(app, events, bundle.documents, bundle.tasks),
            "staff",
            self._reference,
            self._clock,
        )
