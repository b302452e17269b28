"""Written notices: rendered at their step of an application, stored on S3, put on the case's
timeline, listed and downloaded by the applicant (and a granted agent) and by the staff who
work on the case, verified publicly by the certificates' endpoint.

How a step issues one (inline, in the move's own transaction):

    prepared = notices.prepare(NoticeKind.ACCEPTANCE, after, trigger=events[0], by=actor)
    cases.save(app, after, [*events, prepared.event], extra=prepared.operations)

`prepare` renders the PDF and puts it on S3 under its own verification code *before* the
case transaction; the transaction then writes the notice's two items (put-if-absent, keyed
by the triggering event) with the move. A move that loses its race writes no notice (its PDF
stays unreferenced in the private bucket), and a repeated step meets the state machine
before anything is rendered, so a notice is produced once.

The window's receipt (受理回执) for a walk-in visitor, after the case is filed:

    notice = notices.issue_receipt(app, trigger=submitted_event, by=staff_actor(clerk),
                                   received=["营业执照副本 1份", ...], follow_url=None)
    link = notices.download(notice)   # to print (the caller has checked who may)

It is idempotent by `trigger` (the same event gives back the receipt already issued). A
walk-in request (诉求) has this receipt too, and no other notice: `issue_receipt(req, ...,
receipt=its_json_receipt)`, whose hall, visitor, dates and follow text it prints.
`follow_url` is where the receipt's second QR code leads (the public status page); without
one it leads to the receipt's own verification, which answers with the case's status.
Rendering alone, without S3 or DynamoDB: `notice_texts.content(...)` then
`notice_pdf.render(content)`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from typing import Any

from chalicelib.clock import Clock
from chalicelib.context import public_url
from chalicelib.domain.access import works_on_application
from chalicelib.domain.application import Application
from chalicelib.domain.identity import StaffMember
from chalicelib.domain.moves import Actor, TimelineEvent, new_event
from chalicelib.domain.notice import TITLES, Notice, NoticeKind, NoticeLink, NoticeList, NoticeView
from chalicelib.domain.request import ServiceRequest
from chalicelib.domain.review import CertificateView
from chalicelib.domain.window import Receipt
from chalicelib.errors import NotFound
from chalicelib.observability import metrics
from chalicelib.services.cases import load_for_citizen, load_for_staff
from chalicelib.services.reference import ReferenceData
from chalicelib.store.cases import CaseStore
from chalicelib.store.documents import DOWNLOAD_SECONDS, DocumentStorage
from chalicelib.store.notices import NoticeStore
from chalicelib.store.requests import RequestStore

CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # as certificates' codes: 60 bits
NoticeFacts = Any  # notice_texts.NoticeFacts (imported with the renderer, on first use)
Case = Application | ServiceRequest  # a request has only the walk-in receipt


def notice_key(case_id: str, code: str) -> str:
    """Per notice code: a losing concurrent move never overwrites the issued PDF."""
    return f"notices/{case_id}/{code}.pdf"


def mask_holder(name: str, *, person: bool) -> str:
    if person or len(name) <= 4:
        return name[:1] + "*" * max(len(name) - 1, 1)
    return name[:2] + "*" * (len(name) - 4) + name[-2:]


def _case_id(case: Case) -> str:
    return case.request_id if isinstance(case, ServiceRequest) else case.application_id


def _about(case: Case, addressee: str) -> tuple[str, str, str]:
    """What a notice names of its case: its item (a request: its category) in Chinese and
    English, and the holder masked as public checks show it (a request's: the visitor it is
    addressed to)."""
    if isinstance(case, ServiceRequest):
        return case.category_name, case.category_name_en, mask_holder(addressee, person=True)
    holder = mask_holder(case.applicant.name, person=case.applicant.kind == "person")
    return case.service_name, case.service_name_en, holder


@dataclass(frozen=True)
class PreparedNotice:
    notice: Notice
    event: TimelineEvent
    operations: list[dict[str, Any]]


class NoticeService:
    def __init__(
        self,
        store: NoticeStore,
        cases: CaseStore,
        requests: RequestStore,
        reference: ReferenceData,
        storage: DocumentStorage,
        clock: Clock,
        public_url: str,
    ) -> None:
        self._store = store
        self._cases = cases
        self._requests = requests
        self._reference = reference
        self._storage = storage
        self._clock = clock
        self._public_url = public_url

    def verify_url(self, code: str) -> str:
        return f"{public_url(self._public_url)}/certificates/{code}"

    # issuing -------------------------------------------------------------------------------
    def prepare(
        self,
        kind: NoticeKind,
        case: Case,
        *,
        trigger: TimelineEvent,
        by: Actor,
        facts: NoticeFacts = None,
        follow_url: str | None = None,
    ) -> PreparedNotice:
        """Renders the notice of `kind` for `case` (as the move left it) and stores its PDF;
        returns what the move's transaction writes with it."""
        from chalicelib.services import notice_pdf, notice_texts

        county = self._reference.county_named(case.county, "jurisdiction")
        at = trigger.at
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))
        verify_url = self.verify_url(code)
        content = notice_texts.content(kind, case, county, facts or notice_texts.NoticeFacts(), at)
        content = replace(
            content,
            verify_code=code,
            verify_url=verify_url,
            follow_url=(follow_url or verify_url) if kind is NoticeKind.RECEIPT else None,
        )
        pdf, embedded = notice_pdf.render(content)
        key = notice_key(_case_id(case), code)
        self._storage.put(key, pdf, "application/pdf")
        name, name_en, holder = _about(case, content.addressee)
        notice = Notice(
            notice_id=trigger.event_id,
            kind=kind,
            code=code,
            case_id=_case_id(case),
            case_number=case.number,
            service_name=name,
            service_name_en=name_en,
            holder=holder,
            issuer=content.issuer,
            issued_at=at,
            object_key=key,
            embedded=embedded,
        )
        zh, en = TITLES[kind]
        event = new_event(
            "notice_issued", f"出具{zh}", f"{en} issued", by, at, kind=kind.value,
            notice_id=notice.notice_id,
        )  # fmt: skip
        metrics.add_metric(name="NoticeIssued", unit="Count", value=1)
        return PreparedNotice(notice, event, self._store.operations(notice))

    def issue_receipt(
        self,
        case: Case,
        *,
        trigger: TimelineEvent,
        by: Actor,
        received: list[str],
        follow_url: str | None = None,
        receipt: Receipt | None = None,
    ) -> Notice:
        """The walk-in visitor's receipt for the filing `trigger` records, written on its own
        (after the case's write); the same `trigger` again gives back the same receipt. A
        request's repeats its JSON `receipt` (the hall, the visitor, the dates, how to follow)."""
        from chalicelib.services.notice_texts import NoticeFacts

        existing = self._store.notice(_case_id(case), trigger.event_id)
        if existing is not None:
            return existing
        prepared = self.prepare(
            NoticeKind.RECEIPT,
            case,
            trigger=trigger,
            by=by,
            facts=NoticeFacts(received=tuple(received), receipt=receipt),
            follow_url=follow_url,
        )
        if self._store.put(prepared.notice, prepared.event):
            return prepared.notice
        return self._store.notice(_case_id(case), trigger.event_id) or prepared.notice

    # reading -------------------------------------------------------------------------------
    def issued(self, case_id: str, notice_id: str) -> Notice | None:
        """The notice issued for the timeline event `notice_id` of the case, if it was."""
        return self._store.notice(case_id, notice_id)

    def citizen_notices(self, citizen_id: str, case_id: str) -> NoticeList:
        load_for_citizen(self._cases, case_id, citizen_id)
        return NoticeList(items=[NoticeView.of(n) for n in self._store.of_case(case_id)])

    def citizen_link(self, citizen_id: str, case_id: str, notice_id: str) -> NoticeLink:
        load_for_citizen(self._cases, case_id, citizen_id)
        return self._link(case_id, notice_id)

    def _staff_case(self, staff: StaffMember, case_id: str) -> None:
        """The staff who work on the case (the window, its departments); others get 404."""
        bundle = load_for_staff(self._cases, self._reference, case_id, staff)
        if not works_on_application(staff, bundle.application):
            raise NotFound(f"No application {case_id}.")

    def staff_notices(self, staff: StaffMember, case_id: str) -> NoticeList:
        self._staff_case(staff, case_id)
        return NoticeList(items=[NoticeView.of(n) for n in self._store.of_case(case_id)])

    def staff_link(self, staff: StaffMember, case_id: str, notice_id: str) -> NoticeLink:
        self._staff_case(staff, case_id)
        return self._link(case_id, notice_id)

    def _link(self, case_id: str, notice_id: str) -> NoticeLink:
        notice = self._store.notice(case_id, notice_id)
        if notice is None:
            raise NotFound(f"No notice {notice_id} on this application.")
        return self.download(notice)

    def download(self, notice: Notice) -> NoticeLink:
        """A short-lived link to the notice's PDF (the caller has checked who may have it)."""
        url = self._storage.download_url(
            notice.object_key, f"{notice.case_number}-{notice.title}.pdf", "application/pdf"
        )
        return NoticeLink(url=url, expires_in=DOWNLOAD_SECONDS)

    # public verification -------------------------------------------------------------------
    def verify(self, code: str) -> CertificateView:
        """The certificate or notice a verification code names, saying which it is."""
        found = self._store.verifiable(code) if code.isalnum() and len(code) <= 20 else None
        if found is None:
            raise NotFound("No certificate or notice has this verification code.")
        if isinstance(found, Notice):
            return self._notice_view(found)
        return CertificateView(
            code=found.code,
            number=found.number,
            status=found.status,
            service_name=found.service_name,
            service_name_en=found.service_name_en,
            holder=found.holder,
            issuer=found.issuer,
            issued_at=found.issued_at,
            verify_url=self.verify_url(found.code),
        )

    def _notice_view(self, notice: Notice) -> CertificateView:
        zh, en = TITLES[notice.kind]
        case_status = None
        if notice.kind is NoticeKind.RECEIPT:  # the visitor follows the case with it
            case: Case | None = self._cases.application(notice.case_id)
            case = case or self._requests.get(notice.case_id)  # a walk-in request's
            case_status = case.status.value if case is not None else None
        return CertificateView(
            code=notice.code,
            number=notice.case_number,
            status="valid",
            service_name=notice.service_name,
            service_name_en=notice.service_name_en,
            holder=notice.holder,
            issuer=notice.issuer,
            issued_at=notice.issued_at,
            verify_url=self.verify_url(notice.code),
            document=f"notice:{notice.kind.value}",
            title=zh,
            title_en=en,
            case_status=case_status,
        )
