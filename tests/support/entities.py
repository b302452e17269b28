"""Domain entities built in memory for the tests that need no AWS."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from chalicelib.domain.application import Actor
from chalicelib.domain.request import ServiceRequest
from chalicelib.domain.request_parts import RequestStatus, Routing

NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


def service_request(**overrides: Any) -> ServiceRequest:
    """A road-repair request in 汶上街道's first grid, filed in the app; `overrides` win."""
    fields: dict[str, Any] = {
        "request_id": "01M8DBP780000000000000000A",
        "number": "SQ20261127-000001",
        "owner_id": "citizen",
        "owner_phone": "13953700001",
        "filed_by": Actor(role="applicant", id="citizen"),
        "channel": "app",
        "category": "road",
        "category_name": "道路",
        "category_name_en": "Roads",
        "sla_days": 5,
        "description": "路面破损",
        "jurisdiction": "370830001001001",
        "routing": Routing(dispatch_unit="370830001", exact=True, departments=["jtj"]),
        "status": RequestStatus.ASSIGNED,
        "created_at": NOW,
        "updated_at": NOW,
    }
    return ServiceRequest(**{**fields, **overrides})
