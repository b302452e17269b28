"""Use cases of citizen requests (诉求): filing, triage, joint handling, replies, visits,
rating and rectification, and the overdue sweep that escalates to supervisors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from chalicelib.clock import Clock
from chalicelib.domain.access import handles_for_department, is_department_head, sees_request
from chalicelib.domain.application import (
    Actor,
    Document,
    DocumentStatus,
    TimelineEvent,
    TimelinePage,
    TimelineQuery,
)
from chalicelib.domain.calendar import BEIJING, beijing_date
from chalicelib.domain.common import Text, local_iso
from chalicelib.domain.geo import to_wgs84
from chalicelib.domain.identity import Citizen, Role, StaffMember
from chalicelib.domain.reference import Category
from chalicelib.domain.request import (
    BAD_RATING_MAX,
    DISPATCH_STATUSES,
    HANDLING_STATUSES,
    MAX_ASSIGNMENTS,
    MAX_COMMENTS,
    MAX_MERGED,
    MAX_PROGRESS_REPLIES,
    MAX_REOPENINGS,
    MAX_VISITS,
    OPEN_STATUSES,
    STAGE_LABELS,
    AcceptTriage,
    Assignment,
    AssignTriage,
    Channel,
    CommentPage,
    CommentRequest,
    CommentView,
    ConcludeTriage,
    Escalation,
    FollowUpVisit,
    GridLocation,
    MergeTriage,
    NotAcceptTriage,
    Photo,
    PointLocation,
    Reply,
    ReplyRequest,
    RequestCreate,
    RequestPage,
    RequestQueueQuery,
    RequestRectification,
    RequestStatus,
    RequestView,
    ResidentRequestCreate,
    ReturnRequest,
    ServiceRequest,
    Stage,
    TriageRequest,
    UploadRequest,
    UploadView,
    Visit,
    VisitRequest,
    settled_status,
    staff_upload_owner,
)
from chalicelib.domain.review import RATING_LABELS, Rating, RatingRequest
from chalicelib.domain.sms import SmsMessage
from chalicelib.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from chalicelib.ids import new_ulid
from chalicelib.observability import logger, metrics
from chalicelib.paging import CursorCodec
from chalicelib.services.cases import event, staff_actor
from chalicelib.services.idempotency import Idempotent, daily_quota, key_guard, replayed
from chalicelib.services.reference import ReferenceData
from chalicelib.services.request_views import (
    comment_view,
    hide_filer,
    masked_event,
    public_record,
    request_view,
    summary,
)
from chalicelib.services.routing import Roster, Router
from chalicelib.services.sms import SmsDispatch
from chalicelib.services.timelines import latest_events, timeline_page
from chalicelib.settings import Settings
from chalicelib.store.documents import DocumentStorage, upload_key
from chalicelib.store.identity import CitizenStore
from chalicelib.store.limits import IdempotencyStore
from chalicelib.store.request_lists import Queue, QueueKind, RequestLists
from chalicelib.store.requests import Change, RequestStore
from chalicelib.store.table import Guarded, decode_key, encode_key

SYSTEM = Actor(role="system")


@dataclass(frozen=True)
class Filer:
    """Who a new request belongs to and who typed it in."""

    owner_id: str
    owner_phone: str | None
    actor: Actor
    channel: Channel
    upload_owner: str
    partner: str | None = None
    quota_owner: str = ""  # whose daily filing quota it counts against (the client filing)
    quota_scale: int = 1  # a liaison officer or a partner app files for many residents


def end_of_working_day(reference: ReferenceData, start: datetime, days: int) -> datetime:
    """The end (Beijing midnight) of the `days`-th working day after `start`'s date."""
    due = reference.calendar().add_working_days(beijing_date(start), days)
    return datetime.combine(due + timedelta(days=1), time(0), tzinfo=BEIJING)


