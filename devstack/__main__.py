"""`make run`: start the local stack and serve until Ctrl-C (or SIGTERM)."""

from __future__ import annotations

import signal
import sys
import threading

from devstack.stack import LocalStack, StackConfig


def main() -> int:
    stack = LocalStack(StackConfig.from_env())
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        stack.start()
    except OSError as exc:
        print(f"Could not start the local stack: {exc}", file=sys.stderr)
        stack.stop()
        return 1
    print(stack.banner(), flush=True)
    stop.wait()
    print("Stopping …", flush=True)
    stack.stop()
    print("Stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
