"""Declaring an API operation: one decorator registers the Chalice route, parses and validates
the request with pydantic, calls the handler, renders the response model, maps errors, and
records everything the OpenAPI document needs. Handlers stay five lines long."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from chalice import Blueprint, IAMAuthorizer, Response
from chalice.app import Request
from pydantic import BaseModel, ValidationError

from chalicelib.errors import (
    DomainError,
    FieldError,
    InvalidInput,
    MalformedRequest,
    UnsupportedMediaType,
)
from chalicelib.http import problem
from chalicelib.http.scope import current_request_id

Auth = Literal["public", "citizen", "staff"]
JSON_CONTENT_TYPE = "application/json; charset=utf-8"

staff_authorizer = IAMAuthorizer()


@dataclass(frozen=True)
class Operation:
    """What the OpenAPI document knows about one route."""

    path: str
    method: str
    name: str
    summary: str
    tags: tuple[str, ...]
    auth: Auth
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    response: type[BaseModel] | None
    status: int
    errors: tuple[int, ...]
    content_type: str = "application/json"


OPERATIONS: list[Operation] = []


@dataclass
class Reply:
    """A handler's answer when it needs a status or headers besides the body."""

    body: BaseModel | None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Call:
    """The parsed request a handler receives."""

    request: Request

    def header(self, name: str) -> str | None:
        return self.request.headers.get(name.lower())

    @property
    def request_id(self) -> str:
        return str(self.request.context.get("requestId", ""))

    @property
    def citizen_id(self) -> str:
        """The citizen the authorizer vouched for (citizen routes only)."""
        authorizer = self.request.context.get("authorizer") or {}
        return str(authorizer.get("citizen_id", ""))

    @property
    def principal_arn(self) -> str:
        """The IAM principal API Gateway (or the local stack) verified (staff routes only)."""
        identity = self.request.context.get("identity") or {}
        return str(identity.get("userArn") or "")


def _field_path(prefix: str, loc: tuple[int | str, ...]) -> str:
    path = prefix
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def validation_errors(prefix: str, error: ValidationError) -> list[FieldError]:
    return [
        FieldError(
            field=_field_path(prefix, tuple(e["loc"])),
            message=e["msg"],
            type=e["type"],
        )
        for e in error.errors(include_url=False)
    ]


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
        data = json.loads(raw)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, huge ints, deep nesting
        raise MalformedRequest(
            f"The body is not valid JSON: {str(exc)[:200]}",
            errors=[FieldError("body", "not valid JSON", "json_invalid")],
        ) from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(
            "The body failed validation.", errors=validation_errors("body", exc)
        ) from None


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
            "The query string failed validation.", errors=validation_errors("query", exc)
        ) from None


def render(result: BaseModel | Reply | Response | None, status: int) -> Response:
    if isinstance(result, Response):
        return result
    reply = result if isinstance(result, Reply) else Reply(body=result, status=status)
    headers = dict(reply.headers)
    if reply.body is None:
        return Response(body="", status_code=reply.status, headers=headers)
    headers.setdefault("Content-Type", JSON_CONTENT_TYPE)
    body = reply.body.model_dump_json(by_alias=True, exclude_none=True)
    return Response(body=body, status_code=reply.status, headers=headers)


def _authorizer_for(auth: Auth) -> Any:
    if auth == "staff":
        return staff_authorizer
    if auth == "citizen":
        from chalicelib.auth.citizen import citizen_authorizer

        return citizen_authorizer
    return None


def operation(
    bp: Blueprint,
    path: str,
    method: str = "GET",
    *,
    summary: str,
    tags: tuple[str, ...] = (),
    auth: Auth = "public",
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    response: type[BaseModel] | None = None,
    status: int = 200,
    errors: tuple[int, ...] = (),
    content_type: str = "application/json",
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Registers `fn` as the handler of METHOD PATH; see the module docstring."""

    def decorator(fn: Callable[..., Any]) -> Callable[..., Any]:
        OPERATIONS.append(
            Operation(
                path=path,
                method=method,
                name=fn.__name__,
                summary=summary,
                tags=tags,
                auth=auth,
                body=body,
                query=query,
                response=response,
                status=status,
                errors=errors,
                content_type=content_type,
            )
        )

        @functools.wraps(fn)
        def view(**path_params: str) -> Response:
            request = bp.current_request
            scope = current_request_id.set(str(request.context.get("requestId") or id(request)))
            try:
                kwargs: dict[str, Any] = dict(path_params)
                if body is not None:
                    kwargs["body"] = parse_body(request, body)
                if query is not None:
                    kwargs["query"] = parse_query(request, query)
                elif request.query_params:
                    name = next(iter(request.query_params))
                    raise InvalidInput(
                        "This operation takes no query parameters.",
                        errors=[
                            FieldError(f"query.{name}", "unknown parameter", "extra_forbidden")
                        ],
                    )
                return render(fn(call=Call(request), **kwargs), status)
            except DomainError as exc:
                return problem.from_domain_error(exc, instance=request.path)
            finally:
                current_request_id.reset(scope)

        bp.route(path, methods=[method], authorizer=_authorizer_for(auth), name=fn.__name__)(view)
        return fn

    return decorator


def fallback_routes(routes: dict[str, dict[str, Any]]) -> list[tuple[str, list[str]]]:
    """For each path, the methods it lacks: they answer 405 with an Allow header."""
    missing = []
    for path, by_method in routes.items():
        absent = [m for m in ("GET", "POST", "PUT", "PATCH", "DELETE") if m not in by_method]
        if absent:
            missing.append((path, absent))
    return missing


def method_not_allowed(allowed: list[str]) -> Callable[..., Response]:
    def view(**_: str) -> Response:
        return problem.problem_response(
            405,
            "This resource does not support that method.",
            headers={"Allow": ", ".join(sorted(allowed))},
        )

    return view
