"""Open311 GeoReport v2 over the request half, so existing 311 clients work unchanged.

Services are the request categories; requests are the public projection of non-private
requests (`CASE#id / PUB`): no filer, no phone, no photos, free text redacted. Partner apps
post with an `api_key` issued by the catalogue admin (stored only as its SHA-256).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any
from xml.etree import ElementTree as ET

from pydantic import Field, StringConstraints, ValidationError

from chalicelib.clock import Clock
from chalicelib.domain.calendar import BEIJING
from chalicelib.domain.common import Instant, Strict
from chalicelib.domain.identity import PHONE_PATTERN, normalise_phone
from chalicelib.domain.request_api import GridLocation, PointLocation, RequestCreate
from chalicelib.errors import DomainError, Forbidden, MalformedRequest, NotFound
from chalicelib.store.partners import PartnerKeyStore
from chalicelib.store.requests import PublicFilter

if TYPE_CHECKING:
    from chalicelib.services.reference import ReferenceData
    from chalicelib.services.request_filing import RequestFiling
    from chalicelib.store.requests import RequestStore

SPEC_URL = "http://wiki.open311.org/GeoReport_v2"
DEFAULT_SPAN = timedelta(days=90)
MAX_RESULTS = 200
MAX_IDS = 50


class PartnerKeyRequest(Strict):
    partner: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,39}$")]


class IssuedKey(Strict):
    partner: str
    api_key: str = Field(description="Shown once: only its SHA-256 is stored")
    created_at: Instant


class PartnerKeyView(Strict):
    partner: str
    created_at: Instant
    active: bool


# Where this API departs from GeoReport v2 on purpose (also in the discovery document).
DEPARTURES = [
    "POST requires phone (a mainland mobile): a Chinese request must be revisitable, and it "
    "becomes that resident's own request in the app (the spec makes phone optional).",
    "POST needs lat and long, or address_id (a grid code of this county): there is no "
    "geocoder for address_string alone.",
    "media_url is refused: photos go through the app's scanned upload pipeline.",
    "lat and long are WGS-84; a partner posting GCJ-02 (Chinese maps) or BD-09 (Baidu) "
    "coordinates adds datum=gcj02 or datum=bd09.",
    "Lists are paged with page (1-based) and page_size (1-200, default 50), at most 1,000 "
    "results into a query; dates are ISO 8601 in Beijing time (+08:00).",
    "Private requests (every petition) are never listed or shown; phone and ID numbers typed "
    "into text are masked.",
]


EARLIEST = datetime(2000, 1, 1, tzinfo=BEIJING)
LATEST = datetime(2100, 12, 31, tzinfo=BEIJING)


_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def _parse_datetime(value: str, name: str) -> datetime:
    """An RFC 3339 date-time (what the spec's W3C format and the OpenAPI document say). One
    before 2000 or after 2100 stands for "ever since" or "until further notice"."""
    if not _RFC3339.match(value):
        raise MalformedRequest(
            f"{name} must be an RFC 3339 date-time, e.g. 2026-11-01T00:00:00+08:00"
        )
    text = value.upper().replace("Z", "+00:00")
    if text.startswith("0000-"):
        return EARLIEST  # RFC 3339 allows year 0000; no record is that old
    text = re.sub(r"(T\d{2}:\d{2}):60", r"\1:59", text)  # a leap second
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise MalformedRequest(f"{name} is not a real date-time") from None
    if moment.year <= 1999:
        return EARLIEST
    if moment.year >= 2101:
        return LATEST
    return min(max(moment, EARLIEST), LATEST)


MAX_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 50
MAX_DEPTH = 1_000  # results a query reaches into (page × page_size)


def _paging(params: dict[str, str]) -> tuple[int, int]:
    """GeoReport's common paging extension: page (from 1) and page_size."""

    def number(name: str, default: int, high: int) -> int:
        raw = params.get(name)
        if raw is None or raw == "":
            return default
        if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= high:
            raise MalformedRequest(f"{name} must be a whole number from 1 to {high}")
        return int(raw)

    size = number("page_size", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    page = number("page", 1, MAX_DEPTH)
    return page, size


# The GeoReport routes' text query parameters and the patterns they must match (the
# OpenAPI document states the same patterns). One that is given must not be empty.
SERVICE_CODE = r"[a-z][a-z0-9_]{0,31}"
REQUEST_ID = r"[0-7][0-9A-HJKMNP-TV-Z]{25}"
# The fields a partner posts a request with, and what each may hold (the OpenAPI document
# states these; the form, multipart and JSON bodies all carry them).
POST_FIELDS: dict[str, dict[str, Any]] = {
    "api_key": {"type": "string", "minLength": 1, "maxLength": 200},
    "service_code": {"type": "string", "pattern": f"^{SERVICE_CODE}$"},
    "lat": {"type": "number", "minimum": -90, "maximum": 90},
    "long": {"type": "number", "minimum": -180, "maximum": 180},
    "datum": {"type": "string", "enum": ["wgs84", "gcj02", "bd09"]},
    "address_string": {"type": "string", "minLength": 2, "maxLength": 200},
    "address_id": {"type": "string", "pattern": r"^[0-9]{15}$"},
    "description": {"type": "string", "minLength": 2, "maxLength": 4000},
    "phone": {"type": "string", "pattern": PHONE_PATTERN},
    "first_name": {"type": "string", "maxLength": 100},
    "last_name": {"type": "string", "maxLength": 100},
    "email": {"type": "string", "maxLength": 200},
    "device_id": {"type": "string", "maxLength": 200},
    "account_id": {"type": "string", "maxLength": 200},
}
QUERY_PATTERNS = {
    "jurisdiction_id": r"^[0-9]{6}$",
    "service_request_id": rf"^{REQUEST_ID}(,{REQUEST_ID}){{0,{MAX_IDS - 1}}}$",
    "service_code": rf"^{SERVICE_CODE}(,{SERVICE_CODE}){{0,19}}$",
    "status": r"^(open|closed)(,(open|closed))?$",
}
QUERY_HINTS = {
    "jurisdiction_id": "a six-digit county code",
    "service_request_id": f"up to {MAX_IDS} request ids, comma-separated without spaces",
    "service_code": "up to 20 service codes, comma-separated without spaces",
    "status": "open, closed, or open,closed",
}
PARAMETERS = (*QUERY_PATTERNS, "start_date", "end_date", "page", "page_size")


def check_given(params: dict[str, str]) -> None:
    for name in PARAMETERS:
        if name in params and not params[name].strip():
            raise MalformedRequest(f"{name} is empty: give a value or leave it out")
    for name, pattern in QUERY_PATTERNS.items():
        if name in params and not re.fullmatch(pattern, params[name]):
            raise MalformedRequest(f"{name} must be {QUERY_HINTS[name]}")


def _months(start: datetime, end: datetime) -> list[str]:
    """YYYY-MM partitions from `end` back to `start` (UTC, as the keys are written)."""
    months = []
    year, month = end.year, end.month
    while (year, month) >= (start.year, start.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months


@dataclass
class Open311:
    reference: ReferenceData
    requests: RequestFiling
    store: RequestStore
    keys: PartnerKeyStore
    clock: Clock
    base_url: str

    def issue_key(self, partner: str) -> IssuedKey:
        """A new api_key for a partner app (its previous key stops working)."""
        now = self.clock.now()
        key = secrets.token_urlsafe(24)
        self.keys.issue(partner, key, now)
        return IssuedKey(partner=partner, api_key=key, created_at=now)

    def key_record(self, partner: str) -> PartnerKeyView:
        record = self.keys.record(partner)
        if record is None:
            raise NotFound(f"No Open311 key was issued to {partner}.")
        return PartnerKeyView(
            partner=record.partner, created_at=record.created_at, active=record.active
        )

    def county(self) -> str:
        return self.reference.jurisdictions().roots()[0].code

    def check_jurisdiction(self, params: dict[str, str]) -> None:
        check_given(params)
        given = params.get("jurisdiction_id")
        if given and given != self.county():
            raise NotFound(f"jurisdiction_id {given} is not served here")

    def discovery(self) -> dict[str, Any]:
        return {
            "changeset": "2026-12-01T00:00:00+08:00",
            "contact": "汶上县政务服务中心 便民服务平台 (the county government service center)",
            "key_service": "The county issues API keys to partner apps (POST /admin/open311/keys)",
            "notes": DEPARTURES,
            "endpoints": [
                {
                    "specification": SPEC_URL,
                    "url": f"{self.base_url}/open311/v2",
                    "changeset": "2026-12-01T00:00:00+08:00",
                    "type": "production",
                    "formats": ["application/json", "text/xml"],
                }
            ],
        }

    def services(self) -> list[dict[str, Any]]:
        departments = self.reference.departments()
        return [
            {
                "service_code": c.code,
                "service_name": f"{c.name} ({c.name_en})",
                "description": (
                    f"{c.name_en}; handled by "
                    + "、".join(departments[d].name for d in c.departments if d in departments)
                    + f"; resolved within {c.sla_days} working days"
                    + ("; always private, never listed publicly" if c.private else "")
                ),
                "metadata": False,
                "type": "realtime",
                "keywords": f"{c.code},{c.name}",
                "group": c.departments[0],
            }
            for c in self.reference.categories()
        ]

    def service_definition(self, code: str) -> dict[str, Any]:
        if not any(c.code == code for c in self.reference.categories()):
            raise NotFound(f"service_code {code} not found")
        return {"service_code": code, "attributes": []}

    def request(self, request_id: str) -> list[dict[str, Any]]:
        record = self.store.public(request_id) if re.fullmatch(REQUEST_ID, request_id) else None
        if record is None:
            raise NotFound(f"service_request_id {request_id} not found")
        return [record]

    def token(self, token: str) -> list[dict[str, Any]]:
        request_id = (
            self.keys.token(token) if token.replace("-", "").replace("_", "").isalnum() else None
        )
        if request_id is None:
            raise NotFound(f"token {token} not found")
        return [{"service_request_id": request_id, "token": token}]

    def search(self, params: dict[str, str]) -> list[dict[str, Any]]:
        page, size = _paging(params)
        # Every parameter given is checked, also those a list of ids makes the search ignore.
        end = (
            _parse_datetime(params["end_date"], "end_date")
            if params.get("end_date")
            else self.clock.now()
        )
        start = (
            _parse_datetime(params["start_date"], "start_date")
            if params.get("start_date")
            else end - DEFAULT_SPAN
        )
        if page * size > MAX_DEPTH:
            return []  # past the deepest page a query reaches
        ids = params.get("service_request_id")
        if ids:
            found = []
            for request_id in dict.fromkeys(ids.split(",")):
                try:
                    found += self.request(request_id)
                except DomainError:
                    continue
            return found[(page - 1) * size : page * size]
        if start > end:
            return []
        start = max(start, end - timedelta(days=366))  # a longer range lists its last year
        statuses = sorted(set(params["status"].split(","))) if params.get("status") else []
        codes = sorted(set(params["service_code"].split(","))) if params.get("service_code") else []
        known = {c.code for c in self.reference.categories()}
        if not set(codes) <= known:
            raise NotFound(f"service_code {','.join(set(codes) - known)} not found")
        chosen = PublicFilter(start, end, statuses=tuple(statuses), categories=tuple(codes))
        wanted = page * size  # read no further than the page asked for
        results: list[dict[str, Any]] = []
        for month in _months(start.astimezone(UTC), end.astimezone(UTC)):
            last_key = None
            while len(results) < wanted:
                items, last_key = self.store.public_page(
                    self.county(), month, chosen, min(wanted, MAX_RESULTS), last_key
                )
                results += items
                if not last_key:
                    break
            if len(results) >= wanted:
                break
        return results[(page - 1) * size : wanted]

    def create(self, params: dict[str, str]) -> list[dict[str, Any]]:
        partner = self.keys.partner(params.get("api_key", "")) if params.get("api_key") else None
        if partner is None:
            raise Forbidden("a valid api_key is required to post service requests")
        code = params.get("service_code")
        if not code:
            raise MalformedRequest("service_code is required")
        if not any(c.code == code for c in self.reference.categories()):
            raise NotFound(f"service_code {code} not found")
        phone = params.get("phone", "").strip()
        location: PointLocation | GridLocation
        try:
            if params.get("lat") and params.get("long"):
                location = PointLocation(
                    lat=float(params["lat"]),
                    lng=float(params["long"]),
                    datum=params.get("datum") or "wgs84",  # type: ignore[arg-type]
                    address=params.get("address_string") or "（未填写地址）",
                )
            elif params.get("address_id"):
                location = GridLocation(
                    grid=params["address_id"], address=params.get("address_string") or None
                )
            else:
                raise MalformedRequest(
                    "give lat and long, or address_id (a grid code of this county)"
                )
            body = RequestCreate(
                category=code,
                description=params.get("description", ""),
                location=location,
                photos=[],
            )
        except ValueError as exc:
            if isinstance(exc, ValidationError):
                first = exc.errors(include_url=False)[0]
                field = ".".join(str(p) for p in first["loc"]) or "request"
                field = {"lng": "long", "grid": "address_id"}.get(field.split(".")[-1], field)
                raise MalformedRequest(f"{field}: {first['msg']}") from None
            raise MalformedRequest("lat and long must be numbers") from None
        if params.get("media_url"):
            raise MalformedRequest("media_url is not accepted; photos go through the app")
        try:
            phone = normalise_phone(phone)
        except ValueError:
            raise MalformedRequest(
                "phone is required: a mainland mobile number, for the follow-up visit"
            ) from None
        try:
            req = self.requests.file_for_partner(partner, phone, body)
        except DomainError as exc:
            detail = exc.errors[0].field if exc.errors else ""
            detail = {"body.location.lat": "lat", "body.location.grid": "address_id"}.get(
                detail, detail.removeprefix("body.")
            )
            exc.detail = f"{detail}: {exc.detail}" if detail else exc.detail  # in GeoReport's terms
            raise
        token = secrets.token_urlsafe(12)
        self.keys.save_token(token, req.request_id)
        return [
            {
                "service_request_id": req.request_id,
                "token": token,
                "service_notice": f"{req.number}：{req.sla_days} 个工作日内办结",
                "account_id": None,
            }
        ]


# ---- XML -----------------------------------------------------------------------------------

# Characters XML 1.0 cannot carry (control characters a citizen may have pasted).
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

ROOTS = {
    "services": ("services", "service"),
    "requests": ("service_requests", "request"),
    "errors": ("errors", "error"),
}


def _element(name: str, value: Any) -> ET.Element:
    element = ET.Element(name)
    if isinstance(value, dict):
        for key, item in value.items():
            element.append(_element(key, item))
    elif isinstance(value, list):
        singular = {"endpoints": "endpoint", "formats": "format", "attributes": "attribute"}
        for item in value:
            element.append(_element(singular.get(name, "item"), item))
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = _XML_ILLEGAL.sub("", str(value))
    return element


def to_xml(kind: str, payload: Any) -> str:
    """GeoReport v2 XML: lists under their plural root, single documents as they are."""
    if kind in ROOTS:
        root_name, item_name = ROOTS[kind]
        root = ET.Element(root_name)
        for item in payload:
            root.append(_element(item_name, item))
    else:
        root = _element(kind, payload)
    return '<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(root, encoding="unicode")
