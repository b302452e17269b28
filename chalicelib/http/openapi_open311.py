"""The Open311 GeoReport v2 part of the OpenAPI document. GeoReport specifies these routes
itself (reference/open311/georeport-v2.swagger.json); this states exactly what this API
accepts, from the same constants the routes check. Errors are GeoReport error arrays; the
departures from the spec are in the discovery document's notes."""

from __future__ import annotations

from typing import Any

from chalicelib.services.open311_params import (
    DEFAULT_PAGE_SIZE,
    MAX_IDS,
    MAX_PAGE_SIZE,
    POST_FIELDS,
    QUERY_PATTERNS,
    REQUEST_ID,
    SERVICE_CODE,
)

_ERROR_ARRAY = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {"code": {"type": "integer"}, "description": {"type": "string"}},
        "required": ["code", "description"],
    },
}
_RECORD = {"type": "object"}
_RECORDS = {"type": "array", "items": _RECORD}
_XML = {"schema": {"type": "string"}}


def head_of(entry: dict[str, Any]) -> dict[str, Any]:
    """HEAD: the GET without a body."""
    head = dict(entry, operationId=entry["operationId"] + "_head")
    head["summary"] = "Headers only: " + entry["summary"]
    head["responses"] = {
        status: {k: v for k, v in response.items() if k != "content"}
        for status, response in entry["responses"].items()
    }
    return head


def _content(json_schema: dict[str, Any], fmt: str) -> dict[str, Any]:
    if fmt == "xml":
        return {"text/xml": _XML}
    return {"application/json": {"schema": json_schema}}


def _op(
    name: str,
    summary: str,
    fmt: str,
    ok: dict[str, Any],
    errors: tuple[int, ...],
    params: list[dict[str, Any]] | None = None,
    body: dict[str, Any] | None = None,
) -> dict[str, Any]:
    responses: dict[str, Any] = {"200": {"description": "OK", "content": _content(ok, fmt)}}
    for status in errors:
        responses[str(status)] = {
            "description": "GeoReport v2 error array",
            "content": _content(_ERROR_ARRAY, fmt),
        }
    entry: dict[str, Any] = {
        "operationId": name,
        "summary": summary,
        "tags": ["open311"],
        "security": [],
        "parameters": params or [],
        "responses": responses,
    }
    if body is not None:
        entry["requestBody"] = body
    return entry


def _query(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    """A query parameter; a text one (no `schema`) must match its QUERY_PATTERNS entry."""
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema or {"type": "string", "pattern": QUERY_PATTERNS[name]},
        "description": description,
    }


JURISDICTION = _query(
    "jurisdiction_id",
    "A county's code (one this endpoint does not serve is a 404); a posted request goes to "
    "the county its location lies in",
)
# Where the answer is one county's (its categories, its requests): the spec requires the
# parameter of an endpoint that serves several jurisdictions, and this one may.
JURISDICTION_REQUIRED = {
    **JURISDICTION,
    "required": True,
    "description": "The county's code (GET /counties lists them; another is a 404)",
}


def _search_parameters() -> list[dict[str, Any]]:
    when = {"type": "string", "format": "date-time"}
    page_size = {
        "type": "integer",
        "minimum": 1,
        "maximum": MAX_PAGE_SIZE,
        "default": DEFAULT_PAGE_SIZE,
    }
    return [
        JURISDICTION_REQUIRED,
        _query(
            "service_request_id",
            f"Up to {MAX_IDS} ids, comma-separated (the other filters are then ignored)",
        ),
        _query("service_code", "Up to 20 service codes, comma-separated (an unknown one is a 404)"),
        _query("start_date", "Requested on or after (default: 90 days before end_date)", when),
        _query(
            "end_date",
            "Requested on or before (default: now); a range over a year lists its last "
            "year, and before start_date it lists nothing",
            when,
        ),
        _query("status", "open, closed, or both"),
        _query("page", "From 1", {"type": "integer", "minimum": 1, "maximum": 1000}),
        _query("page_size", "page × page_size reaches at most 1,000 results", page_size),
    ]


def _post_body() -> dict[str, Any]:
    form = {
        "type": "object",
        "properties": POST_FIELDS,
        "required": ["api_key", "service_code", "description", "phone"],
        "anyOf": [{"required": ["lat", "long"]}, {"required": ["address_id"]}],
    }
    media_types = ("application/x-www-form-urlencoded", "multipart/form-data", "application/json")
    return {
        "required": True,
        "description": "Form fields (GeoReport v2), also taken as multipart form data or as "
        "one JSON object of the same fields; any other media type is a 415",
        "content": {media: {"schema": form} for media in media_types},
    }


def _format_paths(fmt: str) -> dict[str, dict[str, Any]]:
    """The routes named with a format suffix: discovery, the services, the requests."""
    return {
        f"/open311/v2/discovery.{fmt}": {
            "get": _op(
                f"open311_discovery_{fmt}",
                "Service discovery (with this API's notes)",
                fmt,
                {"type": "object"},
                (),
            )
        },
        f"/open311/v2/services.{fmt}": {
            "get": _op(
                f"open311_services_{fmt}",
                "The services: the request categories",
                fmt,
                _RECORDS,
                (400, 404),
                [JURISDICTION_REQUIRED],
            )
        },
        f"/open311/v2/requests.{fmt}": {
            "get": _op(
                f"open311_requests_{fmt}",
                "Public service requests, newest first",
                fmt,
                _RECORDS,
                (400, 404),
                _search_parameters(),
            ),
            "post": _op(
                f"open311_post_{fmt}",
                "A partner app files a request (api_key)",
                fmt,
                _RECORDS,
                (400, 403, 404, 409, 415, 422, 429),
                [JURISDICTION],
                _post_body(),
            ),
        },
    }


def _file_path(
    name: str, pattern: str, summary: str, jurisdiction: dict[str, Any] = JURISDICTION
) -> dict[str, Any]:
    """A route whose last segment is a file name with .json or .xml: one GET for both."""
    entry = _op(
        f"open311_{name[:-1]}",
        summary,
        "json",
        {"anyOf": [_RECORDS, _RECORD]},
        (400, 404),
    )
    entry["parameters"] = [
        {
            "name": "file",
            "in": "path",
            "required": True,
            "schema": {"type": "string", "pattern": pattern},
            "description": "The name with .json or .xml",
        },
        jurisdiction,
    ]
    for response in entry["responses"].values():
        response["content"]["text/xml"] = _XML
    return {"get": entry}


def open311_paths() -> dict[str, dict[str, Any]]:
    """Every GeoReport v2 route, each GET with its HEAD."""
    paths = {**_format_paths("json"), **_format_paths("xml")}
    for name, pattern, summary in (
        ("services", rf"^{SERVICE_CODE}\.(json|xml)$", "A service definition"),
        ("requests", rf"^{REQUEST_ID}\.(json|xml)$", "One public request"),
        ("tokens", r"^[A-Za-z0-9_-]{1,64}\.(json|xml)$", "The request a token stands for"),
    ):
        # A service is one county's category; a request or a token names itself.
        jurisdiction = JURISDICTION_REQUIRED if name == "services" else JURISDICTION
        paths[f"/open311/v2/{name}/{{file}}"] = _file_path(name, pattern, summary, jurisdiction)
    for methods in paths.values():
        if "get" in methods:
            methods["head"] = head_of(methods["get"])
    return paths
