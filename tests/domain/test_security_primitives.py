"""Tokens, cursors and SigV4 verification, with injected clocks and no AWS."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.auth.tokens import TokenError, TokenIssuer
from chalicelib.clock import FixedClock
from chalicelib.errors import NotFound
from chalicelib.paging import CursorCodec
from devstack.sigv4 import SignatureRejected, SigV4Verifier, StaffCredential
from tests.support.signing import signed_headers

NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
KEY = b"k" * 48


def test_tokens_verify_until_they_expire() -> None:
    issuer = TokenIssuer(KEY, ttl_seconds=900)
    token = issuer.issue("CITIZEN1", NOW)
    assert issuer.verify(token, NOW + timedelta(seconds=899)).citizen_id == "CITIZEN1"
    with pytest.raises(TokenError):
        issuer.verify(token, NOW + timedelta(seconds=900))


def test_tokens_from_another_key_or_tampered_are_refused() -> None:
    token = TokenIssuer(KEY, 900).issue("CITIZEN1", NOW)
    with pytest.raises(TokenError):
        TokenIssuer(b"x" * 48, 900).verify(token, NOW)
    head, payload, signature = token.split(".")
    with pytest.raises(TokenError):
        TokenIssuer(KEY, 900).verify(f"{head}.{payload}x.{signature}", NOW)


def test_cursors_round_trip_only_within_their_scope() -> None:
    codec = CursorCodec(KEY)
    cursor = codec.encode({"after": "370830-QR-0001"}, "services|a")
    assert codec.decode(cursor, "services|a") == {"after": "370830-QR-0001"}
    for bad_scope, bad_cursor in [("services|b", cursor), ("services|a", cursor[:-2] + "AA")]:
        with pytest.raises(NotFound):
            codec.decode(bad_cursor, bad_scope)
    with pytest.raises(NotFound):
        codec.decode("!!!", "services|a")
    with pytest.raises(NotFound):
        CursorCodec(b"y" * 48).decode(cursor, "services|a")


CREDENTIAL = StaffCredential("AKIALOCAL00000000001", "s" * 40, "arn:aws:iam::123456789012:user/a")


def _verifier(now: datetime = NOW) -> SigV4Verifier:
    return SigV4Verifier(
        {CREDENTIAL.access_key: CREDENTIAL}, region="cn-north-1", clock=FixedClock(now)
    )


def _verify(url: str, headers: dict[str, str], body: bytes = b"", method: str = "GET") -> None:
    path = url.split("localhost", 1)[1]
    _verifier().verify(method, path, headers, body)


def test_a_botocore_signature_verifies_including_query_and_unicode() -> None:
    url = "http://localhost/services?q=%E8%B7%AF%E7%81%AF&limit=5"
    _verify(url, signed_headers("GET", url, CREDENTIAL, NOW))
    body = '{"name": "中小微"}'.encode()
    url = "http://localhost/admin/services/370830-QR-0001"
    headers = signed_headers(
        "PUT", url, CREDENTIAL, NOW, body=body, headers={"Content-Type": "application/json"}
    )
    _verify(url, headers, body, method="PUT")


@pytest.mark.parametrize(
    "tamper",
    [
        "body",
        "method",
        "path",
        "query",
        "region",
        "stale",
        "future",
        "no-date",
        "unknown-key",
        "content-sha",
    ],
)
def test_tampered_or_stale_requests_are_rejected(tamper: str) -> None:
    url = "http://localhost/admin/me?x=1"
    body = b'{"a":1}'
    when = {"stale": NOW - timedelta(seconds=301), "future": NOW + timedelta(seconds=301)}.get(
        tamper, NOW
    )
    credential = (
        StaffCredential("AKIAOTHER0000000000X", "s" * 40, "arn:aws:iam::1:user/b")
        if tamper == "unknown-key"
        else CREDENTIAL
    )
    region = "us-east-1" if tamper == "region" else "cn-north-1"
    extra = {"X-Amz-Content-SHA256": "0" * 64} if tamper == "content-sha" else {}
    headers = signed_headers("POST", url, credential, when, body=body, region=region, headers=extra)
    method, path, sent = "POST", "/admin/me?x=1", body
    if tamper == "body":
        sent = b'{"a":2}'
    elif tamper == "method":
        method = "PUT"
    elif tamper == "path":
        path = "/admin/you?x=1"
    elif tamper == "query":
        path = "/admin/me?x=2"
    elif tamper == "no-date":
        headers.pop("X-Amz-Date")
    with pytest.raises(SignatureRejected):
        _verifier().verify(method, path, headers, sent)


def test_missing_or_malformed_authorization_is_rejected() -> None:
    for headers in (
        {},
        {"Authorization": "Bearer x"},
        {"Authorization": "AWS4-HMAC-SHA256 nonsense"},
    ):
        with pytest.raises(SignatureRejected):
            _verifier().verify("GET", "/admin/me", headers, b"")


def test_token_times_follow_the_injected_clock_not_the_wall_clock() -> None:
    future = datetime(2030, 1, 1, tzinfo=UTC)
    issuer = TokenIssuer(KEY, ttl_seconds=900)
    assert issuer.verify(issuer.issue("C", future), future).citizen_id == "C"
    with pytest.raises(TokenError):
        issuer.verify(issuer.issue("C", future), future - timedelta(minutes=5))


def test_ids_made_in_one_millisecond_sort_in_creation_order() -> None:
    from chalicelib.ids import new_ulid

    ids = [new_ulid(NOW) for _ in range(50)]
    assert ids == sorted(ids) and len(set(ids)) == 50
    assert new_ulid(NOW + timedelta(milliseconds=1)) > ids[-1]
