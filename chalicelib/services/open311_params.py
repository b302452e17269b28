"""The GeoReport v2 parameters as this API reads them: paging, dates, the text filters'
patterns, and a partner's posted fields turned into a request body. The OpenAPI document
states the same patterns and bounds (it reads them from here)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError

from chalicelib.domain.calendar import BEIJING
from chalicelib.domain.identity import PHONE_PATTERN, normalise_phone
from chalicelib.domain.request_api import GridLocation, PointLocation, RequestCreate
from chalicelib.errors import MalformedRequest

DEFAULT_SPAN = timedelta(days=90)
MAX_RESULTS = 200
MAX_IDS = 50
EARLIEST = datetime(2000, 1, 1, tzinfo=BEIJING)
LATEST = datetime(2100, 12, 31, tzinfo=BEIJING)


_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def parse_datetime(value: str, name: str) -> datetime:
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


def paging(params: dict[str, str]) -> tuple[int, int]:
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


def months(start: datetime, end: datetime) -> list[str]:
    """YYYY-MM partitions from `end` back to `start` (UTC, as the keys are written)."""
    months = []
    year, month = end.year, end.month
    while (year, month) >= (start.year, start.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months


def partner_request(code: str, params: dict[str, str]) -> tuple[RequestCreate, str]:
    """A partner's posted fields as the request body it files, and the resident's phone;
    an error names the field in GeoReport's terms (long, address_id)."""
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
            raise MalformedRequest("give lat and long, or address_id (a grid code of this county)")
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
    return body, phone
