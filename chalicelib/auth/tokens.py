"""Citizen access tokens: short-lived HS256 JWTs issued by this API."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from chalicelib.keys import LEGACY_ID, KeyringSource, find_key, keys_of

ISSUER = "bianmin"
AUDIENCE = "bianmin-citizen"
DASHBOARD_AUDIENCE = "bianmin-dashboard"


@dataclass(frozen=True)
class CitizenClaims:
    citizen_id: str
    expires_at: int

    @property
    def subject(self) -> str:
        return self.citizen_id


class TokenError(Exception):
    """The token is missing, malformed, expired or not ours."""


class TokenIssuer:
    """Signs with the keyring's current key (its id in the header's `kid`) and verifies with
    whichever key the token names, so tokens signed before a rotation stay valid until they
    expire."""

    def __init__(
        self, keys: KeyringSource | bytes, ttl_seconds: int, audience: str = AUDIENCE
    ) -> None:
        self._keys = keys_of(keys)
        self.ttl_seconds = ttl_seconds
        self._audience = audience

    def issue(self, citizen_id: str, now: datetime) -> str:
        issued = int(now.timestamp())
        claims = {
            "iss": ISSUER,
            "aud": self._audience,
            "sub": citizen_id,
            "iat": issued,
            "nbf": issued,
            "exp": issued + self.ttl_seconds,
            "jti": secrets.token_urlsafe(12),
        }
        import jwt  # on first use: PyJWT (and the urllib.request it pulls in) is no part of
        # a cold start that signs and checks no token, such as /health's

        key = self._keys.keyring().current
        return jwt.encode(claims, key.secret, algorithm="HS256", headers={"kid": key.id})

    def verify(self, token: str, now: datetime) -> CitizenClaims:
        import jwt  # on first use, as in issue()

        try:
            key_id = jwt.get_unverified_header(token).get("kid", LEGACY_ID)
        except jwt.PyJWTError as exc:
            raise TokenError(str(exc)) from None
        key = find_key(self._keys, str(key_id))
        if key is None:
            raise TokenError("signed with a key this API no longer accepts")
        try:
            claims = jwt.decode(
                token,
                key.secret,
                algorithms=["HS256"],
                audience=self._audience,
                issuer=ISSUER,
                options={
                    "require": ["exp", "iat", "sub", "aud", "iss"],
                    # Time claims are checked below against the injected clock.
                    "verify_exp": False,
                    "verify_nbf": False,
                    "verify_iat": False,
                },
            )
        except jwt.PyJWTError as exc:
            raise TokenError(str(exc)) from None
        # Expiry is checked against the injected clock, not jwt's own wall clock.
        moment = now.timestamp()
        not_before = max(int(claims["iat"]), int(claims.get("nbf", 0)))
        if int(claims["exp"]) <= moment or not_before > moment + 60:
            raise TokenError("token expired or not yet valid")
        return CitizenClaims(citizen_id=str(claims["sub"]), expires_at=int(claims["exp"]))
