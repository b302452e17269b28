"""Supervision: cases of a scope, live statistics moved by the cases' own transactions,
hot topics, public figures and exports."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

import pytest

from chalicelib.clock import FixedClock
from chalicelib.deps import Container
from tests.conftest import ApiClient, RecordingSms, body, sign_in
from tests.support.requests import DUYING_GRID, act, file, street_light

TOWNSHIP = "370830001"


@pytest.fixture
def resident(api: ApiClient, sms: RecordingSms) -> str:
    return sign_in(api, sms, "13953700001")


def stats(api: ApiClient, profile: str, query: str = "") -> dict[str, Any]:
    response = api.get(f"/admin/stats{query}", profile=profile)
    assert response.status_code == 200, response.body
    return dict(body(response))


def handled(api: ApiClient, token: str, level: int, **overrides: Any) -> str:
    request_id = file(api, token, street_light(**overrides))["request_id"]
    path = f"/admin/requests/{request_id}"
    dispatcher = "guolou-dispatcher" if "location" in overrides else "wenshang-dispatcher"
    act(api, dispatcher, f"{path}/triage", {"action": "assign", "departments": ["cgj"]})
    act(api, "cgj-reviewer", f"{path}/reply", {"text": "已处理", "done": True})
    response = api.post(f"/requests/{request_id}/rating", json_body={"level": level}, token=token)
    assert response.status_code == 200, response.body
    return request_id


def test_figures_move_with_the_cases(api: ApiClient, resident: str, clock: FixedClock) -> None:
    empty = stats(api, "county-leader", "?scope=370830&period=2026")
    assert empty["total"]["received"] == 0 and empty["total"].get("acceptance_rate") is None
    assert "as_of" not in empty  # nothing has moved these figures yet

    handled(api, resident, 5)
    handled(api, resident, 1)
    handled(api, resident, 4, location={"grid": DUYING_GRID})
    refused = file(api, resident)["request_id"]
    act(
        api,
        "wenshang-dispatcher",
        f"/admin/requests/{refused}/triage",
        {"action": "not_accept", "reason": "不属于受理范围"},
    )
    file(api, resident, street_light(category="noise", description="夜间噪音"))

    county = stats(api, "county-leader", "?scope=370830&period=2026")
    assert datetime.fromisoformat(county["as_of"]) <= clock.now()  # when they last moved
    requests = county["requests"]
    assert requests["received"] == 5
    assert requests["accepted"] == 3 and requests["not_accepted"] == 1
    assert requests["acceptance_rate"] == 0.6
    assert requests["completed"] == 3 and requests["completion_rate"] == 0.6
    assert requests["rated"] == 3 and requests["satisfied"] == 2
    assert requests["satisfaction_rate"] == round(2 / 3, 4)
    assert requests["bad_reviews"] == 1 and requests["rectified"] == 0
    assert requests["open"] == 2  # the reopened one and the unhandled noise complaint
    assert county["total"]["received"] == 5 and county["applications"]["received"] == 0
    townships = {b["code"]: b["figures"]["received"] for b in county["by_jurisdiction"]}
    assert townships == {TOWNSHIP: 4, "370830007": 1}
    categories = {b["code"]: b["figures"]["received"] for b in county["by_category"]}
    assert categories == {"streetlight": 4, "noise": 1}

    # The same figures by month and day, for the township and its department.
    assert stats(api, "county-leader", "?scope=370830&period=2026-11")["total"]["received"] == 5
    assert stats(api, "county-leader", "?scope=370830&period=2026-11-27")["total"]["received"] == 5
    assert stats(api, "county-leader", "?scope=370830&period=2026-11-28")["total"]["received"] == 0
    township = stats(api, "wenshang-supervisor", "?period=2026")
    assert township["scope"] == TOWNSHIP and township["total"]["received"] == 4
    grid = stats(api, "wenshang-supervisor", "?scope=370830001001001&period=2026")
    assert grid["total"]["received"] == 4 and grid["by_jurisdiction"] == []
    department = stats(api, "county-leader", "?scope=dept:cgj&period=2026")
    assert department["total"]["received"] == 3  # the refused and unassigned ones are not cgj's

    # A bad rating's rectification done counts as rectified.
    reopened = [
        i["request_id"]
        for i in body(api.get("/admin/queues/requests", profile="cgj-reviewer"))["items"]
    ]
    path = f"/admin/requests/{reopened[0]}"
    act(api, "cgj-reviewer", f"{path}/reply", {"text": "彻底修好", "done": True})
    act(api, "ximen-liaison", f"{path}/visit", {"kind": "follow_up", "note": "回访满意"})
    after = stats(api, "county-leader", "?scope=370830&period=2026")["requests"]
    assert after["rectified"] == 1 and after["open"] == 1


def test_who_may_read_which_figures(api: ApiClient) -> None:
    assert api.get("/admin/stats?scope=370830", profile="wenshang-supervisor").status_code == 403
    assert api.get("/admin/stats?scope=370830007", profile="wenshang-supervisor").status_code == 403
    assert api.get("/admin/stats", profile="ximen-liaison").status_code == 403
    assert api.get("/admin/stats", profile="cgj-reviewer").status_code == 403
    own = api.get("/admin/stats", profile="zwfw-supervisor")
    assert own.status_code == 200 and body(own)["scope"] == "dept:370830:zwfw"
    assert api.get("/admin/stats?scope=dept:cgj", profile="zwfw-supervisor").status_code == 403
    bad = api.get("/admin/stats?period=2026-13-99", profile="county-leader")
    assert bad.status_code == 422
    assert body(bad)["errors"][0]["field"] == "query.period"
    unknown = api.get("/admin/stats?scope=999999", profile="county-leader")
    assert unknown.status_code == 404 and body(unknown)["errors"][0]["field"] == "query.scope"
    malformed = api.get("/admin/stats?scope=county", profile="county-leader")
    assert malformed.status_code == 422 and body(malformed)["errors"][0]["field"] == "query.scope"


def test_cases_of_a_scope_with_filters(api: ApiClient, resident: str, clock: FixedClock) -> None:
    light = file(api, resident)["request_id"]
    far = file(api, resident, street_light(location={"grid": DUYING_GRID}))["request_id"]
    noise = file(api, resident, street_light(category="noise", description="噪音"))["request_id"]
    act(
        api,
        "wenshang-dispatcher",
        f"/admin/requests/{noise}/triage",
        {"action": "assign", "departments": ["sthj"]},
    )

    def ids(profile: str, query: str = "") -> list[str]:
        response = api.get(f"/admin/cases{query}", profile=profile)
        assert response.status_code == 200, response.body
        return [c["id"] for c in body(response)["items"]]

    assert set(ids("county-leader")) == {light, far, noise}
    assert set(ids("wenshang-supervisor")) == {light, noise}
    assert ids("county-leader", f"?scope={DUYING_GRID}") == [far]
    assert ids("county-leader", "?category=noise") == [noise]
    assert ids("county-leader", "?status=assigned") == [noise]
    assert ids("county-leader", "?department=sthj") == [noise]
    assert ids("county-leader", "?kind=application") == []
    assert ids("county-leader", "?from=2026-11-28") == []
    assert len(ids("county-leader", "?from=2026-11-27&to=2026-11-27")) == 3
    assert ids("county-leader", "?overdue=true") == []
    clock.advance(hours=3)
    assert set(ids("county-leader", "?overdue=true")) == {light, far}
    assert ids("county-leader", "?overdue=false") == [noise]
    # A department head sees the cases of the department, wherever they are.
    assert api.get("/admin/cases?scope=dept:sthj", profile="county-leader").status_code == 200
    assert ids("county-leader", "?scope=dept:sthj") == [noise]
    # Pagination keeps going, and a cursor is bound to its query.
    first = body(api.get("/admin/cases?limit=1", profile="county-leader"))
    assert len(first["items"]) <= 1 and first["next_cursor"]
    forged = api.get(
        f"/admin/cases?limit=1&kind=request&cursor={first['next_cursor']}", profile="county-leader"
    )
    assert forged.status_code == 404
    # Outside one's subtree: refused; reading such a case: 404.
    assert api.get("/admin/cases?scope=370830007", profile="wenshang-supervisor").status_code == 403
    assert api.get("/admin/cases", profile="ximen-liaison").status_code == 403
    assert api.get(f"/admin/requests/{far}", profile="wenshang-supervisor").status_code == 404
    backwards = api.get("/admin/cases?from=2026-12-01&to=2026-11-01", profile="county-leader")
    assert backwards.status_code == 200 and body(backwards)["items"] == []


def test_hot_topics_flag_repeated_requests(
    api: ApiClient, sms: RecordingSms, resident: str
) -> None:
    file(api, resident)
    neighbour = sign_in(api, sms, "13953700002")
    file(api, neighbour, street_light(description="路灯又坏了"))
    file(api, neighbour, street_light(description="门口路灯不亮"))
    file(api, neighbour, street_light(category="noise", description="噪音"))
    hot = body(api.get("/admin/stats/hot?scope=370830&period=2026", profile="county-leader"))
    assert hot["categories"][0] == {"code": "streetlight", "name": "路灯照明", "count": 3}
    assert hot["grids"][0]["name"] == "亲水湾小区网格" and hot["grids"][0]["count"] == 4
    assert hot["repeated"] == [
        {
            "grid": "370830001001001",
            "grid_name": "亲水湾小区网格",
            "category": "streetlight",
            "category_name": "路灯照明",
            "repeats": 2,
        }
    ]


def test_public_figures_carry_no_personal_data(api: ApiClient, resident: str) -> None:
    handled(api, resident, 5)
    response = api.get("/public/stats?scope=370830&period=2026")
    assert response.status_code == 200
    public = body(response)
    assert public["scope"] == "370830" and public["county"] == "汶上县"
    assert public["requests"]["received"] == 1
    assert public["requests"]["satisfaction_rate"] == 1.0
    assert public["townships"][0]["name"] == "汶上街道"
    assert "13953700001" not in response.body.decode()
    assert api.get("/public/stats?period=soon").status_code == 422


def test_exports_in_csv_and_xlsx(api: ApiClient, resident: str) -> None:
    handled(api, resident, 5)
    file(api, resident, street_light(category="noise", description='=HYPERLINK("x")'))
    response = api.get("/admin/exports/cases.csv?scope=370830&period=2026", profile="county-leader")
    assert response.status_code == 200, response.body
    assert response.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.body.decode("utf-8-sig"))))
    assert rows[0][1] == "编号 number" and len(rows) == 3
    assert {r[4] for r in rows[1:]} == {"closed", "submitted"}

    stats_csv = api.get(
        "/admin/exports/stats.csv?scope=370830&period=2026", profile="county-leader"
    )
    table = list(csv.reader(io.StringIO(stats_csv.body.decode("utf-8-sig"))))
    summary = {r[0]: r for r in table[1:]}
    assert summary["requests"][table[0].index("received")] == "2"

    from openpyxl import load_workbook

    xlsx = api.get(
        "/admin/exports/stats.xlsx?scope=370830&period=2026",
        profile="county-leader",
        headers={"Accept": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
    )
    assert xlsx.status_code == 200
    workbook = load_workbook(io.BytesIO(xlsx.body))
    assert workbook.sheetnames == ["summary", "by jurisdiction", "by category", "by service"]
    sheet = workbook["summary"]
    header = [c.value for c in sheet[1]]
    assert sheet.cell(row=3, column=header.index("received") + 1).value == 2
    cases = api.get(
        "/admin/exports/cases.xlsx?period=2026",
        profile="wenshang-supervisor",
        headers={"Accept": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
    )
    assert load_workbook(io.BytesIO(cases.body))["cases"].max_row == 3
    head = api.request(
        "HEAD",
        "/admin/exports/cases.xlsx?period=2026",
        profile="wenshang-supervisor",
        headers={"Accept": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
    )
    assert head.status_code == 200 and head.body == b""
    assert head.headers["Content-Type"] == cases.headers["Content-Type"]
    assert api.get("/admin/exports/cases.pdf", profile="county-leader").status_code == 404
    assert (
        api.get("/admin/exports/cases.csv?scope=370830", profile="wenshang-supervisor").status_code
        == 403
    )


def test_the_dashboard_needs_a_signed_link(api: ApiClient, deps: Container, resident: str) -> None:
    handled(api, resident, 4)
    page = api.get("/dashboard")
    assert page.status_code == 200 and b'<svg id="trend"' in page.body
    assert api.get("/dashboard/data").status_code == 401
    assert api.get("/dashboard/data", headers={"Authorization": "Bearer forged"}).status_code == 401
    assert api.post("/admin/dashboard/session", profile="ximen-liaison").status_code == 403
    session = api.post("/admin/dashboard/session", profile="wenshang-supervisor")
    assert session.status_code == 201, session.body
    token = body(session)["url"].split("#token=")[1]
    data = api.get("/dashboard/data?period=2026", headers={"Authorization": f"Bearer {token}"})
    assert data.status_code == 200, data.body
    payload = body(data)
    assert payload["stats"]["scope"] == TOWNSHIP
    assert payload["stats"]["total"]["received"] == 1
    assert payload["trend"][0]["period"] == "2026-11"
    assert payload["departments"] == []  # county-wide department figures: county leaders only
    leader = body(api.post("/admin/dashboard/session", profile="county-leader"))["url"]
    ranked = body(
        api.get(
            "/dashboard/data", headers={"Authorization": f"Bearer {leader.split('#token=')[1]}"}
        )
    )["departments"]
    assert any(d["code"] == "cgj" and d["figures"]["received"] == 1 for d in ranked)
    outside = api.get("/dashboard/data?scope=370830", headers={"Authorization": f"Bearer {token}"})
    assert outside.status_code == 403


def test_scopes_are_one_rule_for_lists_figures_exports_and_the_dashboard(
    api: ApiClient, resident: str
) -> None:
    """Review findings: a department head reads the department only; a township's dashboard
    carries no county-wide department figures; private requests stay out of supervisors'
    lists; out-of-range dates are a 422."""
    for path in (
        "/admin/stats?scope=370830",
        "/admin/stats/hot?scope=370830",
        "/admin/stats/trend?scope=370830",
        "/admin/exports/stats.csv?scope=370830",
        "/admin/cases?scope=370830",
    ):
        assert api.get(path, profile="zwfw-supervisor").status_code == 403, path
    assert api.get("/admin/stats?scope=dept:zwfw", profile="zwfw-supervisor").status_code == 200

    private = file(api, resident, street_light(private=True))["request_id"]
    public = file(api, resident)["request_id"]
    listed = [
        c["id"] for c in body(api.get("/admin/cases", profile="wenshang-supervisor"))["items"]
    ]
    assert listed == [public]
    exported = api.get("/admin/exports/cases.csv?period=2026", profile="county-leader").body
    assert exported.decode().count("\r\n") == 2  # the header and the public request
    dispatcher = [
        c["id"] for c in body(api.get("/admin/cases", profile="wenshang-dispatcher"))["items"]
    ]
    assert set(dispatcher) == {private, public}

    session = body(api.post("/admin/dashboard/session", profile="wenshang-supervisor"))
    token = session["url"].split("#token=")[1]
    data = body(api.get("/dashboard/data", headers={"Authorization": f"Bearer {token}"}))
    assert data["departments"] == []

    # Days no record carries mean "ever since" and "until further notice"; a range that
    # ends before it starts lists nothing.
    for query in ("to=9999-12-31", "from=0001-01-01", "scope=dept:cgj&to=9999-12-31"):
        assert api.get(f"/admin/cases?{query}", profile="county-leader").status_code == 200, query
    backwards = api.get("/admin/cases?from=2026-12-01&to=2026-11-01", profile="county-leader")
    assert backwards.status_code == 200 and body(backwards)["items"] == []
    for period in ("9999", "0001"):
        response = api.get(f"/admin/exports/cases.csv?period={period}", profile="county-leader")
        assert response.status_code == 200, period
    impossible = api.get("/admin/exports/cases.csv?period=2026-02-30", profile="county-leader")
    assert impossible.status_code == 422
