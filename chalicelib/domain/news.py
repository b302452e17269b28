"""Policy news (政策资讯): an article a county's content editor drafts, publishes, edits and
withdraws. Every edit of its content is a new immutable version; publishing and withdrawing
change its status, never its content. The public sees only a published article's current
version.

    draft ──publish──▶ published ──withdraw──▶ withdrawn ──publish──▶ published
      └─edit (new version)  └─edit (new version, public at once)  └─edit (new version)
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints

from chalicelib.domain.common import (
    COUNTY_PARAMETER,
    CountyCode,
    Cursor,
    DepartmentCode,
    Instant,
    QueryInt,
    Strict,
)
from chalicelib.errors import Conflict, FieldError

Title = Annotated[str, StringConstraints(min_length=1, max_length=60, pattern=r"\S")]
Summary = Annotated[str, StringConstraints(min_length=1, max_length=300, pattern=r"\S")]
# Plain text; paragraphs are separated by a blank line (a client renders them as it likes).
Body = Annotated[str, StringConstraints(min_length=1, max_length=20000, pattern=r"\S")]
Source = Annotated[str, StringConstraints(min_length=1, max_length=60)]


class ArticleStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"


class ArticleInput(Strict):
    """What an editor writes: the content of one version."""

    title: Title = Field(description="标题, at most 60 characters")
    summary: Summary
    body: Body = Field(description="Plain text; a blank line separates paragraphs")
    source: Source | None = Field(default=None, description="来源, e.g. 县政府办公室")
    department: DepartmentCode | None = None


class ArticleEdit(ArticleInput):
    """An edit: the content and the version it was made from (a stale one is a 412)."""

    version: int = Field(ge=1, le=999999, description="The version this edit was made from")


class ArticleVersion(ArticleInput):
    """One immutable version of an article's content."""

    article_id: str
    version: int
    edited_at: Instant
    edited_by: str


class Article(Strict):
    """An article's current state: its newest version and where it stands."""

    article_id: str
    county: CountyCode
    status: ArticleStatus
    rev: int = Field(description="Moves on every change: the store writes on it")
    created_at: Instant
    created_by: str
    published_at: Instant | None = None  # first publication: its place in the public list
    withdrawn_at: Instant | None = None
    current: ArticleVersion

    def edit(self, change: ArticleEdit, at: datetime, by: str) -> ArticleVersion | None:
        """The next version, or None when the change repeats the current content (a retried
        edit acts once). An edit made from an older version is refused by the service."""
        content = ArticleInput.model_validate(change.model_dump(exclude={"version"}))
        if (
            content.model_dump()
            == ArticleInput.model_validate(
                self.current.model_dump(exclude={"article_id", "version", "edited_at", "edited_by"})
            ).model_dump()
        ):
            return None
        self.current = ArticleVersion(
            **content.model_dump(),
            article_id=self.article_id,
            version=self.current.version + 1,
            edited_at=at,
            edited_by=by,
        )
        self.rev += 1
        return self.current

    def publish(self, at: datetime) -> bool:
        """Makes the article public; False if it already is (nothing to write)."""
        if self.status is ArticleStatus.PUBLISHED:
            return False
        self.status = ArticleStatus.PUBLISHED
        self.published_at = self.published_at or at
        self.withdrawn_at = None
        self.rev += 1
        return True

    def withdraw(self, at: datetime) -> bool:
        """Takes a published article out of public view; its versions stay for the record."""
        if self.status is ArticleStatus.WITHDRAWN:
            return False
        if self.status is ArticleStatus.DRAFT:
            raise Conflict(
                "A draft was never published: there is nothing to withdraw.",
                errors=[FieldError("status", "draft", "state")],
            )
        self.status = ArticleStatus.WITHDRAWN
        self.withdrawn_at = at
        self.rev += 1
        return True


class NewsSummary(Strict):
    """An entry of the public list (and of the feed)."""

    article_id: str
    title: str
    summary: str
    source: str | None = None
    published_at: Instant
    updated_at: Instant
    version: int

    @classmethod
    def of(cls, article: Article) -> NewsSummary:
        assert article.published_at is not None
        return cls(
            article_id=article.article_id,
            title=article.current.title,
            summary=article.current.summary,
            source=article.current.source,
            published_at=article.published_at,
            updated_at=article.current.edited_at,
            version=article.current.version,
        )


class NewsView(NewsSummary):
    """A published article as the public reads it."""

    county: str
    body: str
    department: str | None = None

    @classmethod
    def of_article(cls, article: Article) -> NewsView:
        return cls(
            **NewsSummary.of(article).model_dump(),
            county=article.county,
            body=article.current.body,
            department=article.current.department,
        )


class NewsPage(Strict):
    items: list[NewsSummary]
    next_cursor: str | None = None


class NewsQuery(Strict):
    county: CountyCode = Field(description=COUNTY_PARAMETER)
    q: Annotated[str, StringConstraints(min_length=1, max_length=30)] | None = Field(
        default=None, description="Words in the title (a bounded search: see the docs)"
    )
    limit: QueryInt = Field(default=20, ge=1, le=100)
    cursor: Cursor | None = None


class FeedQuery(Strict):
    county: CountyCode = Field(description=COUNTY_PARAMETER)


class DeskQuery(Strict):
    status: ArticleStatus | None = None
    limit: QueryInt = Field(default=20, ge=1, le=100)
    cursor: Cursor | None = None


class ArticleRecord(Strict):
    """An article as its editors see it, with every version (newest first)."""

    article: Article
    versions: list[ArticleVersion]
    etag: str


class DeskPage(Strict):
    items: list[Article]
    next_cursor: str | None = None
