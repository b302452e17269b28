"""The OpenAPI 3.1 document, generated from the registered operations' pydantic models."""

from __future__ import annotations

import re
from functools import lru_cache
from http import HTTPStatus
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue, models_json_schema
from pydantic_core import core_schema

from chalicelib.http.api import OPERATIONS, Operation
from chalicelib.http.openapi_open311 import head_of, open311_paths
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
    "dashboardToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "The token in the fragment of a link from POST /admin/dashboard/session.",
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


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """An optional parameter's schema without its `null` branch: leaving it out is how a
    query string says None."""
    options = schema.get("anyOf")
    if options and any(o == {"type": "null"} for o in options):
        rest = [o for o in options if o != {"type": "null"}]
        merged = {k: v for k, v in schema.items() if k not in ("anyOf", "default")}
        if len(rest) == 1:
            merged.update(rest[0])
        else:
            merged["anyOf"] = rest
        if schema.get("default") is not None:
            merged["default"] = schema["default"]
        return merged
    return schema


class Schemas(GenerateJsonSchema):
    """Pydantic's JSON Schema, stating what validation already enforces: a dict whose keys
    have a pattern takes no key outside it (pydantic writes only `patternProperties`)."""

    def dict_schema(self, schema: core_schema.DictSchema) -> JsonSchemaValue:
        out = super().dict_schema(schema)
        if "patternProperties" in out and "additionalProperties" not in out:
            out["additionalProperties"] = False
        return out


def _model_parameters(model: type[BaseModel], where: str) -> list[dict[str, Any]]:
    schema = model.model_json_schema(ref_template=REF, mode="validation", schema_generator=Schemas)
    params = []
    for name, prop in schema.get("properties", {}).items():
        prop = _without_null(dict(prop))
        description = prop.pop("description", None)
        param: dict[str, Any] = {
            "name": name,
            "in": where,
            "required": where == "path" or name in schema.get("required", []),
            "schema": prop,
        }
        if description:
            param["description"] = description
        params.append(param)
    return params


def _parameters(op: Operation) -> list[dict[str, Any]]:
    names = re.findall(r"{([^}+]+)\+?}", op.path)
    if op.path_model is not None:
        params = _model_parameters(op.path_model, "path")
    else:
        params = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in names
        ]
    if op.query:
        params += _model_parameters(op.query, "query")
    for header in op.headers:
        schema: dict[str, Any] = {"type": "string"}
        if header.pattern:
            schema["pattern"] = header.pattern
        params.append(
            {
                "name": header.name,
                "in": "header",
                "required": header.required,
                "description": header.description,
                "schema": schema,
            }
        )
    return params


def _problem(description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": REF.format(model="Problem")}}},
    }
    if headers:
        response["headers"] = headers
    return response


RESPONSE_HEADERS: dict[str, dict[str, Any]] = {
    "Location": {
        "description": "Where the created resource lives",
        "required": True,
        "schema": {"type": "string"},
    },
    "ETag": {
        "description": "The version of the item, for If-Match",
        "required": True,
        "schema": {"type": "string"},
    },
    "Retry-After": {
        "description": "Seconds to wait before trying again",
        "required": True,
        "schema": {"type": "integer", "minimum": 0},
    },
}


def _errors(op: Operation) -> set[int]:
    errors = set(op.errors)
    if op.body:
        errors |= {400, 415, 422}
    if op.accepts:  # a body of another type: any other is a 415
        errors.add(415)
    if op.query or op.headers:
        errors.add(422)
    if op.query and {"cursor", "scope", "parent"} & set(op.query.model_fields):
        errors.add(404)  # a cursor of another query names no page; a scope, no place
    if op.path_model is not None:
        errors.add(404)
    if op.auth == "citizen" or op.scheme:
        errors.add(401)
    if op.auth == "staff" or op.scheme:
        errors |= {401, 403}
    if op.method in ("POST", "PUT", "PATCH", "DELETE"):
        errors.add(503)  # Busy: DynamoDB kept refusing the write transiently; nothing written
    return errors