class RequestService:
    def __init__(
        self,
        store: RequestStore,
        citizens: CitizenStore,
        reference: ReferenceData,
        router: Router,
        roster: Roster,
        storage: DocumentStorage,
        cursors: CursorCodec,
        sms: SmsDispatch | None,
        clock: Clock,
        settings: Settings,
        keys: IdempotencyStore,
        lists: RequestLists,
    ) -> None:
        self._store = store
        self._lists = lists
        self._keys = keys
        self._citizens = citizens
        self._reference = reference
        self._router = router
        self._roster = roster
        self._storage = storage
        self._cursors = cursors
        self._sms = sms
        self._clock = clock
        self._settings = settings

    # uploads ------------------------------------------------------------------------------
    def request_upload(self, owner: str, body: UploadRequest) -> UploadView:
        now = self._clock.now()
        document = Document(
            document_id=new_ulid(now),
            material_code="photo",
            filename=body.filename,
            content_type=body.content_type,
            size=body.size,
            sha256=body.sha256,
            status=DocumentStatus.PENDING,
            requested_at=now,
            uploaded_by=owner,
        )
        quota = daily_quota(owner, "uploads", self._settings.uploads_per_day, now, "uploads")
        self._store.put_upload(owner, document, quota)
        form = self._storage.upload_form(
            upload_key(owner, document.document_id), body.content_type, body.size, body.sha256
        )
        return UploadView(
            document_id=document.document_id,
            status=document.status.value,
            upload={"url": form.url, "fields": form.fields, "expires_in": form.expires_in},
        )

    def upload_status(self, owner: str, document_id: str) -> UploadView:
        document = self._store.upload(owner, document_id)
        if document is None:
            raise NotFound(f"No upload {document_id}.")
        return UploadView(
            document_id=document.document_id, status=document.status.value, reason=document.reason
        )

    def _photos(
        self, owner: str, ids: list[str], field: str, attach_to: str
    ) -> tuple[list[Photo], list[Guarded]]:
        """The caller's clean, unattached uploads as photos, with the transaction steps that
        attach them to `attach_to`. An id that is not one of the caller's uploads is a 404;
        one still being checked, or rejected, a 409; each names the photo."""
        found = self._store.uploads(owner, ids)
        missing = [
            FieldError(f"{field}[{i}]", "no such upload of yours", "unknown")
            for i, document_id in enumerate(ids)
            if document_id not in found
        ]
        if missing:
            raise NotFound("Some photos are not uploads of yours.", errors=missing)
        errors = []
        photos = []
        for i, document_id in enumerate(ids):
            document = found[document_id]
            if document.status is DocumentStatus.PENDING:
                errors.append(
                    FieldError(f"{field}[{i}]", "not checked yet; retry shortly", "pending")
                )
            elif document.status is not DocumentStatus.CLEAN:
                errors.append(
                    FieldError(f"{field}[{i}]", document.reason or "rejected", "rejected")
                )
            else:
                photos.append(
                    Photo(
                        document_id=document_id,
                        key=upload_key(owner, document_id),
                        content_type=document.content_type,
                        version_id=document.version_id,
                    )
                )
        if errors:
            raise Conflict("Some photos cannot be attached yet.", errors=errors)
        claims = [
            Guarded(
                self._store.claim_upload(owner, p.document_id, attach_to),
                Conflict(
                    "A photo is already attached elsewhere.",
                    errors=[FieldError(f"{field}[{i}]", "already attached", "attached")],
                ),
            )
            for i, p in enumerate(photos)
        ]
        return photos, claims

    def _photo_url(self, photo: Photo) -> str:
        return self._storage.download_url(
            photo.key, f"{photo.document_id}", photo.content_type, photo.version_id
        )

    # filing --------------------------------------------------------------------------------
    def _category(self, code: str, field: str) -> Category:
        category = next((c for c in self._reference.categories() if c.code == code), None)
        if category is None:
            raise NotFound(
                "No such request category.",
                errors=[FieldError(field, "not a category of this county", "unknown")],
            )
        return category

    def file(
        self, filer: Filer, body: RequestCreate, retry: Idempotent | None, viewer: str = "filer"
    ) -> tuple[RequestView, bool]:
        """Files the request; a retry with the same Idempotency-Key and request returns the
        first one (False: nothing new was filed)."""
        existing = replayed(self._keys, retry)
        if existing is None:
            try:
                req, events, duplicates = self._file(filer, body, retry)
                return self._view(req, events, viewer, duplicates), True
            except Conflict:
                existing = replayed(self._keys, retry)  # the same request, in flight
                if existing is None:
                    raise
        loaded = self._load(existing)
        if loaded is None:
            raise Conflict("The first request with this key is still being processed.")
        return self._view(*loaded, viewer), False

    def _file(
        self, filer: Filer, body: RequestCreate, retry: Idempotent | None
    ) -> tuple[ServiceRequest, list[TimelineEvent], list[ServiceRequest]]:
        category = self._category(body.category, "body.category")
        location = body.location
        if location is None:
            raise InvalidInput(
                "A location is required.",
                errors=[FieldError("body.location", "required", "missing")],
            )
        if isinstance(location, PointLocation) and location.datum != "wgs84":
            lng, lat = to_wgs84(location.lng, location.lat, location.datum)
            location = location.model_copy(update={"lng": lng, "lat": lat, "datum": "wgs84"})
        jurisdiction, routing = self._router.route(location, category, "body.location")
        now = self._clock.now()
        request_id = new_ulid(now)
        photos, claims = self._photos(filer.upload_owner, body.photos, "body.photos", request_id)
        day = beijing_date(now).strftime("%Y%m%d")
        private = body.private or category.private
        req = ServiceRequest(
            request_id=request_id,
            number=f"SQ{day}-{self._store.next_number(day):06d}",
            owner_id=filer.owner_id,
            owner_phone=filer.owner_phone or "",
            filed_by=filer.actor,
            channel=filer.channel,
            partner=filer.partner,
            category=category.code,
            category_name=category.name,
            category_name_en=category.name_en,
            sla_days=category.sla_days,
            description=body.description,
            address=location.address,
            lat=getattr(location, "lat", None),
            lng=getattr(location, "lng", None),
            jurisdiction=jurisdiction,
            routing=routing,
            photos=photos,
            private=private,
            anonymous=body.anonymous,
            status=RequestStatus.SUBMITTED,
            created_at=now,
            updated_at=now,
            dispatch_since=now,
            stage=Stage.ACCEPTANCE,
            deadline=now + timedelta(hours=self._settings.request_accept_hours),
        )
        duplicates = self._duplicates(req)
        req.repeat_of = [d.request_id for d in duplicates]
        if isinstance(location, GridLocation) and location.address is None:
            req.address = self._reference.jurisdictions().nodes[jurisdiction].name
        tree = self._reference.jurisdictions()
        place = " / ".join(
            n.name for n in [*tree.ancestors(jurisdiction), tree.nodes[jurisdiction]][1:]
        )
        via = {
            Channel.APP: ("群众通过手机提交诉求", "Filed from the citizen's phone"),
            Channel.LIAISON: (
                "民情联络员代群众提交诉求",
                "Filed by the liaison officer for a resident",
            ),
            Channel.OPEN311: ("通过合作应用提交诉求", "Filed through a partner app (Open311)"),
        }[filer.channel]
        unit_name = "街道（乡镇）" if routing.dispatch_unit != req.county else "县"
        events = [
            event(self._clock, "submitted", via[0], via[1], filer.actor, at=now),
            event(
                self._clock,
                "routed",
                f"已定位至{place}，转{unit_name}信息管理员受理",
                f"Located in {jurisdiction}; routed to the dispatcher of {routing.dispatch_unit}",
                SYSTEM,
                at=now,
                grid=routing.grid,
                exact=routing.exact,
                dispatch_unit=routing.dispatch_unit,
                departments=routing.departments,
            ),
        ]
        quota = daily_quota(
            filer.quota_owner or filer.owner_id,
            "requests",
            self._settings.requests_per_day * filer.quota_scale,
            now,
            "requests",
        )
        guards = [quota, *claims]
        if retry is not None:
            guards.append(key_guard(retry, req.request_id, now))
        self._store.create(req, events, public_record(req, self._reference.departments()), guards)
        metrics.add_metric(name="RequestFiled", unit="Count", value=1)
        logger.info("request filed", extra={"category": req.category, "channel": req.channel})
        return req, events, duplicates

    def file_for_citizen(
        self, citizen_id: str, body: RequestCreate, key: str | None, fingerprint: str
    ) -> tuple[RequestView, bool]:
        filer = Filer(
            owner_id=citizen_id,
            owner_phone=self._citizens.phone_of(citizen_id),
            actor=Actor(role="applicant", id=citizen_id),
            channel=Channel.APP,
            upload_owner=citizen_id,
        )
        return self.file(filer, body, Idempotent.of(citizen_id, key, fingerprint))

    def _resident(self, phone: str) -> Citizen:
        citizen = self._citizens.by_phone(phone)
        if citizen is None:
            now = self._clock.now()
            citizen = self._citizens.create(
                Citizen(citizen_id=new_ulid(now), phone=phone, created_at=now.isoformat())
            )
        return citizen

    def file_for_resident(
        self, staff: StaffMember, body: ResidentRequestCreate, key: str | None, fingerprint: str
    ) -> tuple[RequestView, bool]:
        if body.location is None:
            body = body.model_copy(update={"location": GridLocation(grid=staff.jurisdiction)})
        resident = self._resident(body.resident_phone)
        uploads = staff_upload_owner(staff.staff_id)
        filer = Filer(
            owner_id=resident.citizen_id,
            owner_phone=body.resident_phone,
            actor=staff_actor(staff),
            channel=Channel.LIAISON,
            upload_owner=uploads,
            quota_owner=uploads,
            quota_scale=10,
        )
        # The filing officer sees what was filed, even where the request is not theirs to
        # handle afterwards (another grid, a private petition). Keys are the officer's.
        return self.file(filer, body, Idempotent.of(uploads, key, fingerprint), viewer="staff")

    def file_for_partner(self, partner: str, phone: str, body: RequestCreate) -> ServiceRequest:
        resident = self._resident(phone)
        filer = Filer(
            owner_id=resident.citizen_id,
            owner_phone=phone,
            actor=Actor(role="resident", id=resident.citizen_id, name=partner),
            channel=Channel.OPEN311,
            upload_owner=resident.citizen_id,
            partner=partner,
            quota_owner=f"partner-{partner}",
            quota_scale=100,
        )
        return self._file(filer, body, None)[0]

    def _duplicates(self, req: ServiceRequest) -> list[ServiceRequest]:
        """Open, non-private requests of the same category in the same place lately."""
        since = req.created_at - timedelta(days=self._settings.duplicate_days)
        return self._lists.likely_duplicates(req, since)

    # reading -------------------------------------------------------------------------------
    def _view(
        self,
        req: ServiceRequest,
        events: list[TimelineEvent],
        viewer: str,
        duplicates: list[ServiceRequest] | None = None,
    ) -> RequestView:
        role = "filer" if viewer == "filer" else "staff"
        window, older = latest_events(
            events, self._cursors, self._timeline_scope(req.request_id, role)
        )
        return request_view(
            req,
            window,
            viewer=role,
            departments=self._reference.departments(),
            tree=self._reference.jurisdictions(),
            roster=self._roster,
            photo_url=self._photo_url,
            now=self._clock.now(),
            duplicates=duplicates,
            older_events=older,
        )

    @staticmethod
    def _timeline_scope(request_id: str, viewer: str) -> str:
        return f"timeline|request|{request_id}|{viewer}"

    def _timeline(self, request_id: str, viewer: str, query: TimelineQuery) -> TimelinePage:
        events, cursor = timeline_page(
            self._cursors,
            self._timeline_scope(request_id, viewer),
            query.cursor,
            query.limit,
            lambda limit, after: self._store.timeline(request_id, limit, after),
        )
        if viewer != "filer":
            events = [masked_event(e) for e in events]
        return TimelinePage(items=events, next_cursor=cursor)

    def timeline_for_citizen(
        self, citizen_id: str, request_id: str, query: TimelineQuery
    ) -> TimelinePage:
        self._for_filer(citizen_id, request_id)
        return self._timeline(request_id, "filer", query)

    def timeline_for_staff(
        self, staff: StaffMember, request_id: str, query: TimelineQuery
    ) -> TimelinePage:
        req, _ = self._for_staff(staff, request_id)
        page = self._timeline(request_id, "staff", query)
        if req.anonymous:
            page.items = [hide_filer(e) for e in page.items]
        return page

    def _load(self, request_id: str) -> tuple[ServiceRequest, list[TimelineEvent]] | None:
        if not (request_id.isalnum() and len(request_id) == 26):
            return None
        return self._store.load(request_id)

    def _for_filer(self, citizen_id: str, request_id: str) -> tuple[ServiceRequest, list]:
        loaded = self._load(request_id)
        if loaded is None or loaded[0].owner_id != citizen_id:
            raise NotFound(f"No request {request_id}.")
        return loaded

    def view_for_citizen(self, citizen_id: str, request_id: str) -> RequestView:
        return self._view(*self._for_filer(citizen_id, request_id), "filer")

    def mine(self, citizen_id: str, limit: int, cursor: str | None) -> RequestPage:
        scope = f"requests:{citizen_id}"
        start = decode_key(self._cursors.decode(cursor, scope)) if cursor else None
        page = self._lists.owned(citizen_id, limit, start)
        now = self._clock.now()
        items = [summary(r, now) for r in page.items]
        next_cursor = (
            self._cursors.encode(encode_key(page.last_key), scope) if page.last_key else None
        )
        return RequestPage(items=items, next_cursor=next_cursor)

    def _for_staff(self, staff: StaffMember, request_id: str) -> tuple[ServiceRequest, list]:
        loaded = self._load(request_id)
        if loaded is None or not sees_request(staff, loaded[0]):
            raise NotFound(f"No request {request_id}.")
        return loaded

    def _view_for(self, request_id: str, staff: StaffMember) -> RequestView:
        return self._staff_view(*self._for_staff(staff, request_id))

    def _staff_view(self, req: ServiceRequest, events: list[TimelineEvent]) -> RequestView:
        duplicates = self._duplicates(req) if req.status in DISPATCH_STATUSES else None
        return self._view(req, events, "staff", duplicates)

    def view_for_staff(self, staff: StaffMember, request_id: str) -> RequestView:
        return self._view_for(request_id, staff)

    def queue(self, staff: StaffMember, query: RequestQueueQuery) -> RequestPage:
        """The caller's work: a dispatcher's unit, a liaison officer's grid, a department's
        assignments, or — for supervisors and leaders — the overdue requests below them."""
        now = self._clock.now()
        kind: QueueKind
        if staff.role is Role.DISPATCHER:
            kind = "dispatch"
        elif staff.role is Role.LIAISON:
            kind = "grid"
        elif staff.department and (handles_for_department(staff) or is_department_head(staff)):
            kind = "department"
        elif staff.role in (Role.SUPERVISOR, Role.LEADER) and not staff.department:
            kind = "overdue"
        else:
            raise Forbidden("This role has no request queue.")
        scope = f"rq-queue:{staff.staff_id}:{query.status}:{query.overdue}"
        start = decode_key(self._cursors.decode(query.cursor, scope)) if query.cursor else None
        asked = Queue(
            kind,
            staff.jurisdiction,
            now,
            department=staff.department,
            status=query.status,
            overdue=query.overdue,
        )
        page = self._lists.queue(asked, query.limit, start)
        requests = page.items
        next_cursor = (
            self._cursors.encode(encode_key(page.last_key), scope) if page.last_key else None
        )
        visible = [r for r in requests if sees_request(staff, r)]  # the one rule, always
        return RequestPage(items=[summary(r, now) for r in visible], next_cursor=next_cursor)

    # acting --------------------------------------------------------------------------------
    def _save(
        self,
        before: ServiceRequest,
        after: ServiceRequest,
        events: list[TimelineEvent],
        extra: list[Guarded] | None = None,
        also: list[Change] | None = None,
    ) -> None:
        after.rev = before.rev + 1
        after.updated_at = self._clock.now()
        self._store.save(
            before,
            after,
            events,
            public_record(after, self._reference.departments()),
            extra,
            also,
        )

    def _resolution_due(self, req: ServiceRequest, now: datetime) -> datetime:
        return end_of_working_day(self._reference, now, req.sla_days)

    def _working_days(self, req: ServiceRequest, now: datetime) -> int:
        """Working days from filing to `now` (the day of resolution counts; 0 the same day)."""
        return self._reference.calendar().working_days_between(
            beijing_date(req.created_at), beijing_date(now)
        )

    def _accept(self, req: ServiceRequest, now: datetime) -> None:
        req.accepted_at = now
        req.resolution_due = self._resolution_due(req, now)
        req.stage = Stage.RESOLUTION
        req.deadline = req.resolution_due

    def _settle(self, req: ServiceRequest, now: datetime, events: list[TimelineEvent]) -> None:
        """Moves a request being handled to the status its assignments add up to (the
        joint-handling table: `settled_status`)."""
        status = settled_status(req)
        if status is req.status:
            return
        req.status = status
        if status is RequestStatus.ACCEPTED:
            req.dispatch_since = now
            events.append(
                event(
                    self._clock,
                    "back_to_dispatcher",
                    "所有承办单位均已退回，待信息管理员重新分派",
                    "Every assigned department returned it: back to the dispatcher",
                    SYSTEM,
                    at=now,
                )
            )
        if status is RequestStatus.RESOLVED:
            self._resolve(
                req,
                now,
                events,
                "诉求已办结，请群众评价",
                "Resolved; the filer is asked to rate it",
            )

    def _resolve(
        self, req: ServiceRequest, now: datetime, events: list[TimelineEvent], zh: str, en: str
    ) -> None:
        """Resolved: the first resolution fixes the working days used and whether on time;
        the rating period starts; the filer is told."""
        if req.resolved_at is None:
            req.resolution_days = self._working_days(req, now)
            if req.resolution_due is not None:
                req.on_time = now <= req.resolution_due
        req.resolved_at = now
        if req.rectification is not None and req.rectification.closed_at is None:
            req.rectification.closed_at = now
        req.status = RequestStatus.RESOLVED
        req.stage = Stage.RATING
        req.deadline = now + timedelta(days=self._settings.request_rating_days)
        events.append(event(self._clock, "resolved", zh, en, SYSTEM, at=now, on_time=req.on_time))
        self._notify(req, f"您的诉求{req.number}已办结，请在“便民”中评价。")

    def _notify(self, req: ServiceRequest, text: str) -> None:
        if self._sms is None or not req.owner_phone:
            return
        try:
            self._sms.dispatch(SmsMessage(phone=req.owner_phone, text=text, purpose="request"))
        except Exception:  # noqa: BLE001 - an SMS never undoes a recorded decision
            logger.exception("request notification not queued")

    def triage(self, staff: StaffMember, request_id: str, body: TriageRequest) -> RequestView:
        """The dispatcher's decision; see the actions of `TriageRequest`."""
        before, history = self._for_staff(staff, request_id)
        req = before.model_copy(deep=True)
        now = self._clock.now()
        action = body.root
        events: list[TimelineEvent] = []
        also: list[Change] = []
        if isinstance(action, AssignTriage):
            self._assign(staff, req, action, now, events)
        elif isinstance(action, ConcludeTriage):
            self._conclude(staff, req, action, now, events)
        elif req.status not in DISPATCH_STATUSES:
            raise Conflict(f"A {req.status.value} request is no longer with the dispatcher.")
        elif isinstance(action, AcceptTriage):
            if req.status is not RequestStatus.SUBMITTED:
                raise Conflict("The request is already accepted.")
            self._accept(req, now)
            req.status = RequestStatus.ACCEPTED
            events.append(
                event(
                    self._clock,
                    "accepted",
                    "诉求已受理",
                    "Accepted",
                    staff_actor(staff),
                    comment=action.note,
                    at=now,
                )
            )
        elif isinstance(action, NotAcceptTriage):
            self._refuse(staff, req, action, now, events)
        else:
            also = [self._merge(staff, req, action, now, events)]
        self._save(before, req, events, None, also)
        return self._staff_view(req, history + events)

    def _assign(
        self,
        staff: StaffMember,
        req: ServiceRequest,
        action: AssignTriage,
        now: datetime,
        events: list[TimelineEvent],
    ) -> None:
        """Assigns departments jointly; a department that returned its part can be assigned
        again (a new round), and the dispatcher's pending decision on a return is taken."""
        if req.status not in HANDLING_STATUSES | {RequestStatus.SUBMITTED}:
            raise Conflict(f"A {req.status.value} request cannot be assigned.")
        departments = self._reference.departments()
        unknown = [
            FieldError(f"body.departments[{i}]", "not a department of this county", "unknown")
            for i, d in enumerate(action.departments)
            if d not in departments
        ]
        if unknown:
            raise NotFound("No such departments.", errors=unknown)
        unstaffed = [
            FieldError(f"body.departments[{i}]", "nobody in it handles requests", "unstaffed")
            for i, d in enumerate(action.departments)
            if not self._roster.handlers(d)
        ]
        if unstaffed:
            raise Conflict("Nobody in these departments could act on it.", errors=unstaffed)
        if req.status is RequestStatus.SUBMITTED:
            self._accept(req, now)
            req.status = RequestStatus.ACCEPTED
        added = []
        for code in action.departments:
            current = req.assignment(code)
            if current is not None and current.status != "returned":
                continue
            fresh = Assignment(
                department=code,
                assigned_at=now,
                assigned_by=staff.staff_id,
                round=(current.round + 1) if current else 1,
            )
            req.assignments = [a for a in req.assignments if a.department != code] + [fresh]
            added.append(code)
        if not added:
            raise Conflict("Those departments already hold this request.")
        if len(req.assignments) > MAX_ASSIGNMENTS:
            raise Conflict(
                f"At most {MAX_ASSIGNMENTS} departments take part in one request.",
                errors=[FieldError("body.departments", "too many departments", "too_many")],
            )
        names = "、".join(departments[d].name for d in added)
        events.append(
            event(
                self._clock,
                "assigned",
                f"已分派至{names}{'联合办理' if len(req.active()) > 1 else '办理'}",
                f"Assigned to {', '.join(added)}",
                staff_actor(staff),
                comment=action.note,
                at=now,
                departments=added,
            )
        )
        req.needs_dispatch = False
        req.status = settled_status(req)  # new pending work: assigned, replied or reopened

    def _conclude(
        self,
        staff: StaffMember,
        req: ServiceRequest,
        action: ConcludeTriage,
        now: datetime,
        events: list[TimelineEvent],
    ) -> None:
        """A department returned its part and no other needs to take it: the remaining
        departments' replies stand (resolved once they are all done)."""
        if not req.needs_dispatch or not req.active():
            raise Conflict(
                "Only a request that some (not all) of its departments returned is concluded "
                "this way; assign a department instead."
            )
        req.needs_dispatch = False
        events.append(
            event(
                self._clock,
                "return_concluded",
                "退回部分无需改派，以其他承办单位的答复办结",
                "The returned part needs no other department: the other replies conclude it",
                staff_actor(staff),
                comment=action.note,
                at=now,
            )
        )
        self._settle(req, now, events)

    def _refuse(
        self,
        staff: StaffMember,
        req: ServiceRequest,
        action: NotAcceptTriage,
        now: datetime,
        events: list[TimelineEvent],
    ) -> None:
        req.status = RequestStatus.NOT_ACCEPTED
        req.not_accepted_reason = action.reason
        req.closed_at = now
        req.stage = None
        req.deadline = None
        req.needs_dispatch = False
        events.append(
            event(
                self._clock,
                "not_accepted",
                "诉求不予受理",
                "Not accepted",
                staff_actor(staff),
                comment=action.reason,
                at=now,
            )
        )
        self._notify(req, f"您的诉求{req.number}不予受理：{action.reason}")

    def _merge(
        self,
        staff: StaffMember,
        req: ServiceRequest,
        action: MergeTriage,
        now: datetime,
        events: list[TimelineEvent],
    ) -> Change:
        """Merges `req` into an open request of the same matter; returns the target's change
        (written in the same transaction)."""
        field = "body.merge_into"
        if action.merge_into == req.request_id:
            raise Conflict(
                "A request cannot be merged into itself.",
                errors=[FieldError(field, "same request", "same")],
            )
        loaded = self._load(action.merge_into)
        if loaded is None or not sees_request(staff, loaded[0]):
            raise NotFound(
                "No such request to merge into.",
                errors=[FieldError(field, "unknown request", "unknown")],
            )
        target_before = loaded[0]
        if target_before.private != req.private:
            raise Conflict(
                "A private request merges only with a private one, a public with a public.",
                errors=[FieldError(field, "private and public differ", "privacy")],
            )
        if target_before.status not in OPEN_STATUSES:
            raise Conflict(f"Request {target_before.number} is {target_before.status.value}.")
        if len(target_before.merged) >= MAX_MERGED:
            raise Conflict(f"Request {target_before.number} has {MAX_MERGED} merged already.")
        target = target_before.model_copy(deep=True)
        target.merged.append(req.request_id)
        target.rev += 1
        target.updated_at = now
        req.status = RequestStatus.MERGED
        req.merged_into = target.request_id
        req.merged_into_number = target.number
        req.closed_at = now
        req.stage = None
        req.deadline = None
        req.needs_dispatch = False
        events.append(
            event(
                self._clock,
                "merged",
                f"与诉求{target.number}合并办理",
                f"Merged into {target.number}",
                staff_actor(staff),
                comment=action.note,
                at=now,
                merged_into=target.request_id,
            )
        )
        merged_note = event(
            self._clock,
            "merged_in",
            f"合并了同一事项的诉求{req.number}",
            f"Request {req.number} on the same matter merged into this one",
            staff_actor(staff),
            at=now,
            merged=req.request_id,
        )
        return Change(
            target_before,
            target,
            [merged_note],
            public_record(target, self._reference.departments()),
        )

    def _pending_assignment(self, staff: StaffMember, req: ServiceRequest) -> Assignment:
        """The caller's department's part, if it is pending. The caller's role was checked at
        the route (department reviewers only)."""
        assignment = req.assignment(staff.department) if staff.department else None
        if assignment is None:
            raise Forbidden("Your department has no part in this request.")
        if req.status not in HANDLING_STATUSES:
            raise Conflict(f"The request is {req.status.value}.")
        if assignment.status == "returned":
            raise Conflict("Your department returned its part of this request.")
        if assignment.status != "pending":
            raise Conflict("Your department has already replied that it is done.")
        return assignment

    def return_request(
        self, staff: StaffMember, request_id: str, body: ReturnRequest
    ) -> RequestView:
        """退单: the department hands its part back to the dispatcher. Whatever the others
        have done stays; the dispatcher reassigns the returned part or concludes without it."""
        before, history = self._for_staff(staff, request_id)
        req = before.model_copy(deep=True)
        assignment = self._pending_assignment(staff, req)
        now = self._clock.now()
        assignment.status = "returned"
        assignment.returned_at = now
        assignment.return_reason = body.reason
        req.needs_dispatch = True
        req.dispatch_since = now
        name = self._reference.departments()[assignment.department].name
        rest = "，退回部分待信息管理员改派" if req.active() else ""
        events = [
            event(
                self._clock,
                "returned",
                f"{name}退单：非本单位职责{rest}",
                f"Returned by {assignment.department}: not theirs"
                + ("; the dispatcher reassigns that part" if req.active() else ""),
                staff_actor(staff),
                comment=body.reason,
                at=now,
                suggested=body.suggested_departments,
            )
        ]
        self._settle(req, now, events)
        self._save(before, req, events)
        return self._staff_view(req, history + events)

    def reply(self, staff: StaffMember, request_id: str, body: ReplyRequest) -> RequestView:
        before, history = self._for_staff(staff, request_id)
        req = before.model_copy(deep=True)
        assignment = self._pending_assignment(staff, req)
        now = self._clock.now()
        progress = sum(not r.done for a in req.assignments for r in a.replies)
        if not body.done and progress >= MAX_PROGRESS_REPLIES:
            raise Conflict(
                f"A request keeps at most {MAX_PROGRESS_REPLIES} progress replies; "
                "reply done: true when it is done."
            )
        photos, claims = self._photos(
            staff_upload_owner(staff.staff_id), body.photos, "body.photos", req.request_id
        )
        assignment.replies.append(
            Reply(at=now, by=staff_actor(staff), text=body.text, done=body.done, photos=photos)
        )
        if body.done:
            assignment.status = "done"
            assignment.done_at = now
        name = self._reference.departments()[assignment.department].name
        events = [
            event(
                self._clock,
                "replied",
                f"{name}{'答复：已办结' if body.done else '答复办理进展'}",
                f"{assignment.department} replied{' (done)' if body.done else ''}",
                staff_actor(staff),
                comment=body.text,
                at=now,
                done=body.done,
            )
        ]
        self._settle(req, now, events)
        self._save(before, req, events, claims)
        return self._staff_view(req, history + events)

    def visit(self, staff: StaffMember, request_id: str, body: VisitRequest) -> RequestView:
        """A liaison officer's visit (the route admits liaison officers only)."""
        visit = body.root
        before, history = self._for_staff(staff, request_id)
        req = before.model_copy(deep=True)
        now = self._clock.now()
        if len(req.visits) >= MAX_VISITS:
            raise Conflict(f"A request keeps at most {MAX_VISITS} visits.")
        resolves = not isinstance(visit, FollowUpVisit) and visit.resolves
        if isinstance(visit, FollowUpVisit):
            if (
                req.rectification is None
                or req.rectification.closed_at is not None
                or req.rectification.follow_up != "pending"
            ):
                raise Conflict("No follow-up visit (回访) is due on this request.")
            req.rectification.follow_up = "done"
        elif req.status not in OPEN_STATUSES and req.status is not RequestStatus.RESOLVED:
            raise Conflict(f"The request is {req.status.value}.")
        if resolves and (req.status is not RequestStatus.ACCEPTED or req.active()):
            raise Conflict(
                "Only a visit to an accepted request no department holds resolves it.",
                errors=[FieldError("body.resolves", "not allowed now", "state")],
            )
        photos, claims = self._photos(
            staff_upload_owner(staff.staff_id), visit.photos, "body.photos", req.request_id
        )
        follow_up = visit.kind == "follow_up"
        req.visits.append(
            Visit(
                at=now,
                by=staff_actor(staff),
                kind=visit.kind,
                note=visit.note,
                resident_satisfied=visit.resident_satisfied,
                photos=photos,
            )
        )
        events = [
            event(
                self._clock,
                "follow_up_visit" if follow_up else "visit",
                "民情联络员回访" if follow_up else "民情联络员上门走访",
                "Follow-up visit by the liaison officer"
                if follow_up
                else "Visit by the liaison officer",
                staff_actor(staff),
                comment=visit.note,
                at=now,
                resident_satisfied=visit.resident_satisfied,
            )
        ]
        if resolves:
            self._resolve(
                req,
                now,
                events,
                "民情联络员现场解决，请群众评价",
                "Solved on the spot by the liaison officer; the filer is asked to rate it",
            )
        elif follow_up:
            self._settle(req, now, events)
        self._save(before, req, events, claims)
        return self._staff_view(req, history + events)

    # the filer -----------------------------------------------------------------------------
    def comment(self, citizen_id: str, request_id: str, body: CommentRequest) -> CommentView:
        """The filer adds a comment (at most MAX_COMMENTS, counted in the same write)."""
        req, _ = self._for_filer(citizen_id, request_id)
        note = event(
            self._clock,
            "comment",
            "群众补充说明",
            "Comment from the filer",
            Actor(role="applicant", id=citizen_id),
            comment=body.text,
        )
        self._store.add_comment(req.request_id, note, MAX_COMMENTS)
        return comment_view(note)

    def comments(self, citizen_id: str, request_id: str, query: TimelineQuery) -> CommentPage:
        self._for_filer(citizen_id, request_id)
        scope = f"comments|{request_id}|{citizen_id}"
        events, cursor = timeline_page(
            self._cursors,
            scope,
            query.cursor,
            query.limit,
            lambda limit, after: self._store.timeline(request_id, limit, after, type="comment"),
        )
        return CommentPage(items=[comment_view(e) for e in events], next_cursor=cursor)

    def comment_of(self, citizen_id: str, request_id: str, comment_id: str) -> CommentView:
        _, events = self._for_filer(citizen_id, request_id)
        found = next((e for e in events if e.event_id == comment_id and e.type == "comment"), None)
        if found is None:
            raise NotFound(f"No comment {comment_id} on this request.")
        return comment_view(found)

    def rate(self, citizen_id: str, request_id: str, body: RatingRequest) -> RequestView:
        before, history = self._for_filer(citizen_id, request_id)
        if before.status is not RequestStatus.RESOLVED:
            raise Conflict(
                "Only a resolved request can be rated."
                if before.status is not RequestStatus.CLOSED
                else "This request has been rated or closed already."
            )
        req = before.model_copy(deep=True)
        now = self._clock.now()
        zh, en = RATING_LABELS[body.level]
        req.ratings.append(
            Rating(level=body.level, label=Text(zh=zh, en=en), comment=body.comment, rated_at=now)
        )
        actor = Actor(role="applicant", id=citizen_id)
        events = [
            event(
                self._clock,
                "rated",
                f"群众评价：{zh}",
                f"Rated: {en}",
                actor,
                comment=body.comment,
                at=now,
                level=body.level,
            )
        ]
        reopenings = sum(r.level <= BAD_RATING_MAX for r in before.ratings)
        if body.level > BAD_RATING_MAX or reopenings >= MAX_REOPENINGS:
            req.status = RequestStatus.CLOSED
            req.closed_at = now
            req.stage = None
            req.deadline = None
            events.append(event(self._clock, "closed", "诉求已关闭", "Closed", SYSTEM, at=now))
        else:
            due = end_of_working_day(self._reference, now, req.sla_days)
            req.status = RequestStatus.REOPENED
            # The grid's liaison officer makes the follow-up visit; a private request (a
            # petition) is followed up by its departments, as is one no liaison officer serves.
            visited_by_liaison = req.routing.liaison_id is not None and not req.private
            req.rectification = RequestRectification(
                opened_at=now,
                due=due,
                rating_level=body.level,
                follow_up="pending" if visited_by_liaison else "not_required",
            )
            for assignment in req.active():
                assignment.status = "pending"
                assignment.round += 1
                assignment.done_at = None
                assignment.assigned_at = now
                # the new round starts from the department's last answer; its earlier
                # replies stay on the timeline (so the record stays small, see MAX_*)
                assignment.replies = assignment.replies[-1:]
            req.stage = Stage.RECTIFICATION
            req.deadline = due
            events.append(
                event(
                    self._clock,
                    "reopened",
                    "差评重办：承办单位整改，民情联络员回访",
                    "Bad rating: reopened for rectification and a follow-up visit",
                    SYSTEM,
                    at=now,
                    due=due.isoformat(),
                )
            )
            metrics.add_metric(name="RequestReopened", unit="Count", value=1)
        self._save(before, req, events)
        return self._view(req, history + events, "filer")

    # the overdue sweep ---------------------------------------------------------------------
    def sweep(self, limit: int = 200) -> int:
        """Escalates every request whose running stage fell due (and closes unrated resolved
        ones after the rating period). Runs on a schedule; safe to run twice at once: each
        change is a conditional write, and a request already handled is skipped."""
        now = self._clock.now()
        changed = 0
        for request_id in self._store.due(now, limit):
            before = self._store.get(request_id)
            if (
                before is None
                or before.stage is None
                or before.deadline is None
                or before.deadline > now
                or before.escalated(before.stage)
            ):
                continue
            req = before.model_copy(deep=True)
            events: list[TimelineEvent] = []
            if before.stage is Stage.RATING:
                req.status = RequestStatus.CLOSED
                req.closed_at = now
                req.stage = None
                req.deadline = None
                events.append(
                    event(
                        self._clock,
                        "closed",
                        "评价期满未评价，诉求自动关闭",
                        "Closed: not rated within the rating period",
                        SYSTEM,
                        at=now,
                    )
                )
            else:
                to = self._supervisors(req)
                req.escalations.append(
                    Escalation(stage=before.stage, deadline=before.deadline, at=now, to=to)
                )
                zh, en = STAGE_LABELS[before.stage]
                whom = (
                    ("信息管理员", "its dispatchers")
                    if req.private
                    else ("街道（乡镇）和县级负责人", "the township and county supervisors")
                )
                events.append(
                    event(
                        self._clock,
                        "escalated",
                        f"{zh}超期，已提请{whom[0]}督办",
                        f"Overdue for {en}: escalated to {whom[1]}",
                        SYSTEM,
                        at=now,
                        stage=before.stage.value,
                        deadline=local_iso(before.deadline),
                        to=to,
                    )
                )
                metrics.add_metric(name="RequestEscalated", unit="Count", value=1)
            try:
                self._save(before, req, events)
            except Conflict:
                continue
            except Exception:  # noqa: BLE001 - one bad request must not stop the sweep
                logger.exception("sweep could not update a request", extra={"id": request_id})
                continue
            changed += 1
        return changed

    def _supervisors(self, req: ServiceRequest) -> list[str]:
        if req.private:
            return [
                s.staff_id for s in self._roster.find(Role.DISPATCHER, req.routing.dispatch_unit)
            ]
        levels = [req.township, req.county] if req.township else [req.county]
        found = []
        for code in levels:
            if code is None:
                continue
            found += [
                s.staff_id
                for role in (Role.SUPERVISOR, Role.LEADER)
                for s in self._roster.find(role, code)
                if not s.department
            ]
        return found
