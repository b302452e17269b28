"""The size contract `make lint` holds chalicelib/ to (devstack/sizes.py)."""

from __future__ import annotations

from pathlib import Path

from devstack.sizes import MAX_FUNCTION, MAX_LINES, problems


def _function(name: str, body_lines: int, reason: str | None = None) -> str:
    head = f"{reason}\n" if reason else ""
    return head + f"def {name}():\n" + "    x = 1\n" * (body_lines - 1) + "    return x\n"


def test_a_long_function_is_reported_unless_a_reason_is_written_next_to_it(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(
        _function("short", MAX_FUNCTION - 1)
        + _function("long", MAX_FUNCTION + 5)
        + _function("excused", MAX_FUNCTION + 5, "# long: a table of literals")
    )
    found = problems(tmp_path)
    assert len(found) == 1 and ": long is" in found[0]


def test_a_long_module_is_reported_unless_its_first_line_says_why(tmp_path: Path) -> None:
    (tmp_path / "big.py").write_text("x = 1\n" * (MAX_LINES + 1))
    (tmp_path / "fine.py").write_text("# long: generated\n" + "x = 1\n" * MAX_LINES)
    assert [p.split(":")[0] for p in problems(tmp_path)] == [str(tmp_path / "big.py")]


def test_the_code_base_keeps_to_it() -> None:
    assert problems(Path(__file__).parent.parent / "chalicelib") == []
