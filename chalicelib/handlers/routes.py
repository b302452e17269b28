"""Every API route, registered without importing the module that handles it: a cold start
imports the handler module of the route it serves, and each other module on its own first
request (they hold most of the app's pydantic models).

routes.json lists each route as the handler modules declare it (path, method, view name,
authorizer, content types, docstring, module); `python -m chalicelib.handlers.routes`
rewrites it, and a test fails when it differs from what the modules declare. A route's
placeholder imports its module on first call and runs the module's own view; a blueprint
middleware would not run (there are none: app.py's `observe` is the app's).
"""

from __future__ import annotations

import importlib
import inspect
import json
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from chalice import Chalice, IAMAuthorizer
from chalice.app import Authorizer

MANIFEST = Path(__file__).with_name("routes.json")
# The blueprints with routes, in the order app.py registers them (the events blueprint has
# none and is registered as it is: `chalice package` reads its event sources).
MODULES = (
    "system",
    "auth",
    "catalogue",
    "reference",
    "applications",
    "admin",
    "review",
    "requests",
    "request_admin",
    "open311",
    "supervision",
    "staff_admin",
    "notices",
    "notifications",
    "window",
    "provider_callbacks",
    "public_information",
    "content_admin",
    "inspections",
    "inspection_public",
)

Route = dict[str, Any]


def declared() -> list[Route]:
    """The routes the handler modules declare (imports every one of them)."""
    app = Chalice(app_name="routes")
    routes: list[Route] = []
    for name in MODULES:
        module = importlib.import_module(f"chalicelib.handlers.{name}")
        seen = {(path, method) for path, methods in app.routes.items() for method in methods}
        app.register_blueprint(module.bp)
        for path, methods in app.routes.items():
            for method, entry in methods.items():
                if (path, method) in seen:
                    continue
                if entry.cors is not None or entry.api_key_required:
                    raise ValueError(f"{method} {path}: CORS and API keys are not described")
                routes.append(
                    {
                        "module": name,
                        "path": path,
                        "method": method,
                        "name": entry.view_name,
                        "authorizer": entry.authorizer.name if entry.authorizer else None,
                        "content_types": entry.content_types,
                        "doc": inspect.getdoc(entry.view_function),
                    }
                )
    return routes


def register(app: Chalice, citizen: Authorizer) -> None:
    """A placeholder for every route of routes.json: its first call imports the route's
    module, and each call runs the module's own view."""
    authorizers: dict[str | None, Authorizer | None] = {
        None: None,
        citizen.name: citizen,
        "sigv4": IAMAuthorizer(),
    }
    modules = _Modules(app)
    for route in json.loads(MANIFEST.read_text()):
        app.route(
            route["path"],
            methods=[route["method"]],
            name=route["name"],
            authorizer=authorizers[route["authorizer"]],
            content_types=route["content_types"],
        )(modules.placeholder(route))


class _Modules:
    """Handler modules imported on first use, each blueprint registered on an app of its own
    (the real app already has the route) and then bound back to the real app, whose current
    request and context its views read."""

    def __init__(self, app: Chalice) -> None:
        self._app = app
        self._lock = threading.Lock()
        self._apps: dict[str, Chalice] = {}

    def placeholder(self, route: Route) -> Callable[..., Any]:
        module, path, method = route["module"], route["path"], route["method"]

        def view(**params: str) -> Any:
            return self.load(module).routes[path][method].view_function(**params)

        view.__name__ = route["name"]
        view.__doc__ = route["doc"]
        return view

    def load(self, name: str) -> Chalice:
        shadow = self._apps.get(name)
        if shadow is None:
            with self._lock:
                shadow = self._apps.get(name)
                if shadow is None:
                    module = importlib.import_module(f"chalicelib.handlers.{name}")
                    shadow = Chalice(app_name=self._app.app_name)
                    shadow.register_blueprint(module.bp)
                    # The blueprint answers with the real app's request and context (per
                    # thread on the local server), never with one the shadow would hold.
                    module.bp._current_app = self._app
                    self._apps[name] = shadow
        return shadow


def load_all() -> None:
    """Imports every handler module (the OpenAPI document describes them all)."""
    for name in MODULES:
        importlib.import_module(f"chalicelib.handlers.{name}")


def main(argv: list[str]) -> int:
    """Rewrites routes.json; with --check, exits 1 when it is stale instead. Run it in a fresh
    interpreter: Chalice registers a blueprint's routes once (a second registration loses
    their methods), so `declared()` cannot run where app.py has loaded a module."""
    text = json.dumps(declared(), indent=1, ensure_ascii=False) + "\n"
    if "--check" in argv:
        if MANIFEST.read_text() != text:
            print(f"{MANIFEST} is stale: python -m chalicelib.handlers.routes", file=sys.stderr)
            return 1
        return 0
    MANIFEST.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
