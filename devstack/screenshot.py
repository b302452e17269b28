"""A screenshot of the leaders' dashboard from the running local stack (for the README):
asks for a dashboard link as the county leader, opens it in headless Chromium."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from devstack.workload import HttpDriver


def dashboard_url(local: Path, profile: str = "county-leader") -> str:
    driver = HttpDriver(local)
    status, session = driver.call("POST", "/admin/dashboard/session", profile=profile)
    if status != 201:
        raise SystemExit(f"no dashboard link: {status} {session}")
    return str(session["url"])


def chromium(*args: str, timeout: float = 90) -> str:
    command = [
        "chromium",
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        "--virtual-time-budget=15000",
        *args,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=True)
    return done.stdout


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/dashboard.png")
    local = Path(".local")
    url = dashboard_url(local)
    out.parent.mkdir(parents=True, exist_ok=True)
    chromium(f"--screenshot={out.resolve()}", "--window-size=1400,1500", url)
    print(json.dumps({"screenshot": str(out)}))


if __name__ == "__main__":
    main()
