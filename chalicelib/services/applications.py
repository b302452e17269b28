"""Citizen-side use cases of an application: create, documents, submit, supplement,
withdraw, agents, and reading it back."""

from __future__ import annotations

from datetime import datetime

from chalicelib.clock import Clock
from chalicelib.domain.applicant import CollectedDelivery, MailDelivery
from chalicelib.domain.application import Application
from chalicelib.domain.application_api import (
    ApplicationCreate,
    ApplicationPage,
    ApplicationView,
    DocumentList,
    DocumentUpload,
    DocumentView,
    TimelinePage,
    TimelineQuery,
    UploadFormView,
)
from chalicelib.domain.application_parts import (
    Document,
    DocumentRequest,
    DocumentStatus,
    MaterialRef,
    Status,
    TimeLimits,
)
from chalicelib.domain.calendar import beijing_date
from chalicelib.domain.catalogue import ServiceItem
from chalicelib.domain.county import County
from chalicelib.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
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
        item = self._offered(request)
        jurisdiction = self._jurisdiction(item, request)
        now = self._clock.now()
        app = self._draft(item, request, jurisdiction, citizen_id, now)
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

    def _offered(self, request: ApplicationCreate) -> ServiceItem:
        """The current version of the item applied for, if it delivers the way asked."""
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
        return item

    def _jurisdiction(self, item: ServiceItem, request: ApplicationCreate) -> str:
        """Where the application is filed: the one given, or the county whose item it is (a
        county's catalogue item is applied for in that county)."""
        county = item.code[:6]
        jurisdiction = request.jurisdiction or county
        if jurisdiction in self._reference.jurisdictions(county).nodes:
            return jurisdiction
        if self._reference.node(jurisdiction) is not None:
            raise InvalidInput(
                f"{item.code} is applied for in its own county, {county}.",
                errors=[FieldError("body.jurisdiction", f"not in county {county}", "other_county")],
            )
        raise NotFound(
            "No such jurisdiction.",
            errors=[FieldError("body.jurisdiction", "unknown jurisdiction", "unknown")],
        )

    def _draft(
        self,
        item: ServiceItem,
        request: ApplicationCreate,
        jurisdiction: str,
        citizen_id: str,
        now: datetime,
    ) -> Application:
        """A new draft of `item`, numbered by its county's case counter of the day."""
        day = beijing_date(now).strftime("%Y%m%d")
        county = self._reference.county_named(jurisdiction, "body.jurisdiction")
        sequence = self._cases.next_number(county.code, day)
        number = f"{county.case_prefix}{day}-{sequence:06d}"
        return Application(
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
            delivery=_addressed(request.delivery, county),
            status=Status.DRAFT,
            created_at=now,
            limits=TimeLimits(
                acceptance_days=item.acceptance_days,
                promised_days=item.promised_days,
                legal_days=item.legal_days,
            ),
        )

    # documents -----------------------------------------------------------------------------
    def request_upload(
        self, citizen_id: str, case_id: str, request: DocumentRequest
    ) -> DocumentUpload:
        bundle, _ = load_for_citizen(self._cases, case_id, citizen_id)
        return self._register_document(bundle.application, request, citizen_id)

    def _register_document(
        self, app: Application, request: DocumentRequest, uploaded_by: str
    ) -> DocumentUpload:
        """Registers a document of `app` (pending until the scan consumer checks the file)
        and returns the presigned POST to upload it with."""
        case_id = app.application_id
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
            uploaded_by=uploaded_by,
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
    # agents --------------------------------------------------------------------------------


def _addressed(
    delivery: MailDelivery | CollectedDelivery, county: County
) -> MailDelivery | CollectedDelivery:
    """A mailing address the applicant gave without its province, city or county lies in the
    county the case is filed in."""
    if not isinstance(delivery, MailDelivery):
        return delivery
    given = delivery.address
    address = given.model_copy(
        update={
            "province": given.province or county.province.name,
            "city": given.city or county.city.name,
            "county": given.county or county.name,
        }
    )
    return delivery.model_copy(update={"address": address})
