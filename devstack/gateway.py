"""The local API Gateway: Chalice's LocalGateway plus what API Gateway does that it doesn't.

- IAM-authorized routes verify SigV4 and fill `requestContext.identity` as API Gateway does.
- Authorizer rejections and unknown paths answer in application/problem+json, like the
  Gateway Responses the deploy template configures.
"""

from __future__ import annotations

import base64
import json
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
from chalicelib.http.problem import PROBLEM_CONTENT_TYPE, problem_body
from devstack.sigv4 import SignatureRejected, SigV4Verifier


class ProblemError(LocalGatewayException):
    """A gateway-level rejection rendered as problem+json."""

    def __init__(self, status: int, detail: str, instance: str | None = None) -> None:
        self.CODE = status
        body = json.dumps(problem_body(status, detail, instance=instance), ensure_ascii=False)
        super().__init__({"Content-Type": PROBLEM_CONTENT_TYPE}, body.encode())


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
    def __init__(self, app_object: Chalice, config: Config, verifier: SigV4Verifier) -> None:
        super().__init__(app_object, config)
        self._authorizer = BianminLocalAuthorizer(app_object, verifier)

    def handle_request(
        self, method: str, path: str, headers: dict[str, str], body: bytes | None
    ) -> dict[str, Any]:
        try:
            self.event_converter._route_matcher.match_route(path)
        except ValueError:
            plain = path.split("?")[0]
            raise ProblemError(404, f"There is no resource at {plain}.", plain) from None
        return super().handle_request(method, path, headers, body)


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
        self.local_gateway = BianminLocalGateway(app_object, config, verifier)
        BaseHTTPRequestHandler.__init__(self, request, client_address, server)  # type: ignore[arg-type]

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
