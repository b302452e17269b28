"""Prints the latest sign-in code the local stack sent to a phone (its SMS outbox), waiting a
few seconds for the SMS queue to deliver it.

    python -m devstack.code 13953700001        # or, after `source .local/env`: bianmin-code
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path


def latest_code(outbox: Path, phone: str) -> str | None:
    if not outbox.exists():
        return None
    codes = [
        message["code"]
        for message in map(json.loads, outbox.read_text(encoding="utf-8").splitlines())
        if message.get("phone") == phone and message.get("code")
    ]
    return codes[-1] if codes else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("phone")
    parser.add_argument("--local", type=Path, default=Path(".local"))
    parser.add_argument("--wait", type=float, default=15.0, help="seconds to wait for the SMS")
    parser.add_argument("--after", help="a code already used: wait for a newer one")
    args = parser.parse_args()
    deadline = time.monotonic() + args.wait
    while True:
        code = latest_code(args.local / "outbox.jsonl", args.phone)
        if code and code != args.after:
            print(code)
            return 0
        if time.monotonic() > deadline:
            print(f"no code for {args.phone} in {args.local / 'outbox.jsonl'}", file=sys.stderr)
            return 1
        time.sleep(0.2)


if __name__ == "__main__":
    sys.exit(main())
