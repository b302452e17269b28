"""Public catalogue and reference routes through chalice.test.Client."""

from __future__ import annotations

import pytest

from tests.conftest import ApiClient, body

SME = "370830-QR-0001"


def test_lists_the_seeded_catalogue_in_code_order(api: ApiClient) -> None:
    response = api.get("/services?county=370830&limit=100")
    assert response.status_code == 200
    codes = [item["code"] for item in body(response)["items"]]
    assert len(codes) == 10
    assert codes == sorted(codes)
    assert body(response).get("next_cursor") is None


def test_filters_by_type_department_and_keyword(api: ApiClient) -> None:
    licences = body(api.get("/services?county=370830&type=administrative_licence&limit=100"))[
        "items"
    ]
    assert licences and all(i["type"] == "administrative_licence" for i in licences)
    assert all(i["type_label"]["zh"] == "行政许可" for i in licences)
    gaj = body(api.get("/services?county=370830&department=gaj"))["items"]
    assert {i["code"] for i in gaj} == {"370830-XK-0001", "370830-XK-0006"}
    assert [i["code"] for i in body(api.get("/services?county=370830&q=中小微"))["items"]] == [SME]
    # a keyword matches material names too, in English as well as Chinese
    assert SME in [
        i["code"] for i in body(api.get("/services?county=370830&q=audit%20report"))["items"]
    ]


def test_pages_with_an_opaque_cursor_bound_to_its_filters(api: ApiClient) -> None:
    first = body(api.get("/services?county=370830&limit=4"))
    assert len(first["items"]) == 4 and first["next_cursor"]
    second = body(api.get(f"/services?county=370830&limit=4&cursor={first['next_cursor']}"))
    third = body(api.get(f"/services?county=370830&limit=4&cursor={second['next_cursor']}"))
    codes = [i["code"] for page in (first, second, third) for i in page["items"]]
    assert len(codes) == 10 and len(set(codes)) == 10 and "next_cursor" not in third
    # the cursor cannot be replayed with other filters, nor forged
    moved = api.get(f"/services?county=370830&limit=4&type=filing&cursor={first['next_cursor']}")
    assert moved.status_code == 404
    assert body(moved)["errors"][0]["field"] == "query.cursor"
    assert api.get("/services?county=370830&cursor=AAAA").status_code == 422


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("type=licence", "query.type"),
        ("limit=0", "query.limit"),
        ("limit=abc", "query.limit"),
        ("colour=red", "query.colour"),
        ("department=GAJ!", "query.department"),
    ],
)
def test_rejects_bad_query_parameters_naming_them(api: ApiClient, query: str, field: str) -> None:
    response = api.get(f"/services?county=370830&{query}")
    assert response.status_code == 422
    assert response.headers["Content-Type"] == "application/problem+json"
    assert field in [e["field"] for e in body(response)["errors"]]


def test_the_guide_has_everything_an_applicant_needs(api: ApiClient) -> None:
    response = api.get(f"/services/{SME}")
    assert response.status_code == 200
    guide = body(response)
    assert response.headers["ETag"] == f'"{SME}@1"'
    assert guide["name"] == "中小微企业认定证明" and guide["name_en"]
    assert [m["code"] for m in guide["materials"]] == ["licence", "audit"]
    assert all(m["required"] and m["form"] == "electronic" for m in guide["materials"])
    assert guide["legal_days"] == 7 and guide["promised_days"] == 1
    assert guide["fee"]["amount_fen"] == 0
    assert guide["delivery"] == ["pickup", "mail", "electronic"]
    assert guide["delivery_labels"][1] == {"zh": "邮寄送达", "en": "Delivered by post"}
    assert guide["review"] == {"departments": ["jxj"], "rule": "all"}
    assert guide["departments"][0]["name"] == "县经济和信息化局"
    assert guide["conditions"] and guide["process"] and guide["legal_basis"]
    assert guide["visits_required"] == 0


