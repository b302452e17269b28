"""A case's contribution to the figures: its county and the levels below it always; its city
and province as far up as the platform reaches (a county's platform keeps no region's
figures, a city's its city's, a province's both), each region in one of its shards."""

from __future__ import annotations

from chalicelib.domain.stats import REGION_SHARDS, contribution, shown_scope, stored_scopes
from tests.support.entities import service_request


def scopes_of(rollup: str | None) -> set[str]:
    req = service_request(jurisdiction="370830001001001")
    return {shown_scope(scope) for scope, _ in contribution(req, rollup)}


def test_a_countys_platform_keeps_nothing_above_the_county() -> None:
    kept = scopes_of("370830")
    assert {"370830", "370830001", "370830001001", "370830001001001"} <= kept
    assert not kept & {"370800", "370000"}


def test_a_citys_platform_rolls_up_to_the_city_and_a_provinces_to_both() -> None:
    assert "370800" in scopes_of("370800") and "370000" not in scopes_of("370800")
    assert {"370800", "370000"} <= scopes_of("370000")


def test_a_region_keeps_a_case_in_one_of_its_shards_and_reads_them_all() -> None:
    req = service_request(jurisdiction="370830001001001")
    city = [scope for scope, _ in contribution(req, "370800") if scope.startswith("370800")]
    assert len({scope for scope in city}) == 1  # one shard, for every period
    assert city[0] in stored_scopes("370800") and len(stored_scopes("370800")) == REGION_SHARDS
    assert stored_scopes("370830") == ["370830"]  # a county's are not sharded


def test_a_region_breaks_down_by_category_and_county_not_by_grid() -> None:
    req = service_request(jurisdiction="370830001001001")
    counters = contribution(req, "370800")
    city = next(
        attrs
        for (scope, period), attrs in counters.items()
        if scope.startswith("370800~") and period == "2026"
    )
    assert "req.received@child:370830" in city
    assert any(a.startswith("req.received@cat:") for a in city)
    assert not any("@grid:" in a for a in city)
    county = counters[("370830", "2026")]
    assert "req.received@grid:370830001001001" in county
