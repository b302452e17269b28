"""Staff routes: SigV4 verification, the staff record, and catalogue administration."""

from __future__ import annotations

import copy
import json
import threading
from datetime import timedelta
from typing import Any

import pytest

from chalicelib.clock import FixedClock
from tests.conftest import ApiClient, body
from tests.support.signing import signed_headers

SME = "370830-QR-0001"


def _editable(api: ApiClient, code: str = SME) -> dict[str, Any]:
    guide = body(api.get(f"/services/{code}"))
    derived = {"code", "version", "updated_at", "updated_by", "type_label", "review_rule_label"}
    derived |= {"delivery_labels", "departments", "etag"}
    return {k: v for k, v in guide.items() if k not in derived}


@pytest.mark.parametrize(
    ("profile", "role", "department", "jurisdiction"),
    [
        ("jxj-reviewer", "reviewer", "jxj", "370830"),
        ("zwfw-clerk", "clerk", "zwfw", "370830"),
        ("county-leader", "leader", None, "370830"),
        ("ximen-liaison", "liaison", None, "370830001001001"),
        ("catalogue-admin", "catalogue_admin", "zwfw", "370830"),
    ],
)
def test_admin_me_returns_the_signers_staff_record(
    api: ApiClient, profile: str, role: str, department: str | None, jurisdiction: str
) -> None:
    response = api.get("/admin/me", profile=profile)
    assert response.status_code == 200, response.body
    me = body(response)
    assert (me["staff_id"], me["role"], me.get("department"), me["jurisdiction"]) == (
        profile,
        role,
        department,
        jurisdiction,
    )
    assert me["principal_arn"].startswith("arn:aws") and me["role_label"]["zh"]


def test_unsigned_admin_calls_are_not_authenticated(api: ApiClient) -> None:
    response = api.get("/admin/me")
    assert response.status_code == 401
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.headers["WWW-Authenticate"] == "AWS4-HMAC-SHA256"


def _signed(api: ApiClient, clock: FixedClock, **overrides: Any) -> dict[str, str]:
    credential = overrides.pop("credential", api._seeded.profiles["jxj-reviewer"])
    return signed_headers(
        overrides.pop("method", "GET"),
        overrides.pop("url", "http://localhost/admin/me"),
        credential,
        overrides.pop("when", clock.now()),
        **overrides,
    )


def test_a_wrong_signature_is_forbidden(api: ApiClient, clock: FixedClock) -> None:
    headers = _signed(api, clock)
    headers["Authorization"] = headers["Authorization"][:-4] + "0000"
    assert api.get("/admin/me", headers=headers).status_code == 403


def test_a_signature_for_another_path_is_forbidden(api: ApiClient, clock: FixedClock) -> None:
    headers = _signed(api, clock, url="http://localhost/admin/other")
    assert api.get("/admin/me", headers=headers).status_code == 403


def test_a_stale_signature_is_forbidden(api: ApiClient, clock: FixedClock) -> None:
    stale = _signed(api, clock, when=clock.now() - timedelta(minutes=5, seconds=1))
    response = api.get("/admin/me", headers=stale)
    assert response.status_code == 403 and "5 minutes" in body(response)["detail"]
    fresh = _signed(api, clock, when=clock.now() - timedelta(minutes=4))
    assert api.get("/admin/me", headers=fresh).status_code == 200


def test_an_unknown_key_is_forbidden(api: ApiClient, clock: FixedClock) -> None:
    from devstack.sigv4 import StaffCredential

    stranger = StaffCredential("AKIAUNKNOWN000000000", "secret" * 6, "arn:aws:iam::1:user/x")
    assert api.get("/admin/me", headers=_signed(api, clock, credential=stranger)).status_code == 403


def test_a_tampered_body_is_forbidden(api: ApiClient, clock: FixedClock) -> None:
    change = _editable(api)
    original = json.dumps(change).encode()
    headers = _signed(
        api,
        clock,
        method="PUT",
        url=f"http://localhost/admin/services/{SME}",
        body=original,
        headers={"Content-Type": "application/json"},
        credential=api._seeded.profiles["catalogue-admin"],
    )
    change["promised_days"] = 7
    tampered = json.dumps(change).encode()
    response = api.request("PUT", f"/admin/services/{SME}", body=tampered, headers=headers)
    assert response.status_code == 403
    assert body(api.get(f"/services/{SME}"))["version"] == 1


def test_a_signer_who_is_not_staff_is_forbidden(api: ApiClient, aws: Any) -> None:
    """A valid signature from an IAM user with no staff record: 403 from the app."""
    from chalicelib.deps import container

    container().staff._store._table.client.delete_item(
        TableName=container().settings.table_name,
        Key={
            "pk": {"S": f"STAFF#{api._seeded.profiles['jxj-reviewer'].user_arn}"},
            "sk": {"S": "PROFILE"},
        },
    )
    response = api.get("/admin/me", profile="jxj-reviewer")
    assert response.status_code == 403
    assert "not an active staff member" in body(response)["detail"]


def test_the_catalogue_admin_publishes_a_new_version_and_the_old_stays_readable(
    api: ApiClient, clock: FixedClock
) -> None:
    change = _editable(api)
    change["promised_days"] = 2
    change["materials"][1]["note"] = {"zh": "需加盖公章", "en": "Must bear the company seal"}
    clock.advance(minutes=5)
    response = api.put(f"/admin/services/{SME}", json_body=change, profile="catalogue-admin")
    assert response.status_code == 200, response.body
    published = body(response)
    assert published["version"] == 2 and published["updated_by"] == "catalogue-admin"
    assert response.headers["ETag"] == f'"{SME}@2"'
    assert body(api.get(f"/services/{SME}"))["promised_days"] == 2
    old = body(api.get(f"/services/{SME}/versions/1"))
    assert old["promised_days"] == 1
    assert old["materials"][1].get("note") != change["materials"][1]["note"]
    versions = body(api.get(f"/services/{SME}/versions"))["items"]
    assert [(v["version"], v["current"]) for v in versions] == [(1, False), (2, True)]
    listed = {i["code"]: i for i in body(api.get("/services?county=370830&limit=100"))["items"]}
    assert listed[SME]["version"] == 2 and listed[SME]["promised_days"] == 2


