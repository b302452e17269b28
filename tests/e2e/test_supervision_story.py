"""Supervision end to end through the running local stack: a generated workload across the
platform's two counties through the API (with retries and races), the headline figures read
off /admin/stats — each county's, and the city's rolled up — zero drift between the counters
and the raw cases, and the leaders' dashboards (a county's and the city's) opened in
headless Chromium (Debian's chromium), checked by what they render."""

from __future__ import annotations

import os
import random
import re
from collections.abc import Iterator
from html.parser import HTMLParser

import pytest

from devstack.screenshot import chromium
from devstack.workload import HttpDriver, Tally, Workload
from tests.e2e.conftest import RunningStack, start_stack, stop_stack

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]
REQUESTS, APPLICATIONS = 60, 6


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    running = start_stack(tmp_path_factory.mktemp("supervision"))
    yield running
    stop_stack(running)


@pytest.fixture(scope="module")
def workload(stack: RunningStack) -> tuple[HttpDriver, Tally]:
    driver = HttpDriver(stack.local)
    tally = Workload(driver, random.Random(11), citizens=12).run(REQUESTS, APPLICATIONS)
    return driver, tally


def test_the_headline_figures_after_a_generated_workload(
    workload: tuple[HttpDriver, Tally],
) -> None:
    driver, tally = workload
    status, city = driver.call("GET", "/admin/stats?scope=370800", profile="city-leader")
    assert status == 200, city
    assert city["requests"]["received"] == REQUESTS  # every county's, rolled up
    counties = {row["code"]: row["figures"]["received"] for row in city["by_jurisdiction"]}
    assert set(counties) == {"370829", "370830"} and sum(counties.values()) == REQUESTS + sum(
        n for k, n in tally.outcomes.items() if k.startswith("application") or k == "withdrawn"
    )
    status, jiaxiang = driver.call("GET", "/admin/stats?scope=370829", profile="jx-county-leader")
    assert status == 200 and jiaxiang["total"]["received"] == counties["370829"]
    status, figures = driver.call("GET", "/admin/stats?scope=370830", profile="county-leader")
    assert status == 200, figures
    assert figures["total"]["received"] == counties["370830"]
    requests = city["requests"]
    refused = tally.outcomes["not accepted"]
    assert requests["not_accepted"] == refused
    assert 0.8 <= requests["acceptance_rate"] <= 1.0
    assert 0.5 <= requests["completion_rate"] <= 1.0
    assert requests["satisfaction_rate"] >= 0.8
    townships = {row["name"]: row["figures"] for row in figures["by_jurisdiction"]}
    # Every case lies in a township, or at the county when no township was known.
    assert sum(f["received"] for f in townships.values()) <= figures["total"]["received"]
    assert "汶上街道" in townships
    public_status, public = driver.call("GET", "/public/stats")  # the platform's: the city's
    assert public_status == 200 and public["requests"]["received"] == REQUESTS


def test_no_drift_between_counters_and_cases(
    stack: RunningStack, workload: tuple[HttpDriver, Tally]
) -> None:
    import subprocess
    import sys

    from tests.e2e.conftest import ROOT

    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "BIANMIN_"))}
    done = subprocess.run(
        [sys.executable, "-m", "devstack.verify_stats", "--local", str(stack.local)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no drift" in done.stdout
    cases = int(re.search(r"cases recomputed: (\d+)", done.stdout).group(1))
    assert cases >= REQUESTS + APPLICATIONS - 1  # drafts left unsubmitted count as cases too


class _Dom(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: dict[str, dict[str, str | None]] = {}
        self.bars: list[dict[str, str | None]] = []
        self.text: list[str] = []
        self._stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if attributes.get("id"):
            self.ids[str(attributes["id"])] = attributes
        if tag == "rect" and "bar" in (attributes.get("class") or ""):
            self.bars.append(attributes)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_the_dashboard_renders_in_headless_chromium(
    stack: RunningStack, workload: tuple[HttpDriver, Tally]
) -> None:
    driver, _ = workload
    status, session = driver.call("POST", "/admin/dashboard/session", profile="county-leader")
    assert status == 201, session
    html = chromium("--dump-dom", session["url"])
    dom = _Dom()
    dom.feed(html)
    assert dom.ids["main"]["data-state"] == "ready", html[:2000]
    text = " ".join(dom.text)
    _, figures = driver.call("GET", "/admin/stats?scope=370830", profile="county-leader")
    received = figures["total"]["received"]
    assert re.search(rf"受理量 Received\s*{received}\b", text), text[:1500]
    rate = f"{figures['total']['satisfaction_rate'] * 100:.1f}%"
    assert rate in text
    trend = [b for b in dom.bars if "received" in (b.get("class") or "")]
    assert trend and int(trend[-1]["data-value"] or 0) > 0
    labels = {b.get("data-label") for b in dom.bars}
    assert "汶上街道" in labels  # the township ranking

    status, session = driver.call("POST", "/admin/dashboard/session", profile="city-leader")
    assert status == 201, session
    city = _Dom()
    city.feed(chromium("--dump-dom", session["url"]))
    assert city.ids["main"]["data-state"] == "ready"
    assert {"汶上县", "嘉祥县"} <= {b.get("data-label") for b in city.bars}  # its counties
    assert "县城市管理局" in labels  # the department ranking
    assert "路灯照明" in labels  # hot topics
    assert "汶上县" in text
    # Without the link's token the page shows no figures.
    bare = chromium("--dump-dom", stack.url + "/dashboard")
    assert 'data-state="no-token"' in bare
