"""app.py registers every route from chalicelib/handlers/routes.json without importing the
handler modules: the manifest must say what the modules declare."""

from __future__ import annotations

import json
import subprocess
import sys


def test_the_route_manifest_is_what_the_handler_modules_declare() -> None:
    check = [sys.executable, "-m", "chalicelib.handlers.routes", "--check"]
    result = subprocess.run(check, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_importing_app_imports_no_route_module() -> None:
    probe = "import sys, app; print([m for m in sorted(sys.modules) if 'handlers.' in m])"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    # The event and scheduled handlers (each a Lambda function of its own) and the loader.
    assert json.loads(out.stdout.replace("'", '"')) == [
        "chalicelib.handlers.events",
        "chalicelib.handlers.maintenance",
        "chalicelib.handlers.routes",
    ]
