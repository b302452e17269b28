"""Staff administration: an administrator manages their jurisdiction's staff records, every
change in one transaction with its audit event, on the record's revision."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.deps import Container
from chalicelib.domain.staff_admin import StaffAuditEvent
from chalicelib.errors import Conflict
from chalicelib.store.staff import StaffStore
from tests.conftest import ApiClient, body

ADMIN = "county-admin"  # 汶上县 (370830)
JX_ADMIN = "jx-county-admin"  # 嘉祥县 (370829)
CITY_ADMIN = "city-admin"  # 济宁市 (370800)
ARN = "arn:aws-cn:iam::123456789012:user/bianmin/staff/wang-li"


def _new(**overrides: Any) -> dict[str, Any]:
    return {
        "staff_id": "wang-li",
        "name": "王丽",
        "role": "reviewer",
        "department": "jxj",
        "jurisdiction": "370830",
        "principal_arn": ARN,
        "phone": "13953700123",
        **overrides,
    }


def _fields(response: Any) -> list[str]:
    return [e["field"] for e in body(response).get("errors", [])]


def _history(api: ApiClient, staff_id: str, profile: str = ADMIN) -> list[dict[str, Any]]:
    response = api.get(f"/admin/staff/{staff_id}/history", profile=profile)
    assert response.status_code == 200, response.body
    return list(body(response)["items"])


# ---- reading ---------------------------------------------------------------------------------


def test_an_administrator_lists_their_county_s_staff_page_by_page(api: ApiClient) -> None:
    first = api.get("/admin/staff?limit=5", profile=ADMIN)
    assert first.status_code == 200, first.body
    page = body(first)
    assert page["county"] == "370830" and len(page["items"]) == 5
    assert all(s["jurisdiction"].startswith("370830") for s in page["items"])
    rest = body(api.get(f"/admin/staff?limit=100&cursor={page['next_cursor']}", profile=ADMIN))
    ids = [s["staff_id"] for s in page["items"] + rest["items"]]
    assert len(ids) == len(set(ids)) and {"zwfw-clerk", ADMIN, "ximen-liaison"} <= set(ids)
    assert "jx-zwfw-clerk" not in ids and "city-leader" not in ids
    clerk = next(s for s in page["items"] + rest["items"] if s["staff_id"] == "zwfw-clerk")
    assert clerk["department_name"] and clerk["role_label"]["zh"] == "综合受理窗口"
    assert clerk["etag"] == f'"zwfw-clerk@{clerk["revision"]}"' and clerk["active"] is True
    # the cursor belongs to its own query
    other = api.get(f"/admin/staff?role=clerk&cursor={page['next_cursor']}", profile=ADMIN)
    assert other.status_code == 404 and _fields(other) == ["query.cursor"]


def test_the_list_filters_by_role_department_and_status(api: ApiClient) -> None:
    reviewers = body(api.get("/admin/staff?role=reviewer&limit=100", profile=ADMIN))["items"]
    assert reviewers and {s["role"] for s in reviewers} == {"reviewer"}
    jxj = body(api.get("/admin/staff?department=jxj", profile=ADMIN))["items"]
    assert [s["staff_id"] for s in jxj] == ["jxj-reviewer"]
    assert body(api.get("/admin/staff?active=false", profile=ADMIN))["items"] == []
    bad = api.get("/admin/staff?role=king", profile=ADMIN)
    assert bad.status_code == 422 and _fields(bad) == ["query.role"]


def test_a_county_s_administrator_manages_that_county_alone(api: ApiClient) -> None:
    elsewhere = api.get("/admin/staff?county=370829", profile=ADMIN)
    assert elsewhere.status_code == 403 and _fields(elsewhere) == ["query.county"]
    assert api.get("/admin/staff?county=370800", profile=ADMIN).status_code == 403
    assert api.get("/admin/staff?county=370899", profile=ADMIN).status_code == 404
    assert api.get("/admin/staff/jx-zwfw-clerk", profile=ADMIN).status_code == 404
    assert api.get("/admin/staff/city-leader", profile=ADMIN).status_code == 404
    assert api.get("/admin/staff/zwfw-clerk", profile=JX_ADMIN).status_code == 404
    assert api.get("/admin/staff/jx-zwfw-clerk", profile=JX_ADMIN).status_code == 200


def test_a_city_s_administrator_manages_every_county_below_it(api: ApiClient) -> None:
    own = body(api.get("/admin/staff", profile=CITY_ADMIN))
    assert own["county"] == "370800"
    assert {s["staff_id"] for s in own["items"]} == {"city-leader", CITY_ADMIN}
    for county, member in (("370830", "zwfw-clerk"), ("370829", "jx-zwfw-clerk")):
        listed = body(api.get(f"/admin/staff?county={county}&limit=100", profile=CITY_ADMIN))
        assert member in {s["staff_id"] for s in listed["items"]}
    record = api.get(f"/admin/staff/{ADMIN}", profile=CITY_ADMIN)
    assert record.status_code == 200 and record.headers["ETag"] == body(record)["etag"]
    assert body(record)["jurisdiction_name"] == "汶上县"


def test_only_administrators_call_the_staff_routes(api: ApiClient) -> None:
    for profile in ("catalogue-admin", "county-leader", "city-leader", "zwfw-clerk"):
        assert api.get("/admin/staff", profile=profile).status_code == 403, profile
        added = api.post("/admin/staff", json_body=_new(), profile=profile)
        assert added.status_code == 403, profile
    assert api.get("/admin/staff").status_code == 401


def test_administrators_see_no_cases(api: ApiClient) -> None:
    assert api.get("/admin/me", profile=ADMIN).status_code == 200
    assert body(api.get("/admin/me", profile=ADMIN))["role_label"]["zh"] == "系统管理员"
    for path in ("/admin/cases", "/admin/stats?period=2026", "/admin/queues/requests"):
        assert api.get(path, profile=ADMIN).status_code == 403, path
    assert api.get("/admin/queues/acceptance", profile=CITY_ADMIN).status_code == 403


# ---- adding ----------------------------------------------------------------------------------


def test_adding_a_member_answers_201_and_records_who_did_it(api: ApiClient) -> None:
    added = api.post("/admin/staff", json_body=_new(), profile=ADMIN)
    assert added.status_code == 201, added.body
    assert added.headers["Location"] == "/admin/staff/wang-li"
    member = body(added)
    assert (member["revision"], member["active"], member["phone"]) == (1, True, "139****0123")
    assert added.headers["ETag"] == member["etag"] == '"wang-li@1"'
    assert member["department_name"] and member["updated_by"] == ADMIN
    assert body(api.get("/admin/staff/wang-li", profile=ADMIN)) == member
    (event,) = _history(api, "wang-li")
    assert event["action"] == "created" and event["revision"] == 1
    assert event["actor"]["staff_id"] == ADMIN and event["actor"]["via"] == "api"
    assert event["actor"]["principal_arn"].endswith(f"-{ADMIN}")
    assert event["request_id"] == added.headers["X-Request-Id"]
    changes = {c["field"]: (c.get("before"), c["after"]) for c in event["changes"]}
    assert changes["role"] == (None, "reviewer") and changes["department"] == (None, "jxj")
    assert changes["phone"] == (None, "139****0123")  # the trail keeps no phone whole
    assert changes["principal_arn"] == (None, ARN) and changes["active"] == (None, True)


def test_a_taken_id_or_a_registered_principal_is_a_409(api: ApiClient, seeded: Any) -> None:
    assert api.post("/admin/staff", json_body=_new(), profile=ADMIN).status_code == 201
    again = api.post("/admin/staff", json_body=_new(), profile=ADMIN)
    assert again.status_code == 409
    taken = api.post("/admin/staff", json_body=_new(principal_arn=ARN + "-2"), profile=ADMIN)
    assert taken.status_code == 409 and _fields(taken) == ["body.staff_id"]
    clerk_arn = seeded.profiles["zwfw-clerk"].user_arn
    registered = api.post(
        "/admin/staff", json_body=_new(staff_id="wang-li-2", principal_arn=clerk_arn), profile=ADMIN
    )
    assert registered.status_code == 409 and _fields(registered) == ["body.principal_arn"]
    assert api.get("/admin/staff/wang-li-2", profile=ADMIN).status_code == 404  # nothing written


@pytest.mark.parametrize(
    ("overrides", "status", "field"),
    [
        ({"department": "nope"}, 404, "body.department"),
        ({"role": "dispatcher", "jurisdiction": "370830999"}, 404, "body.jurisdiction"),
        ({"jurisdiction": "370829"}, 403, "body.jurisdiction"),  # another county
        ({"jurisdiction": "370800", "role": "leader", "department": None}, 403, None),
        ({"role": "liaison", "jurisdiction": "370830001001001"}, 422, "body.department"),
        ({"role": "liaison", "department": None}, 422, "body.jurisdiction"),
        ({"role": "reviewer", "department": None}, 422, "body.department"),
        ({"role": "clerk", "department": "jxj"}, 422, "body.department"),
        ({"role": "administrator", "department": None, "jurisdiction": "370830001"}, 422, None),
        ({"principal_arn": "wang-li"}, 422, "body.principal_arn"),
        # A role's own ARN never signs a call (its sessions do): a record keyed by it could
        # never be reached.
        ({"principal_arn": "arn:aws-cn:iam::123456789012:role/clerks"}, 422, "body.principal_arn"),
        ({"role": "mayor"}, 422, "body.role"),
        ({"staff_id": "Wang Li"}, 422, "body.staff_id"),
        ({"badge": 7}, 422, "body.badge"),
    ],
)
def test_a_member_who_cannot_work_there_is_refused_naming_the_field(
    api: ApiClient, overrides: dict[str, Any], status: int, field: str | None
) -> None:
    response = api.post("/admin/staff", json_body=_new(**overrides), profile=ADMIN)
    assert response.status_code == status, response.body
    assert response.headers["Content-Type"] == "application/problem+json"
    if field:
        assert field in _fields(response)
    assert api.get("/admin/staff/wang-li", profile=ADMIN).status_code == 404


def test_a_region_s_staff_have_no_department(api: ApiClient) -> None:
    body_ = _new(role="supervisor", jurisdiction="370800", department="jxj")
    refused = api.post("/admin/staff", json_body=body_, profile=CITY_ADMIN)
    assert refused.status_code == 422 and _fields(refused) == ["body.department"]
    body_["department"] = None
    assert api.post("/admin/staff", json_body=body_, profile=CITY_ADMIN).status_code == 201
    jx = _new(staff_id="jx-wang", jurisdiction="370829", department="wlj", principal_arn=ARN + "x")
    assert api.post("/admin/staff", json_body=jx, profile=CITY_ADMIN).status_code == 201
    assert api.get("/admin/staff/jx-wang", profile=JX_ADMIN).status_code == 200


# ---- changing --------------------------------------------------------------------------------


def test_a_change_with_a_stale_if_match_is_a_412(api: ApiClient) -> None:
    record = api.get("/admin/staff/jxj-reviewer", profile=ADMIN)
    etag = record.headers["ETag"]
    changed = api.patch(
        "/admin/staff/jxj-reviewer",
        json_body={"department": "scjg", "name": "刘长春（调岗）"},
        headers={"If-Match": etag},
        profile=ADMIN,
    )
    assert changed.status_code == 200, changed.body
    after = body(changed)
    assert (after["department"], after["revision"]) == ("scjg", 2)
    assert changed.headers["ETag"] == '"jxj-reviewer@2"' != etag
    stale = api.patch(
        "/admin/staff/jxj-reviewer",
        json_body={"department": "gaj"},
        headers={"If-Match": etag},
        profile=ADMIN,
    )
    assert stale.status_code == 412
    malformed = api.patch(
        "/admin/staff/jxj-reviewer",
        json_body={"department": "gaj"},
        headers={"If-Match": "2"},
        profile=ADMIN,
    )
    assert malformed.status_code == 422 and _fields(malformed) == ["header.if-match"]
    assert body(api.get("/admin/staff/jxj-reviewer", profile=ADMIN))["department"] == "scjg"
    (event,) = _history(api, "jxj-reviewer")  # the seeded record has no earlier events
    assert event["action"] == "changed" and event["revision"] == 2
    assert event["changes"] == [
        {"field": "name", "before": "刘长春", "after": "刘长春（调岗）"},
        {"field": "department", "before": "jxj", "after": "scjg"},
    ]


def test_the_same_values_again_change_nothing(api: ApiClient) -> None:
    same = api.patch("/admin/staff/jxj-reviewer", json_body={"department": "jxj"}, profile=ADMIN)
    assert same.status_code == 200 and body(same)["revision"] == 1
    assert _history(api, "jxj-reviewer") == []


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({}, 422, "body"),
        ({"role": None}, 422, "body.role"),
        ({"department": None}, 422, "body.department"),  # a reviewer needs one
        ({"role": "liaison"}, 422, "body.department"),
        ({"department": "nope"}, 404, "body.department"),
        ({"jurisdiction": "370829"}, 403, "body.jurisdiction"),
        ({"principal_arn": ARN}, 422, "body.principal_arn"),  # a new principal: a new record
    ],
)
def test_a_change_that_breaks_a_rule_is_refused(
    api: ApiClient, change: dict[str, Any], status: int, field: str
) -> None:
    response = api.patch("/admin/staff/jxj-reviewer", json_body=change, profile=ADMIN)
    assert response.status_code == status, response.body
    assert field in _fields(response)
    assert body(api.get("/admin/staff/jxj-reviewer", profile=ADMIN))["revision"] == 1


def test_a_change_that_lost_a_race_is_a_409(
    api: ApiClient, deps: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = StaffStore(deps.table)
    stale = store.record("jxj-reviewer")
    first = api.patch("/admin/staff/jxj-reviewer", json_body={"name": "甲"}, profile=ADMIN)
    assert first.status_code == 200
    # the second writer read the record before the first wrote it
    monkeypatch.setattr(StaffStore, "record", lambda self, staff_id: stale)
    second = api.patch("/admin/staff/jxj-reviewer", json_body={"name": "乙"}, profile=ADMIN)
    assert second.status_code == 409, second.body
    monkeypatch.undo()
    assert body(api.get("/admin/staff/jxj-reviewer", profile=ADMIN))["name"] == "甲"
    assert [e["action"] for e in _history(api, "jxj-reviewer")] == ["changed"]


def test_the_record_and_its_event_are_written_together_or_not_at_all(
    deps: Container, seeded: Any
) -> None:
    store = StaffStore(deps.table)
    record = store.record("jxj-reviewer")
    assert record is not None
    member = record.member.model_copy(update={"name": "丙"})
    changed = record.model_copy(update={"member": member, "revision": 2})
    event = StaffAuditEvent.model_validate(
        {
            "event_id": "01KB0000000000000000000000",
            "staff_id": "jxj-reviewer",
            "action": "changed",
            "at": "2026-11-27T10:00:00+08:00",
            "actor": {"via": "api", "principal_arn": "arn:aws-cn:iam::123456789012:user/x"},
            "revision": 2,
            "changes": [],
        }
    )
    store.replace(changed, 1, event)
    # the same event again (its put refuses an existing event): the record stays at 2
    again = changed.model_copy(update={"revision": 3})
    with pytest.raises(Conflict):
        store.replace(again, 2, event)
    assert store.record("jxj-reviewer").revision == 2  # type: ignore[union-attr]


def test_moving_a_member_to_another_county_moves_who_manages_them(
    api: ApiClient, deps: Container
) -> None:
    assert deps.staff.by_id("370830", "jxj-reviewer") is not None
    moved = api.patch(
        "/admin/staff/jxj-reviewer", json_body={"jurisdiction": "370829"}, profile=CITY_ADMIN
    )
    assert moved.status_code == 200, moved.body
    assert api.get("/admin/staff/jxj-reviewer", profile=ADMIN).status_code == 404
    assert api.get("/admin/staff/jxj-reviewer", profile=JX_ADMIN).status_code == 200
    assert deps.staff.by_id("370830", "jxj-reviewer") is None
    assert deps.staff.by_id("370829", "jxj-reviewer") is not None
    me = body(api.get("/admin/me", profile="jxj-reviewer"))
    assert me["jurisdiction"] == "370829"


def test_an_administrator_does_not_change_or_retire_themselves(api: ApiClient) -> None:
    demoted = api.patch(f"/admin/staff/{ADMIN}", json_body={"role": "leader"}, profile=ADMIN)
    assert demoted.status_code == 403
    gone = api.post(f"/admin/staff/{ADMIN}/retire", json_body={"reason": "x"}, profile=ADMIN)
    assert gone.status_code == 403
    renamed = api.patch(f"/admin/staff/{ADMIN}", json_body={"name": "周文博"}, profile=ADMIN)
    assert renamed.status_code == 200


# ---- retiring --------------------------------------------------------------------------------


def test_a_retired_member_is_refused_on_their_next_call(api: ApiClient) -> None:
    assert api.get("/admin/me", profile="zwfw-clerk").status_code == 200
    etag = api.get("/admin/staff/zwfw-clerk", profile=ADMIN).headers["ETag"]
    retired = api.post(
        "/admin/staff/zwfw-clerk/retire",
        json_body={"reason": "调离政务服务中心"},
        headers={"If-Match": etag},
        profile=ADMIN,
    )
    assert retired.status_code == 200, retired.body
    assert body(retired)["active"] is False and body(retired)["revision"] == 2
    assert api.get("/admin/me", profile="zwfw-clerk").status_code == 403
    assert api.get("/admin/queues/acceptance", profile="zwfw-clerk").status_code == 403
    twice = api.post("/admin/staff/zwfw-clerk/retire", json_body={"reason": "again"}, profile=ADMIN)
    assert twice.status_code == 409
    stale = api.post(
        "/admin/staff/zwfw-clerk/reactivate",
        json_body={"reason": "回到窗口"},
        headers={"If-Match": etag},
        profile=ADMIN,
    )
    assert stale.status_code == 412
    retired_list = body(api.get("/admin/staff?active=false", profile=ADMIN))["items"]
    assert [s["staff_id"] for s in retired_list] == ["zwfw-clerk"]
    back = api.post(
        "/admin/staff/zwfw-clerk/reactivate", json_body={"reason": "回到窗口"}, profile=ADMIN
    )
    assert back.status_code == 200 and body(back)["active"] is True
    assert api.get("/admin/me", profile="zwfw-clerk").status_code == 200
    reactivated, retirement = _history(api, "zwfw-clerk")  # newest first
    assert (retirement["action"], retirement["reason"]) == ("retired", "调离政务服务中心")
    assert retirement["changes"] == [{"field": "active", "before": True, "after": False}]
    assert (reactivated["action"], reactivated["revision"]) == ("reactivated", 3)


def test_a_retired_administrator_administers_nothing(api: ApiClient) -> None:
    retired = api.post(
        f"/admin/staff/{ADMIN}/retire", json_body={"reason": "离职"}, profile=CITY_ADMIN
    )
    assert retired.status_code == 200
    assert api.get("/admin/staff", profile=ADMIN).status_code == 403


def test_the_history_pages_newest_first(api: ApiClient) -> None:
    for name in ("一", "二", "三"):
        api.patch("/admin/staff/jxj-reviewer", json_body={"name": name}, profile=ADMIN)
    first = body(api.get("/admin/staff/jxj-reviewer/history?limit=2", profile=ADMIN))
    assert [e["revision"] for e in first["items"]] == [4, 3]
    rest = api.get(
        f"/admin/staff/jxj-reviewer/history?limit=2&cursor={first['next_cursor']}", profile=ADMIN
    )
    assert [e["revision"] for e in body(rest)["items"]] == [2]
    assert api.get("/admin/staff/jx-zwfw-clerk/history", profile=ADMIN).status_code == 404


def test_the_document_states_who_may_call_and_what_a_change_needs(api: ApiClient) -> None:
    document = body(api.get("/openapi.json"))
    patch = document["paths"]["/admin/staff/{staff_id}"]["patch"]
    assert patch["x-staff-roles"] == {"roles": ["administrator"]}
    assert "If-Match" in {p["name"] for p in patch["parameters"]}
    assert {"403", "404", "409", "412", "422"} <= set(patch["responses"])
    change = document["components"]["schemas"]["StaffChange"]
    assert change["minProperties"] == 1 and "default" not in change["properties"]["role"]
    added = document["paths"]["/admin/staff"]["post"]["responses"]["201"]
    assert {"Location", "ETag"} <= set(added["headers"])
