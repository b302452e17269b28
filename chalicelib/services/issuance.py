"""Unified issuance (统一出件): the certificate, its delivery, the applicant's rating, and the
public verification of a certificate."""

from __future__ import annotations

import functools
import hmac
import secrets
from collections.abc import Callable
from datetime import datetime

from chalicelib.clock import Clock
from chalicelib.context import public_url
from chalicelib.domain.applicant import Enterprise
from chalicelib.domain.application import Application
from chalicelib.domain.application_api import ApplicationPage, ApplicationView
from chalicelib.domain.application_parts import ACCEPTANCE_WINDOW, Status
from chalicelib.domain.calendar import beijing_date
from chalicelib.domain.catalogue import DeliveryMethod
from chalicelib.domain.identity import Role, StaffMember
from chalicelib.domain.inspection import Licence
from chalicelib.domain.review import (
    Certificate,
    CertificateLink,
    DeliveredRequest,
    DeliveryState,
    HandoverRequest,
    IssuanceRequest,
    RatingRequest,
    RectificationReport,
    TaskStatus,
)
from chalicelib.errors import Conflict, FieldError, Forbidden, NotFound
from chalicelib.observability import logger, metrics
from chalicelib.paging import CursorCodec
from chalicelib.services import application_views as views
from chalicelib.services.cases import (
    application_page,
    case_moment,
    citizen_actor,
    load_for_citizen,
    load_for_staff,
    staff_actor,
    working_copy,
)
from chalicelib.services.certificate_pdf import CertificateContent, render
from chalicelib.services.reference import ReferenceData
from chalicelib.store.cases import CaseBundle, CaseStore
from chalicelib.store.documents import DOWNLOAD_SECONDS, DocumentStorage

_CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
RECTIFICATION_DAYS = 5


# Enters a licensed enterprise in the directory of inspectable entities (services/inspection_
# directory.py: licence_issued): county, jurisdiction, credit code, name, licence.
LicenceHook = Callable[[str, str, str, str, Licence], None]


def mask_name(name: str, *, person: bool) -> str:
    """A person keeps only the surname's first character (王小明 → 王**); an enterprise
    keeps its first two and last two characters (山东凯鲁建设工程有限公司 → 山东*******公司)."""
    if person or len(name) <= 4:
        return name[:1] + "*" * max(len(name) - 1, 1)
    return name[:2] + "*" * (len(name) - 4) + name[-2:]


def certificate_key(case_id: str, code: str) -> str:
    """Per certificate: a concurrent, losing issuance never overwrites the issued PDF."""
    return f"certificates/{case_id}/{code}.pdf"


