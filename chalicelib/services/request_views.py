"""Read models of requests: what the filer sees, what handlers see, and the public Open311
projection (which never holds personal data)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

from chalicelib.domain.application import TimelineEvent
from chalicelib.domain.common import Text
from chalicelib.domain.identity import mask_phone
from chalicelib.domain.reference import Department
from chalicelib.domain.request import (
    OPEN_STATUSES,
    REQUEST_STATUS_LABELS,
    AssignmentView,
    DuplicateView,
    Handler,
    Photo,
    PhotoView,
    PlaceView,
    ReplyView,
    RequestStatus,
    RequestSummary,
    RequestView,
    ServiceRequest,
    Stage,
    VisitView,
)
from chalicelib.services.reference import JurisdictionTree
from chalicelib.services.routing import Roster

Viewer = Literal["filer", "staff"]
PhotoUrl = Callable[[Photo], str]

_SEP = r"[\s\-]?"
_PHONE = re.compile(rf"(?<!\d)(?:\+?86{_SEP})?1[3-9]\d(?:{_SEP}\d){{8}}(?!\d)")
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{6}(?:[\s\-]?\d){11}[\s\-]?[\dXx](?![0-9A-Za-z])")


def redact(text: str) -> str:
    """Phone and ID-card numbers typed into free text, masked for public display: full-width
    digits, a +86 prefix and spaces or dashes inside the number are caught too."""
    text = unicodedata.normalize("NFKC", text)
    text = _ID_NUMBER.sub(lambda m: m.group()[:3] + "*" * 11 + m.group()[-4:], text)

    def phone(match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group())[-11:]
        return mask_phone(digits)

    return _PHONE.sub(phone, text)


def label(status: RequestStatus) -> Text:
    zh, en = REQUEST_STATUS_LABELS[status]
    return Text(zh=zh, en=en)


def department_name(code: str, departments: dict[str, Department]) -> str:
    department = departments.get(code)
    return department.name if department else code


def overdue(req: ServiceRequest, now: datetime) -> bool:
    return (
        req.stage is not None
        and req.stage is not Stage.RATING
        and req.deadline is not None
        and now > req.deadline
    )


def summary(req: ServiceRequest, now: datetime) -> RequestSummary:
    return RequestSummary(
        request_id=req.request_id,
        number=req.number,
        category=req.category,
        category_name=Text(zh=req.category_name, en=req.category_name_en),
        status=req.status,
        status_label=label(req.status),
        jurisdiction=req.jurisdiction,
        created_at=req.created_at,
        deadline=req.deadline,
        overdue=overdue(req, now),
        private=req.private,
        excerpt=None if req.private else redact(req.description[:80]),
    )


def duplicate_view(req: ServiceRequest) -> DuplicateView:
    return DuplicateView(
        request_id=req.request_id,
        number=req.number,
        status=req.status,
        created_at=req.created_at,
        description=None if req.private else redact(req.description[:200]),
    )


def _holders(
    req: ServiceRequest, departments: dict[str, Department], roster: Roster
) -> list[Handler]:
    def staff(role: str, staff_id: str | None, zh: str, en: str) -> Handler:
        member = roster.by_id(staff_id) if staff_id else None
        return Handler(
            role=role,
            label=Text(zh=zh, en=en),
            id=staff_id,
            name=member.name if member else None,
        )

    if req.status in (RequestStatus.SUBMITTED, RequestStatus.ACCEPTED):
        return [staff("dispatcher", req.routing.dispatcher_id, "信息管理员", "Dispatcher")]
    holders = [
        Handler(
            role="department",
            label=Text(zh="承办单位", en="Handling department"),
            department=a.department,
            name=department_name(a.department, departments),
        )
        for a in req.active()
        if a.status == "pending"
    ]
    if (
        req.status is RequestStatus.REOPENED
        and req.rectification
        and req.rectification.follow_up == "pending"
    ):
        holders.append(
            staff("liaison", req.routing.liaison_id, "民情联络员回访", "Liaison follow-up")
        )
    if req.status is RequestStatus.RESOLVED:
        holders.append(Handler(role="filer", label=Text(zh="待群众评价", en="Awaiting rating")))
    return holders


def _next_action(req: ServiceRequest, viewer: Viewer) -> Text | None:
    if viewer == "filer" and req.status is RequestStatus.RESOLVED:
        return Text(
            zh="诉求已办结，请对办理结果进行评价",
            en="Resolved: please rate how it was handled",
        )
    if viewer == "filer" and req.status is RequestStatus.MERGED:
        return Text(
            zh=f"已与诉求 {req.merged_into_number} 合并办理",
            en=f"Handled together with request {req.merged_into_number}",
        )
    return None


def request_view(
    req: ServiceRequest,
    events: list[TimelineEvent],
    *,
    viewer: Viewer,
    departments: dict[str, Department],
    tree: JurisdictionTree,
    roster: Roster,
    photo_url: PhotoUrl,
    now: datetime,
    duplicates: list[ServiceRequest] | None = None,
) -> RequestView:
    def photos(items: list[Photo]) -> list[PhotoView]:
        return [PhotoView(document_id=p.document_id, url=photo_url(p)) for p in items]

    def name(code: str | None) -> str | None:
        node = tree.nodes.get(code) if code else None
        return node.name if node else None

    def staff_name(staff_id: str | None) -> str | None:
        member = roster.by_id(staff_id) if staff_id else None
        return member.name if member else None

    routing = req.routing
    hide_filer = viewer == "staff" and req.anonymous
    timeline = [
        e.model_copy(update={"actor": e.actor.model_copy(update={"id": None})})
        if hide_filer and e.actor.role in ("applicant", "resident")
        else e
        for e in events
    ]
    return RequestView(
        request_id=req.request_id,
        number=req.number,
        category=req.category,
        category_name=Text(zh=req.category_name, en=req.category_name_en),
        status=req.status,
        status_label=label(req.status),
        channel=req.channel,
        description=req.description,
        address=req.address,
        location=(req.lng, req.lat) if req.lat is not None and req.lng is not None else None,
        jurisdiction=req.jurisdiction,
        routing=PlaceView(
            grid=routing.grid,
            grid_name=name(routing.grid),
            community=routing.community,
            community_name=name(routing.community),
            township=routing.township,
            township_name=name(routing.township),
            exact=routing.exact,
            distance_m=routing.distance_m,
            liaison=staff_name(routing.liaison_id),
            dispatcher=staff_name(routing.dispatcher_id),
        ),
        departments=routing.departments,
        private=req.private,
        anonymous=req.anonymous,
        filer_phone=None if hide_filer or not req.owner_phone else mask_phone(req.owner_phone),
        created_at=req.created_at,
        accepted_at=req.accepted_at,
        resolved_at=req.resolved_at,
        closed_at=req.closed_at,
        stage=req.stage,
        deadline=req.deadline,
        resolution_due=req.resolution_due,
        overdue=overdue(req, now),
        escalated=req.stage is not None and req.escalated(req.stage),
        holders=_holders(req, departments, roster),
        assignments=[
            AssignmentView(
                department=a.department,
                department_name=department_name(a.department, departments),
                status=a.status,
                assigned_at=a.assigned_at,
                done_at=a.done_at,
                return_reason=a.return_reason,
                replies=[
                    ReplyView(
                        at=r.at,
                        department=a.department,
                        department_name=department_name(a.department, departments),
                        by=r.by.name,
                        text=r.text,
                        done=r.done,
                        photos=photos(r.photos),
                    )
                    for r in a.replies
                ],
            )
            for a in req.assignments
        ],
        visits=[
            VisitView(
                at=v.at,
                kind=v.kind,
                by=v.by.name,
                note=v.note,
                resident_satisfied=v.resident_satisfied,
                photos=photos(v.photos),
            )
            for v in req.visits
        ],
        photos=photos(req.photos),
        not_accepted_reason=req.not_accepted_reason,
        merged_into=req.merged_into_number,
        rating=req.rating,
        rectification=req.rectification,
        likely_duplicates=[duplicate_view(d) for d in duplicates or []],
        timeline=timeline,
        next_action=_next_action(req, viewer),
    )


# ---- Open311 ------------------------------------------------------------------------------


def public_record(req: ServiceRequest, departments: dict[str, Department]) -> dict[str, Any] | None:
    """The Open311 view of a request, or None for a private one. Only what a public map of
    service requests shows: no filer, no phone, no photos; free text redacted."""
    if req.private:
        return None
    is_open = req.status in OPEN_STATUSES
    notes = REQUEST_STATUS_LABELS[req.status][0]
    if req.status is RequestStatus.NOT_ACCEPTED and req.not_accepted_reason:
        notes += f"：{redact(req.not_accepted_reason)}"
    elif req.status is RequestStatus.MERGED and req.merged_into_number:
        notes += f"：{req.merged_into_number}"
    else:
        replies = [r for a in req.assignments for r in a.replies]
        if replies:
            notes += f"：{redact(max(replies, key=lambda r: r.at).text)[:300]}"
    agencies = [a.department for a in req.active()] or req.routing.departments
    return {
        "service_request_id": req.request_id,
        "status": "open" if is_open else "closed",
        "status_notes": notes,
        "service_name": f"{req.category_name} ({req.category_name_en})",
        "service_code": req.category,
        "description": redact(req.description),
        "agency_responsible": "、".join(department_name(d, departments) for d in agencies),
        "service_notice": (
            f"{req.sla_days} 个工作日内办结 (resolved within {req.sla_days} working days)"
        ),
        "requested_datetime": req.created_at.isoformat(),
        "updated_datetime": req.updated_at.isoformat(),
        "expected_datetime": req.resolution_due.isoformat() if req.resolution_due else None,
        "address": redact(req.address) if req.address else None,
        "address_id": req.jurisdiction,
        "lat": req.lat,
        "long": req.lng,
    }
