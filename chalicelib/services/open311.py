"""Open311 GeoReport v2 over the request half, so existing 311 clients work unchanged.

Services are the request categories; requests are the public projection of non-private
requests (`CASE#id / PUB`): no filer, no phone, no photos, free text redacted. Partner apps
post with an `api_key` issued by the catalogue admin (stored only as its SHA-256).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any
from xml.etree import ElementTree as ET

from pydantic import StringConstraints, ValidationError

from chalicelib.clock import Clock
from chalicelib.domain.calendar import BEIJING
from chalicelib.domain.common import Strict
from chalicelib.domain.identity import normalise_phone
from chalicelib.domain.request import GridLocation, PointLocation, RequestCreate
from chalicelib.errors import DomainError
from chalicelib.store.table import Table, is_conditional_failure

if TYPE_CHECKING:
    from chalicelib.services.reference import ReferenceData
    from chalicelib.services.requests import RequestService
    from chalicelib.store.requests import RequestStore

SPEC_URL = "http://wiki.open311.org/GeoReport_v2"
DEFAULT_SPAN = timedelta(days=90)
MAX_RESULTS = 200
MAX_IDS = 50


class GeoReportError(Exception):
    """An error answered as a GeoReport v2 error array."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


class PartnerKey(Strict):
    partner: str
    created_at: datetime
    active: bool = True


class PartnerKeyRequest(Strict):
    partner: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,39}$")]


class IssuedKey(Strict):
    partner: str
    api_key: str


