"""boto3 clients, created on first use and reused for the life of the container.

boto3 itself is imported here lazily: importing it costs more than the rest of the app, and
a cold start that only needs the authorizer or /health should not pay for it.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient  # pragma: no cover


_LOADER: list[Any] = []  # botocore's model loader, shared by every session of the process


def _session(region: str) -> Any:
    """A boto3 session whose service models (endpoints, API definitions: megabytes of JSON)
    are parsed once per process, however many sessions and clients are made."""
    import boto3
    import botocore.loaders
    import botocore.session

    core = botocore.session.get_session()
    if not _LOADER:
        _LOADER.append(core.get_component("data_loader"))
    else:
        core.register_component("data_loader", _LOADER[0])
    assert isinstance(core.get_component("data_loader"), botocore.loaders.Loader)
    return boto3.session.Session(botocore_session=core, region_name=region)


class AwsClients:
    """One boto3 session per container; one client per service, built when first asked for."""

    def __init__(self, region: str, overrides: dict[str, Any] | None = None) -> None:
        self._region = region
        self._clients: dict[str, Any] = dict(overrides or {})
        self._lock = threading.Lock()
        self._session: Any = None

    def client(self, service: str) -> Any:
        existing = self._clients.get(service)
        if existing is not None:
            return existing
        with self._lock:
            if service not in self._clients:
                from botocore.config import Config

                if self._session is None:
                    self._session = _session(self._region)
                config = Config(retries={"mode": "standard", "max_attempts": 3})
                self._clients[service] = self._session.client(service, config=config)
            return self._clients[service]

    @property
    def dynamodb(self) -> DynamoDBClient:
        return self.client("dynamodb")
