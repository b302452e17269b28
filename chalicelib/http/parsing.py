"""Reading a request as its operation declares it: the path parameters, the query string,
the documented headers and the JSON body, each validated by its pydantic model. Whatever
breaks the declaration is an error naming the field (422), a 404 for a path that cannot name
a resource, 400 for a body that is not JSON, 415 for another media type."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Protocol

from chalice.app import Request
from pydantic import BaseModel, ValidationError

from chalicelib.errors import (
    FieldError,
    InvalidInput,
    MalformedRequest,
    NotFound,
    UnsupportedMediaType,
    validation_errors,
)


@dataclass(frozen=True)
class Header:
    """A request header an operation reads (documented in OpenAPI)."""

    name: str
    description: str
    pattern: str | None = None
    required: bool = False


class HasHeaders(Protocol):
    def header(self, name: str) -> str | None: ...


def check_headers(call: HasHeaders, headers: tuple[Header, ...]) -> None:
    """The documented request headers, held to what the document says of them."""
    errors = []
    for header in headers:
        value = call.header(header.name)
        field_name = f"header.{header.name.lower()}"
        if value is None:
            if header.required:
                errors.append(FieldError(field_name, "required", "missing"))
        elif header.pattern and not re.fullmatch(header.pattern, value):
            errors.append(FieldError(field_name, f"must match {header.pattern}", "pattern"))
    if errors:
        raise InvalidInput("A request header is invalid.", errors=errors)


def parse_body(request: Request, model: type[BaseModel]) -> BaseModel:
    raw = request.raw_body or b""
    content_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if raw and content_type not in ("application/json", ""):
        raise UnsupportedMediaType(
            f"Send the body as application/json, not {content_type}.",
            errors=[FieldError("header.content-type", "must be application/json", "media_type")],
        )
    if not raw.strip():
        raise InvalidInput(
            "A JSON body is required.", errors=[FieldError("body", "required", "missing")]
        )
    try:
        data = json.loads(raw, parse_constant=_not_json)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, huge ints, deep nesting
        raise MalformedRequest(
            f"The body is not valid JSON: {str(exc)[:200]}",
            errors=[FieldError("body", "not valid JSON", "json_invalid")],
        ) from None
    if _depth(data) > MAX_DEPTH:
        raise MalformedRequest(
            f"The body nests arrays and objects deeper than {MAX_DEPTH} levels.",
            errors=[FieldError("body", f"nested deeper than {MAX_DEPTH} levels", "too_deep")],
        )
    try:
        # Strict: JSON types are taken as they are (0 is no boolean, "5" no integer), as the
        # OpenAPI document says; JSON strings still become dates, instants and enum members,
        # and 2.0 is the integer 2 (JSON Schema's "integer" is any number without a fraction).
        return model.model_validate_json(json.dumps(_integral(data)), strict=True)
    except ValidationError as exc:
        errors = validation_errors("body", exc, data)
        raise InvalidInput("The body failed validation.", errors=errors) from None


MAX_DEPTH = 32  # far more than any documented body needs; walking deeper could recurse out


def _depth(value: Any) -> int:
    """How deeply arrays and objects nest in `value` (walked without recursion)."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        children = (
            item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        )
        if children is None:
            continue
        deepest = max(deepest, level)
        if deepest > MAX_DEPTH:
            break
        stack.extend((child, level + 1) for child in children)
    return deepest


def _integral(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _integral(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_integral(v) for v in value]
    return value


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not a JSON number")


def parse_query(request: Request, model: type[BaseModel]) -> BaseModel:
    multi = request.query_params.getlist if request.query_params else None
    data: dict[str, str] = {}
    errors: list[FieldError] = []
    if request.query_params:
        for name in request.query_params:
            values = multi(name) if multi else []
            if len(values) > 1:
                errors.append(FieldError(f"query.{name}", "give this parameter once", "repeated"))
            data[name] = values[-1] if values else ""
    if errors:
        raise InvalidInput("The query string is invalid.", errors=errors)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(
            "The query string failed validation.", errors=validation_errors("query", exc, data)
        ) from None


def parse_path(params: dict[str, str], model: type[BaseModel]) -> dict[str, Any]:
    """Path parameters by their model. One that cannot name a resource is a 404: the address
    does not exist, whatever the id would have been."""
    try:
        return dict(model.model_validate(params))
    except ValidationError as exc:
        errors = validation_errors("path", exc)
        raise NotFound(
            f"There is no resource at this address ({errors[0].field}: {errors[0].message}).",
            errors=errors,
        ) from None
