"""The content editors' routes (SigV4-signed, content editors only): their county's policy
news (drafts, versions, publication, withdrawal) and its service phone directory."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.deps import container
from chalicelib.domain.access import CONTENT_EDITORS
from chalicelib.domain.identity import StaffMember
from chalicelib.domain.news import ArticleEdit, ArticleInput, ArticleRecord, DeskPage, DeskQuery
from chalicelib.domain.phones import (
    PhoneDeletion,
    PhoneEntry,
    PhoneEntryEdit,
    PhoneEntryInput,
    PhoneHistory,
)
from chalicelib.http.api import Call, Reply, created, operation
from chalicelib.http.paths import ArticlePath, PhoneEntryPath

bp = Blueprint(__name__)
TAGS = ("admin", "public information")
ARTICLE_ERRORS = (404, 409, 412)


def _article(record: ArticleRecord) -> Reply:
    return Reply(record, headers={"ETag": record.etag})


@operation(
    bp,
    "/admin/news",
    "POST",
    summary="Draft a policy news article (not public until published)",
    tags=TAGS,
    auth="staff",
    allow=CONTENT_EDITORS,
    body=ArticleInput,
    response=ArticleRecord,
    status=201,
    errors=(404,),
)
def create_article(call: Call, staff: StaffMember, body: ArticleInput) -> Reply:
    record = container().news.create(staff, body)
    return created(record, f"/admin/news/{record.article.article_id}")


@operation(
    bp,
    "/admin/news",
    summary="The county's articles, newest first (drafts, published and withdrawn)",
    tags=TAGS,
    auth="staff",
    allow=CONTENT_EDITORS,
    query=DeskQuery,
    response=DeskPage,
)
def list_articles(call: Call, staff: StaffMember, query: DeskQuery) -> DeskPage:
    return container().news.desk(staff, query)


@operation(
    bp,
    "/admin/news/{article_id}",
    summary="An article of the county with every version",
    tags=TAGS,
    auth="staff",
    allow=CONTENT_EDITORS,
    path_model=ArticlePath,
    response=ArticleRecord,
    response_headers=("ETag",),
    errors=(404,),
)
def get_article(call: Call, staff: StaffMember, article_id: str) -> Reply:
    return _article(container().news.record(staff, article_id))


@operation(
    bp,
    "/admin/news/{article_id}",
    "PUT",
    summary="Edit an article: a new version, made from the version named (stale: 412)",
    tags=TAGS,
    auth="staff",
    allow=CONTENT_EDITORS,
    path_model=ArticlePath,
    body=ArticleEdit,
    response=ArticleRecord,
    response_headers=("ETag",),
    errors=ARTICLE_ERRORS,
)
def edit_article(call: Call, staff: StaffMember, article_id: str, body: ArticleEdit) -> Reply:
    return _article(container().news.edit(staff, article_id, body))


@operation(
    bp,
    "/admin/news/{article_id}/publish",
    "POST",
    summary="Publish an article (or publish a withdrawn one again)",
    tags=TAGS,
    auth="staff",
    allow=CONTENT_EDITORS,
    path_model=ArticlePath,
    response=ArticleRecord,
    response_headers=("ETag",),
    errors=ARTICLE_ERRORS,
)
def publish_article(call: Call, staff: StaffMember, article_id: str) -> Reply:
    return _article(container().news.publish(staff, article_id))


@operation(
    bp,
    "/admin/news/{article_id}/withdraw",
    "POST",
    summary="Withdraw a published article from public view (its versions are kept)",
    tags=TAGS,
    auth="staff",
    allow=CONTENT_EDITORS,
    path_model=ArticlePath,
    response=ArticleRecord,
    response_headers=("ETag",),
    errors=ARTICLE_ERRORS,
)
def withdraw_article(call: Call, staff: StaffMember, article_id: str) -> Reply:
    return _article(container().news.withdraw(staff, article_id))


@operation(
    bp,
    "/admin/phones",
    "POST",
    summary="Add a number to the county's service phone directory",
    tags=TAGS,
    auth="staff",
    allow=CONTENT_EDITORS,
    body=PhoneEntryInput,
    response=PhoneEntry,
    status=201,
    errors=(404,),
)
def add_phone(call: Call, staff: StaffMember, body: PhoneEntryInput) -> Reply:
    entry = container().phones.add(staff, body)
    return created(entry, f"/admin/phones/{entry.entry_id}")


@operation(
    bp,
    "/admin/phones/{entry_id}",
    summary="A directory entry of the county with its versions",
    tags=TAGS,
    auth="staff",
    allow=CONTENT_EDITORS,
    path_model=PhoneEntryPath,
    response=PhoneHistory,
    errors=(404,),
)
def get_phone(call: Call, staff: StaffMember, entry_id: str) -> PhoneHistory:
    return container().phones.history(staff, entry_id)


@operation(
    bp,
    "/admin/phones/{entry_id}",
    "PUT",
    summary="Change a directory entry: a new version, made from the version named",
    tags=TAGS,
    auth="staff",
    allow=CONTENT_EDITORS,
    path_model=PhoneEntryPath,
    body=PhoneEntryEdit,
    response=PhoneEntry,
    errors=(404, 409, 412),
)
def change_phone(call: Call, staff: StaffMember, entry_id: str, body: PhoneEntryEdit) -> PhoneEntry:
    return container().phones.change(staff, entry_id, body)


@operation(
    bp,
    "/admin/phones/{entry_id}",
    "DELETE",
    summary="Delete a directory entry (its versions are kept, the last marked deleted)",
    tags=TAGS,
    auth="staff",
    allow=CONTENT_EDITORS,
    path_model=PhoneEntryPath,
    query=PhoneDeletion,
    response=PhoneEntry,
    errors=(404, 409, 412),
)
def delete_phone(call: Call, staff: StaffMember, entry_id: str, query: PhoneDeletion) -> PhoneEntry:
    return container().phones.delete(staff, entry_id, query)
