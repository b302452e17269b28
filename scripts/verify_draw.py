"""Check a published 双随机 draw: recompute it from its frozen inputs with the published
procedure (chalicelib/domain/draw_procedure.py, standard library only).

    python scripts/verify_draw.py draw.json
    python scripts/verify_draw.py https://<host>/public/inspections/plans/<id>/proof
    python scripts/verify_draw.py draw.json --commitment <hash noted before the draw>

Exit code 0 when the draw is verified, 1 with each discrepancy, 2 when the record cannot be read.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import urllib.request
from pathlib import Path
from types import ModuleType
from typing import Any

PROCEDURE = Path(__file__).resolve().parent.parent / "chalicelib" / "domain" / "draw_procedure.py"


def load_procedure() -> ModuleType:
    """The procedure module by its file path, without importing the project's dependencies."""
    spec = importlib.util.spec_from_file_location("draw_procedure", PROCEDURE)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {PROCEDURE}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def read_record(source: str) -> Any:
    if source.startswith(("https://", "http://")):
        with urllib.request.urlopen(source, timeout=30) as response:  # noqa: S310 (scheme checked)
            return json.load(response)
    return json.loads(Path(source).read_text(encoding="utf-8"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Verify a published random-inspection draw.")
    parser.add_argument("source", help="a JSON file or the URL of the public draw record")
    parser.add_argument("--commitment", help="the commitment published before the draw")
    args = parser.parse_args(argv)
    try:
        record = read_record(args.source)
    except (OSError, ValueError) as error:
        print(f"cannot read {args.source}: {error}", file=sys.stderr)
        return 2
    problems = load_procedure().verify(record)
    if args.commitment and isinstance(record, dict) and record.get("commitment") != args.commitment:
        problems.append(
            f"commitment: published {record.get('commitment')}, noted {args.commitment}"
        )
    for problem in problems:
        print(problem)
    if problems:
        return 1
    drawn = record["selections"]
    inspectors = {i for selection in drawn for i in selection["inspectors"]}
    print(
        f"verified: {len(drawn)} entities, {len(inspectors)} inspectors, "
        f"commitment {record['commitment']}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
