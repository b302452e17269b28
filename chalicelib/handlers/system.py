"""Health, the OpenAPI document, and the catch-all that answers unknown paths with 404."""

from __future__ import annotations

import json

from chalice import Blueprint, Response

from chalicelib.deps import container
from chalicelib.domain.common import Strict
from chalicelib.http import problem
from chalicelib.http.api import Call, operation, request_path

bp = Blueprint(__name__)


class Health(Strict):
    status: str
    stage: str


@operation(bp, "/health", summary="Liveness check", tags=("system",), response=Health)
def health(call: Call) -> Health:
    return Health(status="ok", stage=container().settings.stage)


@operation(
    bp,
    "/openapi.json",
    summary="This API's OpenAPI 3.1 document",
    tags=("system",),
)
def openapi(call: Call) -> Response:
    from chalicelib.handlers.routes import load_all
    from chalicelib.http.openapi import document

    load_all()  # the document describes every operation, declared as their modules load

    # The API's base as the client reached it: "/" locally, "/api" (the stage) deployed.
    base = call.path.removesuffix("/openapi.json") or "/"
    return Response(
        body=json.dumps(document(base), ensure_ascii=False),
        headers={"Content-Type": "application/json; charset=utf-8"},
    )


def not_found(**_: str) -> Response:
    """Deployed, API Gateway routes every unmatched path here ({proxy+} is greedy); under
    /open311/v2/ the answer is a GeoReport error array, like the known resources'."""
    request = bp.current_request
    path = request_path(request)
    proxy = "/" + str((request.uri_params or {}).get("proxy", ""))
    if proxy.startswith("/open311/v2/"):
        from chalicelib.handlers.open311 import geo_report_not_found

        return geo_report_not_found(proxy)
    return problem.problem_response(404, f"There is no resource at {path}.", instance=path)


bp.route("/{proxy+}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], name="not_found")(
    not_found
)
