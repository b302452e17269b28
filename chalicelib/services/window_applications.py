"""Applications filed at a service hall for a walk-in visitor (channel `window`), or by the
citizen at a self-service terminal (channel `terminal`): the draft, the scanned materials
(the same presigned POST and scan consumer as a citizen's uploads) and the submission to the
acceptance queue — where it waits with the online ones."""

from __future__ import annotations

from typing import Self

from chalicelib.auth.tokens import TokenIssuer
from chalicelib.domain.application_api import ApplicationView, DocumentUpload, DocumentView
from chalicelib.domain.application_parts import (
    ApplicationChannel,
    DocumentRequest,
    DocumentStatus,
    Status,
)
from chalicelib.domain.identity import StaffMember
from chalicelib.domain.window import (
    CITIZEN_TOKEN_FIELD,
    WindowApplicationCreate,
    at_desk,
    desk_actor,
    desk_keys,
)
from chalicelib.errors import Conflict, FieldError, InvalidInput, NotFound
from chalicelib.observability import metrics
from chalicelib.services import application_views as views
from chalicelib.services.application_submission import ApplicationSubmission
from chalicelib.services.cases import event
from chalicelib.services.idempotency import Idempotent, daily_quota, key_guard, replayed
from chalicelib.services.window_visitors import signed_in_at, walk_in
from chalicelib.store.cases import CaseBundle

# A window files for many visitors a day: its quota is this many times a citizen's.
DESK_QUOTA_SCALE = 50
_VIA = {
    "window": ("窗口工作人员代来访群众创建申请", "Created at the window for a walk-in visitor"),
    "terminal": (
        "群众通过自助服务终端创建申请",
        "Created by the citizen at a self-service terminal",
    ),
}


