"""Uploads a file with the presigned POST form an API answer carries, as a phone app would:
the answer of POST /applications/{id}/documents, /uploads or /admin/uploads (a file, or - for
standard input) and the file to send. With --token (or --profile for staff uploads) it then
waits until the document has been checked and prints its status (clean or rejected).

    curl … -X POST …/documents … > answer.json
    python -m devstack.upload answer.json licence.pdf --token "$TOKEN"   # or: bianmin-upload
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import requests


def _answer(source: str) -> dict[str, Any]:
    text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    answer = json.loads(text)
    if "upload" not in answer:
        raise SystemExit(f"no upload form in the answer: {text[:200]}")
    return dict(answer)


def _status_path(answer: dict[str, Any], staff: bool = False) -> str:
    """Where the document's check shows, from the object key the form uploads to (a case's
    document a window clerk scanned: on the window's own route)."""
    key = answer["upload"]["fields"]["key"]
    kind, owner_or_case, document_id = key.split("/")
    if kind == "cases":
        if staff:
            return f"/admin/window/applications/{owner_or_case}/documents/{document_id}"
        return f"/applications/{owner_or_case}/documents/{document_id}"
    if owner_or_case.startswith("staff-"):
        return f"/admin/uploads/{document_id}"
    return f"/uploads/{document_id}"


def _signed_get(url: str, profile: str, local: Path, region: str) -> requests.Response:
    import configparser

    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    parser = configparser.ConfigParser()
    parser.read(local / "aws" / "credentials")
    section = parser[profile]
    request = AWSRequest(method="GET", url=url)
    credentials = Credentials(section["aws_access_key_id"], section["aws_secret_access_key"])
    SigV4Auth(credentials, "execute-api", region).add_auth(request)
    return requests.get(url, headers=dict(request.headers), timeout=10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("answer", help="the API's answer (a JSON file, or - for stdin)")
    parser.add_argument("file", type=Path)
    parser.add_argument("--token", help="the citizen's access token: wait for the check")
    parser.add_argument("--profile", help="the staff profile: wait for the check")
    parser.add_argument("--local", type=Path, default=Path(".local"))
    parser.add_argument("--wait", type=float, default=30.0)
    args = parser.parse_args()
    answer = _answer(args.answer)
    form = answer["upload"]
    content = args.file.read_bytes()
    posted = requests.post(
        form["url"],
        data=form["fields"],
        files={"file": (args.file.name, content, form["fields"].get("Content-Type"))},
        timeout=30,
    )
    if posted.status_code not in (200, 201, 204):
        print(f"the upload was refused: {posted.status_code} {posted.text[:300]}", file=sys.stderr)
        return 1
    if not (args.token or args.profile):
        print("uploaded")
        return 0
    stack = json.loads((args.local / "stack.json").read_text(encoding="utf-8"))
    url = stack["api_url"] + _status_path(answer, staff=bool(args.profile))
    deadline = time.monotonic() + args.wait
    while time.monotonic() < deadline:
        if args.profile:
            response = _signed_get(url, args.profile, args.local, stack["region"])
        else:
            headers = {"Authorization": f"Bearer {args.token}"}
            response = requests.get(url, headers=headers, timeout=10)
        status = response.json().get("status") if response.ok else None
        if status and status != "pending":
            print(status)
            return 0 if status == "clean" else 1
        time.sleep(0.3)
    print("the document was not checked in time", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
