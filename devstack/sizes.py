"""The size contract of `chalicelib/` (run by `make lint`): no module above MAX_LINES lines
and no function above MAX_FUNCTION lines, unless a comment `# long: <reason>` says why: on a
module's first line, or on the line of a function's `def` (or its first decorator) or the
line above it.
Small files and functions are what keeps each use case readable at once."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

MAX_LINES = 400
MAX_FUNCTION = 60
REASON = "# long:"


def _excused(lines: list[str], lineno: int) -> bool:
    """A `# long:` reason on the line `lineno` (1-based) or the one above it."""
    return any(REASON in lines[i] for i in (lineno - 2, lineno - 1) if 0 <= i < len(lines))


def problems(root: Path) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        if len(lines) > MAX_LINES and not _excused(lines, 1):
            found.append(f"{path}: {len(lines)} lines (at most {MAX_LINES})")
        for node in ast.walk(ast.parse(text, filename=str(path))):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            span = (node.end_lineno or node.lineno) - node.lineno + 1
            if span > MAX_FUNCTION and not _excused(lines, start):
                found.append(
                    f"{path}:{node.lineno}: {node.name} is {span} lines (at most {MAX_FUNCTION})"
                )
    return found


def main() -> int:
    found = problems(Path(sys.argv[1] if len(sys.argv) > 1 else "chalicelib"))
    for line in found:
        print(line)
    print(f"sizes: {len(found)} over the limits" if found else "sizes: within the limits")
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
