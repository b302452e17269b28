"""The public information channel: policy news (drafts, versions, publication, withdrawal,
the list with its cursor and title search, the Atom feed), service guides from the
catalogue, and the service phone directory."""

from __future__ import annotations

import threading
from typing import Any
from xml.etree import ElementTree as ET

from chalicelib.clock import FixedClock
from tests.conftest import ApiClient, body

EDITOR = "wenshang-editor"
ATOM = "{http://www.w3.org/2005/Atom}"
SME = "370830-QR-0001"


def _draft(api: ApiClient, title: str = "关于优化营商环境的若干措施", **extra: Any) -> dict:
    article = {
        "title": title,
        "summary": "县政府出台优化营商环境措施。",
        "body": "第一段。\n\n第二段：企业开办一日办结。",
        "source": "县政府办公室",
        **extra,
    }
    answer = api.post("/admin/news", json_body=article, profile=EDITOR)
    assert answer.status_code == 201, answer.body
    assert answer.headers["Location"].startswith("/admin/news/")
    return body(answer)["article"]


def _published(api: ApiClient, title: str = "关于优化营商环境的若干措施") -> str:
    article_id = _draft(api, title)["article_id"]
    answer = api.post(f"/admin/news/{article_id}/publish", profile=EDITOR)
    assert answer.status_code == 200, answer.body
    return article_id


def _edit(api: ApiClient, article_id: str, version: int, title: str, **kw: Any) -> Any:
    change = {
        "title": title,
        "summary": "修订后的摘要。",
        "body": "修订后的正文。",
        "version": version,
    }
    return api.put(f"/admin/news/{article_id}", json_body=change, **{"profile": EDITOR, **kw})


def test_a_draft_is_not_public_until_published(api: ApiClient) -> None:
    article_id = _draft(api)["article_id"]

    assert api.get(f"/public/news/{article_id}").status_code == 404
    assert body(api.get("/public/news?county=370830"))["items"] == []

    _ = api.post(f"/admin/news/{article_id}/publish", profile=EDITOR)
    shown = body(api.get(f"/public/news/{article_id}"))
    assert shown["title"] == "关于优化营商环境的若干措施" and shown["version"] == 1
    assert shown["published_at"].endswith("+08:00")


def test_published_news_is_listed_newest_first_with_a_working_cursor(
    api: ApiClient, clock: FixedClock
) -> None:
    ids = []
    for n in range(5):
        ids.append(_published(api, f"政策解读第{n}期"))
        clock.advance(minutes=1)

    first = body(api.get("/public/news?county=370830&limit=2"))
    second = body(api.get(f"/public/news?county=370830&limit=2&cursor={first['next_cursor']}"))
    third = body(api.get(f"/public/news?county=370830&limit=2&cursor={second['next_cursor']}"))

    listed = [i["article_id"] for page in (first, second, third) for i in page["items"]]
    assert listed == list(reversed(ids))
    assert third.get("next_cursor") is None
    other = api.get(f"/public/news?county=370830&limit=2&q=x&cursor={first['next_cursor']}")
    assert other.status_code == 404  # a cursor is bound to its query


def test_the_title_search_finds_only_matching_published_articles(
    api: ApiClient, clock: FixedClock
) -> None:
    wanted = _published(api, "医保缴费指南")
    clock.advance(minutes=1)
    _published(api, "春季植树通知")
    _draft(api, "医保草稿不公开")

    found = body(api.get("/public/news?county=370830&q=医保"))

    assert [i["article_id"] for i in found["items"]] == [wanted]


def test_an_edit_creates_a_version_and_the_public_sees_the_latest(api: ApiClient) -> None:
    article_id = _published(api)

    edited = _edit(api, article_id, 1, "关于优化营商环境的若干措施（修订）")

    assert edited.status_code == 200, edited.body
    record = body(edited)
    assert [v["version"] for v in record["versions"]] == [2, 1]
    assert edited.headers["ETag"] == f'"{article_id}@2"'
    shown = body(api.get(f"/public/news/{article_id}"))
    assert shown["title"].endswith("（修订）") and shown["version"] == 2
    listed = body(api.get("/public/news?county=370830"))["items"]
    assert [i["title"] for i in listed] == ["关于优化营商环境的若干措施（修订）"]


