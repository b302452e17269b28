"""Open311 GeoReport v2 (`/open311/v2/`): JSON and XML, GeoReport error arrays.

These routes keep the GeoReport conventions rather than the API's own (problem+json,
OpenAPI): `{resource}.{format}` paths, form-encoded POSTs with an `api_key`, and errors as
`[{"code": 400, "description": "..."}]`.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from chalice import Blueprint, Response

from chalicelib.deps import container
from chalicelib.http.scope import current_request_id
from chalicelib.observability import logger
from chalicelib.services.open311 import GeoReportError, to_xml

bp = Blueprint(__name__)

FORMATS = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
FORM_TYPES = ["application/x-www-form-urlencoded", "application/json", "text/plain"]


def _split(name: str) -> tuple[str, str]:
    stem, _, fmt = name.rpartition(".")
    if not stem or fmt not in FORMATS:
        raise GeoReportError(404, "add .json or .xml to the resource name")
    return stem, fmt


def _reply(kind: str, payload: Any, fmt: str, status: int = 200) -> Response:
    body = to_xml(kind, payload) if fmt == "xml" else json.dumps(payload, ensure_ascii=False)
    return Response(body=body, status_code=status, headers={"Content-Type": FORMATS[fmt]})


def _error(error: GeoReportError, fmt: str) -> Response:
    payload = [{"code": error.status, "description": error.description}]
    return _reply("errors", payload, fmt, error.status)


def _params() -> dict[str, str]:
    request = bp.current_request
    params: dict[str, str] = dict(request.query_params or {})
    raw = request.raw_body or b""
    if raw:
        content_type = (request.headers.get("content-type") or "").split(";")[0].strip()
        if content_type == "application/json":
            try:
                data = json.loads(raw)
            except ValueError:
                raise GeoReportError(400, "the body is not valid JSON") from None
            if not isinstance(data, dict):
                raise GeoReportError(400, "the body must be a JSON object")
            params.update({k: str(v) for k, v in data.items() if v is not None})
        else:
            try:
                params.update(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
            except UnicodeDecodeError:
                raise GeoReportError(400, "the body must be UTF-8 form data") from None
    return params


def _serve(name: str, action: Any) -> Response:
    request = bp.current_request
    scope = current_request_id.set(str(request.context.get("requestId") or id(request)))
    fmt = "xml" if name.endswith(".xml") else "json"
    try:
        stem, fmt = _split(name)
        deps = container()
        params = _params()
        deps.open311.check_jurisdiction(params)
        return action(deps.open311, stem, fmt, params)
    except GeoReportError as exc:
        logger.info("open311 error", extra={"status": exc.status})
        return _error(exc, fmt)
    finally:
        current_request_id.reset(scope)


@bp.route("/open311/v2/{resource}", methods=["GET"], name="open311_resource")
def open311_resource(resource: str) -> Response:
    def action(api: Any, stem: str, fmt: str, params: dict[str, str]) -> Response:
        if stem == "discovery":
            return _reply("discovery", api.discovery(), fmt)
        if stem == "services":
            return _reply("services", api.services(), fmt)
        if stem == "requests":
            return _reply("requests", api.search(params), fmt)
        raise GeoReportError(404, f"no resource {stem}")

    return _serve(resource, action)


@bp.route("/open311/v2/{resource}", methods=["POST"], name="open311_post", content_types=FORM_TYPES)
def open311_post(resource: str) -> Response:
    def action(api: Any, stem: str, fmt: str, params: dict[str, str]) -> Response:
        if stem != "requests":
            raise GeoReportError(404, f"cannot post to {stem}")
        return _reply("requests", api.create(params), fmt)

    return _serve(resource, action)


@bp.route("/open311/v2/services/{file}", methods=["GET"], name="open311_service")
def open311_service(file: str) -> Response:
    return _serve(
        file,
        lambda api, code, fmt, _: _reply("service_definition", api.service_definition(code), fmt),
    )


@bp.route("/open311/v2/requests/{file}", methods=["GET"], name="open311_request")
def open311_request(file: str) -> Response:
    return _serve(file, lambda api, rid, fmt, _: _reply("requests", api.request(rid), fmt))


@bp.route("/open311/v2/tokens/{file}", methods=["GET"], name="open311_token")
def open311_token(file: str) -> Response:
    return _serve(file, lambda api, token, fmt, _: _reply("requests", api.token(token), fmt))
