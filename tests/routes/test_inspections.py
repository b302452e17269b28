"""双随机、一公开 through the API: the list and directories loaded from the county's files, a
plan announced (commitment, frozen directory hashes) and drawn (seed revealed, two
inspectors each, a declared relation and a shared grid recused), the proof recomputed by
the published procedure and refused when tampered with, results with photos, the
rectification follow-up, the overdue sweep, public results and CSV, the figures."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from chalicelib.clock import FixedClock
from chalicelib.deps import container
from chalicelib.domain import draw_procedure as procedure
from chalicelib.services.inspection_files import load_county_files
from chalicelib.services.inspection_plans import proof_key
from tests.conftest import ApiClient, body
from tests.support.requests import upload_photo

HEAD = "scjg-supervisor"
DATA = Path(__file__).resolve().parents[2] / "data" / "counties" / "370830"
RELATED = "91370830MA3DJ7Q7XT"  # scjg-inspector-1 declared a conflict with it; grid 001001001
GRID = "370830001001001"


@pytest.fixture
def directories(seeded: Any, clock: FixedClock) -> Any:
    loaded = load_county_files(container().table, clock, "370830", DATA)
    assert loaded.refused == [] and loaded.entities == 60
    return loaded


def _plan(api: ApiClient, **extra: Any) -> dict[str, Any]:
    payload = {
        "item_id": "SCJG-001",
        "period_start": "2026-11-27",
        "period_end": "2026-12-31",
        "townships": ["370830001"],
        "task_days": 10,
        **extra,
    }
    answer = api.post("/admin/inspection/plans", json_body=payload, profile=HEAD)
    assert answer.status_code == 201, answer.body
    return body(answer)


def _drawn(api: ApiClient, **extra: Any) -> dict[str, Any]:
    plan = _plan(api, **extra)
    answer = api.post(f"/admin/inspection/plans/{plan['plan_id']}/draw", profile=HEAD)
    assert answer.status_code == 200, answer.body
    return body(answer)


def _proof(plan_id: str) -> dict[str, Any]:
    stored = container().document_storage.read(proof_key(plan_id))
    assert stored is not None
    return json.loads(stored.body)


def test_the_list_is_public_and_versioned(api: ApiClient, directories: Any) -> None:
    items = body(api.get("/public/inspections/items?county=370830"))["items"]
    assert len(items) == 24 and {i["item_id"] for i in items} >= {"SCJG-001", "SCJG-002"}
    edit = {
        k: v
        for k, v in items[0].items()
        if k not in ("item_id", "county", "updated_at", "updated_by")
    }
    low = {**edit, "key_item": False, "ratio_permille": 20}
    refused = api.put(
        f"/admin/inspection/items/{items[0]['item_id']}", json_body=low, profile="catalogue-admin"
    )
    assert refused.status_code == 422 and "ratio_permille" in refused.body.decode()
    stale = {**edit, "version": 7}
    answer = api.put(
        f"/admin/inspection/items/{items[0]['item_id']}", json_body=stale, profile="catalogue-admin"
    )
    assert answer.status_code == 409
    answer = api.put(
        f"/admin/inspection/items/{items[0]['item_id']}",
        json_body={**edit, "frequency_per_year": 2},
        profile="catalogue-admin",
    )
    assert answer.status_code == 200, answer.body
    history = body(api.get(f"/admin/inspection/items/{items[0]['item_id']}", profile=HEAD))
    assert [v["version"] for v in history["versions"]] == [2, 1]


def test_a_plan_publishes_a_commitment_then_a_draw_anyone_can_recompute(
    api: ApiClient, directories: Any
) -> None:
    plan = _plan(api)
    assert plan["status"] == "announced" and plan.get("seed") is None and plan["selections"] == []
    assert len(plan["commitment"]) == 64 and plan["population"] == 23
    public = body(api.get(f"/public/inspections/plans/{plan['plan_id']}"))
    assert public["commitment"] == plan["commitment"] and public.get("seed") is None
    assert api.get(f"/public/inspections/plans/{plan['plan_id']}/proof").status_code == 404

    drawn = body(api.post(f"/admin/inspection/plans/{plan['plan_id']}/draw", profile=HEAD))
    assert drawn["status"] == "drawn"
    assert procedure.commitment(drawn["seed"]) == plan["commitment"]
    assert drawn["sample_size"] == 5  # ceil(23 * 200 / 1000)
    for selection in drawn["selections"]:
        assert len(selection["inspectors"]) == 2 and not selection["unstaffed"]
    again = api.post(f"/admin/inspection/plans/{plan['plan_id']}/draw", profile=HEAD)
    assert again.status_code == 409

    record = _proof(plan["plan_id"])
    assert procedure.verify(record) == []
    assert record["entities_hash"] == plan["entities_hash"]
    tampered = json.loads(json.dumps(record))
    tampered["entities"][0]["abnormal"] = not tampered["entities"][0]["abnormal"]
    assert any("entity directory" in line for line in procedure.verify(tampered))

    link = api.get(f"/public/inspections/plans/{plan['plan_id']}/proof")
    assert link.status_code == 302 and link.headers["Location"].startswith("http")


def test_recusals_leave_out_the_related_and_the_neighbour(api: ApiClient, directories: Any) -> None:
    drawn = _drawn(api, ratio_permille=1000)  # every entity of the township: RELATED too
    related = [r for r in drawn["recusals"] if r["credit_code"] == RELATED]
    assert {r["reason"] for r in related} == {"relation", "same_grid"}
    (selection,) = [s for s in drawn["selections"] if s["credit_code"] == RELATED]
    recused = {r["inspector_id"] for r in related}
    assert not recused & set(selection["inspectors"])
    inactive = "37083001006"
    assert all(inactive not in s["inspectors"] for s in drawn["selections"])


def test_only_the_department_head_announces_and_draws(api: ApiClient, directories: Any) -> None:
    payload = {"item_id": "SCJG-001", "period_start": "2026-11-27", "period_end": "2026-12-31"}
    other = api.post("/admin/inspection/plans", json_body=payload, profile="zwfw-supervisor")
    assert other.status_code == 403
    unknown = api.post(
        "/admin/inspection/plans", json_body={**payload, "item_id": "SCJG-999"}, profile=HEAD
    )
    assert unknown.status_code == 404 and "body.item_id" in unknown.body.decode()
    low = api.post(
        "/admin/inspection/plans", json_body={**payload, "ratio_permille": 10}, profile=HEAD
    )
    assert low.status_code == 409 and "body.ratio_permille" in low.body.decode()
    backwards = api.post(
        "/admin/inspection/plans", json_body={**payload, "period_end": "2026-01-01"}, profile=HEAD
    )
    assert backwards.status_code == 422


def _task_of(api: ApiClient, drawn: dict[str, Any], order: int = 1) -> tuple[str, str]:
    selection = drawn["selections"][order - 1]
    task_id = f"{drawn['plan_id']}-{order:04d}"
    staff = {
        i["inspector_id"]: i["staff_id"]
        for i in body(api.get("/admin/inspection/inspectors", profile=HEAD))["items"]
    }
    return task_id, staff[selection["inspectors"][0]]


def test_inspectors_record_results_that_are_public_and_counted(
    api: ApiClient, directories: Any, aws: Any, pump: Any
) -> None:
    drawn = _drawn(api)
    task_id, inspector = _task_of(api, drawn)
    mine = body(api.get("/admin/inspection/tasks", profile=inspector))["items"]
    assert task_id in {t["task_id"] for t in mine}
    outsider = "sthj-inspector-1"
    assert api.get(f"/admin/inspection/tasks/{task_id}", profile=outsider).status_code == 404

    photo = upload_photo(api, aws, pump, profile=inspector)
    result = {
        "outcome": "rectify",
        "notes": "冷藏柜温度记录缺失。",
        "inspected_on": "2026-11-27",
        "rectify_by": "2026-12-10",
        "photos": [photo],
    }
    answer = api.post(
        f"/admin/inspection/tasks/{task_id}/result", json_body=result, profile=inspector
    )
    assert answer.status_code == 200, answer.body
    task = body(answer)
    assert task["status"] == "rectifying" and len(task["photos"]) == 1
    assert task["outcome_label"]["zh"] == "责令整改"
    twice = api.post(
        f"/admin/inspection/tasks/{task_id}/result", json_body=result, profile=inspector
    )
    assert twice.status_code == 409

    follow = {"rectified": False, "notes": "复查仍未整改。", "checked_on": "2026-11-27"}
    answer = api.post(
        f"/admin/inspection/tasks/{task_id}/follow-up", json_body=follow, profile=inspector
    )
    assert answer.status_code == 200, answer.body
    assert body(answer)["outcome"] == "case_filed"

    results = body(api.get("/public/inspections/results?county=370830"))["items"]
    (published,) = results
    assert published["outcome"] == "case_filed" and published["rectified"] is False
    assert "operator" not in json.dumps(published, ensure_ascii=False)
    exported = api.get("/public/inspections/results.csv?county=370830")
    rows = list(csv.reader(io.StringIO(exported.body.decode("utf-8-sig"))))
    assert rows[0][0] == "统一社会信用代码" and rows[1][6] == "立案查处"

    figures = body(api.get("/admin/inspection/figures", profile="county-leader"))
    (row,) = [p for p in figures["plans"] if p["plan_id"] == drawn["plan_id"]]
    assert row["done"] == 1 and row["tasks"] == drawn["sample_size"]
    assert figures["departments"][0]["outcomes"] == {"case_filed": 1}

    entity = body(
        api.get(f"/admin/inspection/entities/{published['entity']['credit_code']}", profile=HEAD)
    )
    assert len(entity["failures"]) == 1 and entity["last_inspectors"]


def test_overdue_tasks_escalate_once(api: ApiClient, directories: Any, clock: FixedClock) -> None:
    drawn = _drawn(api, task_days=1)
    clock.advance(days=5)
    assert container().inspection_tasks.sweep() == drawn["sample_size"]
    assert container().inspection_tasks.sweep() == 0
    plan = body(api.get(f"/admin/inspection/plans/{drawn['plan_id']}", profile=HEAD))
    assert plan["figures"]["overdue"] == drawn["sample_size"]
    tasks = body(api.get(f"/admin/inspection/tasks?plan_id={drawn['plan_id']}", profile=HEAD))[
        "items"
    ]
    assert all(t["escalated_at"] and t["overdue"] for t in tasks)


def test_the_head_staffs_what_the_draw_left_unstaffed(api: ApiClient, directories: Any) -> None:
    """Five inspectors an entity from scjg's five active ones: RELATED (two recused) stays
    unstaffed; no result is taken until the head staffs it, never with a recused inspector."""
    drawn = _drawn(api, ratio_permille=1000, inspectors_per_entity=5)
    (selection,) = [s for s in drawn["selections"] if s["credit_code"] == RELATED]
    assert selection["unstaffed"] and len(selection["inspectors"]) == 3
    task_id = f"{drawn['plan_id']}-{selection['order']:04d}"
    staffing = f"/admin/inspection/tasks/{task_id}/staffing"
    result = {"outcome": "passed", "notes": "未发现问题。", "inspected_on": "2026-11-27"}

    waiting = api.post(
        f"/admin/inspection/tasks/{task_id}/result", json_body=result, profile="scjg-inspector-3"
    )
    assert waiting.status_code in (404, 409)
    recused = api.post(
        staffing, json_body={"inspectors": ["37083001001", "37083001003"]}, profile=HEAD
    )
    assert recused.status_code == 409 and "body.inspectors[0]" in recused.body.decode()
    inactive = api.post(
        staffing, json_body={"inspectors": ["37083001006", "37083001003"]}, profile=HEAD
    )
    assert inactive.status_code == 409
    alone = api.post(staffing, json_body={"inspectors": ["37083001003"]}, profile=HEAD)
    assert alone.status_code == 422
    other = api.post(
        staffing,
        json_body={"inspectors": ["37083001003", "37083001004"]},
        profile="zwfw-supervisor",
    )
    assert other.status_code == 403

    staffed = api.post(
        staffing, json_body={"inspectors": ["37083001003", "37083001004"]}, profile=HEAD
    )
    assert staffed.status_code == 200, staffed.body
    assert body(staffed)["staffed_by"] == HEAD and not body(staffed)["unstaffed"]
    again = api.post(
        staffing, json_body={"inspectors": ["37083001003", "37083001004"]}, profile=HEAD
    )
    assert again.status_code == 409
    mine = body(api.get("/admin/inspection/tasks", profile="scjg-inspector-3"))["items"]
    assert task_id in {t["task_id"] for t in mine}
    answer = api.post(
        f"/admin/inspection/tasks/{task_id}/result", json_body=result, profile="scjg-inspector-3"
    )
    assert answer.status_code == 200, answer.body
    plan = body(api.get(f"/admin/inspection/plans/{drawn['plan_id']}", profile=HEAD))
    assert plan["figures"]["unstaffed"] == drawn["figures"]["unstaffed"] - 1
