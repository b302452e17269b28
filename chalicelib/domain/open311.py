"""A request as Open311 GeoReport v2 publishes it: the public projection (`CASE#id / PUB`),
written with the request in its transaction and read by the GeoReport routes. Only what a
public map of service requests shows: no filer, no phone, no photos; free text redacted."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict


class PublicRecord(BaseModel):
    """One GeoReport v2 service request record (field names as the spec has them)."""

    model_config = ConfigDict(defer_build=True, extra="ignore")

    service_request_id: str
    status: Literal["open", "closed"]
    status_notes: str
    service_name: str
    service_code: str
    description: str
    agency_responsible: str
    service_notice: str
    requested_datetime: str  # ISO 8601 in Beijing time, as the spec's W3C format
    updated_datetime: str
    expected_datetime: str | None = None
    address: str | None = None
    address_id: str
    lat: float | None = None
    long: float | None = None

    def georeport(self) -> dict[str, Any]:
        """The record as a GeoReport response carries it: a field with no value is left out
        (as the spec's examples do), in JSON and in XML alike."""
        return self.model_dump(exclude_none=True)