def test_unknown_service_is_a_404_problem(api: ApiClient) -> None:
    response = api.get("/services/370830-XX-9999")
    assert response.status_code == 404
    assert body(response)["status"] == 404
    assert response.headers["Content-Type"] == "application/problem+json"


def test_categories_list_their_departments_and_privacy(api: ApiClient) -> None:
    items = body(api.get("/categories?county=370830"))["items"]
    by_code = {c["code"]: c for c in items}
    assert by_code["streetlight"]["departments"] == ["cgj"]
    assert by_code["petition"]["private"] is True
    assert len(items) == 13


def test_jurisdiction_tree_children_and_node(api: ApiClient) -> None:
    tree = body(api.get("/jurisdictions?county=370830"))["items"]
    assert len(tree) == 1 and tree[0]["code"] == "370830"
    townships = tree[0]["children"]
    assert len(townships) == 15 and townships[0]["name"] == "汶上街道"
    assert townships[0]["children"][0]["name"] == "西门社区"
    assert "children" not in townships[0]["children"][0]  # default depth 2
    grids = body(api.get("/jurisdictions?county=370830&parent=370830001001"))["items"]
    assert [g["level"] for g in grids] == ["grid", "grid"] and grids[0]["polygon"]
    node = body(api.get("/jurisdictions/370830001001001"))
    assert node["path"] == ["汶上县", "汶上街道", "西门社区", "亲水湾小区网格"]
    assert node["level_label"] == {"zh": "网格", "en": "Grid"}
    assert api.get("/jurisdictions/370830999").status_code == 404
    assert api.get("/jurisdictions?county=370830&parent=370830999").status_code == 404
    assert api.get("/jurisdictions?county=370830&depth=9").status_code == 422


def test_unknown_paths_and_methods_are_problems(api: ApiClient) -> None:
    missing = api.get("/no/such/thing")
    assert missing.status_code == 404
    assert missing.headers["Content-Type"] == "application/problem+json"
    assert api.get("/nothing").status_code == 404
    wrong = api.request("DELETE", "/services")
    assert wrong.status_code == 405
    assert wrong.headers["Allow"] == "GET, HEAD"
    assert body(wrong)["status"] == 405


def test_head_answers_like_get_without_a_body(api: ApiClient) -> None:
    get = api.get(f"/services/{SME}")
    head = api.request("HEAD", f"/services/{SME}")
    assert head.status_code == 200 and not head.body
    assert head.headers["ETag"] == get.headers["ETag"]
    assert api.request("HEAD", "/services/370830-XX-9999").status_code == 404
    assert api.request("HEAD", "/auth/otp").status_code == 405  # a POST-only path


def test_problems_name_the_path_that_was_asked_for_and_every_answer_has_a_request_id(
    api: ApiClient,
) -> None:
    missing = api.get("/services/370830-XX-9999")
    assert body(missing)["instance"] == "/services/370830-XX-9999"
    assert body(missing)["type"] == "https://bianmin.example/problems/not-found"
    wrong = api.request("PATCH", f"/services/{SME}/versions")
    assert body(wrong)["instance"] == f"/services/{SME}/versions"
    assert body(wrong)["type"] == "https://bianmin.example/problems/method-not-allowed"
    for response in (missing, wrong, api.get("/health")):
        assert response.headers.get("X-Request-Id"), response.headers


def test_versions_of_an_item_are_listed(api: ApiClient) -> None:
    versions = body(api.get(f"/services/{SME}/versions"))["items"]
    assert [(v["version"], v["current"]) for v in versions] == [(1, True)]
    assert api.get(f"/services/{SME}/versions/2").status_code == 404
    assert api.get(f"/services/{SME}/versions/x").status_code == 404
    assert api.get("/services/370830-XX-9999/versions").status_code == 404


def test_health(api: ApiClient) -> None:
    assert body(api.get("/health")) == {"status": "ok", "stage": "test"}
