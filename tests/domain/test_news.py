"""The rules of a news article's life, with no AWS: versions on edit, publication and
withdrawal as status changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.news import Article, ArticleEdit, ArticleStatus, ArticleVersion
from chalicelib.errors import Conflict

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def _article() -> Article:
    first = ArticleVersion(
        article_id="01JN0000000000000000000000",
        version=1,
        title="标题",
        summary="摘要",
        body="正文",
        edited_at=T0,
        edited_by="wenshang-editor",
    )
    return Article(
        article_id=first.article_id,
        county="370830",
        status=ArticleStatus.DRAFT,
        rev=1,
        created_at=T0,
        created_by="wenshang-editor",
        current=first,
    )


def _change(title: str) -> ArticleEdit:
    return ArticleEdit(title=title, summary="摘要", body="正文", version=1)


def test_an_edit_makes_the_next_version_and_moves_the_revision() -> None:
    article = _article()

    version = article.edit(_change("新标题"), T0 + timedelta(minutes=1), "wenshang-editor")

    assert version is not None and version.version == 2 and article.current.title == "新标题"
    assert article.rev == 2


def test_repeating_the_current_content_makes_no_version() -> None:
    article = _article()

    assert article.edit(_change("标题"), T0, "wenshang-editor") is None
    assert article.rev == 1


def test_publishing_again_after_withdrawal_keeps_the_first_publication_instant() -> None:
    article = _article()
    assert article.publish(T0)
    assert article.withdraw(T0 + timedelta(days=1))

    assert article.publish(T0 + timedelta(days=2))

    assert article.published_at == T0 and article.withdrawn_at is None
    assert not article.publish(T0 + timedelta(days=3))  # already public: nothing to write


def test_a_draft_cannot_be_withdrawn() -> None:
    with pytest.raises(Conflict):
        _article().withdraw(T0)
