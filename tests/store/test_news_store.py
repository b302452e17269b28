"""The news store against moto: a lost update is a conflict, and the title search reads a
bounded number of list entries a request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.deps import Container
from chalicelib.domain.news import Article, ArticleEdit, ArticleStatus, ArticleVersion
from chalicelib.errors import Conflict
from chalicelib.ids import new_ulid
from chalicelib.store import news
from chalicelib.store.news import NewsStore

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def _published(store: NewsStore, title: str, at: datetime) -> Article:
    article_id = new_ulid(at)
    first = ArticleVersion(
        article_id=article_id,
        version=1,
        title=title,
        summary="摘要",
        body="正文",
        edited_at=at,
        edited_by="wenshang-editor",
    )
    article = Article(
        article_id=article_id,
        county="370830",
        status=ArticleStatus.DRAFT,
        rev=1,
        created_at=at,
        created_by="wenshang-editor",
        current=first,
    )
    store.save(article, None, first)
    article.publish(at)
    store.save(article, 1, None)
    return article


def test_a_change_made_on_a_stale_revision_is_a_conflict(deps: Container) -> None:
    store = NewsStore(deps.table)
    article = _published(store, "标题", T0)
    first_copy, second_copy = article.model_copy(deep=True), article.model_copy(deep=True)
    change = ArticleEdit(title="甲的修改", summary="摘要", body="正文", version=1)

    store.save(first_copy, article.rev, first_copy.edit(change, T0, "a"))
    late = second_copy.edit(change.model_copy(update={"title": "乙的修改"}), T0, "b")
    with pytest.raises(Conflict):
        store.save(second_copy, article.rev, late)

    assert store.article(article.article_id).current.title == "甲的修改"  # type: ignore[union-attr]


def test_the_title_search_stops_at_its_read_budget_and_goes_on_from_there(
    deps: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(news, "SEARCH_READ_BUDGET", 4)
    monkeypatch.setattr(news, "_SEARCH_PAGE", 2)
    store = NewsStore(deps.table)
    wanted = _published(store, "医保缴费指南", T0)
    for n in range(5):
        _published(store, f"其他通知{n}", T0 + timedelta(minutes=n + 1))

    first = store.search_titles("370830", "医保", 10, None)
    second = store.search_titles("370830", "医保", 10, first.last_key)

    assert first.items == [] and first.last_key is not None
    assert [s.article_id for s in second.items] == [wanted.article_id]
    assert second.last_key is None