def test_an_edit_made_from_an_old_version_is_refused_and_loses_nothing(api: ApiClient) -> None:
    article_id = _published(api)
    assert _edit(api, article_id, 1, "第一位编辑的修改").status_code == 200

    stale = _edit(api, article_id, 1, "第二位编辑的修改")

    assert stale.status_code == 412
    assert body(stale)["errors"][0]["field"] == "body.version"
    assert body(api.get(f"/public/news/{article_id}"))["title"] == "第一位编辑的修改"


def test_concurrent_edits_of_one_version_keep_exactly_one(api: ApiClient) -> None:
    article_id = _published(api)
    answers: list[int] = []

    def edit(title: str) -> None:
        answers.append(_edit(api, article_id, 1, title).status_code)

    threads = [threading.Thread(target=edit, args=(f"并发修改{n}",)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(answers)[0] == 200 and sorted(answers)[1] in (409, 412)
    record = body(api.get(f"/admin/news/{article_id}", profile=EDITOR))
    assert [v["version"] for v in record["versions"]] == [2, 1]


def test_a_withdrawn_article_leaves_the_public_but_keeps_its_versions(api: ApiClient) -> None:
    article_id = _published(api)

    withdrawn = api.post(f"/admin/news/{article_id}/withdraw", profile=EDITOR)

    assert body(withdrawn)["article"]["status"] == "withdrawn"
    assert api.get(f"/public/news/{article_id}").status_code == 404
    assert body(api.get("/public/news?county=370830"))["items"] == []
    record = body(api.get(f"/admin/news/{article_id}", profile=EDITOR))
    assert len(record["versions"]) == 1


def test_the_atom_feed_parses_and_lists_the_published_entries(
    api: ApiClient, clock: FixedClock
) -> None:
    first = _published(api, "第一条 <通知> & 公告")
    clock.advance(minutes=1)
    second = _published(api, "第二条通知")

    answer = api.get("/public/news/feed.xml?county=370830")

    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    feed = ET.fromstring(answer.body)
    assert feed.tag == f"{ATOM}feed"
    assert feed.find(f"{ATOM}id") is not None and feed.find(f"{ATOM}updated") is not None
    entries = feed.findall(f"{ATOM}entry")
    ids = [e.find(f"{ATOM}id").text for e in entries]  # type: ignore[union-attr]
    assert [i.rsplit("/", 1)[-1] for i in ids] == [second, first]  # type: ignore[union-attr]
    assert entries[1].find(f"{ATOM}title").text == "第一条 <通知> & 公告"  # type: ignore[union-attr]


def test_the_feed_of_an_unknown_county_is_a_404(api: ApiClient) -> None:
    answer = api.get("/public/news/feed.xml?county=110101")
    assert answer.status_code == 404
    assert body(answer)["errors"][0]["field"] == "query.county"


def test_a_guide_is_rendered_from_the_catalogue_with_its_versions(api: ApiClient) -> None:
    guide = body(api.get(f"/public/guides/{SME}"))
    versions = body(api.get(f"/public/guides/{SME}/versions"))
    first = api.get(f"/public/guides/{SME}?version=1")

    assert guide["code"] == SME and guide["materials"] and guide["promised_days"] >= 0
    assert guide["type_label"]["zh"] and guide["type_label"]["en"]
    assert guide["apply_at"]["zh"] == "汶上县政务服务中心" and guide["fee"] is not None
    assert [v["version"] for v in versions["items"]] == [1]
    assert first.status_code == 200
    assert api.get(f"/public/guides/{SME}?version=9").status_code == 404


def test_the_phone_directory_is_seeded_and_filters_by_department_and_township(
    api: ApiClient,
) -> None:
    everything = body(api.get("/public/phones?county=370830"))["items"]
    by_township = body(api.get("/public/phones?county=370830&township=370830007"))["items"]
    by_department = body(api.get("/public/phones?county=370830&department=zwfw"))["items"]

    assert {e["phone"] for e in everything} >= {"0537-7212345", "12345"}
    assert [e["name"] for e in by_township] == ["郭楼镇便民服务中心"]
    assert {e["phone"] for e in by_department} == {"0537-7212345", "12345"}


def test_an_editor_adds_changes_and_deletes_a_number_with_its_versions(api: ApiClient) -> None:
    entry = {
        "name": "南旺镇便民服务中心",
        "name_en": "Nanwang hall",
        "phone": "0537-7591234",
        "township": "370830004",
    }
    added = api.post("/admin/phones", json_body=entry, profile=EDITOR)
    assert added.status_code == 201, added.body
    entry_id = body(added)["entry_id"]

    changed = api.put(
        f"/admin/phones/{entry_id}",
        json_body={**entry, "phone": "13953700009", "version": 1},
        profile=EDITOR,
    )
    assert body(changed)["version"] == 2
    listed = body(api.get("/public/phones?county=370830&township=370830004"))["items"]
    assert [e["phone"] for e in listed] == ["13953700009"]

    gone = api.request("DELETE", f"/admin/phones/{entry_id}?version=2", profile=EDITOR)
    assert gone.status_code == 200 and body(gone)["deleted"] is True
    assert body(api.get("/public/phones?county=370830&township=370830004"))["items"] == []
    history = body(api.get(f"/admin/phones/{entry_id}", profile=EDITOR))
    assert [v["version"] for v in history["versions"]] == [3, 2, 1]


def test_bad_input_is_a_422_naming_the_field(api: ApiClient) -> None:
    long_title = api.post(
        "/admin/news",
        json_body={"title": "长" * 61, "summary": "摘要", "body": "正文"},
        profile=EDITOR,
    )
    bad_phone = api.post(
        "/admin/phones",
        json_body={"name": "某电话", "name_en": "Some phone", "phone": "7212345"},
        profile=EDITOR,
    )
    bad_limit = api.get("/public/news?county=370830&limit=0")

    assert long_title.status_code == 422
    assert body(long_title)["errors"][0]["field"] == "body.title"
    assert bad_phone.status_code == 422
    assert body(bad_phone)["errors"][0]["field"] == "body.phone"
    assert body(bad_limit)["errors"][0]["field"] == "query.limit"


def test_an_unknown_county_or_township_is_a_404_naming_it(api: ApiClient) -> None:
    unknown_county = api.get("/public/news?county=110101")
    unknown_township = api.post(
        "/admin/phones",
        json_body={
            "name": "某中心",
            "name_en": "Somewhere",
            "phone": "12345",
            "township": "370829001",
        },
        profile=EDITOR,
    )

    assert unknown_county.status_code == 404
    assert body(unknown_county)["errors"][0]["field"] == "query.county"
    assert unknown_township.status_code == 404
    assert body(unknown_township)["errors"][0]["field"] == "body.township"


def test_another_countys_editor_cannot_see_or_change_an_article(api: ApiClient) -> None:
    article_id = _draft(api)["article_id"]

    assert api.get(f"/admin/news/{article_id}", profile="jx-editor").status_code == 404
    assert _edit(api, article_id, 1, "越权修改", profile="jx-editor").status_code == 404
    published = api.post(f"/admin/news/{article_id}/publish", profile="jx-editor")
    assert published.status_code == 404
    assert body(api.get("/admin/news", profile="jx-editor"))["items"] == []


def test_a_role_other_than_content_editor_is_refused(api: ApiClient) -> None:
    article = {"title": "标题", "summary": "摘要", "body": "正文"}
    for profile in ("catalogue-admin", "zwfw-clerk", "county-admin"):
        assert api.post("/admin/news", json_body=article, profile=profile).status_code == 403
    assert api.get("/admin/news", profile="zwfw-dispatcher").status_code == 403


def test_the_editors_list_shows_drafts_and_filters_by_status(api: ApiClient) -> None:
    draft = _draft(api, "草稿")["article_id"]
    published = _published(api, "已发布")

    everything = body(api.get("/admin/news", profile=EDITOR))["items"]
    drafts = body(api.get("/admin/news?status=draft", profile=EDITOR))["items"]

    assert {a["article_id"] for a in everything} == {draft, published}
    assert [a["article_id"] for a in drafts] == [draft]


def test_a_draft_cannot_be_withdrawn_and_a_stale_phone_change_is_refused(api: ApiClient) -> None:
    article_id = _draft(api)["article_id"]
    entry = body(api.get("/public/phones?county=370830&township=370830007"))["items"][0]
    change = {k: entry[k] for k in ("name", "name_en", "phone", "township", "hours")}

    withdrawn = api.post(f"/admin/news/{article_id}/withdraw", profile=EDITOR)
    stale = api.put(
        f"/admin/phones/{entry['entry_id']}",
        json_body={**change, "phone": "0537-7560000", "version": 7},
        profile=EDITOR,
    )

    assert withdrawn.status_code == 409
    assert stale.status_code == 412 and body(stale)["errors"][0]["field"] == "body.version"


def test_the_feed_answers_head_like_get(api: ApiClient) -> None:
    head = api.request("HEAD", "/public/news/feed.xml?county=370830")

    assert head.status_code == 200 and not head.body
    assert head.headers["Content-Type"].startswith("application/atom+xml")