class WindowApplications(ApplicationSubmission):
    _tokens: TokenIssuer | None = None

    def with_tokens(self, tokens: TokenIssuer) -> Self:
        """The citizens' token issuer, to check who signed in at a terminal."""
        self._tokens = tokens
        return self

    def file(
        self, staff: StaffMember, body: WindowApplicationCreate, key: str | None, fingerprint: str
    ) -> tuple[ApplicationView, bool]:
        """A draft owned by the visitor's citizen record (created if the phone never signed
        in). A retry with the same Idempotency-Key answers with the first one (False)."""
        retry = Idempotent.of(desk_keys(staff), key, fingerprint)
        if existing := replayed(self._keys, retry):
            return self._replayed_filing(staff, existing, body), False
        item = self._offered(body)
        if item.code[:6] != staff.county:
            raise InvalidInput(
                f"This hall files the items of its own county, {staff.county}.",
                errors=[FieldError("body.service_code", "another county's item", "other_county")],
            )
        if body.jurisdiction is None:  # where the visitor lives: by default, the hall's place
            body = body.model_copy(update={"jurisdiction": staff.jurisdiction})
        jurisdiction = self._jurisdiction(item, body)
        # Last, once the filing is known good: it may create the visitor's citizen record.
        walk = walk_in(
            staff, body.visitor, body.citizen_token, self._citizens, self._issuer, self._clock
        )
        now = self._clock.now()
        app = self._draft(item, body, jurisdiction, walk.citizen_id, now)
        app.channel = ApplicationChannel(walk.channel)
        app.hall = walk.hall
        app.filed_by = walk.actor
        zh, en = _VIA[walk.channel]
        created = event(
            self._clock,
            "created",
            f"{zh}：{item.name}",
            f"{en}: {item.name_en}",
            walk.actor,
            at=now,
            channel=walk.channel,
            hall=walk.hall,
            visitor=walk.served,
        )
        per_day = self._settings.applications_per_day
        limit = per_day * DESK_QUOTA_SCALE
        guards = [daily_quota(walk.key_owner, "applications", limit, now, "applications")]
        if walk.channel == "terminal":  # the citizen files: their own quota, as online
            guards.append(
                daily_quota(walk.citizen_id, "applications", per_day, now, "applications")
            )
        if retry is not None:
            guards.append(key_guard(retry, app.application_id, now))
        try:
            self._cases.create(app, created, guards)
        except Conflict:
            if existing := replayed(self._keys, retry):
                return self._replayed_filing(staff, existing, body), False
            raise
        metrics.add_metric(name="WalkInApplicationFiled", unit="Count", value=1)
        return self._view(CaseBundle(app, [created], []), "staff"), True

    def _replayed_filing(
        self, staff: StaffMember, case_id: str, body: WindowApplicationCreate
    ) -> ApplicationView:
        """The first filing of a retried one (a terminal's: still its citizen's only)."""
        signed_in = signed_in_at(
            staff, body.citizen_token, self._issuer, self._clock, "body.citizen_token"
        )
        return self.desk_view(staff, case_id, signed_in)

    @property
    def _issuer(self) -> TokenIssuer:
        if self._tokens is None:
            raise RuntimeError("WindowApplications needs with_tokens()")
        return self._tokens

    def signed_in(self, staff: StaffMember, token: str | None) -> str | None:
        """The citizen signed in at a terminal, by the token it sends with each call on what
        it filed (422 naming the header when missing or invalid); None for a clerk."""
        return signed_in_at(staff, token, self._issuer, self._clock, CITIZEN_TOKEN_FIELD)

    def desk_view(self, staff: StaffMember, case_id: str, signed_in: str | None) -> ApplicationView:
        return self._view(self._for_desk(staff, case_id, signed_in), "staff")

    def desk_document(
        self, staff: StaffMember, case_id: str, document_id: str, signed_in: str | None
    ) -> DocumentView:
        """One scanned material and its check."""
        bundle = self._for_desk(staff, case_id, signed_in)
        found = next((d for d in bundle.documents if d.document_id == document_id), None)
        if found is None or found.status is DocumentStatus.DELETED:
            raise NotFound(f"No document {document_id} on this application.")
        return views.document_view(bundle.application, found, masked=True)

    def request_upload(  # type: ignore[override]
        self,
        staff: StaffMember,
        case_id: str,
        request: DocumentRequest,
        signed_in: str | None,
    ) -> DocumentUpload:
        """A scanned paper material: registered, uploaded by presigned POST, checked by the
        scan consumer like any applicant's upload."""
        app = self._for_desk(staff, case_id, signed_in).application
        return self._register_document(app, request, desk_keys(staff))

    def submit(  # type: ignore[override]
        self,
        staff: StaffMember,
        case_id: str,
        key: str | None,
        fingerprint: str,
        signed_in: str | None,
    ) -> ApplicationView:
        """To the acceptance queue, once every required material's scan is clean; the
        printed receipt is issued then (a retry issues it if the first attempt did not)."""
        retry = Idempotent.of(desk_keys(staff), key, fingerprint)
        if replayed(self._keys, retry) is not None:
            bundle = self._for_desk(staff, case_id, signed_in)
            self._print_receipt(bundle, desk_actor(staff, bundle.application.owner_id))
            return self._view(bundle, "staff")
        bundle = self._for_desk(staff, case_id, signed_in)
        app = bundle.application
        if app.status is not Status.DRAFT:
            raise Conflict(
                f"Only a draft can be submitted; this application is {app.status.value}."
            )
        relied = self._check_materials(
            app, bundle.documents, [m.code for m in app.materials if m.required]
        )
        days = app.limits.acceptance_days
        actor = desk_actor(staff, app.owner_id)
        return self._to_acceptance_queue(
            bundle, "staff", app.owner_id, retry, days, relied, actor=actor
        )

    def _for_desk(self, staff: StaffMember, case_id: str, signed_in: str | None) -> CaseBundle:
        """A walk-in case of the desk's (`at_desk`: a terminal's while its owner is signed
        in at it); anyone else's: 404."""
        bundle = self._cases.load(case_id) if case_id.isalnum() and len(case_id) == 26 else None
        app = bundle.application if bundle else None
        if bundle is None or app is None:
            raise NotFound(f"No walk-in application {case_id}.")
        if not at_desk(
            staff,
            app.channel.value,
            app.county,
            app.filed_by,
            owner_id=app.owner_id,
            signed_in=signed_in,
        ):
            raise NotFound(f"No walk-in application {case_id}.")
        return bundle
