"""Signing keys with ids: a rotation logs nobody out and breaks no listing. What was signed
with an earlier key stays valid while the keyring holds it; a container that has not seen
the newest key yet reads the keyring again; a key dropped after its keeping time signs and
opens nothing any more."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from chalicelib.auth.tokens import TokenError, TokenIssuer
from chalicelib.errors import NotFound
from chalicelib.keys import FixedKeys, Keyring, KeyringError, SigningKey
from chalicelib.paging import CursorCodec

NOW = datetime(2026, 12, 6, 8, tzinfo=UTC)
EPOCH = int(NOW.timestamp())
DAY = 86_400
OLD = Keyring((SigningKey("k1", b"a" * 48, EPOCH - 31 * DAY),))


@dataclass
class Rotating:
    """A keyring source that another container has rotated meanwhile."""

    seen: Keyring
    latest: Keyring
    reads: int = 0

    def keyring(self) -> Keyring:
        return self.seen

    def refreshed(self, *, at_most_every: float = 0.0) -> Keyring:
        self.reads += 1
        self.seen = self.latest
        return self.seen


def test_a_token_signed_before_a_rotation_stays_valid_until_it_expires() -> None:
    token = TokenIssuer(FixedKeys(OLD), 900).issue("CITIZEN1", NOW)
    rotated = OLD.rotated(EPOCH, keep_seconds=40 * DAY)
    issuer = TokenIssuer(FixedKeys(rotated), 900)
    assert issuer.verify(token, NOW).citizen_id == "CITIZEN1"
    fresh = issuer.issue("CITIZEN2", NOW)
    header = json.loads(base64.urlsafe_b64decode(fresh.split(".")[0] + "=="))
    assert header["kid"] == rotated.current.id != "k1"  # new tokens: the new key


def test_a_key_dropped_after_its_keeping_time_opens_nothing() -> None:
    token = TokenIssuer(FixedKeys(OLD), 900).issue("CITIZEN1", NOW)
    once = OLD.rotated(EPOCH, keep_seconds=40 * DAY)
    twice = once.rotated(EPOCH + 50 * DAY, keep_seconds=40 * DAY)
    assert [k.id for k in twice.keys][1:] == [once.current.id]  # k1 is gone
    with pytest.raises(TokenError):
        TokenIssuer(FixedKeys(twice), 900).verify(token, NOW)


def test_a_container_that_missed_a_rotation_reads_the_keyring_again_once() -> None:
    rotated = OLD.rotated(EPOCH, keep_seconds=40 * DAY)
    token = TokenIssuer(FixedKeys(rotated), 900).issue("CITIZEN1", NOW)
    stale = Rotating(seen=OLD, latest=rotated)
    assert TokenIssuer(stale, 900).verify(token, NOW).citizen_id == "CITIZEN1"
    assert stale.reads == 1


def test_a_made_up_key_id_does_not_make_the_container_read_the_secret() -> None:
    """Only an id a rotation could have minted after the current key is worth a read; the
    store itself reads at most every few seconds for those (tests/store)."""
    stale = Rotating(seen=OLD, latest=OLD)
    for kid in ("kzzz", "k1", "k0", f"k{EPOCH - 40 * DAY}", "../etc", "k" + "9" * 13):
        forged = _with_kid(TokenIssuer(FixedKeys(OLD), 900).issue("CITIZEN1", NOW), kid)
        with pytest.raises(TokenError):
            TokenIssuer(stale, 900).verify(forged, NOW)
    assert stale.reads == 0
    newer = _with_kid(TokenIssuer(FixedKeys(OLD), 900).issue("CITIZEN1", NOW), f"k{EPOCH}")
    with pytest.raises(TokenError):
        TokenIssuer(stale, 900).verify(newer, NOW)
    assert stale.reads == 1


def _with_kid(token: str, kid: str) -> str:
    header, rest = token.split(".", 1)
    fields = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
    fields["kid"] = kid
    encoded = base64.urlsafe_b64encode(json.dumps(fields).encode()).rstrip(b"=").decode()
    return f"{encoded}.{rest}"


def test_cursors_carry_their_key_and_survive_a_rotation() -> None:
    cursor = CursorCodec(FixedKeys(OLD)).encode({"pk": "x"}, "scope")
    rotated = CursorCodec(FixedKeys(OLD.rotated(EPOCH, keep_seconds=40 * DAY)))
    assert rotated.decode(cursor, "scope") == {"pk": "x"}
    assert base64.urlsafe_b64decode(cursor + "==").startswith(b"k1.")
    with pytest.raises(NotFound):
        rotated.decode(cursor, "another scope")  # still bound to its query


def test_a_legacy_secret_is_one_key_and_its_cursors_still_open() -> None:
    legacy = Keyring.parse("s" * 64)
    assert [k.id for k in legacy.keys] == ["k0"]
    codec = CursorCodec(b"s" * 64)  # a cursor minted before keys had ids
    payload = b'{"pk":"x"}'
    old_cursor = base64.urlsafe_b64encode(
        payload + codec._mac(legacy.current, payload, "scope")
    ).decode()
    assert CursorCodec(FixedKeys(legacy)).decode(old_cursor, "scope") == {"pk": "x"}


def test_the_keyring_round_trips_through_its_secret_and_refuses_nonsense() -> None:
    ring = OLD.rotated(EPOCH, keep_seconds=40 * DAY)
    assert Keyring.parse(ring.dump()) == ring
    with pytest.raises(KeyringError):
        Keyring.parse('{"keys": [{"id": "BAD ID", "secret": "x"}]}')
    with pytest.raises(KeyringError):
        Keyring.parse('{"keys": []}')
