"""The local API Gateway: Chalice's LocalGateway plus what API Gateway does that it doesn't.

- IAM-authorized routes verify SigV4 and fill `requestContext.identity` as API Gateway does;
  the client's address (`identity.sourceIp`) and a request id come from the connection.
- Authorizer rejections and unknown paths answer in application/problem+json, like the
  Gateway Responses the deploy template configures (a missing signature is a 401); unknown
  paths under /open311/v2/ answer a GeoReport error array, like the known ones.
- What the HTTP server itself refuses — a method nobody declared (TRACE, QUERY …: 405 with
  the path's Allow), a request line or headers too long (414, 431), a malformed request —
  is problem+json too, never the server's HTML page.
"""

from __future__ import annotations

import base64
import json
import uuid
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

from chalice import Chalice, IAMAuthorizer
from chalice.config import Config
from chalice.local import (
    ChaliceRequestHandler,
    LambdaContext,
    LocalGateway,
    LocalGatewayAuthorizer,
    LocalGatewayException,
)

from chalicelib.auth.citizen import Unauthorized
from chalicelib.http.api import allow_header
from chalicelib.http.problem import PROBLEM_CONTENT_TYPE, problem_body
from devstack.sigv4 import SignatureMissing, SignatureRejected, SigV4Verifier


