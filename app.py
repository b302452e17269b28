"""Bianmin (便民): wiring only. Routes live in chalicelib/handlers, one Blueprint each."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from chalice import Chalice, Response
from chalice.app import Request

from chalicelib.auth import citizen
from chalicelib.auth.citizen import authorizer_bp, citizen_authorizer  # also its handler
from chalicelib.deps import container
from chalicelib.handlers import events, maintenance, routes
from chalicelib.http.api import fallback_routes, method_not_allowed, request_path
from chalicelib.http.problem import geo_report_errors, normalise_error_response
from chalicelib.observability import get_tracer, logger, metrics

app = Chalice(app_name="bianmin")
citizen.install(lambda token: container().tokens.verify(token, container().clock.now()))
app.api.binary_types = [
    "application/pdf",
    "image/png",
    "image/jpeg",
    "application/octet-stream",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
]

app.register_blueprint(authorizer_bp)
# Every route, its handler module imported on its first request (handlers/routes.py).
routes.register(app, citizen_authorizer)
app.register_blueprint(events.bp)
app.register_blueprint(maintenance.bp)

# Methods a path does not support answer 405 (deployed, API Gateway would say 403 otherwise).
# They keep the path's authorizer, so an unsigned call to an admin path is still refused at
# the gateway and never reaches Lambda.
for _path, _methods in fallback_routes(app.routes):
    _authorizer = next(iter(app.routes[_path].values())).authorizer
    app.route(
        _path,
        methods=_methods,
        name=f"not_allowed{_path.replace('/', '_')}",
        authorizer=_authorizer,
        content_types=["*/*"],  # whatever was sent, the method is what is wrong
    )(method_not_allowed(list(app.routes[_path]), lambda: request_path(app.current_request)))


@app.middleware("http")
def observe(request: Request, get_response: Callable[[Request], Response]) -> Response:
    """Correlation id on every log line; Chalice's own errors rewritten as problem+json."""
    request_id = str(request.context.get("requestId") or "") or uuid.uuid4().hex
    logger.set_correlation_id(request_id)
    logger.append_keys(route=request.context.get("resourcePath"), method=request.method)
    tracer = get_tracer()
    if tracer is not None:
        tracer.put_annotation("route", str(request.context.get("resourcePath")))
    response = get_response(request)
    if not response.headers.get("X-Request-Id"):
        response.headers["X-Request-Id"] = request_id
    if metrics.metric_set:
        metrics.flush_metrics()
    if request.path.startswith("/open311/"):
        return geo_report_errors(response, request.path)  # GeoReport v2's own error arrays
    return normalise_error_response(response, instance=request_path(request))
