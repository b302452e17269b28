"""The README runs as pasted: every ```sh block of it, top to bottom, in one shell, against a
freshly started stack — the only changes are the stack's address (a free port, not 8000)
and the working directory (a scratch one, its .local the stack's, its scripts the
repository's). A block preceded by
`<!-- readme: not run … -->` (starting the stack, deploying, hour-long workloads) is skipped.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.e2e.conftest import ROOT, RunningStack

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

BLOCK = re.compile(r"(?P<before>[^\n]*)\n```sh\n(?P<code>.*?)\n```", re.S)


def readme_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return [m["code"] for m in BLOCK.finditer(text) if "readme: not run" not in m["before"]]


def test_the_readme_has_runnable_blocks_and_marks_the_others() -> None:
    blocks = readme_blocks()
    assert len(blocks) >= 8
    assert not any("make run" in b for b in blocks)  # starting the stack is the reader's step


def test_the_readme_runs_as_pasted(stack: RunningStack, tmp_path: Path) -> None:
    (tmp_path / ".local").symlink_to(stack.local)
    (tmp_path / "scripts").symlink_to(ROOT / "scripts")  # the repository's scripts, as at its root
    script = "\n".join(readme_blocks()).replace("http://127.0.0.1:8000", stack.url)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AWS_", "BIANMIN_", "POWERTOOLS_", "MOTO_"))
    }
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, (
        f"{result.stdout[-4000:]}\n--- stderr ---\n{result.stderr[-4000:]}"
    )
    out = result.stdout
    for expected in (
        "submitted",
        "supplement_required",
        "in_review",
        "非常满意",
        "亲水湾小区网格",
        "reopened",
        "closed",
        "POST requires phone",
        "/dashboard#token=",
        '"jxj-reviewer-2@1"',  # staff administration: the new record's ETag
    ):
        assert expected in out, expected
    assert (tmp_path / "stats.xlsx").read_bytes()[:2] == b"PK"
    assert (tmp_path / "cases.csv").read_text(encoding="utf-8-sig").startswith("类型 kind")
