"""The service halls' walk-in desk (the offline channel): what a window clerk — or a
self-service terminal, acting as the citizen signed in at it — sends to file a case for a
visitor, and the receipt (受理回执) the visitor takes home."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from chalicelib.domain.applicant import IdCardNumber, mask_id
from chalicelib.domain.application_api import ApplicationCreate
from chalicelib.domain.common import Instant, Name, Strict, Text
from chalicelib.domain.identity import Phone, Role, StaffMember
from chalicelib.domain.moves import Actor
from chalicelib.domain.request_api import RequestCreate

WINDOW_CLERK = "window_clerk"  # the timeline's actor role of a clerk filing for a visitor
CitizenToken = Annotated[str, StringConstraints(min_length=20, max_length=4096)]
SIGNED_IN_AT_TERMINAL = (
    "A self-service terminal's filing only: the access token the visitor got by signing in at "
    "the terminal (POST /auth/otp, POST /auth/token with the visitor's phone). The terminal "
    "acts as that citizen; `visitor.phone` must be the phone they signed in with."
)
# A terminal's later calls on what it filed (read, scan, submit, receipt) carry the same
# citizen's token in this header: the case must be theirs (a clerk sends none).
CITIZEN_TOKEN_HEADER = "X-Citizen-Token"  # noqa: S105 (a header name)
CITIZEN_TOKEN_FIELD = f"header.{CITIZEN_TOKEN_HEADER.lower()}"


class Visitor(Strict):
    """The walk-in visitor the case is filed for: the ID card shown at the window (its GB
    11643 check digit is verified) and the phone they will sign in with to follow the case."""

    name: Name
    id_number: IdCardNumber
    phone: Phone

    def served(self) -> dict[str, str]:
        """Whom the desk served, as the filing's timeline event records it: the name and the
        ID number masked (the full number is never stored)."""
        return {"name": self.name, "id_number": mask_id(self.id_number)}


class WindowApplicationCreate(ApplicationCreate):
    """An application filed at a service hall for a walk-in visitor (a draft, owned by the
    citizen of `visitor.phone`; the clerk then uploads the scanned materials and submits)."""

    visitor: Visitor
    citizen_token: CitizenToken | None = Field(default=None, description=SIGNED_IN_AT_TERMINAL)


class WindowRequestCreate(RequestCreate):
    """A request (诉求) filed at a service hall for a walk-in visitor; `photos` are the
    scanned papers, uploaded first through POST /admin/uploads."""

    visitor: Visitor
    citizen_token: CitizenToken | None = Field(default=None, description=SIGNED_IN_AT_TERMINAL)


class ReceivedMaterial(Strict):
    material_code: str
    material_name: str
    filename: str
    status: str = Field(description="The upload's check: pending, clean or rejected")


PromisedBasis = Literal["promised", "latest"]


class Receipt(Strict):
    """受理回执: what the visitor takes home."""

    kind: Literal["application", "request"]
    case_id: str
    number: str = Field(description="The case number (办件编号)")
    title: Text = Field(description="The service item or the request category")
    channel: str
    hall: str | None = None
    hall_name: str | None = None
    status: str
    status_label: Text
    visitor_name: str = Field(
        description="The walk-in visitor's name as checked at the desk (an online case: the "
        "applicant's); phone and ID numbers in it masked"
    )
    visitor_phone: str = Field(description="Masked: the phone to sign in with")
    filed_at: Instant
    materials: list[ReceivedMaterial]
    promised_date: date | None = Field(
        default=None,
        description="When the case is promised to be done: by the accepted case's promised "
        "limit (basis promised), or, before acceptance, the latest it can be if the window "
        "takes its whole acceptance limit (basis latest); working days of the county's calendar",
    )
    promised_basis: PromisedBasis | None = None
    estimated: bool = Field(
        default=False, description="A date falls in a year whose holidays are not loaded yet"
    )
    follow_url: str = Field(description="Where to follow it: the QR code's target")
    follow: Text = Field(description="How to follow it, in words")
    verify_code: str | None = Field(
        default=None,
        description="The printed receipt's verification code (GET /certificates/{code})",
    )
    document_url: str | None = Field(
        default=None,
        description="The printable receipt (PDF) as issued at the filing (an application's "
        "submission, a request's filing), a short-lived link; none for an unsubmitted draft or "
        "an online case (an application's acceptance has its own notice)",
    )


def desk_keys(staff: StaffMember) -> str:
    """Whose Idempotency-Keys (and uploads, and daily quota) a desk's filings are."""
    return f"staff-{staff.staff_id}"


def desk_actor(staff: StaffMember, citizen_id: str) -> Actor:
    """Who the timeline names: the clerk acting for the citizen (role `window_clerk`,
    `on_behalf_of`), or the citizen themself through a terminal (`via`)."""
    if staff.role is Role.TERMINAL:
        return Actor(role="applicant", id=citizen_id, via=staff.staff_id, name=staff.name)
    return Actor(
        role=WINDOW_CLERK,
        id=staff.staff_id,
        department=staff.department,
        name=staff.name,
        on_behalf_of=citizen_id,
    )


def at_desk(
    staff: StaffMember,
    channel: str,
    county: str,
    filed_by: Actor | None,
    *,
    owner_id: str,
    signed_in: str | None,
) -> bool:
    """Whether a walk-in case is the desk's: any window clerk of its county (the visitor may
    go on to another window), or the terminal it was filed at while its owner is signed in
    at it (`signed_in`, the citizen of the token the terminal sends) — never the next
    visitor's. Online cases never are."""
    if channel not in ("window", "terminal") or county != staff.county:
        return False
    if staff.role is Role.TERMINAL:
        at_this_terminal = filed_by is not None and filed_by.via == staff.staff_id
        return at_this_terminal and signed_in is not None and signed_in == owner_id
    return staff.role is Role.CLERK
