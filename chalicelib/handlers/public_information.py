"""The public information channel: policy news (with its Atom feed), service guides rendered
from the catalogue, and the service phone directory. No sign-in."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.context import current_origin
from chalicelib.deps import container
from chalicelib.domain.catalogue import GuideQuery, PublicGuide, ServiceVersionList
from chalicelib.domain.news import FeedQuery, NewsPage, NewsQuery, NewsView
from chalicelib.domain.phones import PhoneDirectory, PhoneQuery
from chalicelib.http.api import Call, operation
from chalicelib.http.paths import ArticlePath, ServicePath
from chalicelib.services.news_feed import ATOM_CONTENT_TYPE

bp = Blueprint(__name__)
TAGS = ("public information",)


@operation(
    bp,
    "/public/news",
    summary="A county's policy news (政策资讯), newest first; `q` searches the titles",
    tags=TAGS,
    query=NewsQuery,
    response=NewsPage,
)
def list_news(call: Call, query: NewsQuery) -> NewsPage:
    return container().news.page(query)


@operation(
    bp,
    "/public/news/feed.xml",
    summary="A county's policy news as an Atom 1.0 feed",
    tags=TAGS,
    query=FeedQuery,
    content_type="application/atom+xml",
    errors=(404,),  # no such county
)
def news_feed(call: Call, query: FeedQuery) -> Response:
    xml = container().news.feed(query.county, current_origin.get())
    return Response(body=xml, status_code=200, headers={"Content-Type": ATOM_CONTENT_TYPE})


@operation(
    bp,
    "/public/news/{article_id}",
    summary="A published article (a draft or a withdrawn one is a 404)",
    tags=TAGS,
    path_model=ArticlePath,
    response=NewsView,
)
def get_news(call: Call, article_id: str) -> NewsView:
    return container().news.read(article_id)


@operation(
    bp,
    "/public/guides/{code}",
    summary="The service guide (办事指南) of a catalogue item, current or of a version",
    tags=TAGS,
    path_model=ServicePath,
    query=GuideQuery,
    response=PublicGuide,
)
def get_guide(call: Call, code: str, query: GuideQuery) -> PublicGuide:
    return container().public_guides.guide(code, query.version or None)


@operation(
    bp,
    "/public/guides/{code}/versions",
    summary="Every published version of a service guide",
    tags=TAGS,
    path_model=ServicePath,
    response=ServiceVersionList,
)
def list_guide_versions(call: Call, code: str) -> ServiceVersionList:
    return container().public_guides.versions(code)


@operation(
    bp,
    "/public/phones",
    summary="A county's service phone directory (服务电话), by department or township",
    tags=TAGS,
    query=PhoneQuery,
    response=PhoneDirectory,
    errors=(404,),  # no such county, department or township
)
def list_phones(call: Call, query: PhoneQuery) -> PhoneDirectory:
    return container().phones.directory(query)
