"""The running local stack, shared by the end-to-end modules (one stack per module)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.running import RunningStack, start_stack, stop_stack

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    running = start_stack(tmp_path_factory.mktemp("local"))
    yield running
    stop_stack(running)
