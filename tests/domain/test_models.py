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
    path = DATA_DIR / "counties" / "370830" / "services.json"
    services = json.loads(path.read_text(encoding="utf-8"))["services"]
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
    from chalicelib.domain.application_parts import TimeLimits
    from chalicelib.domain.calendar import WorkingCalendar
    from chalicelib.services.review_start import review_timeout
    from chalicelib.settings import Settings

    class Reference:
        def calendar(self, county: str) -> WorkingCalendar:
            assert county == "370830"
            return WorkingCalendar()

    clock = FixedClock(datetime(2026, 11, 27, 2, tzinfo=UTC))
    settings = Settings(table_name="t", documents_bucket="b", signing_secret_id="s")

    class App:
        county = "370830"
        limits = TimeLimits(
            acceptance_days=1, promised_days=1, legal_days=7, promised_due=date(2026, 11, 30)
        )

    seconds = review_timeout(App(), settings, Reference(), clock.now())  # type: ignore[arg-type]
    assert seconds == (datetime(2026, 11, 30, 16, tzinfo=UTC) - clock.now()).total_seconds()


def test_the_largest_request_a_client_can_build_stays_far_below_dynamodbs_item_limit() -> None:
    """Every collection a client can grow on a request is bounded; at every bound at once,
    its root item stays under 200 KB (half of DynamoDB's 400 KB)."""
    import json
    from datetime import UTC, datetime

    from chalicelib.domain.moves import Actor
    from chalicelib.domain.request import ServiceRequest
    from chalicelib.domain.request_parts import (
        MAX_ASSIGNMENTS,
        MAX_MERGED,
        MAX_PHOTOS,
        MAX_PROGRESS_REPLIES,
        MAX_REOPENINGS,
        MAX_REPLY_PHOTOS,
        MAX_VISITS,
        Assignment,
        Escalation,
        Photo,
        Reply,
        Routing,
        Stage,
        Visit,
    )
    from chalicelib.domain.review import Rating
    from chalicelib.store.request_items import root_item

    now = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
    actor = Actor(role="reviewer", id="x" * 64, department="cgj", name="名" * 50)
    photo = Photo(
        document_id="0" * 26,
        key="uploads/staff-" + "x" * 64 + "/" + "0" * 26,
        content_type="image/jpeg",
        version_id="v" * 64,
    )
    note = "字" * 500
    rounds = MAX_REOPENINGS + 1
    # a new round keeps each department's last answer (older replies: on the timeline)
    done = [Reply(at=now, by=actor, text=note, done=True, photos=[photo] * MAX_REPLY_PHOTOS)]
    assignments = [
        Assignment(
            department=f"dept{i}",
            status="done",
            assigned_at=now,
            assigned_by="x" * 64,
            replies=done * 2,
        )
        for i in range(MAX_ASSIGNMENTS)
    ]
    assignments[0].replies += [
        Reply(at=now, by=actor, text=note, done=False, photos=[photo] * MAX_REPLY_PHOTOS)
    ] * MAX_PROGRESS_REPLIES
    req = ServiceRequest(
        request_id="0" * 26,
        number="SQ20261127-000001",
        owner_id="c" * 26,
        owner_phone="13953700001",
        filed_by=actor,
        channel="app",
        category="c" * 32,
        category_name="名" * 200,
        category_name_en="n" * 200,
        sla_days=60,
        description="字" * 4000,
        address="地" * 200,
        lat=35.0,
        lng=116.0,
        jurisdiction="370830001001001",
        routing=Routing(
            grid="370830001001001",
            dispatch_unit="370830001",
            exact=True,
            departments=[f"dept{i}" for i in range(8)],
        ),
        photos=[photo] * MAX_PHOTOS,
        status="reopened",
        created_at=now,
        updated_at=now,
        assignments=assignments,
        visits=[Visit(at=now, by=actor, kind="visit", note=note, photos=[photo] * MAX_REPLY_PHOTOS)]
        * MAX_VISITS,
        escalations=[Escalation(stage=Stage.RESOLUTION, deadline=now, at=now, to=["x" * 64] * 20)]
        * (2 + rounds),  # acceptance, resolution, each rectification: once each
        ratings=[
            Rating(
                level=1,
                label={"zh": "非常不满意", "en": "Very dissatisfied"},
                comment="字" * 1000,
                rated_at=now,
            )
        ]
        * rounds,
        merged=["0" * 26] * MAX_MERGED,
        repeat_of=["0" * 26] * 5,
    )
    size = len(json.dumps(root_item(req), ensure_ascii=False, default=str).encode())
    assert size < 200_000, size
