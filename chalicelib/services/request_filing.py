"""Filing a request: by a citizen in the app, by a liaison officer for a resident, by a partner app
through Open311; and the photos uploaded before they are attached."""

from __future__ import annotations

from datetime import datetime, timedelta

from chalicelib.domain.application_parts import Document, DocumentStatus
from chalicelib.domain.calendar import beijing_date
from chalicelib.domain.geo import to_wgs84
from chalicelib.domain.identity import Citizen, StaffMember
from chalicelib.domain.moves import SYSTEM, Actor, TimelineEvent
from chalicelib.domain.request import ServiceRequest
from chalicelib.domain.request_api import (
    GridLocation,
    PointLocation,
    RequestCreate,
    RequestView,
    ResidentRequestCreate,
    UploadRequest,
    UploadView,
)
from chalicelib.domain.request_parts import Channel, RequestStatus, Stage, staff_upload_owner
from chalicelib.errors import Conflict, FieldError, InvalidInput, NotFound
from chalicelib.ids import new_ulid
from chalicelib.observability import logger, metrics
from chalicelib.services.cases import event, staff_actor
from chalicelib.services.idempotency import Idempotent, daily_quota, key_guard, replayed
from chalicelib.services.request_cases import Filer, RequestCases
from chalicelib.services.request_views import (
    public_record,
)
from chalicelib.services.routing import Place
from chalicelib.store.documents import upload_key
from chalicelib.store.table import Guarded


class RequestFiling(RequestCases):
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
            upload_key(owner, document.document_id),
            body.content_type,
            body.size,
            body.sha256,
            unclaimed=True,
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
        location = _wgs84_location(body)
        place = self._place(filer, location)
        county = place.county
        category = self._category(county.code, body.category, "body.category")
        jurisdiction, routing = place.jurisdiction, self._router.route(place, category)
        now = self._clock.now()
        request_id = new_ulid(now)
        photos, claims = self._photos(filer.upload_owner, body.photos, "body.photos", request_id)
        day = beijing_date(now).strftime("%Y%m%d")
        private = body.private or category.private
        req = ServiceRequest(
            request_id=request_id,
            number=f"{county.case_prefix}SQ{day}-{self._store.next_number(county.code, day):06d}",
            owner_id=filer.owner_id,
            owner_phone=filer.owner_phone or "",
            filed_by=filer.actor,
            channel=filer.channel,
            partner=filer.partner,
            hall=filer.hall,
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
            req.address = self._reference.jurisdictions(county.code).nodes[jurisdiction].name
        events = self._filed_events(req, filer, now)
        guards = [*self._quotas(filer, now), *claims]
        if retry is not None:
            guards.append(key_guard(retry, req.request_id, now))
        departments = self._reference.departments(county.code)
        self._store.create(req, events, public_record(req, departments), guards)
        metrics.add_metric(name="RequestFiled", unit="Count", value=1)
        logger.info("request filed", extra={"category": req.category, "channel": req.channel})
        return req, events, duplicates

    def _place(self, filer: Filer, location: PointLocation | GridLocation) -> Place:
        """Where the request lies; one filed with a county (Open311's jurisdiction_id) must
        lie in it."""
        place = self._router.place(location, "body.location")
        county = place.county
        if filer.county is not None and county.code != filer.county:
            raise InvalidInput(
                f"The location lies in {county.code} ({county.name}), not in {filer.county}.",
                errors=[
                    FieldError("body.location", f"not in county {filer.county}", "other_county")
                ],
            )
        return place

    def _filed_events(
        self, req: ServiceRequest, filer: Filer, now: datetime
    ) -> list[TimelineEvent]:
        """Filed (by which channel) and routed (where it was located, to whom it went)."""
        jurisdiction, routing = req.jurisdiction, req.routing
        tree = self._reference.jurisdictions(req.county)
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
            Channel.WINDOW: (
                "窗口工作人员代来访群众提交诉求",
                "Filed at the window by a clerk for a walk-in visitor",
            ),
            Channel.TERMINAL: (
                "群众通过自助服务终端提交诉求",
                "Filed by the citizen at a self-service terminal",
            ),
        }[filer.channel]
        unit_name = "街道（乡镇）" if routing.dispatch_unit != req.county else "县"
        return [
            event(
                self._clock,
                "submitted",
                via[0],
                via[1],
                filer.actor,
                at=now,
                **({"visitor": filer.served} if filer.served else {}),
            ),
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

    def _quotas(self, filer: Filer, now: datetime) -> list[Guarded]:
        """The filer's daily quota of requests (a partner's scaled up), and the owner's own
        too when the filer acts as them (a terminal)."""
        per_day = self._settings.requests_per_day
        owner = filer.quota_owner or filer.owner_id
        quotas = [daily_quota(owner, "requests", per_day * filer.quota_scale, now, "requests")]
        if filer.own_quota and owner != filer.owner_id:
            quotas.append(daily_quota(filer.owner_id, "requests", per_day, now, "requests"))
        return quotas

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

    def file_for_partner(
        self, partner: str, phone: str, body: RequestCreate, county: str | None = None
    ) -> ServiceRequest:
        """A partner app's (Open311) request for a resident, in `county` when it names one."""
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
            county=county,
        )
        return self._file(filer, body, None)[0]


def _wgs84_location(body: RequestCreate) -> PointLocation | GridLocation:
    """The request's location, a point converted to WGS-84 from the datum it came in."""
    location = body.location
    if location is None:
        raise InvalidInput(
            "A location is required.",
            errors=[FieldError("body.location", "required", "missing")],
        )
    if isinstance(location, PointLocation) and location.datum != "wgs84":
        lng, lat = to_wgs84(location.lng, location.lat, location.datum)
        location = location.model_copy(update={"lng": lng, "lat": lat, "datum": "wgs84"})
    return location
