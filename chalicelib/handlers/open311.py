"""Open311 GeoReport v2 (`/open311/v2/`): JSON and XML, GeoReport error arrays.

These routes keep the GeoReport conventions rather than the API's own (problem+json,
OpenAPI-validated JSON bodies): `{resource}.{format}` paths, form-encoded POSTs with an
`api_key`, and errors as `[{"code": 400, "description": "..."}]` — every error under
/open311/v2/, the app's middleware turning any other error shape into one.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Callable
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl

from chalice import Blueprint, Response

from chalicelib.context import current_origin, current_request_id
from chalicelib.deps import container
from chalicelib.errors import DomainError, MalformedRequest, NotFound, UnsupportedMediaType
from chalicelib.http.api import request_origin
from chalicelib.observability import logger
from chalicelib.services.open311 import Open311
from chalicelib.services.open311_params import POST_FIELDS
from chalicelib.services.open311_xml import to_xml

bp = Blueprint(__name__)

FORMATS = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
FORM_TYPES = [
    "application/x-www-form-urlencoded",
    "multipart/form-data",
    "application/json",
    "text/plain",
]
Action = Callable[[Open311, str, str, dict[str, str]], Response]


def _split(name: str) -> tuple[str, str]:
    stem, _, fmt = name.rpartition(".")
    if not stem or fmt not in FORMATS:
        raise NotFound("add .json or .xml to the resource name")
    return stem, fmt


def _reply(kind: str, payload: Any, fmt: str, status: int = 200) -> Response:
    body = to_xml(kind, payload) if fmt == "xml" else json.dumps(payload, ensure_ascii=False)
    return Response(body=body, status_code=status, headers={"Content-Type": FORMATS[fmt]})


def error_array(status: int, description: str, fmt: str) -> Response:
    return _reply("errors", [{"code": status, "description": description}], fmt, status)


def geo_report_not_found(path: str) -> Response:
    """An unknown path under /open311/v2/ (deployed: reached through the catch-all route)."""
    return error_array(404, f"no resource {path}", "xml" if path.endswith(".xml") else "json")


def _multipart(raw: bytes, content_type: str) -> dict[str, str]:
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + raw
    )
    fields: dict[str, str] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        if part.get_filename():
            raise MalformedRequest("files are not accepted; photos go through the app")
        # The part's bytes in its declared charset (UTF-8 if none, or one Python does not
        # know): a nested multipart or an attached message has no such bytes, and a strange
        # header is the client's fault (400), never a 500.
        content = None if part.is_multipart() else part.get_payload(decode=True)
        if not isinstance(content, bytes):
            raise ValueError(f"part {name} is not a text value")
        charset = part.get_content_charset() or "utf-8"
        try:
            codecs.lookup(charset)
        except LookupError:
            charset = "utf-8"
        fields[str(name)] = content.decode(charset)
    return fields


def _params() -> dict[str, str]:
    request = bp.current_request
    query = request.query_params or {}
    repeated = [name for name in query if len(query.getlist(name)) > 1]
    if repeated:
        raise MalformedRequest(f"give {repeated[0]} once (a list is comma-separated)")
    params: dict[str, str] = dict(query)
    raw = request.raw_body or b""
    if raw and request.method == "POST":  # a body on a GET is no parameter
        full_type = request.headers.get("content-type") or ""
        content_type = full_type.split(";")[0].strip().lower()
        if content_type == "application/json":
            try:
                data = json.loads(raw)
            except (ValueError, RecursionError):
                raise MalformedRequest("the body is not valid JSON") from None
            if not isinstance(data, dict):
                raise MalformedRequest("the body must be a JSON object")
            # GeoReport fields are scalars: an object or array is a 400 for a known field and
            # ignored, like any unknown field, otherwise.
            nested = [k for k, v in data.items() if isinstance(v, dict | list)]
            known = next(
                (k for k in nested if k in POST_FIELDS or k.startswith("attribute[")), None
            )
            if known is not None:
                raise MalformedRequest(f"{known} must be a string or a number")
            params.update({k: str(v) for k, v in data.items() if v is not None and k not in nested})
        elif content_type == "multipart/form-data":
            try:
                params.update(_multipart(raw, full_type))
            except (ValueError, LookupError, TypeError, AttributeError):  # hostile part headers
                raise MalformedRequest("the body is not valid multipart form data") from None
        elif content_type in ("application/x-www-form-urlencoded", ""):
            try:
                params.update(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
            except UnicodeDecodeError:
                raise MalformedRequest("the body must be UTF-8 form data") from None
        else:
            raise UnsupportedMediaType(
                f"send form data (application/x-www-form-urlencoded, multipart/form-data) or "
                f"JSON, not {content_type}",
            )
    return params


def _serve(name: str, action: Action) -> Response:
    request = bp.current_request
    scope = current_request_id.set(str(request.context.get("requestId") or id(request)))
    origin = current_origin.set(request_origin(request))
    fmt = "xml" if name.endswith(".xml") else "json"
    try:
        stem, fmt = _split(name)
        deps = container()
        params = _params()
        deps.open311.check_jurisdiction(params)
        return action(deps.open311, stem, fmt, params)
    except DomainError as exc:  # the same errors as every route, as a GeoReport error array
        logger.info("open311 error", extra={"status": exc.status})
        return error_array(exc.status, exc.detail, fmt)
    finally:
        current_origin.reset(origin)
        current_request_id.reset(scope)


def _get(path: str, name: str, view: Callable[..., Response]) -> None:
    """A GET route and its HEAD (the same answer without the body)."""
    bp.route(path, methods=["GET"], name=name)(view)

    def head(**params: str) -> Response:
        answer = view(**params)
        return Response(body="", status_code=answer.status_code, headers=answer.headers)

    bp.route(path, methods=["HEAD"], name=f"{name}_head")(head)


# Static routes per resource and format (API Gateway and Chalice prefer them to parameter
# routes), so that the OpenAPI document states each resource's own parameters.
def _static(stem: str, fmt: str, answer: Callable[[Open311, dict[str, str]], Any]) -> Any:
    kind = "requests" if stem == "requests" else stem

    def view() -> Response:
        return _serve(f"{stem}.{fmt}", lambda api, _, f, p: _reply(kind, answer(api, p), f))

    return view


for _fmt in FORMATS:
    _get(
        f"/open311/v2/discovery.{_fmt}",
        f"open311_discovery_{_fmt}",
        _static("discovery", _fmt, lambda api, _: api.discovery()),
    )
    _get(
        f"/open311/v2/services.{_fmt}",
        f"open311_services_{_fmt}",
        _static("services", _fmt, lambda api, params: api.services(params)),
    )
    _get(
        f"/open311/v2/requests.{_fmt}",
        f"open311_requests_{_fmt}",
        _static("requests", _fmt, lambda api, params: api.search(params)),
    )
    bp.route(
        f"/open311/v2/requests.{_fmt}",
        methods=["POST"],
        name=f"open311_post_{_fmt}",
        content_types=FORM_TYPES,
    )(_static("requests", _fmt, lambda api, params: api.create(params)))


def open311_service(file: str) -> Response:
    return _serve(
        file,
        lambda api, code, fmt, params: _reply(
            "service_definition", api.service_definition(code, params), fmt
        ),
    )


def open311_request(file: str) -> Response:
    return _serve(
        file,
        lambda api, rid, fmt, params: _reply(
            "requests", api.request(rid, api.county(params, required=False)), fmt
        ),
    )


def open311_token(file: str) -> Response:
    return _serve(file, lambda api, token, fmt, _: _reply("requests", api.token(token), fmt))


_get("/open311/v2/services/{file}", "open311_service", open311_service)
_get("/open311/v2/requests/{file}", "open311_request", open311_request)
_get("/open311/v2/tokens/{file}", "open311_token", open311_token)
