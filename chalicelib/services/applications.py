"""Citizen-side use cases of an application: create, documents, submit, supplement,
withdraw, agents, and reading it back."""

from __future__ import annotations

from typing import Any

from chalicelib.clock import Clock
from chalicelib.domain.application import (
    ACCEPTANCE_WINDOW,
    AgentGrant,
    Application,
    ApplicationCreate,
    ApplicationPage,
    ApplicationView,
    Document,
    DocumentList,
    DocumentRequest,
    DocumentStatus,
    DocumentUpload,
    DocumentView,
    MaterialRef,
    Status,
    TimeLimits,
    TimelinePage,
    TimelineQuery,
    UploadFormView,
)
from chalicelib.domain.calendar import beijing_date
from chalicelib.domain.identity import Citizen, mask_phone
from chalicelib.errors import Conflict, FieldError, Forbidden, NotFound
from chalicelib.ids import new_ulid
from chalicelib.observability import metrics
from chalicelib.paging import CursorCodec
from chalicelib.services import application_views as views
from chalicelib.services.cases import citizen_actor, event, load_for_citizen
from chalicelib.services.idempotency import Idempotent, daily_quota, key_guard, replayed
from chalicelib.services.reference import ReferenceData
from chalicelib.settings import Settings
from chalicelib.store.cases import CaseBundle, CaseStore
from chalicelib.store.catalogue import CatalogueStore
from chalicelib.store.documents import DocumentStorage, object_key
from chalicelib.store.identity import CitizenStore
from chalicelib.store.limits import IdempotencyStore
from chalicelib.store.table import decode_key, encode_key

MAX_DOCUMENTS = 60
MAX_AGENTS = 5
OPEN_FOR_DOCUMENTS = (Status.DRAFT, Status.SUPPLEMENT_REQUIRED)


