"""受理回执: the receipt a walk-in visitor takes home — the case number, what the hall received,
the promised date by the county's working-day calendar and how to follow the case online (a
QR code to the case's page, opened by signing in with the visitor's phone). The clerk who
filed it (any window clerk of its county, or the terminal it was filed at while its citizen
is signed in at it) prints it; the citizen downloads it from their own case. A walk-in
case's printed receipt (PDF) is issued at its filing: an application's when it is submitted
(`issue_printed`), a request's when it is filed (`issue_printed_request`); reading a receipt
only reads."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Self

from chalicelib.clock import Clock
from chalicelib.context import public_url
from chalicelib.domain.application import Application
from chalicelib.domain.application_parts import DocumentStatus
from chalicelib.domain.calendar import beijing_date
from chalicelib.domain.common import Text
from chalicelib.domain.identity import StaffMember, mask_phone
from chalicelib.domain.moves import Actor, TimelineEvent
from chalicelib.domain.redaction import redact
from chalicelib.domain.request import ServiceRequest
from chalicelib.domain.request_parts import REQUEST_STATUS_LABELS
from chalicelib.domain.window import PromisedBasis, Receipt, ReceivedMaterial, at_desk
from chalicelib.errors import NotFound
from chalicelib.services.application_steps import label, material_name
from chalicelib.services.cases import load_for_citizen
from chalicelib.services.reference import ReferenceData
from chalicelib.store.cases import CaseBundle, CaseStore
from chalicelib.store.documents import parse_upload_key
from chalicelib.store.identity import CitizenStore
from chalicelib.store.requests import RequestStore

if TYPE_CHECKING:
    from chalicelib.services.notices import NoticeService

# The step a printed receipt is issued for: the filing — an application's submission, a
# request's filing (an application's acceptance has its own written notice, 受理通知书, keyed by
# its event). Only a walk-in case's is printed: nobody walked in to take an online one home.
PRINTED_AT = "submitted"
WALK_IN = frozenset({"window", "terminal"})


class Receipts:
    def __init__(
        self,
        cases: CaseStore,
        requests: RequestStore,
        citizens: CitizenStore,
        reference: ReferenceData,
        clock: Clock,
        configured_url: str,
    ) -> None:
        self._cases = cases
        self._requests = requests
        self._citizens = citizens
        self._reference = reference
        self._clock = clock
        self._url = configured_url
        self._notices: NoticeService | None = None

    def print_with(self, notices: NoticeService) -> Self:
        """The written notices' renderer: an application's receipt is also a PDF."""
        self._notices = notices
        return self

    # who may have it -----------------------------------------------------------------------
    def for_desk(self, staff: StaffMember, case_id: str, signed_in: str | None) -> Receipt:
        """The receipt of a walk-in case, for the window (or terminal, while the case's
        citizen is `signed_in` at it) to print."""
        bundle = self._cases.load(case_id) if _is_id(case_id) else None
        if bundle is not None:
            app = bundle.application
            owner = app.owner_id
            if at_desk(
                staff, app.channel.value, app.county, app.filed_by, owner_id=owner,
                signed_in=signed_in,
            ):  # fmt: skip
                return self.of_application(bundle)
        loaded = self._requests.load(case_id) if _is_id(case_id) and bundle is None else None
        if loaded is not None:
            req, events = loaded
            if at_desk(
                staff, req.channel.value, req.county, req.filed_by, owner_id=req.owner_id,
                signed_in=signed_in,
            ):  # fmt: skip
                return self.of_request(req, events)
        raise NotFound(f"No walk-in case {case_id}.")

    def for_citizen(self, citizen_id: str, case_id: str, kind: str) -> Receipt:
        """The receipt of the caller's own case (an agent's granted application too)."""
        if kind == "application":
            bundle, _ = load_for_citizen(self._cases, case_id, citizen_id)
            return self.of_application(bundle)
        loaded = self._requests.load(case_id) if _is_id(case_id) else None
        if loaded is None or loaded[0].owner_id != citizen_id:
            raise NotFound(f"No request {case_id}.")
        return self.of_request(*loaded)

    # what it says ----------------------------------------------------------------------------
    def of_application(self, bundle: CaseBundle) -> Receipt:
        app = bundle.application
        promised, basis, estimated = self._promised_application(app)
        phone = self._citizens.phone_of(app.owner_id) or ""
        follow_url = self._follow_url(app)
        code, link = self._printed(app.application_id, app.channel.value, bundle.events)
        return Receipt(
            kind="application",
            case_id=app.application_id,
            number=app.number,
            title=Text(zh=app.service_name, en=app.service_name_en),
            channel=app.channel.value,
            hall=app.hall,
            hall_name=self._reference.place_name(app.hall) if app.hall else None,
            status=app.status.value,
            status_label=label(app.status),
            visitor_name=redact(_served(bundle.events, "created") or app.applicant.name),
            visitor_phone=mask_phone(phone),
            filed_at=app.created_at,
            materials=[
                ReceivedMaterial(
                    material_code=d.material_code,
                    material_name=material_name(app, d.material_code),
                    filename=redact(d.filename),
                    status=d.status.value,
                )
                for d in bundle.documents
                if d.status is not DocumentStatus.DELETED
            ],
            promised_date=promised,
            promised_basis=basis,
            estimated=estimated,
            follow_url=follow_url,
            follow=_follow(phone),
            verify_code=code,
            document_url=link,
        )

    def _follow_url(self, app: Application) -> str:
        return f"{public_url(self._url)}/applications/{app.application_id}"

    def issue_printed(self, bundle: CaseBundle, by: Actor) -> None:
        """Issues the printable receipt (PDF, through the written notices) of a walk-in
        application's filing, as it is submitted: once (the notices key it by the
        submission's event and write it only if absent); none for a draft, nor for an
        online case (nobody walked in to take one home)."""
        app = bundle.application
        step = _printed_at(app.channel.value, bundle.events)
        if self._notices is None or step is None:
            return
        received = [
            f"{material_name(app, d.material_code)}（{redact(d.filename)}）"
            for d in bundle.documents
            if d.status is DocumentStatus.CLEAN
        ]
        self._notices.issue_receipt(
            app, trigger=step, by=by, received=received, follow_url=self._follow_url(app)
        )

    def issue_printed_request(
        self, req: ServiceRequest, events: list[TimelineEvent], by: Actor
    ) -> None:
        """Issues the printable receipt of a walk-in request's filing, as it is filed (and on
        a replay of the filing, if the first attempt did not): once, keyed by the filing's
        event; it prints what the JSON receipt says. None for any other channel."""
        step = _printed_at(req.channel.value, events)
        if self._notices is None or step is None:
            return
        told = self.of_request(req, events)
        if told.verify_code is not None:  # issued already: the filing is replayed
            return
        self._notices.issue_receipt(
            req,
            trigger=step,
            by=by,
            received=[f"{m.material_name}（{m.filename}）" for m in told.materials],
            follow_url=told.follow_url,
            receipt=told,
        )

    def _printed(
        self, case_id: str, channel: str, events: list[TimelineEvent]
    ) -> tuple[str | None, str | None]:
        """The printed receipt issued at the filing, if any, and a short-lived link to it
        (reading only: nothing is rendered or written here)."""
        step = _printed_at(channel, events)
        if self._notices is None or step is None:
            return None, None
        notice = self._notices.issued(case_id, step.event_id)
        if notice is None:
            return None, None
        return notice.code, self._notices.download(notice).url

    def _promised_application(self, app: Application) -> tuple[date, PromisedBasis, bool]:
        """The accepted case's promised date; before acceptance, the latest it can be: the
        window's whole acceptance limit (from its due date, or from today for a draft), then
        the promised limit."""
        calendar = self._reference.calendar(app.county)
        limits = app.limits
        if limits.promised_due is not None:
            return limits.promised_due, "promised", limits.estimated
        start = limits.acceptance_due or calendar.add_working_days(
            beijing_date(self._clock.now()), limits.acceptance_days
        )
        latest = calendar.add_working_days(start, limits.promised_days)
        return latest, "latest", calendar.estimated(start, latest)

    def of_request(self, req: ServiceRequest, events: list[TimelineEvent]) -> Receipt:
        zh, en = REQUEST_STATUS_LABELS[req.status]
        promised, basis, estimated = self._promised_request(req)
        code, link = self._printed(req.request_id, req.channel.value, events)
        return Receipt(
            kind="request",
            case_id=req.request_id,
            number=req.number,
            title=Text(zh=req.category_name, en=req.category_name_en),
            channel=req.channel.value,
            hall=req.hall,
            hall_name=self._reference.place_name(req.hall) if req.hall else None,
            status=req.status.value,
            status_label=Text(zh=zh, en=en),
            visitor_name=redact(_served(events, "submitted") or ""),
            visitor_phone=mask_phone(req.owner_phone),
            filed_at=req.created_at,
            materials=self._photos(req),
            promised_date=promised,
            promised_basis=basis,
            estimated=estimated,
            follow_url=f"{public_url(self._url)}/requests/{req.request_id}",
            follow=_follow(req.owner_phone),
            verify_code=code,
            document_url=link,
        )

    def _photos(self, req: ServiceRequest) -> list[ReceivedMaterial]:
        """The request's photos (at a desk: the scanned papers), named as they were uploaded
        (redacted, as an application's materials)."""
        uploads = [key for key in (parse_upload_key(p.key) for p in req.photos) if key]
        names: dict[str, str] = {}
        for owner in {owner for owner, _ in uploads}:
            found = self._requests.uploads(owner, [d for o, d in uploads if o == owner])
            names |= {document_id: d.filename for document_id, d in found.items()}
        return [
            ReceivedMaterial(
                material_code="photo",
                material_name="现场材料（扫描件）",
                filename=redact(names.get(p.document_id, p.document_id)),
                status=DocumentStatus.CLEAN.value,
            )
            for p in req.photos
        ]

    def _promised_request(self, req: ServiceRequest) -> tuple[date, PromisedBasis, bool]:
        """The accepted request's resolution date; before acceptance, the latest it can be:
        accepted on the next working day, then the category's working days."""
        calendar = self._reference.calendar(req.county)
        if req.resolution_due is not None:  # the end of its last day, Beijing midnight
            due = beijing_date(req.resolution_due) - timedelta(days=1)
            return due, "promised", calendar.estimated(due)
        latest = calendar.add_working_days(beijing_date(req.created_at), 1 + req.sla_days)
        return latest, "latest", calendar.estimated(latest)


def _follow(phone: str) -> Text:
    masked = mask_phone(phone) if phone else "登记的手机号"
    return Text(
        zh=f"扫描二维码，或在“便民”用手机号 {masked} 获取验证码登录，即可查看办理进度和全部记录。",
        en=f"Scan the QR code, or sign in to Bianmin with the phone {masked} and a one-time "
        "code, to follow every step of the case.",
    )


def _printed_at(channel: str, events: list[TimelineEvent]) -> TimelineEvent | None:
    """The filing a walk-in case's printed receipt is issued for (none yet: a draft)."""
    if channel not in WALK_IN:
        return None
    return next((e for e in events if e.type == PRINTED_AT), None)


def _served(events: list[TimelineEvent], filing: str) -> str | None:
    """The visitor's name the desk recorded on the case's filing event (a walk-in case)."""
    filed = next((e for e in events if e.type == filing), None)
    served = filed.data.get("visitor") if filed is not None else None
    return str(served.get("name") or "") or None if isinstance(served, dict) else None


def _is_id(case_id: str) -> bool:
    return case_id.isalnum() and len(case_id) == 26
