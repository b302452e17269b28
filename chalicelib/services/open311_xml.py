"""GeoReport v2 XML: what a 311 client asking for .xml gets (the same payloads as JSON)."""

from __future__ import annotations

import re
from typing import Any
from xml.etree import ElementTree as ET

# Characters XML 1.0 cannot carry (control characters a citizen may have pasted).
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

ROOTS = {
    "services": ("services", "service"),
    "requests": ("service_requests", "request"),
    "errors": ("errors", "error"),
}


def _element(name: str, value: Any) -> ET.Element:
    element = ET.Element(name)
    if isinstance(value, dict):
        for key, item in value.items():
            element.append(_element(key, item))
    elif isinstance(value, list):
        singular = {"endpoints": "endpoint", "formats": "format", "attributes": "attribute"}
        for item in value:
            element.append(_element(singular.get(name, "item"), item))
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = _XML_ILLEGAL.sub("", str(value))
    return element


def to_xml(kind: str, payload: Any) -> str:
    """GeoReport v2 XML: lists under their plural root, single documents as they are."""
    if kind in ROOTS:
        root_name, item_name = ROOTS[kind]
        root = ET.Element(root_name)
        for item in payload:
            root.append(_element(item_name, item))
    else:
        root = _element(kind, payload)
    return '<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(root, encoding="unicode")
