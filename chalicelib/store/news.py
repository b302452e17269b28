"""Policy news in DynamoDB.

ARTICLE#<id> / CURRENT            the article's state and current version; on GSI1 under
                                  NEWSDESK#<county> / <id> (the editors' list, newest first:
                                  ids are ULIDs)
ARTICLE#<id> / V#000003           one immutable version (never overwritten)
NEWS#<county> / P#<utc>#<id>      a published article in the public list (newest first by
                                  first publication); its title folded for the search;
                                  deleted on withdrawal

Every change is one transaction on the condition that CURRENT is still at the revision
read: a concurrent change fails it (Conflict, 409) instead of being lost.
"""

from __future__ import annotations

from typing import Any

from chalicelib.domain.news import Article, ArticleStatus, ArticleVersion, NewsSummary
from chalicelib.errors import Conflict
from chalicelib.store.keys import utc_iso
from chalicelib.store.refusals import is_conditional_failure
from chalicelib.store.table import Page, Table, revision_put

SEARCH_READ_BUDGET = 500  # list entries one title search reads per request, at most
_SEARCH_PAGE = 100


def _pk(article_id: str) -> str:
    return f"ARTICLE#{article_id}"


def _version_sk(version: int) -> str:
    return f"V#{version:06d}"


def news_partition(county: str) -> str:
    return f"NEWS#{county}"


def _listed_sk(article: Article) -> str:
    assert article.published_at is not None
    return f"P#{utc_iso(article.published_at)}#{article.article_id}"


def _current_put(article: Article, previous_rev: int | None) -> dict[str, Any]:
    item = {
        "pk": _pk(article.article_id),
        "sk": "CURRENT",
        "gsi1pk": f"NEWSDESK#{article.county}",
        "gsi1sk": article.article_id,
        "rev": article.rev,
        "article": article.model_dump(mode="json", exclude_none=True),
    }
    return {"Put": revision_put(item, previous_rev)}


def _listing_step(article: Article) -> dict[str, Any]:
    key = {"pk": news_partition(article.county), "sk": _listed_sk(article)}
    if article.status is not ArticleStatus.PUBLISHED:
        return {"Delete": {"Key": key}}
    summary = NewsSummary.of(article)
    return {
        "Put": {
            "Item": {
                **key,
                "title_fold": summary.title.casefold(),
                "entry": summary.model_dump(mode="json", exclude_none=True),
            }
        }
    }


class NewsStore:
    def __init__(self, table: Table) -> None:
        self._table = table

    def article(self, article_id: str) -> Article | None:
        raw = self._table.get(_pk(article_id), "CURRENT", consistent=True)
        return Article.model_validate(raw["article"]) if raw else None

    def versions(self, article_id: str) -> list[ArticleVersion]:
        """Every version of an article, newest first."""
        items = self._table.query_all(_pk(article_id), sk_prefix="V#", forward=False)
        return [ArticleVersion.model_validate(raw["version"]) for raw in items]

    def save(
        self, article: Article, previous_rev: int | None, version: ArticleVersion | None
    ) -> None:
        """Writes the article's new state (and its new version, if its content changed) and
        its public list entry, in one transaction on the revision read (`previous_rev`; None
        for a new article). A concurrent writer's change makes it a Conflict."""
        steps = [_current_put(article, previous_rev)]
        if version is not None:
            steps.append(
                {
                    "Put": {
                        "Item": {
                            "pk": _pk(article.article_id),
                            "sk": _version_sk(version.version),
                            "version": version.model_dump(mode="json", exclude_none=True),
                        },
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                }
            )
        if article.published_at is not None:
            steps.append(_listing_step(article))
        try:
            self._table.transact(steps)
        except Exception as exc:
            if is_conditional_failure(exc):
                raise Conflict(
                    "The article changed meanwhile; read it again and repeat your change."
                ) from None
            raise

    def desk(
        self, county: str, limit: int, start: dict[str, Any] | None, status: str | None
    ) -> Page[Article]:
        """A county's articles for its editors, newest first, optionally of one status."""
        kwargs: dict[str, Any] = {"index": "gsi1", "forward": False, "start_key": start}
        if status:
            kwargs["filter"] = ("#a.#s = :s", {"#a": "article", "#s": "status"}, {":s": status})
        page = self._table.query_filled(f"NEWSDESK#{county}", limit, **kwargs)
        return Page([Article.model_validate(raw["article"]) for raw in page.items], page.last_key)

    def published(self, county: str, limit: int, start: dict[str, Any] | None) -> Page[NewsSummary]:
        """A county's published articles, newest first."""
        page = self._table.query(
            news_partition(county), sk_prefix="P#", forward=False, limit=limit, start_key=start
        )
        entries = [NewsSummary.model_validate(raw["entry"]) for raw in page.items]
        return Page(entries, page.last_key)

    def search_titles(
        self, county: str, words: str, limit: int, start: dict[str, Any] | None
    ) -> Page[NewsSummary]:
        """Published articles whose title contains `words` (case-folded), newest first,
        reading at most SEARCH_READ_BUDGET list entries: a page may come back short with a
        position to go on from when the matches are sparse."""
        found: list[NewsSummary] = []
        read = 0
        condition = ("contains(#t, :q)", {"#t": "title_fold"}, {":q": words.casefold()})
        while read < SEARCH_READ_BUDGET:
            page = self._table.query(
                news_partition(county),
                sk_prefix="P#",
                forward=False,
                limit=min(_SEARCH_PAGE, SEARCH_READ_BUDGET - read),
                start_key=start,
                filter=condition,
            )
            read += _SEARCH_PAGE
            for position, raw in enumerate(page.items):
                found.append(NewsSummary.model_validate(raw["entry"]))
                if len(found) == limit:
                    more = position + 1 < len(page.items) or page.last_key is not None
                    return Page(found, self._table.key_of(raw, {}) if more else None)
            start = page.last_key
            if start is None:
                break
        return Page(found, start)
