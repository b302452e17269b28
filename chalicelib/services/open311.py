"""Open311 GeoReport v2 over the request half, so existing 311 clients work unchanged.

Services are the request categories; requests are the public projection of non-private
requests (`CASE#id / PUB`): no filer, no phone, no photos, free text redacted. Partner apps
post with an `api_key` issued by the catalogue admin (stored only as its SHA-256).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, timedelta
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field, StringConstraints

from chalicelib.clock import Clock
from chalicelib.context import public_url
from chalicelib.domain.common import Instant, Strict
from chalicelib.errors import DomainError, Forbidden, MalformedRequest, NotFound
from chalicelib.services.open311_params import (
    DEFAULT_SPAN,
    MAX_DEPTH,
    MAX_RESULTS,
    REQUEST_ID,
    check_given,
    months,
    paging,
    parse_datetime,
    partner_request,
)
from chalicelib.store.partners import PartnerKeyStore
from chalicelib.store.requests import PublicFilter

if TYPE_CHECKING:
    from chalicelib.domain.reference import Category
    from chalicelib.services.reference import ReferenceData
    from chalicelib.services.request_filing import RequestFiling
    from chalicelib.store.requests import RequestStore

SPEC_URL = "http://wiki.open311.org/GeoReport_v2"


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
    "POST needs lat and long, or address_id (a grid code of a county served here): there is no "
    "geocoder for address_string alone.",
    "media_url is refused: photos go through the app's scanned upload pipeline.",
    "lat and long are WGS-84; a partner posting GCJ-02 (Chinese maps) or BD-09 (Baidu) "
    "coordinates adds datum=gcj02 or datum=bd09.",
    "Lists are paged with page (1-based) and page_size (1-200, default 50), at most 1,000 "
    "results into a query; dates are ISO 8601 in Beijing time (+08:00).",
    "Private requests (every petition) are never listed or shown; phone and ID numbers typed "
    "into text are masked.",
]


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

    def county(self, params: dict[str, str], required: bool = True) -> str | None:
        """The county a call is about: its `jurisdiction_id` (the county's code). Where the
        answer is one county's (its services, its requests) it is required: the spec asks
        for it of an endpoint serving several jurisdictions, and this one may serve many."""
        counties = self.reference.counties()
        given = params.get("jurisdiction_id")
        if given:
            if given not in counties:
                raise NotFound(f"jurisdiction_id {given} is not served here")
            return given
        if not required:
            return None
        served = ", ".join(f"{c.code} ({c.name})" for _, c in sorted(counties.items()))
        raise MalformedRequest(f"jurisdiction_id is required: this endpoint serves {served}")

    def check_jurisdiction(self, params: dict[str, str]) -> None:
        check_given(params)
        self.county(params, required=False)

    def discovery(self) -> dict[str, Any]:
        platform = self.reference.platform()
        counties = [c for _, c in sorted(self.reference.counties().items())]
        contacts = "; ".join(f"{c.service_centre} {c.hotline}" for c in counties)
        jurisdictions = ", ".join(f"{c.code} {c.name} ({c.name_en})" for c in counties)
        return {
            "changeset": "2026-12-01T00:00:00+08:00",
            "contact": f"{platform.name} ({platform.name_en}): {contacts}",
            "key_service": "The platform issues API keys to partner apps "
            "(POST /admin/open311/keys)",
            "notes": [
                f"jurisdiction_id is a county's code: {jurisdictions}. It is required on "
                "the services and the request search (the endpoint serves several counties); "
                "a posted request goes to the county its location lies in.",
                *DEPARTURES,
            ],
            "endpoints": [
                {
                    "specification": SPEC_URL,
                    "url": f"{public_url(self.base_url)}/open311/v2",
                    "changeset": "2026-12-01T00:00:00+08:00",
                    "type": "production",
                    "formats": ["application/json", "text/xml"],
                }
            ],
        }

    def _categories(self, params: dict[str, str]) -> tuple[str, list[Category]]:
        county = self.county(params)
        assert county is not None  # required
        return county, self.reference.categories(county)

    def services(self, params: dict[str, str]) -> list[dict[str, Any]]:
        county, categories = self._categories(params)
        departments = self.reference.departments(county)
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
            for c in categories
        ]

    def service_definition(self, code: str, params: dict[str, str]) -> dict[str, Any]:
        _, categories = self._categories(params)
        if not any(c.code == code for c in categories):
            raise NotFound(f"service_code {code} not found")
        return {"service_code": code, "attributes": []}

    def request(self, request_id: str, county: str | None = None) -> list[dict[str, Any]]:
        """One public request; with a county (`jurisdiction_id`), only if it lies there."""
        record = self.store.public(request_id) if re.fullmatch(REQUEST_ID, request_id) else None
        if record is None or (county is not None and record.address_id[:6] != county):
            raise NotFound(f"service_request_id {request_id} not found")
        return [record.georeport()]

    def token(self, token: str) -> list[dict[str, Any]]:
        request_id = (
            self.keys.token(token) if token.replace("-", "").replace("_", "").isalnum() else None
        )
        if request_id is None:
            raise NotFound(f"token {token} not found")
        return [{"service_request_id": request_id, "token": token}]

    def search(self, params: dict[str, str]) -> list[dict[str, Any]]:
        county, categories = self._categories(params)  # the county's: required first
        page, size = paging(params)
        # Every parameter given is checked, also those a list of ids makes the search ignore.
        end = (
            parse_datetime(params["end_date"], "end_date")
            if params.get("end_date")
            else self.clock.now()
        )
        start = (
            parse_datetime(params["start_date"], "start_date")
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
                    found += self.request(request_id, county)
                except DomainError:
                    continue
            return found[(page - 1) * size : page * size]
        if start > end:
            return []
        start = max(start, end - timedelta(days=366))  # a longer range lists its last year
        statuses = sorted(set(params["status"].split(","))) if params.get("status") else []
        codes = sorted(set(params["service_code"].split(","))) if params.get("service_code") else []
        known = {c.code for c in categories}
        if not set(codes) <= known:
            raise NotFound(f"service_code {','.join(set(codes) - known)} not found")
        chosen = PublicFilter(start, end, statuses=tuple(statuses), categories=tuple(codes))
        wanted = page * size  # read no further than the page asked for
        results: list[dict[str, Any]] = []
        for month in months(start.astimezone(UTC), end.astimezone(UTC)):
            last_key = None
            while len(results) < wanted:
                items, last_key = self.store.public_page(
                    county, month, chosen, min(wanted, MAX_RESULTS), last_key
                )
                results += [record.georeport() for record in items]
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
        county = self.county(params, required=False)
        if county is not None and self.reference.category(county, code) is None:
            raise NotFound(f"service_code {code} not found")
        body, phone = partner_request(code, params)
        try:
            req = self.requests.file_for_partner(partner, phone, body, county)
        except DomainError as exc:
            detail = exc.errors[0].field if exc.errors else ""
            detail = {
                "body.location.lat": "lat",
                "body.location.grid": "address_id",
                "body.category": "service_code",
            }.get(detail, detail.removeprefix("body."))
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
