"""Read models of requests: what the filer sees, what handlers see, and the public Open311
projection (which never holds personal data)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from chalicelib.domain.common import Text, local_iso
from chalicelib.domain.identity import mask_phone
from chalicelib.domain.moves import TimelineEvent
from chalicelib.domain.open311 import PublicRecord
from chalicelib.domain.redaction import redact, redact_all
from chalicelib.domain.reference import Department
from chalicelib.domain.request import ServiceRequest
from chalicelib.domain.request_api import (
    AssignmentView,
    CommentView,
    DuplicateView,
    Handler,
    PhotoView,
    PlaceView,
    ReplyView,
    RequestSummary,
    RequestView,
    VisitView,
)
from chalicelib.domain.request_parts import (
    OPEN_STATUSES,
    REQUEST_STATUS_LABELS,
    Assignment,
    Photo,
    RequestStatus,
    Routing,
    Stage,
    Visit,
)
from chalicelib.services.reference import JurisdictionTree
from chalicelib.services.staff import StaffDirectory

Viewer = Literal["filer", "staff"]
PhotoUrl = Callable[[Photo], str]

# Event data that identifies things rather than saying something: never masked.
_IDENTIFIERS = frozenset(
    {
        "agent_id",
        "department",
        "departments",
        "dispatch_unit",
        "document_id",
        "documents",
        "grid",
        "material_code",
        "merged",
        "merged_into",
        "suggested",
        "to",
    }
)


def masked_event(e: TimelineEvent) -> TimelineEvent:
    """An event as anyone but the person it is about reads it: phone and ID numbers typed
    into its title, comment or data masked."""
    data = {k: v if k in _IDENTIFIERS else redact_all(v) for k, v in e.data.items()}
    return e.model_copy(
        update={
            "title": Text(zh=redact(e.title.zh), en=redact(e.title.en)),
            "comment": redact(e.comment) if e.comment else e.comment,
            "data": data,
        }
    )


def hide_filer(e: TimelineEvent) -> TimelineEvent:
    """An anonymous request's event without the filer's id."""
    if e.actor.role in ("applicant", "resident"):
        return e.model_copy(update={"actor": e.actor.model_copy(update={"id": None})})
    return e


def comment_view(e: TimelineEvent) -> CommentView:
    return CommentView(comment_id=e.event_id, at=e.at, text=e.comment or "")


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
        excerpt=None if req.private else redact(req.description)[:80],
    )


def duplicate_view(req: ServiceRequest) -> DuplicateView:
    return DuplicateView(
        request_id=req.request_id,
        number=req.number,
        status=req.status,
        created_at=req.created_at,
        description=None if req.private else redact(req.description)[:200],
    )


def _holders(
    req: ServiceRequest, departments: dict[str, Department], roster: StaffDirectory
) -> list[Handler]:
    def staff(role: str, staff_id: str | None, zh: str, en: str) -> Handler:
        member = roster.by_id(req.county, staff_id) if staff_id else None
        return Handler(
            role=role,
            label=Text(zh=zh, en=en),
            id=staff_id,
            name=member.name if member else None,
        )

    if req.status in (RequestStatus.SUBMITTED, RequestStatus.ACCEPTED):
        return [staff("dispatcher", req.routing.dispatcher_id, "信息管理员", "Dispatcher")]
    holders = []
    if req.needs_dispatch and req.status in OPEN_STATUSES:
        # a returned part waits for the dispatcher: reassign it, or conclude without it
        holders.append(staff("dispatcher", req.routing.dispatcher_id, "信息管理员", "Dispatcher"))
    holders += [
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


# What a view shows of the request exactly as it is stored.
_AS_STORED = (
    "request_id",
    "number",
    "category",
    "status",
    "channel",
    "jurisdiction",
    "private",
    "anonymous",
    "created_at",
    "accepted_at",
    "resolved_at",
    "closed_at",
    "stage",
    "deadline",
    "resolution_due",
    "rectification",
)


@dataclass(frozen=True)
class _Shaper:
    """How one viewer's view renders the request's parts: free text masked for staff, codes
    named, photos linked."""

    viewer: Viewer
    county: str
    departments: dict[str, Department]
    tree: JurisdictionTree
    roster: StaffDirectory
    photo_url: PhotoUrl

    def photos(self, items: list[Photo]) -> list[PhotoView]:
        return [PhotoView(document_id=p.document_id, url=self.photo_url(p)) for p in items]

    def text(self, value: str) -> str:
        return value if self.viewer == "filer" else redact(value)

    def maybe(self, value: str | None) -> str | None:
        return self.text(value) if value else value

    def _place(self, code: str | None) -> str | None:
        node = self.tree.nodes.get(code) if code else None
        return node.name if node else None

    def _staff(self, staff_id: str | None) -> str | None:
        member = self.roster.by_id(self.county, staff_id) if staff_id else None
        return member.name if member else None

    def routing(self, routing: Routing) -> PlaceView:
        return PlaceView(
            grid=routing.grid,
            grid_name=self._place(routing.grid),
            community=routing.community,
            community_name=self._place(routing.community),
            township=routing.township,
            township_name=self._place(routing.township),
            exact=routing.exact,
            distance_m=routing.distance_m,
            liaison=self._staff(routing.liaison_id),
            dispatcher=self._staff(routing.dispatcher_id),
        )

    def assignment(self, a: Assignment) -> AssignmentView:
        name = department_name(a.department, self.departments)
        return AssignmentView(
            department=a.department,
            department_name=name,
            status=a.status,
            assigned_at=a.assigned_at,
            done_at=a.done_at,
            return_reason=self.maybe(a.return_reason),
            replies=[
                ReplyView(
                    at=r.at,
                    department=a.department,
                    department_name=name,
                    by=r.by.name,
                    text=self.text(r.text),
                    done=r.done,
                    photos=self.photos(r.photos),
                )
                for r in a.replies
            ],
        )

    def visit(self, v: Visit) -> VisitView:
        return VisitView(
            at=v.at,
            kind=v.kind,
            by=v.by.name,
            note=self.text(v.note),
            resident_satisfied=v.resident_satisfied,
            photos=self.photos(v.photos),
        )


def request_view(
    req: ServiceRequest,
    events: list[TimelineEvent],
    *,
    viewer: Viewer,
    departments: dict[str, Department],
    tree: JurisdictionTree,
    roster: StaffDirectory,
    photo_url: PhotoUrl,
    now: datetime,
    duplicates: list[ServiceRequest] | None = None,
    older_events: str | None = None,
) -> RequestView:
    """`viewer` filer: the request as filed; staff: phone and ID numbers in every free text
    masked (the filer's own phone too), and the filer hidden if it is anonymous."""
    shape = _Shaper(viewer, req.county, departments, tree, roster, photo_url)
    anonymous = viewer == "staff" and req.anonymous
    timeline = events if viewer == "filer" else [masked_event(e) for e in events]
    if anonymous:
        timeline = [hide_filer(e) for e in timeline]
    rating = req.rating
    if viewer != "filer" and rating is not None:
        rating = rating.model_copy(update={"comment": shape.maybe(rating.comment)})
    return RequestView(
        **{name: getattr(req, name) for name in _AS_STORED},
        category_name=Text(zh=req.category_name, en=req.category_name_en),
        status_label=label(req.status),
        description=shape.text(req.description),
        address=shape.maybe(req.address),
        location=(req.lng, req.lat) if req.lat is not None and req.lng is not None else None,
        routing=shape.routing(req.routing),
        departments=req.routing.departments,
        filer_phone=None if anonymous or not req.owner_phone else mask_phone(req.owner_phone),
        overdue=overdue(req, now),
        escalated=req.stage is not None and req.escalated(req.stage),
        holders=_holders(req, departments, roster),
        assignments=[shape.assignment(a) for a in req.assignments],
        visits=[shape.visit(v) for v in req.visits],
        photos=shape.photos(req.photos),
        not_accepted_reason=shape.maybe(req.not_accepted_reason),
        merged_into=req.merged_into_number,
        rating=rating,
        likely_duplicates=[duplicate_view(d) for d in duplicates or []],
        timeline=timeline,
        timeline_next_cursor=older_events,
        next_action=_next_action(req, viewer),
    )


# ---- Open311 ------------------------------------------------------------------------------


def public_record(req: ServiceRequest, departments: dict[str, Department]) -> PublicRecord | None:
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
    return PublicRecord(
        service_request_id=req.request_id,
        status="open" if is_open else "closed",
        status_notes=notes,
        service_name=f"{req.category_name} ({req.category_name_en})",
        service_code=req.category,
        description=redact(req.description),
        agency_responsible="、".join(department_name(d, departments) for d in agencies),
        service_notice=(
            f"{req.sla_days} 个工作日内办结 (resolved within {req.sla_days} working days)"
        ),
        requested_datetime=local_iso(req.created_at),
        updated_datetime=local_iso(req.updated_at),
        expected_datetime=local_iso(req.resolution_due) if req.resolution_due else None,
        address=redact(req.address) if req.address else None,
        address_id=req.jurisdiction,
        lat=req.lat,
        long=req.lng,
    )
