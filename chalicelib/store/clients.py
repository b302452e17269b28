"""boto3 clients, created on first use and reused for the life of the container.

boto3 itself is imported here lazily: importing it costs more than the rest of the app, and
a cold start that only needs the authorizer or /health should not pay for it.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient  # pragma: no cover


class AwsClients:
    """One boto3 session per container; one client per service, built when first asked for."""

    def __init__(self, region: str, overrides: dict[str, Any] | None = None) -> None:
        self._region = region
        self._clients: dict[str, Any] = dict(overrides or {})
        self._lock = threading.Lock()

    def client(self, service: str) -> Any:
        existing = self._clients.get(service)
        if existing is not None:
            return existing
        with self._lock:
            if service not in self._clients:
                import boto3
                from botocore.config import Config

                session = boto3.session.Session(region_name=self._region)
                config = Config(retries={"mode": "standard", "max_attempts": 3})
                self._clients[service] = session.client(service, config=config)
            return self._clients[service]

    @property
    def dynamodb(self) -> DynamoDBClient:
        return self.client("dynamodb")
