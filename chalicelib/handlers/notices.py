"""Written notices of an application (受理/不予受理/补正材料通知书, the licensing decision, the
window's receipt): the applicant (or a granted agent) lists and downloads them, and so do the
staff who work on the case; anyone else gets 404. Public verification is
`GET /certificates/{code}` (handlers/catalogue.py)."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.deps import container
from chalicelib.domain.access import ANY_STAFF
from chalicelib.domain.common import Strict
from chalicelib.domain.identity import StaffMember
from chalicelib.domain.notice import NoticeLink, NoticeList
from chalicelib.http.api import Call, operation
from chalicelib.http.paths import CasePath, Ulid

bp = Blueprint(__name__)


class CaseNoticePath(Strict):
    id: Ulid
    notice_id: Ulid


@operation(
    bp,
    "/applications/{id}/notices",
    summary="The application's written notices, oldest first",
    tags=("applications",),
    auth="citizen",
    path_model=CasePath,
    response=NoticeList,
)
def list_notices(call: Call, id: str) -> NoticeList:
    return container().notices.citizen_notices(call.citizen_id, id)


@operation(
    bp,
    "/applications/{id}/notices/{notice_id}",
    summary="A short-lived link to one written notice (PDF)",
    tags=("applications",),
    auth="citizen",
    path_model=CaseNoticePath,
    response=NoticeLink,
)
def notice_link(call: Call, id: str, notice_id: str) -> NoticeLink:
    return container().notices.citizen_link(call.citizen_id, id, notice_id)


@operation(
    bp,
    "/admin/applications/{id}/notices",
    summary="The application's written notices, for the staff who work on it",
    tags=("admin", "applications"),
    auth="staff",
    allow=ANY_STAFF,
    path_model=CasePath,
    response=NoticeList,
)
def staff_list_notices(call: Call, staff: StaffMember, id: str) -> NoticeList:
    return container().notices.staff_notices(staff, id)


@operation(
    bp,
    "/admin/applications/{id}/notices/{notice_id}",
    summary="A short-lived link to one written notice (PDF), to print or hand over",
    tags=("admin", "applications"),
    auth="staff",
    allow=ANY_STAFF,
    path_model=CaseNoticePath,
    response=NoticeLink,
)
def staff_notice_link(call: Call, staff: StaffMember, id: str, notice_id: str) -> NoticeLink:
    return container().notices.staff_link(staff, id, notice_id)
