"""Declaring an API operation: one decorator registers the Chalice route, decides who may call
it, parses and validates the request with pydantic, calls the handler, renders the response
model, maps errors, and records everything the OpenAPI document needs. Handlers stay a few
lines long.

The order is fixed: authenticate (the gateway), authorize (the route's `StaffPolicy`, from
the caller's record alone), then validate the path, the query and the body. A staff member
whose role may not act learns nothing about what the body would have needed.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from chalice import Blueprint, IAMAuthorizer, Response
from chalice.app import Request
from pydantic import BaseModel

from chalicelib.auth.citizen import citizen_authorizer
from chalicelib.context import current_origin, current_request_id
from chalicelib.errors import (
    DomainError,
    FieldError,
    Forbidden,
    InvalidInput,
)
from chalicelib.http import problem
from chalicelib.http.parsing import Header, check_headers, parse_body, parse_path, parse_query

if TYPE_CHECKING:  # annotations only: the access rules import the case models
    from chalicelib.domain.access import StaffPolicy
    from chalicelib.domain.identity import StaffMember

Auth = Literal["public", "citizen", "staff"]
JSON_CONTENT_TYPE = "application/json; charset=utf-8"
# Idempotency-Key (draft-ietf-httpapi-idempotency-key-header): visible ASCII, 1-100 chars.
IDEMPOTENCY_KEY = re.compile(r"^[!-~]{1,100}$")

staff_authorizer = IAMAuthorizer()


IDEMPOTENCY_HEADER = Header(
    "Idempotency-Key",
    "Makes a retry safe: the same key with the same request returns the first result; the "
    "same key with a different request is refused (422). Keys live 24 hours.",
    pattern=IDEMPOTENCY_KEY.pattern,
)
IF_MATCH_HEADER = Header(
    "If-Match",
    'The ETag the change is based on (e.g. "370830-QR-0001@3", or *): a stale one is a 412',
    pattern=r'^(\*|"[0-9]{6}-[A-Z]{2}-[0-9]{4}@[0-9]{1,6}")$',
)


@dataclass(frozen=True)
class Operation:
    """What the OpenAPI document knows about one route."""

    path: str
    method: str
    name: str
    summary: str
    tags: tuple[str, ...]
    auth: Auth
    allow: StaffPolicy | None
    path_model: type[BaseModel] | None
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    response: type[BaseModel] | None
    status: int
    errors: tuple[int, ...]
    content_type: str = "application/json"
    headers: tuple[Header, ...] = ()
    response_headers: tuple[str, ...] = ()
    description: str | None = None
    scheme: str | None = None  # a public route checking its own bearer token (the dashboard)
    may_create: bool = False  # a PUT that answers 201 (with Location) when it creates
    # A body of another type, read raw by the handler (a provider's XML push).
    accepts: tuple[str, ...] = ()


OPERATIONS: list[Operation] = []


@dataclass
class Reply:
    """A handler's answer when it needs a status or headers besides the body."""

    body: BaseModel | None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


def created(body: BaseModel, location: str) -> Reply:
    """201 Created, with the new resource's address."""
    return Reply(body, status=201, headers={"Location": location})


def request_path(request: Request) -> str:
    """The path the client asked for (not the route template Chalice calls `path`)."""
    return str(request.context.get("path") or request.path)


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
    def path(self) -> str:
        return request_path(self.request)

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

    @property
    def source_ip(self) -> str:
        """The client's address as API Gateway (or the local gateway) saw it."""
        identity = self.request.context.get("identity") or {}
        return str(identity.get("sourceIp") or "")

    @property
    def idempotency_key(self) -> str | None:
        key = self.header("Idempotency-Key")
        if key is not None and not IDEMPOTENCY_KEY.match(key):
            raise InvalidInput(
                "Idempotency-Key must be 1-100 visible ASCII characters.",
                errors=[
                    FieldError(
                        "header.idempotency-key", "1-100 visible ASCII characters", "pattern"
                    )
                ],
            )
        return key

    def fingerprint(self) -> str:
        """What a retry must repeat exactly: method, path and the body's JSON content."""
        import hashlib

        raw = self.request.raw_body or b""
        try:
            content = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":"))
        except (ValueError, RecursionError):  # not JSON, or nested too deep to walk
            content = raw.decode("utf-8", "replace")
        text = f"{self.request.method} {self.path}\n{content}"
        return hashlib.sha256(text.encode()).hexdigest()


