"""The OpenAPI 3.1 document, generated from the registered operations' pydantic models."""

from __future__ import annotations

import re
from functools import lru_cache
from http import HTTPStatus
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from chalicelib.http.api import OPERATIONS, Operation
from chalicelib.http.problem import PROBLEM_CONTENT_TYPE, Problem

REF = "#/components/schemas/{model}"

SECURITY_SCHEMES = {
    "citizenToken": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "Access token from POST /auth/token (phone + one-time SMS code).",
    },
    "staffSigV4": {
        "type": "apiKey",
        "name": "Authorization",
        "in": "header",
        "description": "AWS Signature Version 4, service `execute-api`, signed with the staff "
        "member's IAM credentials (e.g. `awscurl --service execute-api`).",
        "x-amazon-apigateway-authtype": "awsSigv4",
    },
}


def _models() -> list[tuple[type[BaseModel], str]]:
    wanted: dict[tuple[type[BaseModel], str], None] = {(Problem, "serialization"): None}
    for op in OPERATIONS:
        if op.body:
            wanted[(op.body, "validation")] = None
        if op.response:
            wanted[(op.response, "serialization")] = None
    return list(wanted)


def _parameters(op: Operation) -> list[dict[str, Any]]:
    params = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in re.findall(r"{([^}+]+)\+?}", op.path)
    ]
    if op.query:
        schema = op.query.model_json_schema(ref_template=REF)
        for name, prop in schema.get("properties", {}).items():
            prop = dict(prop)
            description = prop.pop("description", None)
            param: dict[str, Any] = {
                "name": name,
                "in": "query",
                "required": name in schema.get("required", []),
                "schema": prop,
            }
            if description:
                param["description"] = description
            params.append(param)
    return params


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": REF.format(model="Problem")}}},
    }


@lru_cache(maxsize=1)
def document(server_url: str = "/") -> dict[str, Any]:
    keys, definitions = models_json_schema(_models(), ref_template=REF)
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        entry: dict[str, Any] = {
            "operationId": op.name,
            "summary": op.summary,
            "tags": list(op.tags),
            "parameters": _parameters(op),
            "responses": {},
        }
        if op.body:
            entry["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": keys[(op.body, "validation")]}},
            }
        ok: dict[str, Any] = {"description": HTTPStatus(op.status).phrase}
        if op.response:
            ok["content"] = {op.content_type: {"schema": keys[(op.response, "serialization")]}}
        elif op.content_type != "application/json":
            ok["content"] = {op.content_type: {"schema": {"type": "object"}}}
        entry["responses"][str(op.status)] = ok
        errors = set(op.errors)
        if op.body:
            errors |= {400, 415, 422}
        if op.auth == "citizen":
            errors.add(401)
            entry["security"] = [{"citizenToken": []}]
        elif op.auth == "staff":
            errors.add(403)
            entry["security"] = [{"staffSigV4": []}]
        else:
            entry["security"] = []
        for status in sorted(errors):
            entry["responses"][str(status)] = _problem(HTTPStatus(status).phrase)
        paths.setdefault(op.path, {})[op.method.lower()] = entry
    for path, methods in open311_paths().items():
        paths[path] = methods
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Bianmin (便民) county government-service API",
            "version": "1.0.0",
            "description": "Online request, offline service: citizens apply and file requests "
            "from their phones; departments, windows and liaison officers act; leaders "
            "supervise. Errors are RFC 9457 problem details.",
        },
        "servers": [{"url": server_url}],
        "paths": paths,
        "components": {
            "schemas": definitions.get("$defs", {}),
            "securitySchemes": SECURITY_SCHEMES,
        },
    }


def open311_paths() -> dict[str, dict[str, Any]]:
    """The Open311 GeoReport v2 routes: documented here, specified by GeoReport itself
    (reference/open311/georeport-v2.swagger.json); errors are GeoReport error arrays."""
    either = {
        "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
        "text/xml": {"schema": {"type": "string"}},
    }

    def op(name: str, summary: str, params: list[str], errors: tuple[int, ...]) -> dict[str, Any]:
        responses: dict[str, Any] = {"200": {"description": "OK", "content": either}}
        for status in errors:
            responses[str(status)] = {
                "description": "GeoReport v2 error array",
                "content": either,
            }
        return {
            "operationId": name,
            "summary": summary,
            "tags": ["open311"],
            "security": [],
            "parameters": [
                {
                    "name": p,
                    "in": "path" if p in ("resource", "file") else "query",
                    "required": p in ("resource", "file"),
                    "schema": {"type": "string"},
                }
                for p in params
            ],
            "responses": responses,
        }

    filters = ["service_request_id", "service_code", "start_date", "end_date", "status"]
    return {
        "/open311/v2/{resource}": {
            "get": op(
                "open311_resource",
                "discovery.{json,xml}, services.{json,xml}, requests.{json,xml} (public listing)",
                ["resource", "jurisdiction_id", *filters],
                (400, 404),
            ),
            "post": op(
                "open311_post",
                "requests.{json,xml}: a partner app files a request (form fields, api_key)",
                ["resource"],
                (400, 403, 404),
            ),
        },
        "/open311/v2/services/{file}": {
            "get": op("open311_service", "A service definition", ["file"], (404,))
        },
        "/open311/v2/requests/{file}": {
            "get": op("open311_request", "One public request", ["file"], (404,))
        },
        "/open311/v2/tokens/{file}": {
            "get": op("open311_token", "The request a token stands for", ["file"], (404,))
        },
    }
