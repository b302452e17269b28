"""The signing keys: the newest signs (citizen and dashboard tokens, pagination cursors,
sign-in code hashes), and the earlier ones are still accepted until what they signed has
expired, so a rotation logs nobody out. Each key has an id; a token carries it in its
header (`kid`), a cursor in front of its payload, a stored code hash beside it.

The secret (Secrets Manager) holds `{"keys": [{"id", "secret", "created"}, …]}`, newest
first. A plain string — a stage created before keys had ids — is one key, id `k0`.
"""

from __future__ import annotations

import json
import re
import secrets as random
from dataclasses import dataclass
from typing import Protocol

LEGACY_ID = "k0"
KEY_ID = re.compile(r"^[a-z0-9]{1,24}$")
MIN_SECRET = 32


class KeyringError(ValueError):
    """The secret does not hold a usable keyring."""


@dataclass(frozen=True)
class SigningKey:
    id: str
    secret: bytes
    created: int = 0  # epoch seconds


@dataclass(frozen=True)
class Keyring:
    keys: tuple[SigningKey, ...]  # newest first: keys[0] signs

    def __post_init__(self) -> None:
        if not self.keys:
            raise KeyringError("a keyring needs a key")
        for key in self.keys:
            if not KEY_ID.match(key.id) or len(key.secret) < MIN_SECRET:
                raise KeyringError(f"key {key.id!r}: an id of [a-z0-9] and 32+ bytes")

    @property
    def current(self) -> SigningKey:
        return self.keys[0]

    def get(self, key_id: str) -> SigningKey | None:
        return next((k for k in self.keys if k.id == key_id), None)

    @classmethod
    def single(cls, secret: bytes, key_id: str = LEGACY_ID) -> Keyring:
        return cls((SigningKey(key_id, secret),))

    @classmethod
    def parse(cls, text: str) -> Keyring:
        """The keyring a secret holds (a legacy plain string: one key, `k0`)."""
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            return cls.single(text.encode())
        try:
            keys = tuple(
                SigningKey(str(k["id"]), str(k["secret"]).encode(), int(k.get("created", 0)))
                for k in data["keys"]
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise KeyringError(f"the signing secret is not a keyring: {exc}") from None
        return cls(keys)

    def dump(self) -> str:
        return json.dumps(
            {
                "keys": [
                    {"id": k.id, "secret": k.secret.decode(), "created": k.created}
                    for k in self.keys
                ]
            }
        )

    def rotated(self, now: int, keep_seconds: int) -> Keyring:
        """A new key first; the earlier ones kept while what they signed may still be used
        (`keep_seconds`: the longest lifetime of a token or cursor), then dropped."""
        new = SigningKey(f"k{now}", random.token_urlsafe(48).encode(), now)
        kept = tuple(k for k in self.keys if now - k.created < keep_seconds or k is self.current)
        return Keyring((new, *kept))


class KeyringSource(Protocol):
    def keyring(self) -> Keyring: ...

    def refreshed(self, *, at_most_every: float = 0.0) -> Keyring:
        """Read again (another container may have signed with a newer key); with
        `at_most_every`, not if the last read is that many seconds young."""
        ...


@dataclass
class FixedKeys:
    """A keyring that does not change (tests, tools)."""

    ring: Keyring

    def keyring(self) -> Keyring:
        return self.ring

    def refreshed(self, *, at_most_every: float = 0.0) -> Keyring:
        return self.ring


def keys_of(source: KeyringSource | bytes) -> KeyringSource:
    """A keyring source, given one or a single key's bytes."""
    return FixedKeys(Keyring.single(source)) if isinstance(source, bytes) else source


# How often an unknown key id may make a container read the secret again: a token or cursor
# with a made-up id must not turn every request into a Secrets Manager call.
UNKNOWN_KEY_REREAD_SECONDS = 5.0
_MINTED_ID = re.compile(r"^k([0-9]{1,12})$")  # `k<epoch seconds>`, as `rotated` names a key


def find_key(source: KeyringSource, key_id: str) -> SigningKey | None:
    """The key `key_id`, reading the keyring again if this container does not know it yet
    and it could be a newer key another container signed with (an id as rotations mint
    them, younger than the current key), at most every few seconds."""
    ring = source.keyring()
    found = ring.get(key_id)
    minted = _MINTED_ID.match(key_id)
    if found is not None or minted is None or int(minted[1]) <= ring.current.created:
        return found
    return source.refreshed(at_most_every=UNKNOWN_KEY_REREAD_SECONDS).get(key_id)