def base_path(request: Request) -> str:
    """The prefix the client's addresses carry before this API's own paths: "/api" when it
    reaches the API through the stage's URL, "" locally and behind a custom domain."""
    stage = str(request.context.get("stage") or "")
    return f"/{stage}" if stage and request_path(request).startswith(f"/{stage}/") else ""


def request_origin(request: Request) -> str | None:
    """The address the client reached the API at: scheme and host (API Gateway's domain
    name, or the Host header locally) and the stage's prefix. None if it cannot tell."""
    domain = request.context.get("domainName")  # API Gateway's: always over TLS
    headers = {k.lower(): v for k, v in (request.headers or {}).items()}
    host = str(domain or headers.get("host") or "")
    if not host or any(c in host for c in "/\\ @"):
        return None
    scheme = "https" if domain else "http"  # the local stack serves plain HTTP
    return f"{scheme}://{host}{base_path(request)}"


def render(result: BaseModel | Reply | Response | None, status: int, base: str = "") -> Response:
    if isinstance(result, Response):
        return result
    reply = result if isinstance(result, Reply) else Reply(body=result, status=status)
    headers = dict(reply.headers)
    if base and headers.get("Location", "").startswith("/"):
        headers["Location"] = base + headers["Location"]
    if reply.body is None:
        return Response(body="", status_code=reply.status, headers=headers)
    headers.setdefault("Content-Type", JSON_CONTENT_TYPE)
    body = reply.body.model_dump_json(by_alias=True, exclude_none=True)
    return Response(body=body, status_code=reply.status, headers=headers)


def _authorizer_for(auth: Auth) -> Any:
    if auth == "staff":
        return staff_authorizer
    if auth == "citizen":
        return citizen_authorizer
    return None


def _staff(call: Call, allow: StaffPolicy) -> StaffMember:
    from chalicelib.deps import container

    staff = container().staff.resolve(call.principal_arn)
    if not allow.allows(staff):
        raise Forbidden(f"This is for {allow.describe()}; you are {staff.role.value}.")
    return staff


