"""The OpenAPI document holds against the running stack: Schemathesis (schemathesis.toml and
tests/schemathesis_hooks.py) sends every operation schema-valid and schema-violating
requests, signed in as a citizen and SigV4-signed as the staff member each staff route
admits, and checks every answer against the document — no 5xx, only documented statuses and
headers, bodies that match their schemas, invalid input refused and valid input accepted.

A fixed seed keeps the suite's run reproducible; BIANMIN_SCHEMATHESIS_EXAMPLES and
BIANMIN_SCHEMATHESIS_SEED widen or vary it (`st run` by hand, as in the README, for more).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import ROOT, RunningStack, start_stack, stop_stack

pytestmark = pytest.mark.xdist_group("schemathesis")

EXAMPLES = os.environ.get("BIANMIN_SCHEMATHESIS_EXAMPLES", "8")
SEED = os.environ.get("BIANMIN_SCHEMATHESIS_SEED", "20261201")


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    running = start_stack(tmp_path_factory.mktemp("local"))
    yield running
    stop_stack(running)


def test_every_operation_answers_as_documented(fuzzed: RunningStack, tmp_path: Path) -> None:
    report = tmp_path / "schemathesis.txt"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "BIANMIN_"))},
        "BIANMIN_LOCAL_DIR": str(fuzzed.local),
        "PYTHONPATH": str(ROOT),
    }
    with report.open("w", encoding="utf-8") as out:
        result = subprocess.run(
            [
                str(Path(sys.executable).with_name("st")),
                "--no-color",
                "run",
                f"{fuzzed.url}/openapi.json",
                "--max-examples",
                EXAMPLES,
                "--seed",
                SEED,
                # One worker: CPython 3.11.7's ast.parse is not thread-safe (hypothesis
                # describes its lambdas with it), and two workers' threads sometimes end the
                # run with "SystemError: AST constructor recursion depth mismatch".
                "--workers",
                "1",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=1500,  # ~240 operations with one worker: about 10 minutes on 2 cores
            check=False,
        )
    text = report.read_text(encoding="utf-8")
    assert result.returncode == 0, text[-20_000:]
    selected = re.search(r"Selected: (\d+)/(\d+)", text)
    tested = re.search(r"Tested: (\d+)", text)
    assert selected and tested, text[-5_000:]
    assert selected[1] == selected[2] == tested[1], "every operation is tested"
