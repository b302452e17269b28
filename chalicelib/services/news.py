"""Use cases of policy news (政策资讯): a county's content editors draft, edit, publish and
withdraw articles; the public lists, reads and searches the published ones."""

from __future__ import annotations

from chalicelib.clock import Clock
from chalicelib.domain.identity import StaffMember
from chalicelib.domain.news import (
    Article,
    ArticleEdit,
    ArticleInput,
    ArticleRecord,
    ArticleStatus,
    ArticleVersion,
    DeskPage,
    DeskQuery,
    NewsPage,
    NewsQuery,
    NewsView,
)
from chalicelib.errors import FieldError, Forbidden, NotFound, PreconditionFailed
from chalicelib.ids import new_ulid
from chalicelib.paging import CursorCodec
from chalicelib.services.news_feed import atom_feed
from chalicelib.services.reference import ReferenceData
from chalicelib.store.news import NewsStore

FEED_ENTRIES = 20


def article_etag(article: Article) -> str:
    return f'"{article.article_id}@{article.current.version}"'


class NewsService:
    def __init__(
        self, store: NewsStore, reference: ReferenceData, cursors: CursorCodec, clock: Clock
    ) -> None:
        self._store = store
        self._reference = reference
        self._cursors = cursors
        self._clock = clock

    # ---- the public

    def page(self, query: NewsQuery) -> NewsPage:
        """A county's published articles, newest first; with `q`, those whose title contains
        it (a bounded search: `NewsStore.search_titles`). The cursor is bound to both."""
        county = self._reference.county_named(query.county, "query.county").code
        scope = f"news|{county}|{query.q or ''}"
        start = self._cursors.decode(query.cursor, scope) if query.cursor else None
        if query.q:
            found = self._store.search_titles(county, query.q, query.limit, start)
        else:
            found = self._store.published(county, query.limit, start)
        cursor = self._cursors.encode(found.last_key, scope) if found.last_key else None
        return NewsPage(items=found.items, next_cursor=cursor)

    def feed(self, county: str, origin: str | None) -> str:
        """The county's newest published articles (FEED_ENTRIES) as an Atom 1.0 document."""
        found = self._reference.county_named(county, "query.county")
        newest = self._store.published(found.code, FEED_ENTRIES, None).items
        articles = [self._store.article(entry.article_id) for entry in newest]
        views = [
            NewsView.of_article(a)
            for a in articles
            if a is not None and a.status is ArticleStatus.PUBLISHED
        ]
        return atom_feed(found.code, found.name, origin, views, self._clock.now())

    def read(self, article_id: str) -> NewsView:
        """A published article; a draft or a withdrawn one is a 404, as one that never was."""
        article = self._store.article(article_id)
        if article is None or article.status is not ArticleStatus.PUBLISHED:
            raise NotFound(f"No published article {article_id}.")
        return NewsView.of_article(article)

    # ---- the county's content editors

    def create(self, editor: StaffMember, draft: ArticleInput) -> ArticleRecord:
        """A new draft in the editor's county (not public until published)."""
        county = self._editor_county(editor)
        self._check_department(county, draft.department)
        now = self._clock.now()
        article_id = new_ulid(now)
        first = ArticleVersion(
            **draft.model_dump(),
            article_id=article_id,
            version=1,
            edited_at=now,
            edited_by=editor.staff_id,
        )
        article = Article(
            article_id=article_id,
            county=county,
            status=ArticleStatus.DRAFT,
            rev=1,
            created_at=now,
            created_by=editor.staff_id,
            current=first,
        )
        self._store.save(article, None, first)
        return self._record(article, [first])

    def edit(self, editor: StaffMember, article_id: str, change: ArticleEdit) -> ArticleRecord:
        """The article's next version, made from `change.version` (an older one is a 412: the
        editor would overwrite an edit unseen). A published article shows it at once."""
        article = self._editable(editor, article_id)
        if change.version != article.current.version:
            raise PreconditionFailed(
                f"The article is at version {article.current.version}; this edit was made "
                f"from version {change.version}. Read it again.",
                errors=[FieldError("body.version", "not the current version", "stale")],
            )
        self._check_department(article.county, change.department)
        previous = article.rev
        version = article.edit(change, self._clock.now(), editor.staff_id)
        if version is not None:
            self._store.save(article, previous, version)
        return self.record(editor, article_id)

    def publish(self, editor: StaffMember, article_id: str) -> ArticleRecord:
        article = self._editable(editor, article_id)
        previous = article.rev
        if article.publish(self._clock.now()):
            self._store.save(article, previous, None)
        return self.record(editor, article_id)

    def withdraw(self, editor: StaffMember, article_id: str) -> ArticleRecord:
        article = self._editable(editor, article_id)
        previous = article.rev
        if article.withdraw(self._clock.now()):
            self._store.save(article, previous, None)
        return self.record(editor, article_id)

    def record(self, editor: StaffMember, article_id: str) -> ArticleRecord:
        """An article of the editor's county with every version, newest first."""
        article = self._editable(editor, article_id)
        return self._record(article, self._store.versions(article_id))

    def desk(self, editor: StaffMember, query: DeskQuery) -> DeskPage:
        """The editor's county's articles, newest first, optionally of one status."""
        county = self._editor_county(editor)
        scope = f"newsdesk|{county}|{query.status or ''}"
        start = self._cursors.decode(query.cursor, scope) if query.cursor else None
        found = self._store.desk(county, query.limit, start, query.status)
        cursor = self._cursors.encode(found.last_key, scope) if found.last_key else None
        return DeskPage(items=found.items, next_cursor=cursor)

    # ---- helpers

    @staticmethod
    def _record(article: Article, versions: list[ArticleVersion]) -> ArticleRecord:
        return ArticleRecord(article=article, versions=versions, etag=article_etag(article))

    def _editor_county(self, editor: StaffMember) -> str:
        county = self._reference.county(editor.jurisdiction)
        if county is None or len(editor.jurisdiction) != 6:
            raise Forbidden("A content editor works for one county; yours is none served here.")
        return county.code

    def _editable(self, editor: StaffMember, article_id: str) -> Article:
        """An article of the editor's county; another county's is a 404, as one that is not."""
        article = self._store.article(article_id)
        if article is None or article.county != self._editor_county(editor):
            raise NotFound(f"No article {article_id} in your county.")
        return article

    def _check_department(self, county: str, department: str | None) -> None:
        if department is not None and department not in self._reference.departments(county):
            raise NotFound(
                f"County {county} has no department {department}.",
                errors=[FieldError("body.department", "unknown department", "unknown")],
            )