def _request_body(op: Operation, keys: dict[Any, Any]) -> dict[str, Any] | None:
    if op.body:
        return {
            "required": True,
            "content": {"application/json": {"schema": keys[(op.body, "validation")]}},
        }
    if op.accepts:  # read raw by the handler (a provider's XML)
        return {
            "required": False,
            "content": {t: {"schema": {"type": "string"}} for t in op.accepts},
        }
    return None


def _operation(op: Operation, keys: dict[Any, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "operationId": op.name,
        "summary": op.summary,
        "tags": list(op.tags),
        "parameters": _parameters(op),
        "responses": {},
    }
    description = op.description or ""
    if op.allow is not None:
        description = (description + "\n\n" if description else "") + (
            f"Who may call it: {op.allow.describe()} (others get 403 before the request "
            "is validated)."
        )
        entry["x-staff-policy"] = op.allow.name
        entry["x-staff-roles"] = {
            "roles": sorted(role.value for role in op.allow.roles),
            **({"department": op.allow.department} if op.allow.department else {}),
        }
    if description:
        entry["description"] = description
    body = _request_body(op, keys)
    if body:
        entry["requestBody"] = body
    ok: dict[str, Any] = {"description": HTTPStatus(op.status).phrase}
    types = op.content_type.split(",")
    if op.response:
        ok["content"] = {t: {"schema": keys[(op.response, "serialization")]} for t in types}
    elif op.content_type != "application/json":
        ok["content"] = {t: {"schema": {"type": "string"}} for t in types}
    elif op.status != 204:
        ok["content"] = {"application/json": {"schema": {"type": "object"}}}
    if op.response_headers:
        ok["headers"] = {name: RESPONSE_HEADERS[name] for name in op.response_headers}
    entry["responses"][str(op.status)] = ok
    if op.status == 201 and any(h.name == "Idempotency-Key" for h in op.headers):
        # a retry with the same Idempotency-Key answers 200 with what the first created
        again = dict(ok, description="Created earlier by the same request (a retry)")
        entry["responses"]["200"] = again
    if op.may_create:
        fresh = dict(ok, description="Created (the first version)")
        fresh["headers"] = {**ok.get("headers", {}), "Location": RESPONSE_HEADERS["Location"]}
        entry["responses"]["201"] = fresh
    if op.auth == "citizen":
        entry["security"] = [{"citizenToken": []}]
    elif op.auth == "staff":
        entry["security"] = [{"staffSigV4": []}]
    elif op.scheme:
        entry["security"] = [{op.scheme: []}]
    else:
        entry["security"] = []
    for status in sorted(_errors(op)):
        headers = {"Retry-After": RESPONSE_HEADERS["Retry-After"]} if status in (429, 503) else None
        entry["responses"][str(status)] = _problem(HTTPStatus(status).phrase, headers)
    return entry


@lru_cache(maxsize=4)
def document(server_url: str = "/") -> dict[str, Any]:
    keys, definitions = models_json_schema(_models(), ref_template=REF, schema_generator=Schemas)
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        entry = _operation(op, keys)
        paths.setdefault(op.path, {})[op.method.lower()] = entry
        if op.method == "GET":
            paths[op.path]["head"] = head_of(entry)
    for path, methods in open311_paths().items():
        paths[path] = methods
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Bianmin (便民) county government-service API",
            "version": "1.0.0",
            "description": "Online request, offline service: citizens apply and file requests "
            "from their phones; departments, windows and liaison officers act; leaders "
            "supervise. Errors are RFC 9457 problem details: 422 when a request breaks this "
            "document (the field is named), 404 when a path, or a code or id a field refers "
            "to, names nothing you may see, 409 when the request conflicts with the current "
            "state. Instants are ISO 8601 in Beijing time (+08:00); coordinates are WGS-84.",
        },
        "servers": [{"url": server_url}],
        "paths": paths,
        "components": {
            "schemas": definitions.get("$defs", {}),
            "securitySchemes": SECURITY_SCHEMES,
        },
    }
