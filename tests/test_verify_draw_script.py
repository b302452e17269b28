"""`scripts/verify_draw.py` as a citizen runs it: plain Python, no project dependencies
(`-S` leaves site-packages off the path), on a draw record saved from the public endpoint."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from chalicelib.domain.applicant import credit_code_check_char
from chalicelib.domain.draw_procedure import published_record

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "verify_draw.py"
SEED = hashlib.sha256(b"2026 q4 scjg").hexdigest()


def credit_code(n: int) -> str:
    first17 = f"91370830MA3C{n:05d}"
    return first17 + credit_code_check_char(first17)


def record() -> dict[str, Any]:
    townships = ["汶上街道", "中都街道", "郭楼镇", "南旺镇", "康驿镇", "义桥镇"]
    entities = [
        {
            "credit_code": credit_code(n),
            "name": f"汶上县{township}便民超市",
            "township": township,
            "grid": "370830007001001" if township == "郭楼镇" else None,
            "complaints": n % 3,
            "failed_inspections": n % 2,
            "abnormal": n == 4,
        }
        for n, township in enumerate(townships, 1)
    ]
    inspectors = [
        {"inspector_id": f"scjg-{n:03d}", "department": "scjg", "active": True} for n in range(1, 5)
    ]
    inspectors[0]["relations"] = [credit_code(1)]
    plan = {
        "plan_id": "2026-Q4-scjg-spjy",
        "item_id": "scjg-spjy-01",
        "department": "scjg",
        "key_item": True,
        "ratio_permille": 500,
        "inspectors_per_entity": 2,
    }
    return published_record(plan, SEED, entities, inspectors, {credit_code(2): ["scjg-002"]})


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-I", "-S", SCRIPT, *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )


@pytest.fixture
def saved(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    draw = record()
    path = tmp_path / "draw.json"
    path.write_text(json.dumps(draw, ensure_ascii=False), encoding="utf-8")
    return path, draw


def test_a_genuine_draw_is_verified(saved: tuple[Path, dict[str, Any]]) -> None:
    path, draw = saved
    done = run(path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == (
        f"verified: 3 entities, {len({i for s in draw['selections'] for i in s['inspectors']})} "
        f"inspectors, commitment {draw['commitment']}"
    )


def test_a_tampered_directory_fails_naming_the_hash_mismatch(
    saved: tuple[Path, dict[str, Any]],
) -> None:
    path, draw = saved
    draw["entities"][0]["abnormal"] = True
    path.write_text(json.dumps(draw, ensure_ascii=False), encoding="utf-8")
    done = run(path)
    assert done.returncode == 1
    assert "entities_hash: published" in done.stdout
    assert "the entity directory is not the frozen one" in done.stdout


def test_a_commitment_other_than_the_one_noted_before_the_draw_fails(
    saved: tuple[Path, dict[str, Any]],
) -> None:
    path, _ = saved
    done = run(path, "--commitment", "0" * 64)
    assert done.returncode == 1
    assert "noted 000" in done.stdout


def test_a_missing_file_is_unreadable_input(tmp_path: Path) -> None:
    done = run(tmp_path / "absent.json")
    assert done.returncode == 2
    assert "cannot read" in done.stderr
