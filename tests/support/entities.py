"""Domain entities built in memory for the tests that need no AWS."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from chalicelib.domain.application import Application
from chalicelib.domain.application_parts import Status, TimeLimits
from chalicelib.domain.moves import Actor
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


def application(**overrides: Any) -> Application:
    """A personal application for an item reviewed by two departments, submitted and in the
    acceptance window's queue; `overrides` win."""
    fields: dict[str, Any] = {
        "application_id": "01M8DBP780000000000000000C",
        "number": "WS20261127-000001",
        "owner_id": "citizen",
        "service_code": "SC001",
        "service_version": 1,
        "service_name": "食品经营许可",
        "service_name_en": "Food business licence",
        "lead_department": "scjgj",
        "review_departments": ["scjgj", "wjw"],
        "review_rule": "all",
        "materials": [],
        "jurisdiction": "370830001",
        "applicant": {
            "kind": "person",
            "name": "张三",
            "id_number": "11010519491231002X",
            "phone": "13953700001",
        },
        "delivery": {"method": "pickup"},
        "status": Status.SUBMITTED,
        "created_at": NOW,
        "limits": TimeLimits(
            acceptance_days=2, promised_days=5, legal_days=20, running_since=NOW.date()
        ),
    }
    return Application.model_validate({**fields, **overrides})
