"""The token-signing key, read from Secrets Manager once per container."""

from __future__ import annotations

import threading

from chalicelib.store.clients import AwsClients


class SigningKeyStore:
    def __init__(self, clients: AwsClients, secret_id: str) -> None:
        self._clients = clients
        self._secret_id = secret_id
        self._key: bytes | None = None
        self._lock = threading.Lock()

    def key(self) -> bytes:
        if self._key is None:
            with self._lock:
                if self._key is None:
                    response = self._clients.client("secretsmanager").get_secret_value(
                        SecretId=self._secret_id
                    )
                    secret = response.get("SecretString") or ""
                    if len(secret) < 32:
                        raise RuntimeError("the token-signing secret must hold 32+ characters")
                    self._key = secret.encode()
        return self._key
