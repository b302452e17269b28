"""Domain rules with no AWS at all: catalogue items, jurisdictions, phones, the demo data."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from chalicelib.domain.catalogue import ServiceItemInput
from chalicelib.domain.identity import OtpRequest, mask_phone
from chalicelib.domain.reference import Jurisdiction
from devstack.seed import county_data
from infra.definitions import DATA_DIR


def _sme() -> dict[str, Any]:
    services = json.loads((DATA_DIR / "services.json").read_text(encoding="utf-8"))["services"]
    item = next(s for s in services if s["code"] == "370830-QR-0001")
    return {k: v for k, v in item.items() if k != "code"}


def test_the_demo_county_data_is_valid() -> None:
    data = county_data()
    assert len(data.services) == 10 and len(data.departments) == 15
    assert [j.level.value for j in data.jurisdictions].count("grid") == 3
    departments = {d.code for d in data.departments}
    for _, item in data.services:
        assert {item.lead_department, *item.review.departments} <= departments


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"promised_days": 8}, "promised_days must not exceed legal_days"),
        ({"delivery": ["mail", "mail"]}, "delivery methods must not repeat"),
        ({"online_only": True, "visits_required": 1}, "online-only item cannot require visits"),
        ({"online_only": True, "delivery": ["mail"]}, "must offer electronic delivery"),
    ],
)
def test_inconsistent_items_are_rejected(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        ServiceItemInput.model_validate({**_sme(), **change})


def test_duplicate_materials_and_departments_are_rejected() -> None:
    item = _sme()
    item["materials"] = [item["materials"][0], item["materials"][0]]
    with pytest.raises(ValidationError, match="material codes must be unique"):
        ServiceItemInput.model_validate(item)
    item = _sme()
    item["review"] = {"departments": ["jxj", "jxj"], "rule": "all"}
    with pytest.raises(ValidationError, match="must not repeat"):
        ServiceItemInput.model_validate(item)


def test_unknown_fields_are_rejected_at_every_level() -> None:
    item = _sme()
    item["materials"][0]["colour"] = "red"
    with pytest.raises(ValidationError) as info:
        ServiceItemInput.model_validate(item)
    assert info.value.errors()[0]["loc"] == ("materials", 0, "colour")


def test_jurisdiction_codes_match_their_level_and_parent() -> None:
    grid = {"code": "370830001001001", "name": "网格", "level": "grid", "parent": "370830001001"}
    assert Jurisdiction.model_validate(grid).parent == "370830001001"
    with pytest.raises(ValidationError, match="grid code has 15 digits"):
        Jurisdiction.model_validate({**grid, "code": "370830001001"})
    with pytest.raises(ValidationError, match="parent must be"):
        Jurisdiction.model_validate({**grid, "parent": "370830002001"})
    open_ring = [[1.0, 1.0], [2.0, 1.0], [2.0, 2.0], [1.0, 2.0]]
    with pytest.raises(ValidationError, match="closed ring"):
        Jurisdiction.model_validate({**grid, "polygon": open_ring})


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("13953700001", "13953700001"),
        ("+86 139 5370 0001", "13953700001"),
        ("139-5370-0001", "13953700001"),
    ],
)
def test_mobile_numbers_are_normalised(raw: str, normalised: str) -> None:
    assert OtpRequest(phone=raw).phone == normalised


@pytest.mark.parametrize(
    "raw", ["12953700001", "1395370000", "139537000011", "abc", "+1 2025550123"]
)
def test_non_mainland_mobile_numbers_are_rejected(raw: str) -> None:
    with pytest.raises(ValidationError):
        OtpRequest(phone=raw)


def test_phones_are_masked() -> None:
    assert mask_phone("13953700001") == "139****0001"


def test_review_tasks_wait_until_the_end_of_their_due_working_day() -> None:
    """Accepted Friday 27 Nov 2026 10:00 Beijing with 1 promised day: due Monday 30 Nov, so
    the task waits until Tuesday 00:00 Beijing, not 24 hours (which would escalate on Saturday)."""
    from datetime import UTC, date, datetime

    from chalicelib.clock import FixedClock
    from chalicelib.domain.application import TimeLimits
    from chalicelib.domain.calendar import WorkingCalendar
    from chalicelib.services.acceptance import AcceptanceService
    from chalicelib.settings import Settings

    class Reference:
        def calendar(self) -> WorkingCalendar:
            return WorkingCalendar()

    clock = FixedClock(datetime(2026, 11, 27, 2, tzinfo=UTC))
    settings = Settings(table_name="t", documents_bucket="b", signing_secret_id="s")
    service = AcceptanceService(None, Reference(), None, None, None, clock, settings)  # type: ignore[arg-type]

    class App:
        limits = TimeLimits(
            acceptance_days=1, promised_days=1, legal_days=7, promised_due=date(2026, 11, 30)
        )

    seconds = service._review_timeout(App())  # type: ignore[arg-type]
    assert seconds == (datetime(2026, 11, 30, 16, tzinfo=UTC) - clock.now()).total_seconds()