class ProblemError(LocalGatewayException):
    """A gateway-level rejection rendered as problem+json."""

    def __init__(
        self,
        status: int,
        detail: str,
        instance: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.CODE = status
        body = json.dumps(problem_body(status, detail, instance=instance), ensure_ascii=False)
        super().__init__({"Content-Type": PROBLEM_CONTENT_TYPE, **(headers or {})}, body.encode())


class GeoReportNotFound(LocalGatewayException):
    """An unknown path under /open311/v2/: a GeoReport error array, JSON or XML."""

    CODE = 404

    def __init__(self, path: str) -> None:
        from chalicelib.services.open311_xml import to_xml

        errors = [{"code": 404, "description": f"no resource {path}"}]
        if path.endswith(".xml"):
            body, kind = to_xml("errors", errors), "text/xml; charset=utf-8"
        else:
            body, kind = json.dumps(errors), "application/json; charset=utf-8"
        super().__init__({"Content-Type": kind}, body.encode())


class BianminLocalAuthorizer(LocalGatewayAuthorizer):
    def __init__(self, app_object: Chalice, verifier: SigV4Verifier) -> None:
        super().__init__(app_object)
        self._verifier = verifier

    def authorize(
        self, raw_path: str, lambda_event: dict[str, Any], lambda_context: LambdaContext
    ) -> tuple[dict[str, Any], LambdaContext]:
        route = self._route_for_event(lambda_event)
        path = lambda_event["requestContext"]["path"]
        if route is not None and isinstance(route.authorizer, IAMAuthorizer):
            body = lambda_event.get("body") or b""
            if lambda_event.get("isBase64Encoded"):
                body = base64.b64decode(body)
            elif isinstance(body, str):
                body = body.encode()
            try:
                credential = self._verifier.verify(
                    lambda_event["requestContext"]["httpMethod"],
                    raw_path,
                    lambda_event["headers"],
                    body,
                )
            except SignatureMissing as exc:
                # API Gateway's MISSING_AUTHENTICATION_TOKEN, which the template answers 401
                raise ProblemError(
                    401, str(exc), path, headers={"WWW-Authenticate": "AWS4-HMAC-SHA256"}
                ) from None
            except SignatureRejected as exc:
                raise ProblemError(403, str(exc), path) from None
            lambda_event["requestContext"]["identity"].update(
                {
                    "accessKey": credential.access_key,
                    "userArn": credential.user_arn,
                    "caller": credential.access_key,
                    "user": credential.access_key,
                }
            )
            return lambda_event, lambda_context
        try:
            return super().authorize(raw_path, lambda_event, lambda_context)
        except Unauthorized:
            raise ProblemError(401, "A valid citizen access token is required.", path) from None
        except LocalGatewayException as exc:
            status = exc.CODE or 403
            detail = (
                "A valid citizen access token is required."
                if status == 401
                else "Not allowed to call this route."
            )
            raise ProblemError(status, detail, path) from None


class BianminLocalGateway(LocalGateway):
    def __init__(
        self,
        app_object: Chalice,
        config: Config,
        verifier: SigV4Verifier,
        source_ip: str = "127.0.0.1",
    ) -> None:
        super().__init__(app_object, config)
        self._authorizer = BianminLocalAuthorizer(app_object, verifier)
        self.source_ip = source_ip

    def _generate_lambda_event(
        self, method: str, path: str, headers: dict[str, str], body: bytes | None
    ) -> dict[str, Any]:
        event = super()._generate_lambda_event(method, path, headers, body)
        context = event["requestContext"]
        context["identity"]["sourceIp"] = self.source_ip
        context["requestId"] = str(uuid.uuid4())
        return event

    def handle_request(
        self, method: str, path: str, headers: dict[str, str], body: bytes | None
    ) -> dict[str, Any]:
        plain = path.split("?")[0]
        try:
            self.event_converter._route_matcher.match_route(path)
        except ValueError:
            if plain.startswith("/open311/v2/"):
                raise GeoReportNotFound(plain) from None
            raise ProblemError(404, f"There is no resource at {plain}.", plain) from None
        return super().handle_request(method, path, headers, body)

    def allowed(self, path: str) -> list[str]:
        """The methods the path's route answers (empty for an unknown path)."""
        try:
            route = self.event_converter._route_matcher.match_route(path).route
        except ValueError:
            return []
        methods = self._app_object.routes.get(route, {})
        return [m for m, entry in methods.items() if not entry.view_name.startswith("not_allowed")]


class BianminRequestHandler(ChaliceRequestHandler):
    def __init__(
        self,
        request: bytes,
        client_address: tuple[str, int],
        server: HTTPServer,
        app_object: Chalice,
        config: Config,
        verifier: SigV4Verifier,
    ) -> None:
        self.local_gateway = BianminLocalGateway(app_object, config, verifier, client_address[0])
        BaseHTTPRequestHandler.__init__(self, request, client_address, server)  # type: ignore[arg-type]

    def _send_http_response_with_body(
        self, code: int, headers: dict[str, Any], body: str | bytes
    ) -> None:
        """A HEAD response carries the headers of the GET and never a body (a body there
        would be read as the start of the next response on a kept-alive connection)."""
        if self.command != "HEAD":
            super()._send_http_response_with_body(code, headers, body)
            return
        data = body if isinstance(body, bytes) else body.encode("utf-8")
        self.send_response(code)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Content-Type", headers.pop("Content-Type", "application/json"))
        self._send_headers(headers)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The HTTP server's own refusals as problem+json: an undeclared method is a 405 with
        the path's Allow (not the server's 501 page); 400, 414 and 431 keep their status."""
        path = getattr(self, "path", "") or ""
        plain = path.split("?")[0] or None
        headers: dict[str, str] = {}
        if code == HTTPStatus.NOT_IMPLEMENTED and getattr(self, "command", None):
            code = HTTPStatus.METHOD_NOT_ALLOWED
            allowed = self.local_gateway.allowed(path)
            if not allowed:
                code = HTTPStatus.NOT_FOUND
            else:
                headers["Allow"] = allow_header(allowed)
            detail = f"This resource does not support {self.command}."
        else:
            detail = message or HTTPStatus(code).phrase
        body = json.dumps(problem_body(code, detail, instance=plain), ensure_ascii=False).encode()
        self.close_connection = True
        self.send_response(code)
        self.send_header("Content-Type", PROBLEM_CONTENT_TYPE)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if getattr(self, "command", None) != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        # One access-log line per request, without query strings (they may carry phones).
        first = str(args[0]).split("?")[0] if args else ""
        rest = " ".join(str(a) for a in args[1:])
        print(f"{self.address_string()} {first} {rest}", flush=True)


def thread_local_requests(app: Chalice) -> None:
    """Gives `app` a per-thread current_request, as `chalice local` does, so concurrent
    requests on the threaded local server never see each other's request."""
    from chalice.local import CustomLocalChalice, LocalChalice

    if not isinstance(app, LocalChalice):
        CustomLocalChalice.__bases__ = (LocalChalice, app.__class__)
        app.__class__ = CustomLocalChalice
