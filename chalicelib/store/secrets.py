"""The signing keyring (chalicelib/keys.py), read from Secrets Manager and kept for
REFRESH_SECONDS in a container, read again at once when a token or cursor names a key this
container does not know yet; and its rotation."""

from __future__ import annotations

import json
import threading
import time
import uuid

from chalicelib.keys import Keyring
from chalicelib.store.clients import AwsClients

REFRESH_SECONDS = 300.0


class SigningKeyStore:
    def __init__(
        self, clients: AwsClients, secret_id: str, refresh_seconds: float = REFRESH_SECONDS
    ) -> None:
        self._clients = clients
        self._secret_id = secret_id
        self._refresh_seconds = refresh_seconds
        self._ring: Keyring | None = None
        self._read_at = float("-inf")
        self._lock = threading.Lock()

    def _read(self) -> Keyring:
        response = self._clients.client("secretsmanager").get_secret_value(SecretId=self._secret_id)
        return Keyring.parse(response.get("SecretString") or "")

    def keyring(self) -> Keyring:
        if self._ring is None or time.monotonic() - self._read_at > self._refresh_seconds:
            return self.refreshed()
        return self._ring

    def key(self) -> bytes:
        """The current key's bytes."""
        return self.keyring().current.secret

    def refreshed(self, *, at_most_every: float = 0.0) -> Keyring:
        with self._lock:
            young = time.monotonic() - self._read_at < at_most_every
            if young and self._ring is not None:
                return self._ring
            self._ring = self._read()
            self._read_at = time.monotonic()
            return self._ring

    def rotate_if_due(self, now: int, every_seconds: int, keep_seconds: int) -> bool:
        """Rotates when the current key is `every_seconds` old (safe to ask as often as
        wanted: a young key is left alone); True if it rotated."""
        if now - self.refreshed().current.created < every_seconds:
            return False
        self.rotate(now, keep_seconds)
        return True

    def rotate(self, now: int, keep_seconds: int) -> Keyring:
        """Puts a keyring with a new current key; keys older than `keep_seconds` leave it.
        The secret's previous version stays in Secrets Manager (AWSPREVIOUS).

        The version's token is made from the key being replaced, so two rotations of the
        same keyring at once (a scheduled event delivered twice) write one version: the
        second is refused (ResourceExistsException) and takes the first's keyring, instead
        of replacing a key something may already have signed with."""
        current = self.refreshed()
        rotated = current.rotated(now, keep_seconds)
        token = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self._secret_id}#{current.current.id}"))
        secrets = self._clients.client("secretsmanager")
        try:
            secrets.put_secret_value(
                SecretId=self._secret_id, SecretString=rotated.dump(), ClientRequestToken=token
            )
        except secrets.exceptions.ResourceExistsException:
            return self.refreshed()
        with self._lock:
            self._ring, self._read_at = rotated, time.monotonic()
        return rotated


class SecretField:
    """One field of a JSON secret (a provider callback's key), read once per container; an
    empty or absent field is None."""

    def __init__(self, clients: AwsClients, secret_id: str, field: str) -> None:
        self._clients, self._secret_id, self._field = clients, secret_id, field
        self._value: str | None = None
        self._lock = threading.Lock()

    def value(self) -> str | None:
        with self._lock:
            if self._value is None:
                response = self._clients.client("secretsmanager").get_secret_value(
                    SecretId=self._secret_id
                )
                secret = json.loads(response.get("SecretString") or "{}")
                self._value = str(secret.get(self._field) or "")
            return self._value or None
