"""The cold-start baseline: a bare Chalice app with boto3 and one route, /health.

Deployed as `app.py` beside the Chalice runtime that `chalice package` ships, it does what
app.py does for a first request to /health followed by its first DynamoDB call: it answers
the route, then builds its DynamoDB client on first use, with the app's retry settings
(chalicelib/store/clients.py), so the two sides of bench/coldstart.py do the same work.
"""

import os
from typing import Any

import boto3
from botocore.config import Config
from chalice import Chalice

app = Chalice(app_name="baseline")
_clients: dict[str, Any] = {}


@app.route("/health")
def health() -> dict[str, str]:
    return {"status": "ok", "stage": os.environ.get("BIANMIN_STAGE", "local")}


def dynamodb() -> Any:
    """The DynamoDB client, built on first use and reused for the life of the container."""
    if "dynamodb" not in _clients:
        config = Config(retries={"mode": "standard", "max_attempts": 3})
        _clients["dynamodb"] = boto3.session.Session().client("dynamodb", config=config)
    return _clients["dynamodb"]
