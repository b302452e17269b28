"""The built-in (Lambda) authorizer in front of every citizen route.

Deployed, API Gateway calls it with the Authorization header and caches the verdict for the
token; `chalice local` (and so the local stack) runs it for real. How a token is checked is
handed in at wiring time (`app.py` installs the container's token issuer and clock), so this
module depends on nothing above it.
"""

from __future__ import annotations

from collections.abc import Callable

from chalice import AuthResponse, Blueprint
from chalice.app import AuthRequest

from chalicelib.auth.tokens import CitizenClaims, TokenError
from chalicelib.observability import logger

# Named "app": Chalice names a blueprint authorizer's Lambda handler after the blueprint, so
# the deployed authorizer runs `app.citizen_authorizer` — importing app.py, which installs
# the token check — rather than this module alone, where nothing would be installed.
authorizer_bp = Blueprint("app")

Verifier = Callable[[str], CitizenClaims]  # a bearer token's claims, or TokenError
_verifier: list[Verifier] = []


def install(verify: Verifier) -> None:
    """Wiring: how the authorizer checks a token (the last one installed wins)."""
    _verifier[:] = [verify]


class Unauthorized(Exception):
    """Raising an exception with exactly this message makes API Gateway answer 401."""


@authorizer_bp.authorizer(name="citizen_authorizer", ttl_seconds=60)
def citizen_authorizer(auth_request: AuthRequest) -> AuthResponse:
    token = auth_request.token or ""
    scheme, _, value = token.partition(" ")
    if scheme.lower() != "bearer" or not value:
        raise Unauthorized("Unauthorized")
    if not _verifier:
        raise RuntimeError("no token verifier installed (app.py wires one)")
    try:
        claims = _verifier[0](value.strip())
    except TokenError as exc:
        logger.info("citizen token rejected", extra={"reason": str(exc)})
        raise Unauthorized("Unauthorized") from None
    return AuthResponse(
        routes=["*"],
        principal_id=claims.citizen_id,
        context={"citizen_id": claims.citizen_id, "role": "citizen"},
    )
