"""The rules of 双随机、一公开's models, with no AWS: the item list's ratio floor, an entity's
kind from its credit code, the risk signals an entity keeps and counts, what the public sees
of it, a plan's period, a task's moves (result, follow-up, final outcome) and a result's
rectification date."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from chalicelib.domain.applicant import credit_code_check_char
from chalicelib.domain.inspection import (
    KEPT_SIGNALS,
    EntityInput,
    EntityType,
    InspectionEntity,
    InspectionItemInput,
    entity_type_of,
)
from chalicelib.domain.inspection_plan import (
    Finding,
    FollowUp,
    InspectionTaskStatus,
    Outcome,
    PlanInput,
    Task,
    TaskResultInput,
)
from chalicelib.errors import Conflict

NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
TODAY = date(2026, 11, 27)


def code(first17: str) -> str:
    return first17 + credit_code_check_char(first17)


ENTERPRISE = code("91370830MA3DJ7Q7X")
INDIVIDUAL = code("92370830MA3CJW4N8")


def item(**overrides: Any) -> dict[str, Any]:
    return {
        "department": "scjg",
        "name": "食品经营者经营活动的检查",
        "name_en": "Food business inspection",
        "legal_basis": "《中华人民共和国食品安全法》第一百一十条",
        "ratio_permille": 50,
        **overrides,
    }


def entity(**overrides: Any) -> dict[str, Any]:
    return {
        "credit_code": ENTERPRISE,
        "name": "汶上县亲水湾餐饮管理有限公司",
        "address": "汶上县西门街88号",
        "township": "370830001",
        "grid": "370830001001001",
        **overrides,
    }


def stored(**overrides: Any) -> InspectionEntity:
    return InspectionEntity.model_validate(
        {**entity(), "county": "370830", "updated_at": NOW, **overrides}
    )


def errors_of(exc: pytest.ExceptionInfo[ValidationError]) -> str:
    return str(exc.value)


# The item list ---------------------------------------------------------------------------


def test_a_general_item_inspects_at_least_five_percent() -> None:
    assert InspectionItemInput.model_validate(item(ratio_permille=50)).ratio_permille == 50
    with pytest.raises(ValidationError) as refused:
        InspectionItemInput.model_validate(item(ratio_permille=49))
    assert "ratio_permille" in errors_of(refused)


@pytest.mark.parametrize("ratio", [1, 10, 49, 1000])
def test_a_key_item_takes_any_ratio(ratio: int) -> None:
    assert InspectionItemInput.model_validate(item(key_item=True, ratio_permille=ratio))


@pytest.mark.parametrize("ratio", [0, 1001])
def test_the_ratio_stays_within_per_mille(ratio: int) -> None:
    with pytest.raises(ValidationError):
        InspectionItemInput.model_validate(item(key_item=True, ratio_permille=ratio))


# Entities --------------------------------------------------------------------------------


def test_the_kind_comes_from_the_credit_code() -> None:
    assert entity_type_of(INDIVIDUAL) is EntityType.INDIVIDUAL
    assert entity_type_of(ENTERPRISE) is EntityType.ENTERPRISE
    assert entity_type_of(code("12370830MB1234567")) is EntityType.ENTERPRISE  # an institution
    assert EntityInput.model_validate(entity()).kind is EntityType.ENTERPRISE
    individual = EntityInput.model_validate(entity(credit_code=INDIVIDUAL, operator="张建国"))
    assert individual.kind is EntityType.INDIVIDUAL and individual.operator == "张建国"
    stated = EntityInput.model_validate(entity(credit_code=INDIVIDUAL, kind="individual"))
    assert stated.kind is EntityType.INDIVIDUAL


@pytest.mark.parametrize(
    ("credit_code", "kind"), [(ENTERPRISE, "individual"), (INDIVIDUAL, "enterprise")]
)
def test_a_kind_the_code_contradicts_is_refused(credit_code: str, kind: str) -> None:
    with pytest.raises(ValidationError) as refused:
        EntityInput.model_validate(entity(credit_code=credit_code, kind=kind))
    assert "kind" in errors_of(refused)


def test_an_enterprise_names_no_operator() -> None:
    with pytest.raises(ValidationError) as refused:
        EntityInput.model_validate(entity(operator="赵成凯"))
    assert "operator" in errors_of(refused)


def test_a_wrong_check_character_is_refused() -> None:
    wrong = ENTERPRISE[:17] + ("0" if ENTERPRISE[17] != "0" else "1")
    with pytest.raises(ValidationError) as refused:
        EntityInput.model_validate(entity(credit_code=wrong))
    assert "check character" in errors_of(refused)
    with pytest.raises(ValidationError):
        EntityInput.model_validate(entity(credit_code=ENTERPRISE[:17]))  # 17 characters
    with pytest.raises(ValidationError):
        EntityInput.model_validate(entity(credit_code="I" + ENTERPRISE[1:]))  # no I in GB 32100


def test_lower_case_codes_are_read_as_upper_case() -> None:
    read = EntityInput.model_validate(entity(credit_code=ENTERPRISE.lower()))
    assert read.credit_code == ENTERPRISE


@pytest.mark.parametrize(
    "overrides",
    [
        {"township": "37083001"},  # 8 digits
        {"grid": "3708300010010"},  # not 15 digits
        {"name": "   "},  # blank
        {"unknown": 1},  # no such field
    ],
)
def test_malformed_records_are_refused(overrides: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        EntityInput.model_validate(entity(**overrides))


def test_a_signal_is_noted_once_per_key() -> None:
    found = stored()
    assert found.noting("complaints", "R1", date(2026, 11, 1)) is True
    assert found.noting("complaints", "R1", date(2026, 11, 20)) is False
    assert found.complaints == {"R1": date(2026, 11, 1)}  # the first date stays
    assert found.noting("failures", "R1", date(2026, 11, 2)) is True  # another kind
    assert found.failures == {"R1": date(2026, 11, 2)}


def test_only_the_newest_signals_are_kept() -> None:
    found = stored()
    first = date(2026, 1, 1)
    for n in range(KEPT_SIGNALS + 3):
        assert found.noting("complaints", f"R{n:02d}", first + timedelta(days=n))
    assert len(found.complaints) == KEPT_SIGNALS
    assert set(found.complaints) == {f"R{n:02d}" for n in range(3, KEPT_SIGNALS + 3)}
    # an older one than every kept signal is noted and dropped at once
    assert found.noting("complaints", "OLD", date(2025, 1, 1)) is True
    assert "OLD" not in found.complaints and len(found.complaints) == KEPT_SIGNALS


def test_a_draw_counts_the_signals_of_the_last_year_only() -> None:
    found = stored(
        complaints={
            "recent": TODAY - timedelta(days=1),
            "within": TODAY - timedelta(days=364),
            "year": TODAY - timedelta(days=365),
            "old": TODAY - timedelta(days=800),
        },
        failures={"t1": TODAY - timedelta(days=30), "t0": TODAY - timedelta(days=400)},
        abnormal=True,
    )
    drawn = found.for_draw(TODAY)
    assert drawn.complaints == 2 and drawn.failed_inspections == 1 and drawn.abnormal is True
    assert (drawn.credit_code, drawn.township, drawn.grid) == (
        ENTERPRISE,
        "370830001",
        "370830001001001",
    )
    assert found.for_draw(TODAY + timedelta(days=400)).complaints == 0


def test_the_public_sees_no_operator_nor_an_individuals_address() -> None:
    company = stored().public()
    assert company.address == "汶上县西门街88号" and company.kind is EntityType.ENTERPRISE
    shop = stored(credit_code=INDIVIDUAL, operator="张建国", address="汶上县西门街58号").public()
    assert shop.address is None and shop.kind is EntityType.INDIVIDUAL
    dumped = shop.model_dump_json()
    assert "张建国" not in dumped and "西门街58号" not in dumped
    assert "operator" not in type(shop).model_fields


# Plans -----------------------------------------------------------------------------------


def plan(**overrides: Any) -> dict[str, Any]:
    return {
        "item_id": "SCJG-001",
        "period_start": "2026-11-27",
        "period_end": "2026-12-31",
        **overrides,
    }


def test_a_plan_defaults() -> None:
    read = PlanInput.model_validate(plan())
    assert read.townships == [] and read.inspectors_per_entity == 2 and read.task_days == 20
    assert read.ratio_permille is None
    one_day = PlanInput.model_validate(plan(period_end="2026-11-27"))
    assert one_day.period_start == one_day.period_end


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"period_end": "2026-11-26"}, "period_end"),
        ({"period_end": "2027-11-29"}, "period_end"),  # 367 days on
        ({"townships": ["370830001", "370830001"]}, "townships"),
        ({"inspectors_per_entity": 1}, "inspectors_per_entity"),
        ({"task_days": 0}, "task_days"),
        ({"ratio_permille": 0}, "ratio_permille"),
        ({"item_id": "scjg-001"}, "item_id"),
        ({"townships": ["37083000"]}, "townships"),
    ],
)
def test_a_plan_period_and_scope_are_checked(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        PlanInput.model_validate(plan(**overrides))
    assert field in errors_of(refused)


def test_a_plan_covers_up_to_a_year() -> None:
    assert PlanInput.model_validate(plan(period_start="2027-01-01", period_end="2028-01-02"))


# Tasks -----------------------------------------------------------------------------------


def task(**overrides: Any) -> Task:
    fields: dict[str, Any] = {
        "task_id": "01M8DBP7800000000000000000-0001",
        "plan_id": "01M8DBP7800000000000000000",
        "order": 1,
        "county": "370830",
        "department": "scjg",
        "item_id": "SCJG-001",
        "item_name": "食品经营者经营活动的检查",
        "credit_code": ENTERPRISE,
        "entity_name": "汶上县亲水湾餐饮管理有限公司",
        "township": "370830001",
        "inspectors": ["37083001002", "37083001003"],
        "staff": ["scjg-inspector-2", "scjg-inspector-3"],
        "due": date(2026, 12, 11),
    }
    return Task(**{**fields, **overrides})


def finding(outcome: Outcome, **overrides: Any) -> Finding:
    fields: dict[str, Any] = {
        "outcome": outcome,
        "notes": "现场检查。",
        "inspected_on": TODAY,
        "recorded_by": "scjg-inspector-2",
        "recorded_at": NOW,
    }
    if outcome is Outcome.RECTIFY:
        fields["rectify_by"] = TODAY + timedelta(days=10)
    return Finding(**{**fields, **overrides})


def follow_up(rectified: bool, checked_on: date = TODAY) -> FollowUp:
    return FollowUp(
        rectified=rectified,
        notes="复查。",
        checked_on=checked_on,
        recorded_by="scjg-inspector-2",
        recorded_at=NOW,
    )


@pytest.mark.parametrize(
    "outcome", [Outcome.PASSED, Outcome.CASE_FILED, Outcome.UNREACHABLE, Outcome.CEASED]
)
def test_a_result_ends_the_task_unless_it_orders_rectification(outcome: Outcome) -> None:
    current = task()
    assert current.outcome is None
    current.record(finding(outcome))
    assert current.status is InspectionTaskStatus.DONE and current.outcome is outcome
    with pytest.raises(Conflict):
        current.record(finding(Outcome.PASSED))
    with pytest.raises(Conflict):
        current.follow(follow_up(True))


def test_a_rectification_is_followed_up_once() -> None:
    current = task()
    with pytest.raises(Conflict):
        current.follow(follow_up(True))  # nothing recorded yet
    current.record(finding(Outcome.RECTIFY))
    assert current.status is InspectionTaskStatus.RECTIFYING and current.outcome is Outcome.RECTIFY
    with pytest.raises(Conflict):
        current.record(finding(Outcome.PASSED))
    current.follow(follow_up(True))
    assert current.status is InspectionTaskStatus.DONE and current.outcome is Outcome.RECTIFY
    with pytest.raises(Conflict):
        current.follow(follow_up(False))


def test_not_rectified_is_a_case_filed() -> None:
    current = task()
    current.record(finding(Outcome.RECTIFY))
    current.follow(follow_up(False))
    assert current.outcome is Outcome.CASE_FILED and current.finding is not None
    assert current.finding.outcome is Outcome.RECTIFY  # the inspection's own result stays


def test_a_follow_up_does_not_come_before_the_inspection() -> None:
    current = task()
    current.record(finding(Outcome.RECTIFY))
    with pytest.raises(Conflict) as refused:
        current.follow(follow_up(True, checked_on=TODAY - timedelta(days=1)))
    assert refused.value.errors[0].field == "body.checked_on"
    assert current.status is InspectionTaskStatus.RECTIFYING and current.follow_up is None


def test_only_the_drawn_inspectors_record() -> None:
    current = task()
    current.check_inspector("scjg-inspector-3")
    with pytest.raises(Conflict):
        current.check_inspector("scjg-inspector-1")


def result(**overrides: Any) -> dict[str, Any]:
    return {"outcome": "passed", "notes": "未发现问题。", "inspected_on": "2026-11-27", **overrides}


def test_rectify_by_comes_with_rectify_only() -> None:
    ordered = TaskResultInput.model_validate(result(outcome="rectify", rectify_by="2026-11-28"))
    assert ordered.rectify_by == date(2026, 11, 28) and ordered.photos == []
    for refused in (
        result(outcome="rectify"),  # no date
        result(rectify_by="2026-12-10"),  # a date without the order
        result(outcome="case_filed", rectify_by="2026-12-10"),
        result(outcome="rectify", rectify_by="2026-11-27"),  # the same day
        result(outcome="rectify", rectify_by="2026-11-01"),  # before the inspection
    ):
        with pytest.raises(ValidationError) as error:
            TaskResultInput.model_validate(refused)
        assert "rectify_by" in errors_of(error)


@pytest.mark.parametrize(
    "overrides",
    [
        {"outcome": "fine"},
        {"notes": " "},
        {"notes": "x" * 1001},
        {"photos": ["not-a-ulid"]},
        {"photos": ["01M8DBP7800000000000000000"] * 10},
        {"inspected_on": "2026-13-01"},
    ],
)
def test_a_malformed_result_is_refused(overrides: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        TaskResultInput.model_validate(result(**overrides))
