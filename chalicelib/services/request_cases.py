"""What every use case of citizen requests (诉求) shares: the collaborators, loading a request
for a filer or a staff member, settling and saving a change, and the views."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from chalicelib.clock import Clock
from chalicelib.domain.access import sees_request
from chalicelib.domain.application_api import TimelinePage, TimelineQuery
from chalicelib.domain.application_parts import DocumentStatus
from chalicelib.domain.calendar import BEIJING, beijing_date
from chalicelib.domain.identity import StaffMember
from chalicelib.domain.moves import Actor, TimelineEvent
from chalicelib.domain.reference import Category
from chalicelib.domain.request import ServiceRequest
from chalicelib.domain.request_api import RequestView
from chalicelib.domain.request_parts import (
    DISPATCH_STATUSES,
    Channel,
    Moment,
    Photo,
)
from chalicelib.errors import Conflict, FieldError, NotFound
from chalicelib.paging import CursorCodec
from chalicelib.services.reference import ReferenceData
from chalicelib.services.request_views import (
    masked_event,
    public_record,
    request_view,
)
from chalicelib.services.routing import Router
from chalicelib.services.sms import SmsDispatch
from chalicelib.services.staff import StaffDirectory
from chalicelib.services.timelines import latest_events, timeline_page
from chalicelib.settings import Settings
from chalicelib.store.documents import DocumentStorage, upload_key
from chalicelib.store.identity import CitizenStore
from chalicelib.store.limits import IdempotencyStore
from chalicelib.store.request_lists import RequestLists
from chalicelib.store.requests import Change, RequestStore
from chalicelib.store.table import Guarded


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
    county: str | None = None  # the county it is filed with (Open311's jurisdiction_id)
    hall: str | None = None  # the service hall it is filed at (window, terminal)
    own_quota: bool = False  # the owner's own daily quota too (a terminal acts as them)
    served: dict[str, str] | None = None  # the walk-in visitor: name, ID number masked


def end_of_working_day(
    reference: ReferenceData, county: str, start: datetime, days: int
) -> datetime:
    """The end (Beijing midnight) of the `days`-th working day after `start`'s date, by the
    county's calendar."""
    due = reference.calendar(county).add_working_days(beijing_date(start), days)
    return datetime.combine(due + timedelta(days=1), time(0), tzinfo=BEIJING)


class RequestCases:
    """The collaborators and the shared steps of the request use cases (one subclass each)."""

    def __init__(
        self,
        store: RequestStore,
        citizens: CitizenStore,
        reference: ReferenceData,
        router: Router,
        roster: StaffDirectory,
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

    def _photos(
        self, owner: str, ids: list[str], field: str, attach_to: str
    ) -> tuple[list[Photo], list[Guarded]]:
        return attach_photos(self._store, self._storage, owner, ids, field, attach_to)

    def _photo_url(self, photo: Photo) -> str:
        return self._storage.download_url(
            photo.key, f"{photo.document_id}", photo.content_type, photo.version_id
        )

    def _category(self, county: str, code: str, field: str) -> Category:
        """The county's category `code`; one the county does not have is a 404 naming `field`."""
        category = self._reference.category(county, code)
        if category is None:
            raise NotFound(
                "No such request category in this county.",
                errors=[FieldError(field, "not a category of the county", "unknown")],
            )
        return category

    def _duplicates(self, req: ServiceRequest) -> list[ServiceRequest]:
        """Open, non-private requests of the same category in the same place lately."""
        since = req.created_at - timedelta(days=self._settings.duplicate_days)
        return self._lists.likely_duplicates(req, since)

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
            departments=self._reference.departments(req.county),
            tree=self._reference.jurisdictions(req.county),
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

    def _load(self, request_id: str) -> tuple[ServiceRequest, list[TimelineEvent]] | None:
        if not (request_id.isalnum() and len(request_id) == 26):
            return None
        return self._store.load(request_id)

    def _for_filer(self, citizen_id: str, request_id: str) -> tuple[ServiceRequest, list]:
        loaded = self._load(request_id)
        if loaded is None or loaded[0].owner_id != citizen_id:
            raise NotFound(f"No request {request_id}.")
        return loaded

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
            public_record(after, self._reference.departments(after.county)),
            extra,
            also,
        )

    def _moment(self, req: ServiceRequest) -> Moment:
        """Now, and what the county's calendar makes of it for `req`'s moves."""
        now = self._clock.now()
        return Moment(
            at=now,
            due=end_of_working_day(self._reference, req.county, now, req.sla_days),
            working_days=self._reference.calendar(req.county).working_days_between(
                beijing_date(req.created_at), beijing_date(now)
            ),
            rating_until=now + timedelta(days=self._settings.request_rating_days),
        )


def attach_photos(
    store: RequestStore,
    storage: DocumentStorage,
    owner: str,
    ids: list[str],
    field: str,
    attach_to: str,
) -> tuple[list[Photo], list[Guarded]]:
    """The caller's clean, unattached uploads as photos, with the transaction steps that
    attach them to `attach_to`. An id that is not one of the caller's uploads is a 404;
    one still being checked, or rejected, a 409; each names the photo."""
    repeated = [
        FieldError(f"{field}[{i}]", "the same photo twice", "duplicate")
        for i, document_id in enumerate(ids)
        if document_id in ids[:i]
    ]
    if repeated:
        raise Conflict("A photo is given twice.", errors=repeated)
    found = store.uploads(owner, ids)
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
            errors.append(FieldError(f"{field}[{i}]", "not checked yet; retry shortly", "pending"))
        elif document.status is not DocumentStatus.CLEAN:
            errors.append(FieldError(f"{field}[{i}]", document.reason or "rejected", "rejected"))
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
    # Tagged before the write that attaches them: a photo the write then does not take
    # is only kept longer than needed; one it takes can never expire under its case.
    for photo in photos:
        storage.claim(photo.key, photo.version_id)
    claims = [
        Guarded(
            store.claim_upload(owner, p.document_id, attach_to),
            Conflict(
                "A photo is already attached elsewhere.",
                errors=[FieldError(f"{field}[{i}]", "already attached", "attached")],
            ),
        )
        for i, p in enumerate(photos)
    ]
    return photos, claims