def test_repeating_the_same_edit_does_not_create_another_version(api: ApiClient) -> None:
    change = _editable(api)
    change["fee"]["note"] = {"zh": "免费", "en": "Free"}
    first = api.put(f"/admin/services/{SME}", json_body=change, profile="catalogue-admin")
    again = api.put(f"/admin/services/{SME}", json_body=change, profile="catalogue-admin")
    assert body(first)["version"] == body(again)["version"] == 2
    assert len(body(api.get(f"/services/{SME}/versions"))["items"]) == 2


def test_a_new_item_is_created_as_version_one(api: ApiClient) -> None:
    change = _editable(api)
    change["name"] = "新事项"
    response = api.put(
        "/admin/services/370830-QT-0001", json_body=change, profile="catalogue-admin"
    )
    assert response.status_code == 201
    assert body(api.get("/services/370830-QT-0001"))["version"] == 1


def test_only_the_catalogue_admin_may_edit(api: ApiClient) -> None:
    change = _editable(api)
    change["promised_days"] = 3
    response = api.put(f"/admin/services/{SME}", json_body=change, profile="jxj-reviewer")
    assert response.status_code == 403
    assert body(api.get(f"/services/{SME}"))["version"] == 1


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda c: c.update(promised_days=9), "body"),
        (lambda c: c["materials"][0].update(form="fax"), "body.materials[0].form"),
        (lambda c: c.update(surprise=True), "body.surprise"),
        (lambda c: c.pop("materials"), "body.materials"),
        (lambda c: c.update(delivery=[]), "body.delivery"),
        (lambda c: c["process"][0].update(actor="Bad Actor"), "body.process[0].actor"),
    ],
)
def test_invalid_edits_are_rejected_naming_the_field(
    api: ApiClient, mutate: Any, field: str
) -> None:
    change = copy.deepcopy(_editable(api))
    mutate(change)
    response = api.put(f"/admin/services/{SME}", json_body=change, profile="catalogue-admin")
    assert response.status_code == 422, response.body
    assert field in [e["field"] for e in body(response)["errors"]]
    assert body(api.get(f"/services/{SME}"))["version"] == 1


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda c: c.update(lead_department="nope"), "body.lead_department"),
        (lambda c: c["review"].update(departments=["jxj", "zzz"]), "body.review.departments[1]"),
    ],
)
def test_an_edit_naming_departments_the_county_lacks_is_a_404_naming_them(
    api: ApiClient, mutate: Any, field: str
) -> None:
    change = copy.deepcopy(_editable(api))
    mutate(change)
    response = api.put(f"/admin/services/{SME}", json_body=change, profile="catalogue-admin")
    assert response.status_code == 404, response.body
    assert field in [e["field"] for e in body(response)["errors"]]
    assert body(api.get(f"/services/{SME}"))["version"] == 1


def test_a_malformed_code_in_the_path_names_no_resource(api: ApiClient) -> None:
    response = api.put(
        "/admin/services/bad-code", json_body=_editable(api), profile="catalogue-admin"
    )
    assert response.status_code == 404
    assert body(response)["errors"][0]["field"] == "path.code"


def test_if_match_guards_against_lost_updates(api: ApiClient) -> None:
    change = _editable(api)
    change["promised_days"] = 2
    stale = {"If-Match": f'"{SME}@0"'}
    response = api.put(
        f"/admin/services/{SME}", json_body=change, profile="catalogue-admin", headers=stale
    )
    assert response.status_code == 412
    current = {"If-Match": f'"{SME}@1"'}
    response = api.put(
        f"/admin/services/{SME}", json_body=change, profile="catalogue-admin", headers=current
    )
    assert response.status_code == 200


def test_concurrent_edits_never_lose_a_version(api: ApiClient) -> None:
    results: list[int] = []

    def edit(days: int) -> None:
        change = _editable(api)
        change["promised_days"] = days
        response = api.put(f"/admin/services/{SME}", json_body=change, profile="catalogue-admin")
        results.append(response.status_code)

    threads = [threading.Thread(target=edit, args=(d,)) for d in (2, 3, 4, 5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(results) <= {200, 409} and 200 in results
    versions = body(api.get(f"/services/{SME}/versions"))["items"]
    assert [v["version"] for v in versions] == list(range(1, results.count(200) + 2))


def test_calendar_years_must_be_ascii_digits(api: ApiClient) -> None:
    response = api.put(
        "/admin/calendar/²²²²", json_body={"holidays": []}, profile="catalogue-admin"
    )
    assert response.status_code == 404
    assert body(response)["errors"][0]["field"] == "path.year"


def test_the_catalogue_admin_loads_next_years_holidays(api: ApiClient) -> None:
    year = {"holidays": ["2027-01-01", "2027-02-08"], "workdays": ["2027-02-06"]}
    assert (
        api.put("/admin/calendar/2027", json_body=year, profile="jxj-reviewer").status_code == 403
    )
    loaded = api.put("/admin/calendar/2027", json_body=year, profile="catalogue-admin")
    assert loaded.status_code == 200, loaded.body
    assert body(loaded)["year"] == 2027
    bad = {"holidays": ["2026-01-01"]}
    response = api.put("/admin/calendar/2027", json_body=bad, profile="catalogue-admin")
    assert response.status_code == 422
