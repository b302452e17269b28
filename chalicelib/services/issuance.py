"""Unified issuance (统一出件): the certificate, its delivery, the applicant's rating, and the
public verification of a certificate."""

from __future__ import annotations

import hmac
import secrets

from chalicelib.clock import Clock
from chalicelib.domain.application import ACCEPTANCE_WINDOW, Application, Status, TimelineEvent
from chalicelib.domain.application_api import ApplicationPage, ApplicationView
from chalicelib.domain.calendar import beijing_date
from chalicelib.domain.catalogue import DeliveryMethod
from chalicelib.domain.common import Text
from chalicelib.domain.identity import Role, StaffMember
from chalicelib.domain.review import (
    RATING_LABELS,
    Certificate,
    CertificateLink,
    CertificateView,
    DeliveredRequest,
    DeliveryState,
    HandoverRequest,
    IssuanceRequest,
    Rating,
    RatingRequest,
    Rectification,
    RectificationReport,
    TaskStatus,
)
from chalicelib.errors import Conflict, FieldError, Forbidden, NotFound
from chalicelib.observability import metrics
from chalicelib.paging import CursorCodec
from chalicelib.services import application_views as views
from chalicelib.services.cases import (
    application_page,
    citizen_actor,
    event,
    load_for_citizen,
    load_for_staff,
    staff_actor,
)
from chalicelib.services.certificate_pdf import CertificateContent, render
from chalicelib.services.reference import ReferenceData
from chalicelib.services.review import finish
from chalicelib.store.cases import CaseBundle, CaseStore
from chalicelib.store.documents import DOWNLOAD_SECONDS, DocumentStorage

_CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
RECTIFICATION_DAYS = 5


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
    ) -> None:
        self._cases = cases
        self._reference = reference
        self._storage = storage
        self._cursors = cursors
        self._clock = clock
        self._public_url = public_url.rstrip("/")

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
            f"issuance|{staff.department}",
            cursor,
            limit,
            self._cases.issuance_queue,
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
        year = str(beijing_date(now).year)
        number = f"WS-{year}-{self._cases.next_certificate_number(year):06d}"
        code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(12))
        departments = self._reference.departments()
        opinions = [
            (
                departments[t.department].name if t.department in departments else t.department,
                t.opinion or "",
            )
            for t in bundle.tasks
            if t.status is TaskStatus.APPROVED
        ]
        verify_url = f"{self._public_url}/certificates/{code}"
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
                issuer="汶上县政务服务中心（统一出件）",
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
            issued_at=now,
            object_key=key,
        )
        if method is DeliveryMethod.ELECTRONIC:
            delivery = DeliveryState(method=method.value, dispatched_at=now, delivered_at=now)
        elif method is DeliveryMethod.PICKUP:
            delivery = DeliveryState(
                method=method.value, pickup_code=f"{secrets.randbelow(10**6):06d}"
            )
        else:
            delivery = DeliveryState(
                method=method.value,
                tracking_number=request.tracking_number,
                carrier=request.carrier or "EMS",
                dispatched_at=now,
            )
        after = finish(  # the office's clock stops at issuance
            app.model_copy(
                update={
                    "status": Status.ISSUED,
                    "certificate": certificate,
                    "delivery_state": delivery,
                }
            ),
            self._reference,
            now,
        )
        events = [
            event(
                self._clock,
                "issued",
                f"统一出件：证书 {number} 已出具",
                f"Certificate {number} issued",
                staff_actor(staff),
                comment=request.comment,
                at=now,
                number=number,
            )
        ]
        if method is DeliveryMethod.ELECTRONIC:
            after = after.model_copy(update={"status": Status.COMPLETED, "completed_at": now})
            events.append(
                self._completed_event(
                    after,
                    staff,
                    "电子证照已送达，办结",
                    "Electronic certificate delivered; completed",
                )
            )
        elif method is DeliveryMethod.MAIL:
            events.append(
                event(
                    self._clock,
                    "mailed",
                    f"已邮寄（{delivery.carrier} {request.tracking_number}）",
                    f"Mailed ({delivery.carrier} {request.tracking_number})",
                    staff_actor(staff),
                    at=now,
                )
            )
        else:
            events.append(
                event(
                    self._clock,
                    "ready_for_pickup",
                    "证书已备好，请凭取件码到窗口领取",
                    "Ready for pickup at the window with the pickup code",
                    staff_actor(staff),
                    at=now,
                )
            )
        self._cases.write(
            [*self._cases.root_ops(app, after), self._cases.certificate_op(certificate)],
            [(case_id, e) for e in events],
        )
        metrics.add_metric(name="CertificateIssued", unit="Count", value=1)
        return self._view(
            CaseBundle(after, [*bundle.events, *events], bundle.documents, bundle.tasks), "staff"
        )

    def _completed_event(
        self, app: Application, staff: StaffMember, zh: str, en: str
    ) -> TimelineEvent:
        timing = "按承诺时限办结" if app.on_time else "超出承诺时限"
        return event(
            self._clock,
            "completed",
            f"{zh}（用时 {app.limits.used_days} 个工作日，{timing}）",
            f"{en} ({app.limits.used_days} working days; {'on time' if app.on_time else 'late'})",
            staff_actor(staff),
            used_days=app.limits.used_days,
            on_time=app.on_time,
        )

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
        now = self._clock.now()
        delivered = state.model_copy(update={"delivered_at": now, "received_by": received_by})
        after = app.model_copy(
            update={
                "status": Status.COMPLETED,
                "delivery_state": delivered,
                "completed_at": now,
                "rev": app.rev + 1,
            }
        )
        zh, en = (
            (f"证书已当面交付 {received_by}，办结", f"Handed over to {received_by}; completed")
            if method is DeliveryMethod.PICKUP
            else ("邮件已妥投，办结", "Mail delivered; completed")
        )
        done = self._completed_event(after, staff, zh, en)
        if comment:
            done = done.model_copy(update={"comment": comment})
        self._cases.save(app, after, [done])
        metrics.add_metric(name="ApplicationCompleted", unit="Count", value=1)
        return self._view(
            CaseBundle(after, [*bundle.events, done], bundle.documents, bundle.tasks), "staff"
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
        if app.status is not Status.COMPLETED:
            raise Conflict("A case is rated after it is completed.")
        if app.rating is not None:
            raise Conflict("This case has already been rated.")
        now = self._clock.now()
        zh, en = RATING_LABELS[request.level]
        rating = Rating(
            level=request.level, label=Text(zh=zh, en=en), comment=request.comment, rated_at=now
        )
        update: dict[str, object] = {"rating": rating, "rev": app.rev + 1}
        events = [
            event(
                self._clock,
                "rated",
                f"评价：{zh}",
                f"Rated: {en}",
                citizen_actor(app, citizen_id),
                comment=request.comment,
                at=now,
                level=request.level,
            )
        ]
        if request.level <= 2:
            due = self._reference.calendar().add_working_days(beijing_date(now), RECTIFICATION_DAYS)
            update["rectification"] = Rectification(
                department=app.lead_department, opened_at=now, due=due
            )
            events.append(
                event(
                    self._clock,
                    "rectification_opened",
                    f"差评整改：{app.lead_department} 须于 {due.isoformat()} 前整改并回访",
                    f"Bad review: {app.lead_department} must rectify and visit the applicant "
                    f"by {due.isoformat()}",
                    citizen_actor(app, citizen_id),
                    at=now,
                    department=app.lead_department,
                    due=due.isoformat(),
                )
            )
            metrics.add_metric(name="BadReview", unit="Count", value=1)
        after = app.model_copy(update=update)
        self._cases.save(app, after, events)
        return self._view(
            CaseBundle(after, [*bundle.events, *events], bundle.documents, bundle.tasks), role
        )

    def rectifications(self, staff: StaffMember, limit: int, cursor: str | None) -> ApplicationPage:
        """Open rectifications of the caller's department, oldest first."""
        if not staff.department or staff.role not in (Role.REVIEWER, Role.SUPERVISOR):
            raise Forbidden("Department reviewers and supervisors see their rectifications.")
        department = staff.department
        return application_page(
            self._cursors,
            f"rectification|{department}",
            cursor,
            limit,
            lambda n, start: self._cases.rectification_queue(department, n, start),
        )

    def rectify(
        self, staff: StaffMember, case_id: str, report: RectificationReport
    ) -> ApplicationView:
        """Closes a rectification: what was fixed, and the follow-up visit's record."""
        bundle = load_for_staff(self._cases, self._reference, case_id, staff)
        app = bundle.application
        rectification = app.rectification
        if rectification is None or rectification.status != "open":
            raise Conflict("There is no open rectification on this case.")
        if staff.department != rectification.department or staff.role not in (
            Role.REVIEWER,
            Role.SUPERVISOR,
        ):
            raise Forbidden("The lead department's staff close its rectification.")
        now = self._clock.now()
        closed = rectification.model_copy(
            update={
                "status": "done",
                "follow_up_visit": "done",
                "measures": report.measures,
                "visit_note": report.visit_note,
                "closed_at": now,
            }
        )
        after = app.model_copy(update={"rectification": closed, "rev": app.rev + 1})
        done = event(
            self._clock,
            "rectified",
            f"整改完成并回访：{report.measures}",
            f"Rectified and visited: {report.measures}",
            staff_actor(staff),
            comment=report.visit_note,
            at=now,
            on_time=beijing_date(now) <= rectification.due,
        )
        self._cases.save(app, after, [done])
        return self._view(
            CaseBundle(after, [*bundle.events, done], bundle.documents, bundle.tasks), "staff"
        )

    def verify(self, code: str) -> CertificateView:
        certificate = self._cases.certificate(code) if code.isalnum() and len(code) <= 20 else None
        if certificate is None:
            raise NotFound("No certificate has this verification code.")
        return CertificateView(
            code=certificate.code,
            number=certificate.number,
            status=certificate.status,
            service_name=certificate.service_name,
            service_name_en=certificate.service_name_en,
            holder=certificate.holder,
            issued_at=certificate.issued_at,
            verify_url=f"{self._public_url}/certificates/{certificate.code}",
        )