def _digest(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


class PartnerKeys:
    def __init__(self, table: Table) -> None:
        self._table = table

    def issue(self, partner: str, now: datetime, api_key: str | None = None) -> str:
        key = api_key or secrets.token_urlsafe(24)
        self._table.put(
            {
                "pk": f"O311KEY#{_digest(key)}",
                "sk": "KEY",
                "data": PartnerKey(partner=partner, created_at=now).model_dump(mode="json"),
            },
            condition="attribute_not_exists(pk)",
        )
        return key

    def partner(self, api_key: str) -> str | None:
        raw = self._table.get(f"O311KEY#{_digest(api_key)}", "KEY")
        if raw is None:
            return None
        key = PartnerKey.model_validate(raw["data"])
        return key.partner if key.active else None

    def save_token(self, token: str, request_id: str) -> None:
        try:
            self._table.put(
                {"pk": f"O311TOKEN#{token}", "sk": "TOKEN", "request_id": request_id},
                condition="attribute_not_exists(pk)",
            )
        except Exception as exc:
            if not is_conditional_failure(exc):
                raise

    def token(self, token: str) -> str | None:
        raw = self._table.get(f"O311TOKEN#{token}", "TOKEN")
        return str(raw["request_id"]) if raw else None


def _parse_datetime(value: str, name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise GeoReportError(400, f"{name} must be an ISO 8601 date-time") from None
    if not 2000 <= moment.year <= 2100:
        raise GeoReportError(400, f"{name} must lie between the years 2000 and 2100")
    return moment if moment.tzinfo else moment.replace(tzinfo=BEIJING)


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
    requests: RequestService
    store: RequestStore
    keys: PartnerKeys
    clock: Clock
    base_url: str

    def county(self) -> str:
        return self.reference.jurisdictions().roots()[0].code

    def check_jurisdiction(self, params: dict[str, str]) -> None:
        given = params.get("jurisdiction_id")
        if given and given != self.county():
            raise GeoReportError(404, f"jurisdiction_id {given} is not served here")

    def discovery(self) -> dict[str, Any]:
        return {
            "changeset": "2026-11-28T00:00:00+08:00",
            "contact": "汶上县政务服务中心 便民服务平台 (the county government service center)",
            "key_service": "The county issues API keys to partner apps (POST /admin/open311/keys)",
            "endpoints": [
                {
                    "specification": SPEC_URL,
                    "url": f"{self.base_url}/open311/v2",
                    "changeset": "2026-11-28T00:00:00+08:00",
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
            raise GeoReportError(404, f"service_code {code} not found")
        return {"service_code": code, "attributes": []}

    def request(self, request_id: str) -> list[dict[str, Any]]:
        record = (
            self.store.public(request_id)
            if request_id.isalnum() and len(request_id) == 26
            else None
        )
        if record is None:
            raise GeoReportError(404, f"service_request_id {request_id} not found")
        return [record]

    def token(self, token: str) -> list[dict[str, Any]]:
        request_id = (
            self.keys.token(token) if token.replace("-", "").replace("_", "").isalnum() else None
        )
        if request_id is None:
            raise GeoReportError(404, f"token {token} not found")
        return [{"service_request_id": request_id, "token": token}]

    def search(self, params: dict[str, str]) -> list[dict[str, Any]]:
        ids = params.get("service_request_id")
        if ids:
            wanted = [i.strip() for i in ids.split(",") if i.strip()][:MAX_IDS]
            found = []
            for request_id in wanted:
                try:
                    found += self.request(request_id)
                except GeoReportError:
                    continue
            return found
        now = self.clock.now()
        end = _parse_datetime(params["end_date"], "end_date") if params.get("end_date") else now
        start = (
            _parse_datetime(params["start_date"], "start_date")
            if params.get("start_date")
            else end - DEFAULT_SPAN
        )
        if start > end:
            raise GeoReportError(400, "start_date must not be after end_date")
        if end - start > timedelta(days=366):
            raise GeoReportError(400, "the date range is at most a year")
        names: dict[str, str] = {}
        values: dict[str, Any] = {}
        clauses = []
        if params.get("status"):
            statuses = sorted({s.strip() for s in params["status"].split(",")})
            if not set(statuses) <= {"open", "closed"}:
                raise GeoReportError(400, "status must be open or closed")
            clauses.append("#st IN (" + ", ".join(f":st{i}" for i in range(len(statuses))) + ")")
            names["#st"] = "status"
            values.update({f":st{i}": s for i, s in enumerate(statuses)})
        if params.get("service_code"):
            codes = sorted({c.strip() for c in params["service_code"].split(",")})
            if len(codes) > 20:
                raise GeoReportError(400, "at most 20 service codes at once")
            known = {c.code for c in self.reference.categories()}
            if not set(codes) <= known:
                raise GeoReportError(404, f"service_code {','.join(set(codes) - known)} not found")
            clauses.append("#c IN (" + ", ".join(f":c{i}" for i in range(len(codes))) + ")")
            names["#c"] = "category"
            values.update({f":c{i}": c for i, c in enumerate(codes)})
        filter = (" AND ".join(clauses), names, values) if clauses else None
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        lo, hi = start.isoformat(), f"{end.isoformat()}#~"
        results: list[dict[str, Any]] = []
        for month in _months(start, end):
            last_key = None
            while len(results) < MAX_RESULTS:
                items, last_key = self.store.public_page(
                    self.county(), month, lo, hi, MAX_RESULTS, filter, last_key
                )
                results += items
                if not last_key:
                    break
            if len(results) >= MAX_RESULTS:
                break
        return results[:MAX_RESULTS]

    def create(self, params: dict[str, str]) -> list[dict[str, Any]]:
        partner = self.keys.partner(params.get("api_key", "")) if params.get("api_key") else None
        if partner is None:
            raise GeoReportError(403, "a valid api_key is required to post service requests")
        code = params.get("service_code")
        if not code:
            raise GeoReportError(400, "service_code is required")
        if not any(c.code == code for c in self.reference.categories()):
            raise GeoReportError(404, f"service_code {code} not found")
        phone = params.get("phone", "").strip()
        location: PointLocation | GridLocation
        try:
            if params.get("lat") and params.get("long"):
                location = PointLocation(
                    lat=float(params["lat"]),
                    lng=float(params["long"]),
                    address=params.get("address_string") or "（未填写地址）",
                )
            elif params.get("address_id"):
                location = GridLocation(
                    grid=params["address_id"], address=params.get("address_string") or None
                )
            else:
                raise GeoReportError(
                    400, "give lat and long, or address_id (a grid code of this county)"
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
                raise GeoReportError(400, f"{field}: {first['msg']}") from None
            raise GeoReportError(400, "lat and long must be numbers") from None
        if params.get("media_url"):
            raise GeoReportError(400, "media_url is not accepted; photos go through the app")
        try:
            phone = normalise_phone(phone)
        except ValueError:
            raise GeoReportError(
                400, "phone is required: a mainland mobile number, for the follow-up visit"
            ) from None
        try:
            req = self.requests.file_for_partner(partner, phone, body)
        except DomainError as exc:
            detail = exc.errors[0].field if exc.errors else ""
            raise GeoReportError(
                400 if exc.status < 500 else exc.status,
                f"{detail}: {exc.detail}" if detail else exc.detail,
            ) from None
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
