"""Sending an application in: submitting a draft (its materials checked, and checked still clean
in the same write), sending a supplement, withdrawing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

from chalicelib.domain.application import Application
from chalicelib.domain.application_api import ApplicationView
from chalicelib.domain.application_parts import Document, DocumentStatus, Status
from chalicelib.domain.moves import Actor
from chalicelib.errors import Conflict, FieldError, Forbidden
from chalicelib.observability import metrics
from chalicelib.services import application_views as views
from chalicelib.services.applications import ApplicationService
from chalicelib.services.cases import (
    case_moment,
    citizen_actor,
    load_for_citizen,
    working_copy,
)
from chalicelib.services.idempotency import Idempotent, key_guard, replayed
from chalicelib.store.cases import CaseBundle

if TYPE_CHECKING:
    from chalicelib.services.receipts import Receipts


class ApplicationSubmission(ApplicationService):
    _receipts: Receipts | None = None

    def print_receipts_with(self, receipts: Receipts) -> Self:
        """The walk-in receipts: a window or terminal case's printed receipt is issued when
        it is submitted (reading the receipt never writes)."""
        self._receipts = receipts
        return self

    def _print_receipt(self, bundle: CaseBundle, by: Actor) -> None:
        """The printed receipt of a submitted walk-in case, once (none for an online one)."""
        if self._receipts is not None:
            self._receipts.issue_printed(bundle, by)

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
            bundle, role, citizen_id, retry, app.limits.acceptance_days, relied
        )

    def _to_acceptance_queue(
        self,
        bundle: CaseBundle,
        role: str,
        citizen_id: str,
        retry: Idempotent | None,
        days: int,
        relied: list[Document],
        actor: Actor | None = None,
    ) -> ApplicationView:
        """Puts the case in (or back into) the acceptance queue with `days` working days for
        the desk; the clock runs again from today. `actor`: who sends it, when not the
        citizen (a window clerk for a walk-in visitor)."""
        app = bundle.application
        first = app.status is Status.DRAFT
        now = self._clock.now()
        when = case_moment(app, self._reference, now)
        calendar = self._reference.calendar(app.county)
        due = calendar.add_working_days(when.today, days)
        after = working_copy(app)
        by = actor or citizen_actor(app, citizen_id)
        events = after.submit(due, calendar.estimated(due), by, when)
        guards = [key_guard(retry, app.application_id, now)] if retry else []
        try:
            still_clean = {d.document_id: d for d in relied}.values()  # each item once
            extra = [self._cases.document_check(app.application_id, d) for d in still_clean]
            self._cases.save(app, after, events, extra=extra, guards=guards)
        except Conflict:
            if replayed(self._keys, retry) is not None:  # this same request, a moment earlier
                current = self._cases.load(app.application_id) or bundle
                self._print_receipt(current, by)
                return self._view(current, role)
            raise
        saved = CaseBundle(after, [*bundle.events, *events], bundle.documents, bundle.tasks)
        if first:
            metrics.add_metric(name="ApplicationSubmitted", unit="Count", value=1)
            self._print_receipt(saved, by)
        return self._view(saved, role)

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
        return self._to_acceptance_queue(bundle, role, citizen_id, retry, remaining, relied)

    def withdraw(self, citizen_id: str, case_id: str, reason: str | None) -> ApplicationView:
        bundle, role = load_for_citizen(self._cases, case_id, citizen_id)
        app = bundle.application
        if role != "applicant":
            raise Forbidden("Only the applicant can withdraw an application.")
        after = working_copy(app)
        events = after.withdraw(
            citizen_actor(app, citizen_id),
            case_moment(app, self._reference, self._clock.now()),
            reason,
        )
        self._cases.save(app, after, events)
        return self._view(CaseBundle(after, [*bundle.events, *events], bundle.documents), role)