def operation(
    bp: Blueprint,
    path: str,
    method: str = "GET",
    *,
    summary: str,
    tags: tuple[str, ...] = (),
    auth: Auth = "public",
    allow: StaffPolicy | None = None,
    path_model: type[BaseModel] | None = None,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    response: type[BaseModel] | None = None,
    status: int = 200,
    errors: tuple[int, ...] = (),
    content_type: str = "application/json",
    headers: tuple[Header, ...] = (),
    response_headers: tuple[str, ...] = (),
    description: str | None = None,
    scheme: str | None = None,
    may_create: bool = False,
    caller: Callable[[Call], Any] | None = None,
    accepts: tuple[str, ...] = (),
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Registers `fn` as the handler of METHOD PATH; see the module docstring. Staff routes
    name who may call them (`allow`) and their handler receives the resolved `staff`."""
    if auth == "staff" and allow is None:
        raise ValueError(f"{method} {path}: a staff route must say who may call it (allow=)")
    if status == 201 and "Location" not in response_headers:
        response_headers = (*response_headers, "Location")
    declared = Operation(
        path=path,
        method=method,
        name="",
        summary=summary,
        tags=tags,
        auth=auth,
        allow=allow,
        path_model=path_model,
        body=body,
        query=query,
        response=response,
        status=status,
        errors=errors,
        content_type=content_type,
        headers=headers,
        response_headers=response_headers,
        description=description,
        scheme=scheme,
        may_create=may_create,
        accepts=accepts,
    )

    def decorator(fn: Callable[..., Any]) -> Callable[..., Any]:
        op = dataclasses.replace(declared, name=fn.__name__)
        OPERATIONS.append(op)
        _route(bp, op, _view(bp, op, fn, caller))
        return fn

    return decorator


def _arguments(
    op: Operation, call: Call, path_params: dict[str, str], caller: Callable[[Call], Any] | None
) -> dict[str, Any]:
    """The handler's keyword arguments, in the fixed order: authorize, then validate the
    path, the query, the headers and the body."""
    request = call.request
    kwargs: dict[str, Any] = dict(path_params)
    if op.auth == "staff" and op.allow is not None:
        kwargs["staff"] = _staff(call, op.allow)
    if caller is not None:  # a route checking its own credentials (`scheme`)
        kwargs["caller"] = caller(call)
    if op.path_model is not None:
        kwargs.update(parse_path(path_params, op.path_model))
    if op.query is not None:
        kwargs["query"] = parse_query(request, op.query)
    elif request.query_params:
        name = next(iter(request.query_params))
        raise InvalidInput(
            "This operation takes no query parameters.",
            errors=[FieldError(f"query.{name}", "unknown parameter", "extra_forbidden")],
        )
    check_headers(call, op.headers)
    if op.body is not None:
        kwargs["body"] = parse_body(request, op.body)
    return kwargs


def _view(
    bp: Blueprint, op: Operation, fn: Callable[..., Any], caller: Callable[[Call], Any] | None
) -> Callable[..., Response]:
    """The Chalice view: the request id in context, the handler's answer rendered, a domain
    error as problem+json."""

    @functools.wraps(fn)
    def view(**path_params: str) -> Response:
        request = bp.current_request
        request_id = str(request.context.get("requestId") or "") or uuid.uuid4().hex
        scope = current_request_id.set(request_id)
        origin = current_origin.set(request_origin(request))
        try:
            call = Call(request)
            kwargs = _arguments(op, call, path_params, caller)
            return render(fn(call=call, **kwargs), op.status, base_path(request))
        except DomainError as exc:
            return problem.from_domain_error(exc, instance=request_path(request))
        finally:
            current_origin.reset(origin)
            current_request_id.reset(scope)

    return view


def _route(bp: Blueprint, op: Operation, view: Callable[..., Response]) -> None:
    """The Chalice route, and for a GET its HEAD, which answers exactly like GET without the
    body (RFC 9110 §9.3.2)."""
    authorizer = _authorizer_for(op.auth)
    types = {"content_types": list(op.accepts)} if op.accepts else {}
    bp.route(op.path, methods=[op.method], authorizer=authorizer, name=op.name, **types)(view)
    if op.method != "GET":
        return

    def head(**path_params: str) -> Response:
        answer = view(**path_params)
        empty = b"" if isinstance(answer.body, bytes) else ""  # binary types stay binary
        return Response(body=empty, status_code=answer.status_code, headers=answer.headers)

    bp.route(op.path, methods=["HEAD"], authorizer=authorizer, name=f"{op.name}_head")(head)


# Methods a path may lack; each answers 405 with the path's Allow header.
ANSWERED_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def fallback_routes(routes: dict[str, dict[str, Any]]) -> list[tuple[str, list[str]]]:
    """For each path, the methods it lacks: they answer 405 with an Allow header."""
    missing = []
    for path, by_method in routes.items():
        absent = [m for m in ANSWERED_METHODS if m not in by_method]
        if absent:
            missing.append((path, absent))
    return missing


def allow_header(methods: list[str]) -> str:
    order = {m: i for i, m in enumerate(ANSWERED_METHODS)}
    return ", ".join(sorted(set(methods), key=lambda m: order.get(m, len(order))))


def method_not_allowed(allowed: list[str], path: Callable[[], str]) -> Callable[..., Response]:
    def view(**_: str) -> Response:
        return problem.problem_response(
            405,
            "This resource does not support that method.",
            instance=path(),
            headers={"Allow": allow_header(allowed)},
        )

    return view