class ApplicationService:
    def __init__(
        self,
        cases: CaseStore,
        catalogue: CatalogueStore,
        citizens: CitizenStore,
        reference: ReferenceData,
        storage: DocumentStorage,
        cursors: CursorCodec,
        clock: Clock,
        settings: Settings,
        keys: IdempotencyStore,
    ) -> None:
        self._settings = settings
        self._keys = keys
        self._cases = cases
        self._catalogue = catalogue
        self._citizens = citizens
        self._reference = reference
        self._storage = storage
        self._cursors = cursors
        self._clock = clock

    # reading -------------------------------------------------------------------------------
    def view(self, citizen_id: str, case_id: str) -> ApplicationView:
        bundle, role = load_for_citizen(self._cases, case_id, citizen_id)
        return self._view(bundle, role)

    def _view(self, bundle: CaseBundle, role: str) -> ApplicationView:
        return views.bundle_view(bundle, role, self._reference, self._clock, cursors=self._cursors)

    def timeline(self, citizen_id: str, case_id: str, query: TimelineQuery) -> TimelinePage:
        _, role = load_for_citizen(self._cases, case_id, citizen_id)
        return views.timeline(self._cases, self._cursors, case_id, role, query)

    def mine(self, citizen_id: str, role: str, limit: int, cursor: str | None) -> ApplicationPage:
        """The caller's applications (or those granted to them as agent), newest first."""
        scope = f"applications|{role}|{citizen_id}"
        start = decode_key(self._cursors.decode(cursor, scope)) if cursor else None
        if role == "agent":
            page = self._cases.granted(citizen_id, limit, start)
        else:
            page = self._cases.owned(citizen_id, limit, start)
        apps = page.items
        next_cursor = (
            self._cursors.encode(encode_key(page.last_key), scope) if page.last_key else None
        )
        return ApplicationPage(items=[views.summary(a) for a in apps], next_cursor=next_cursor)

    def document(self, citizen_id: str, case_id: str, document_id: str) -> DocumentView:
        bundle, role = load_for_citizen(self._cases, case_id, citizen_id)
        found = next((d for d in bundle.documents if d.document_id == document_id), None)
        if found is None or found.status is DocumentStatus.DELETED:
            raise NotFound(f"No document {document_id} on this application.")
        return views.document_view(bundle.application, found, masked=role != "applicant")

    def documents(self, citizen_id: str, case_id: str) -> DocumentList:
        bundle, role = load_for_citizen(self._cases, case_id, citizen_id)
        app = bundle.application
        return DocumentList(
            items=[
                views.document_view(app, d, masked=role != "applicant")
                for d in bundle.documents
                if d.status is not DocumentStatus.DELETED
            ]
        )

    # creating ------------------------------------------------------------------------------
    def create(
        self, citizen_id: str, request: ApplicationCreate, key: str | None, fingerprint: str
    ) -> tuple[ApplicationView, bool]:
        """A draft application. With an Idempotency-Key, repeating the request returns the
        application the first one created instead of creating another (False)."""
        retry = Idempotent.of(citizen_id, key, fingerprint)
        existing = replayed(self._keys, retry)
        if existing:
            return self.view(citizen_id, existing), False
        item = self._catalogue.current(request.service_code)
        if item is None:
            raise NotFound(
                "There is no such service item.",
                errors=[FieldError("body.service_code", "unknown service item", "unknown")],
            )
        if request.delivery.method not in item.delivery:
            offered = ", ".join(d.value for d in item.delivery)
            raise Conflict(
                f"This item is delivered by {offered} only.",
                errors=[FieldError("body.delivery.method", f"one of {offered}", "not_offered")],
            )
        tree = self._reference.jurisdictions()
        county = tree.roots()[0].code if tree.roots() else "370830"
        jurisdiction = request.jurisdiction or county
        if jurisdiction not in tree.nodes:
            raise NotFound(
                "No such jurisdiction.",
                errors=[FieldError("body.jurisdiction", "unknown jurisdiction", "unknown")],
            )
        now = self._clock.now()
        day = beijing_date(now).strftime("%Y%m%d")
        number = f"WS{day}-{self._cases.next_number(day):06d}"
        app = Application(
            application_id=new_ulid(now),
            number=number,
            owner_id=citizen_id,
            service_code=item.code,
            service_version=item.version,
            service_name=item.name,
            service_name_en=item.name_en,
            lead_department=item.lead_department,
            review_departments=list(item.review.departments),
            review_rule=item.review.rule.value,
            materials=[
                MaterialRef(code=m.code, name=m.name, name_en=m.name_en, required=m.required)
                for m in item.materials
            ],
            jurisdiction=jurisdiction,
            applicant=request.applicant,
            form=request.form,
            delivery=request.delivery,
            status=Status.DRAFT,
            created_at=now,
            limits=TimeLimits(
                acceptance_days=item.acceptance_days,
                promised_days=item.promised_days,
                legal_days=item.legal_days,
            ),
        )
        created = event(
            self._clock,
            "created",
            f"创建申请：{item.name}",
            f"Application created: {item.name_en}",
            citizen_actor(app, citizen_id),
            at=now,
        )
        guards = [
            daily_quota(
                citizen_id,
                "applications",
                self._settings.applications_per_day,
                now,
                "applications",
            )
        ]
        if retry is not None:
            guards.append(key_guard(retry, app.application_id, now))
        try:
            self._cases.create(app, created, guards)
        except Conflict:
            if existing := replayed(self._keys, retry):
                return self.view(citizen_id, existing), False
            raise
        metrics.add_metric(name="ApplicationCreated", unit="Count", value=1)
        return self._view(CaseBundle(app, [created], []), "applicant"), True

    # documents -----------------------------------------------------------------------------
    def request_upload(
        self, citizen_id: str, case_id: str, request: DocumentRequest
    ) -> DocumentUpload:
        bundle, _ = load_for_citizen(self._cases, case_id, citizen_id)
        app = bundle.application
        if app.status not in OPEN_FOR_DOCUMENTS:
            raise Conflict(f"Documents can be added only before submission ({app.status.value}).")
        if request.material_code not in {m.code for m in app.materials}:
            raise NotFound(
                f"{app.service_name_en} has no material {request.material_code}.",
                errors=[
                    FieldError(
                        "body.material_code",
                        "must be one of " + ", ".join(m.code for m in app.materials),
                        "unknown",
                    )
                ],
            )
        now = self._clock.now()
        document = Document(
            document_id=new_ulid(now),
            material_code=request.material_code,
            filename=request.filename,
            content_type=request.content_type,
            size=request.size,
            sha256=request.sha256,
            status=DocumentStatus.PENDING,
            requested_at=now,
            uploaded_by=citizen_id,
        )
        self._cases.put_document(case_id, document, MAX_DOCUMENTS)
        form = self._storage.upload_form(
            object_key(case_id, document.document_id),
            request.content_type,
            request.size,
            request.sha256,
        )
        return DocumentUpload(
            document=views.document_view(app, document),
            upload=UploadFormView(url=form.url, fields=form.fields, expires_in=form.expires_in),
        )

    def delete_document(self, citizen_id: str, case_id: str, document_id: str) -> None:
        bundle, role = load_for_citizen(self._cases, case_id, citizen_id)
        app = bundle.application
        document = next((d for d in bundle.documents if d.document_id == document_id), None)
        if document is None or document.status is DocumentStatus.DELETED:
            raise NotFound(f"No document {document_id} on this application.")
        if role != "applicant" and document.uploaded_by != citizen_id:
            raise Forbidden("An agent removes only the documents the agent uploaded.")
        if app.status not in OPEN_FOR_DOCUMENTS:
            raise Conflict("Documents cannot be removed once the application is submitted.")
        deleted = document.model_copy(update={"status": DocumentStatus.DELETED})
        removed = event(
            self._clock,
            "document_deleted",
            f"删除材料：{views.material_name(app, document.material_code)}",
            f"Document removed: {document.filename}",
            citizen_actor(app, citizen_id),
            document_id=document_id,
        )
        if not self._cases.update_document(
            case_id, deleted, document.status, removed, only_while_open=True
        ):
            raise Conflict("The document or the application changed meanwhile; reload it.")

    # submitting ----------------------------------------------------------------------------
    def _check_materials(
        self, app: Application, documents: list[Document], required: list[str], *, after: Any = None
    ) -> list[Document]:
        """Every code in `required` has a clean document (uploaded after `after`, if given):
        the documents relied on, which the submitting write checks are still clean (a
        concurrent delete must not leave a submitted case without its material)."""
        errors, pending, relied = [], [], []
        for code in required:
            candidates = [
                d
                for d in documents
                if d.material_code == code and (after is None or d.requested_at > after)
            ]
            clean = [d for d in candidates if d.status is DocumentStatus.CLEAN]
            if clean:
                relied.append(clean[-1])
                continue
            if any(d.status is DocumentStatus.PENDING for d in candidates):
                pending.append(code)
                continue
            rejected = [d.reason for d in candidates if d.status is DocumentStatus.REJECTED]
            why = f"rejected: {rejected[-1]}" if rejected else "no clean document uploaded"
            errors.append(FieldError(f"materials.{code}", why, "material_missing"))
        if errors:
            names = "、".join(views.material_name(app, e.field.split(".", 1)[1]) for e in errors)
            raise Conflict(f"Materials missing or rejected: {names}.", errors=errors)
        if pending:
            raise Conflict(
                "Some documents are still being checked: "
                + ", ".join(pending)
                + ". Retry shortly.",
                errors=[
                    FieldError(f"materials.{c}", "still being checked", "pending") for c in pending
                ],
            )
        return relied

    def submit(
        self, citizen_id: str, case_id: str, key: str | None, fingerprint: str
    ) -> ApplicationView:
        """Submits a draft whose required materials are all clean. A retry with the same
        Idempotency-Key answers with the case as it is now."""
        retry = Idempotent.of(citizen_id, key, fingerprint)
        if replayed(self._keys, retry) is not None:
            return self.view(citizen_id, case_id)
        bundle, role = load_for_citizen(self._cases, case_id, citizen_id)
        app = bundle.application
        if app.status is not Status.DRAFT:
            raise Conflict(
                f"Only a draft can be submitted; this application is {app.status.value}."
            )
        relied = self._check_materials(
            app, bundle.documents, [m.code for m in app.materials if m.required]
        )
        return self._to_acceptance_queue(
            bundle, role, citizen_id, retry, app.limits.acceptance_days, relied, first=True
        )

    def _to_acceptance_queue(
        self,
        bundle: CaseBundle,
        role: str,
        citizen_id: str,
        retry: Idempotent | None,
        days: int,
        relied: list[Document],
        *,
        first: bool,
    ) -> ApplicationView:
        """Puts the case in (or back into) the acceptance queue with `days` working days for
        the desk; the clock runs again from today."""
        app = bundle.application
        now = self._clock.now()
        today = beijing_date(now)
        calendar = self._reference.calendar()
        due = calendar.add_working_days(today, days)
        limits = app.limits.model_copy(
            update={
                "acceptance_due": due,
                "running_since": today,
                "paused": False,
                "estimated": calendar.estimated(due),
            }
        )
        moment = {"submitted_at": now} if first else {"resubmitted_at": now}
        after = app.model_copy(
            update={"status": Status.SUBMITTED, "limits": limits, "rev": app.rev + 1, **moment}
        )
        actor = citizen_actor(app, citizen_id)
        if first:
            note = event(
                self._clock,
                "submitted",
                f"提交申请，受理期限 {due.isoformat()}",
                f"Submitted; acceptance due {due.isoformat()}",
                actor,
                at=now,
                acceptance_due=due.isoformat(),
                holder=ACCEPTANCE_WINDOW,
            )
        else:
            note = event(
                self._clock,
                "supplemented",
                f"补正材料已提交，计时恢复，受理期限 {due.isoformat()}",
                f"Supplement sent; the clock resumes, acceptance due {due.isoformat()}",
                actor,
                at=now,
                materials=[i.material_code for i in app.supplement or []],
            )
        guards = [key_guard(retry, app.application_id, now)] if retry else []
        try:
            still_clean = {d.document_id: d for d in relied}.values()  # each item once
            extra = [self._cases.document_check(app.application_id, d) for d in still_clean]
            self._cases.save(app, after, [note], extra=extra, guards=guards)
        except Conflict:
            if replayed(self._keys, retry) is not None:  # this same request, a moment earlier
                return self.view(citizen_id, app.application_id)
            raise
        if first:
            metrics.add_metric(name="ApplicationSubmitted", unit="Count", value=1)
        return self._view(
            CaseBundle(after, [*bundle.events, note], bundle.documents, bundle.tasks), role
        )

    def send_supplement(
        self, citizen_id: str, case_id: str, key: str | None, fingerprint: str
    ) -> ApplicationView:
        retry = Idempotent.of(citizen_id, key, fingerprint)
        if replayed(self._keys, retry) is not None:
            return self.view(citizen_id, case_id)
        bundle, role = load_for_citizen(self._cases, case_id, citizen_id)
        app = bundle.application
        if app.status is not Status.SUPPLEMENT_REQUIRED:
            raise Conflict("No supplement was requested for this application.")
        listed = [item.material_code for item in app.supplement or []]
        relied = [
            *self._check_materials(
                app, bundle.documents, listed, after=app.supplement_requested_at
            ),
            *self._check_materials(
                app, bundle.documents, [m.code for m in app.materials if m.required]
            ),
        ]
        remaining = max(app.limits.acceptance_days - app.limits.used_days, 0)
        return self._to_acceptance_queue(
            bundle, role, citizen_id, retry, remaining, relied, first=False
        )

    def withdraw(self, citizen_id: str, case_id: str, reason: str | None) -> ApplicationView:
        bundle, role = load_for_citizen(self._cases, case_id, citizen_id)
        app = bundle.application
        if role != "applicant":
            raise Forbidden("Only the applicant can withdraw an application.")
        if app.status not in (Status.DRAFT, Status.SUBMITTED, Status.SUPPLEMENT_REQUIRED):
            raise Conflict(f"An application that is {app.status.value} can no longer be withdrawn.")
        now = self._clock.now()
        limits = app.limits
        if limits.running_since is not None:
            used = limits.used_days + self._reference.calendar().working_days_between(
                limits.running_since, beijing_date(now)
            )
            limits = limits.model_copy(update={"used_days": used, "running_since": None})
        after = app.model_copy(
            update={
                "status": Status.WITHDRAWN,
                "decided_at": now,
                "limits": limits,
                "rev": app.rev + 1,
            }
        )
        withdrawn = event(
            self._clock,
            "withdrawn",
            "申请人撤回申请",
            "Withdrawn by the applicant",
            citizen_actor(app, citizen_id),
            comment=reason,
            at=now,
        )
        self._cases.save(app, after, [withdrawn])
        return self._view(CaseBundle(after, [*bundle.events, withdrawn], bundle.documents), role)

    # agents --------------------------------------------------------------------------------
    def grant_agent(self, citizen_id: str, case_id: str, agent_phone: str) -> ApplicationView:
        bundle, role = load_for_citizen(self._cases, case_id, citizen_id)
        app = bundle.application
        if role != "applicant":
            raise Forbidden("Only the applicant can grant an agent access.")
        if app.status in (Status.WITHDRAWN, Status.NOT_ACCEPTED, Status.COMPLETED, Status.DENIED):
            raise Conflict("The application is closed.")
        now = self._clock.now()
        agent = self._citizens.by_phone(agent_phone) or self._citizens.create(
            Citizen(citizen_id=new_ulid(now), phone=agent_phone, created_at=now.isoformat())
        )
        if agent.citizen_id == app.owner_id:
            raise Conflict(
                "You cannot be your own agent.",
                errors=[FieldError("body.agent_phone", "is the applicant's own phone", "self")],
            )
        if app.has_agent(agent.citizen_id):
            return self._view(bundle, role)
        if len(app.agents) >= MAX_AGENTS:
            raise Conflict(f"An application has at most {MAX_AGENTS} agents; revoke one first.")
        consent = (
            f"申请人同意民事代办员（{mask_phone(agent_phone)}）代为上传材料、提交并查询本件。"
            " The applicant consents to the agent uploading, submitting and following this case."
        )
        grant = AgentGrant(
            agent_id=agent.citizen_id, agent_phone=agent_phone, granted_at=now, consent=consent
        )
        after = app.model_copy(update={"agents": [*app.agents, grant], "rev": app.rev + 1})
        granted = event(
            self._clock,
            "agent_granted",
            f"授权民事代办员 {mask_phone(agent_phone)}",
            f"Agent {mask_phone(agent_phone)} granted access",
            citizen_actor(app, citizen_id),
            comment=consent,
            at=now,
            agent_id=agent.citizen_id,
        )
        self._cases.save(app, after, [granted], extra=[self._cases.grant_op(case_id, grant)])
        return self._view(CaseBundle(after, [*bundle.events, granted], bundle.documents), role)

    def revoke_agent(self, citizen_id: str, case_id: str, agent_id: str) -> ApplicationView:
        bundle, role = load_for_citizen(self._cases, case_id, citizen_id)
        app = bundle.application
        if role != "applicant":
            raise Forbidden("Only the applicant can revoke an agent.")
        grant = next((a for a in app.agents if a.agent_id == agent_id), None)
        if grant is None:
            raise NotFound(f"No agent {agent_id} on this application.")
        after = app.model_copy(
            update={"agents": [a for a in app.agents if a.agent_id != agent_id], "rev": app.rev + 1}
        )
        revoked = event(
            self._clock,
            "agent_revoked",
            f"撤销民事代办员 {mask_phone(grant.agent_phone)} 的授权",
            f"Agent {mask_phone(grant.agent_phone)} revoked",
            citizen_actor(app, citizen_id),
            agent_id=agent_id,
        )
        self._cases.save(app, after, [revoked], extra=[self._cases.revoke_op(case_id, agent_id)])
        return self._view(CaseBundle(after, [*bundle.events, revoked], bundle.documents), role)