class IssuanceService:
    def __init__(
        self,
        cases: CaseStore,
        reference: ReferenceData,
        storage: DocumentStorage,
        cursors: CursorCodec,
        clock: Clock,
        public_url: str,
        licensed: LicenceHook | None = None,
    ) -> None:
        self._licensed = licensed
        self._cases = cases
        self._reference = reference
        self._storage = storage
        self._cursors = cursors
        self._clock = clock
        self._public_url = public_url

    @staticmethod
    def _require_issuer(staff: StaffMember) -> None:
        if staff.role is not Role.ISSUER or staff.department != ACCEPTANCE_WINDOW:
            raise Forbidden("Only the unified issuance window (统一出件窗口) does this.")

    def _view(self, bundle: CaseBundle, role: str) -> ApplicationView:
        return views.bundle_view(bundle, role, self._reference, self._clock, cursors=self._cursors)

    def queue(self, staff: StaffMember, limit: int, cursor: str | None) -> ApplicationPage:
        self._require_issuer(staff)
        return application_page(
            self._cursors,
            f"issuance|{staff.department}|{staff.jurisdiction[:6]}",
            cursor,
            limit,
            functools.partial(self._cases.issuance_queue, staff.jurisdiction[:6]),
        )

    def issue(self, staff: StaffMember, case_id: str, request: IssuanceRequest) -> ApplicationView:
        """Issues the certificate (a PDF in S3 with a public verification code) and starts its
        delivery: electronic completes at once; pickup gets a pickup code; mail needs a
        tracking number."""
        self._require_issuer(staff)
        bundle = load_for_staff(self._cases, self._reference, case_id, staff)
        app = bundle.application
        if app.status is not Status.APPROVED:
            raise Conflict(
                f"Only an approved application is issued; this one is {app.status.value}."
            )
        method = DeliveryMethod(app.delivery.method)
        if method is DeliveryMethod.MAIL and not request.tracking_number:
            raise Conflict(
                "Mail delivery needs the tracking number.",
                errors=[
                    FieldError("body.tracking_number", "required for mail delivery", "missing")
                ],
            )
        now = self._clock.now()
        certificate = self._certificate(bundle, now)
        delivery = _delivery_state(method, request, now)
        after = working_copy(app)
        events = after.issue(
            certificate,
            delivery,
            staff_actor(staff),
            case_moment(app, self._reference, now),
            request.comment,
        )
        self._cases.write(
            [*self._cases.root_ops(app, after), self._cases.certificate_op(certificate)],
            [(case_id, e) for e in events],
        )
        metrics.add_metric(name="CertificateIssued", unit="Count", value=1)
        self._licence_issued(app, certificate, now)
        return self._view(
            CaseBundle(after, [*bundle.events, *events], bundle.documents, bundle.tasks), "staff"
        )

    def _licence_issued(self, app: Application, certificate: Certificate, now: datetime) -> None:
        """An enterprise's licence enters the directory of inspectable entities (双随机). The
        certificate is issued whatever happens here: a failure is logged for the office."""
        if self._licensed is None or not isinstance(app.applicant, Enterprise):
            return
        licence = Licence(
            service_code=app.service_code, number=certificate.number, issued_on=beijing_date(now)
        )
        try:
            self._licensed(
                app.county, app.jurisdiction, app.applicant.credit_code, app.applicant.name, licence
            )
        except Exception:  # noqa: BLE001 - the directory must not undo an issued certificate
            logger.exception(
                "licence not entered in the directory", extra={"case": app.application_id}
            )

    def _certificate(self, bundle: CaseBundle, now: datetime) -> Certificate:
        """Numbers and renders the certificate (a PDF in S3, with its public verification
        code and the approving departments' opinions)."""
        app = bundle.application
        case_id = app.application_id
        year = str(beijing_date(now).year)
        county = self._reference.county_named(app.county, "jurisdiction")
        sequence = self._cases.next_certificate_number(county.code, year)
        number = f"{county.case_prefix}-{year}-{sequence:06d}"
        code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(12))
        departments = self._reference.departments(county.code)
        opinions = [
            (
                departments[t.department].name if t.department in departments else t.department,
                t.opinion or "",
            )
            for t in bundle.tasks
            if t.status is TaskStatus.APPROVED
        ]
        verify_url = f"{public_url(self._public_url)}/certificates/{code}"
        pdf = render(
            CertificateContent(
                title=app.service_name,
                number=number,
                holder=app.applicant.name,
                service=f"{app.service_name}（{app.service_code}）",
                issued_at=now,
                opinions=opinions,
                verify_code=code,
                verify_url=verify_url,
                issuer=county.issuer,
            )
        )
        key = certificate_key(case_id, code)
        self._storage.put(key, pdf, "application/pdf")
        certificate = Certificate(
            code=code,
            number=number,
            case_id=case_id,
            service_code=app.service_code,
            service_name=app.service_name,
            service_name_en=app.service_name_en,
            holder=mask_name(app.applicant.name, person=app.applicant.kind == "person"),
            issuer=county.issuer,
            issued_at=now,
            object_key=key,
        )
        return certificate

    def _deliver(
        self,
        staff: StaffMember,
        case_id: str,
        method: DeliveryMethod,
        *,
        code: str | None,
        received_by: str | None,
        comment: str | None,
    ) -> ApplicationView:
        self._require_issuer(staff)
        bundle = load_for_staff(self._cases, self._reference, case_id, staff)
        app = bundle.application
        state = app.delivery_state
        if app.status is not Status.ISSUED or state is None:
            raise Conflict(
                f"Nothing is waiting to be delivered; the application is {app.status.value}."
            )
        if state.method != method.value:
            raise Conflict(f"This certificate is delivered by {state.method}, not {method.value}.")
        if method is DeliveryMethod.PICKUP and not hmac.compare_digest(
            state.pickup_code or "", code or ""
        ):
            raise Conflict(
                "The pickup code does not match.",
                errors=[FieldError("body.pickup_code", "does not match", "mismatch")],
            )
        after = working_copy(app)
        events = after.deliver(received_by, staff_actor(staff), self._clock.now(), comment)
        self._cases.save(app, after, events)
        metrics.add_metric(name="ApplicationCompleted", unit="Count", value=1)
        return self._view(
            CaseBundle(after, [*bundle.events, *events], bundle.documents, bundle.tasks), "staff"
        )

    def handover(
        self, staff: StaffMember, case_id: str, request: HandoverRequest
    ) -> ApplicationView:
        return self._deliver(
            staff,
            case_id,
            DeliveryMethod.PICKUP,
            code=request.pickup_code,
            received_by=request.received_by,
            comment=None,
        )

    def delivered(
        self, staff: StaffMember, case_id: str, request: DeliveredRequest
    ) -> ApplicationView:
        return self._deliver(
            staff,
            case_id,
            DeliveryMethod.MAIL,
            code=None,
            received_by=None,
            comment=request.comment,
        )

    # citizens ------------------------------------------------------------------------------
    def certificate_link(self, citizen_id: str, case_id: str) -> CertificateLink:
        bundle, _ = load_for_citizen(self._cases, case_id, citizen_id)
        certificate = bundle.application.certificate
        if certificate is None:
            raise NotFound("No certificate has been issued for this application yet.")
        url = self._storage.download_url(
            certificate.object_key, f"{certificate.number}.pdf", "application/pdf"
        )
        return CertificateLink(url=url, expires_in=DOWNLOAD_SECONDS)

    def rate(self, citizen_id: str, case_id: str, request: RatingRequest) -> ApplicationView:
        """The applicant rates the finished case once; 不满意/非常不满意 (差评) opens a
        rectification for the lead department and a follow-up visit."""
        bundle, role = load_for_citizen(self._cases, case_id, citizen_id)
        app = bundle.application
        if role != "applicant":
            raise Forbidden("Only the applicant rates the service.")
        now = self._clock.now()
        calendar = self._reference.calendar(app.county)
        due = calendar.add_working_days(beijing_date(now), RECTIFICATION_DAYS)
        after = working_copy(app)
        actor = citizen_actor(app, citizen_id)
        events = after.rate(request.level, request.comment, actor, now, due)
        if after.rectification is not None:
            metrics.add_metric(name="BadReview", unit="Count", value=1)
        self._cases.save(app, after, events)
        return self._view(
            CaseBundle(after, [*bundle.events, *events], bundle.documents, bundle.tasks), role
        )

    def rectifications(self, staff: StaffMember, limit: int, cursor: str | None) -> ApplicationPage:
        """Open rectifications of the caller's department, oldest first."""
        if not staff.department or staff.role not in (Role.REVIEWER, Role.SUPERVISOR):
            raise Forbidden("Department reviewers and supervisors see their rectifications.")
        county, department = staff.county, staff.department
        return application_page(
            self._cursors,
            f"rectification|{county}|{department}",
            cursor,
            limit,
            lambda n, start: self._cases.rectification_queue(county, department, n, start),
        )

    def rectify(
        self, staff: StaffMember, case_id: str, report: RectificationReport
    ) -> ApplicationView:
        """Closes a rectification: what was fixed, and the follow-up visit's record."""
        bundle = load_for_staff(self._cases, self._reference, case_id, staff)
        app = bundle.application
        rectification = app.rectification
        if (
            rectification is not None
            and rectification.status == "open"
            and (
                staff.department != rectification.department
                or staff.role not in (Role.REVIEWER, Role.SUPERVISOR)
            )
        ):
            raise Forbidden("The lead department's staff close its rectification.")
        after = working_copy(app)
        events = after.rectify(
            report.measures,
            report.visit_note,
            staff_actor(staff),
            case_moment(app, self._reference, self._clock.now()),
        )
        self._cases.save(app, after, events)
        return self._view(
            CaseBundle(after, [*bundle.events, *events], bundle.documents, bundle.tasks), "staff"
        )


def _delivery_state(
    method: DeliveryMethod, request: IssuanceRequest, now: datetime
) -> DeliveryState:
    """How the issued certificate starts its way: electronic is delivered at once, pickup
    gets a pickup code, mail is dispatched with its tracking number."""
    if method is DeliveryMethod.ELECTRONIC:
        return DeliveryState(method=method.value, dispatched_at=now, delivered_at=now)
    if method is DeliveryMethod.PICKUP:
        return DeliveryState(method=method.value, pickup_code=f"{secrets.randbelow(10**6):06d}")
    return DeliveryState(
        method=method.value,
        tracking_number=request.tracking_number,
        carrier=request.carrier or "EMS",
        dispatched_at=now,
    )
