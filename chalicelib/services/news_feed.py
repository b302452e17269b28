"""A county's policy news as an Atom 1.0 feed (RFC 4287), built with ElementTree, which
escapes every text and attribute; characters XML 1.0 cannot carry are dropped first."""

from __future__ import annotations

import re
from datetime import datetime
from xml.etree import ElementTree as ET

from chalicelib.domain.common import local_iso
from chalicelib.domain.news import NewsView

ATOM = "http://www.w3.org/2005/Atom"
ATOM_CONTENT_TYPE = "application/atom+xml; charset=utf-8"
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _add(parent: ET.Element, name: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{name}", attrs)
    if text is not None:
        element.text = _XML_ILLEGAL.sub("", text)
    return element


def _tag_uri(county: str, path: str) -> str:
    # tag: URIs (RFC 4151) stay the same whatever host or stage serves the feed.
    return f"tag:bianmin.example,2026:news/{county}{path}"


def atom_feed(
    county: str, county_name: str, origin: str | None, entries: list[NewsView], now: datetime
) -> str:
    """The feed of `entries` (newest first): each with its id, title, summary, content (plain
    text), published and updated instants and a link to its JSON when the origin is known."""
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": "zh-CN"})
    _add(feed, "id", _tag_uri(county, ""))
    _add(feed, "title", f"{county_name} 政策资讯")
    updated = max((e.updated_at for e in entries), default=now)
    _add(feed, "updated", local_iso(updated))
    _add(_add(feed, "author"), "name", county_name)
    if origin:
        _add(feed, "link", rel="self", href=f"{origin}/public/news/feed.xml?county={county}")
    for view in entries:
        entry = _add(feed, "entry")
        _add(entry, "id", _tag_uri(county, f"/{view.article_id}"))
        _add(entry, "title", view.title)
        _add(entry, "published", local_iso(view.published_at))
        _add(entry, "updated", local_iso(view.updated_at))
        _add(entry, "summary", view.summary)
        _add(entry, "content", view.body, type="text")
        if origin:
            _add(entry, "link", rel="alternate", href=f"{origin}/public/news/{view.article_id}")
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="unicode")
