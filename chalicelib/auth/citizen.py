"""The built-in (Lambda) authorizer in front of every citizen route.

Deployed, API Gateway calls it with the Authorization header and caches the verdict for the
token; `chalice local` (and so the local stack) runs it for real.
"""

from __future__ import annotations

from chalice import AuthResponse, Blueprint
from chalice.app import AuthRequest

from chalicelib.auth.tokens import TokenError
from chalicelib.deps import container
from chalicelib.observability import logger

authorizer_bp = Blueprint(__name__)


class Unauthorized(Exception):
    """Raising an exception with exactly this message makes API Gateway answer 401."""


@authorizer_bp.authorizer(name="citizen_authorizer", ttl_seconds=60)
def citizen_authorizer(auth_request: AuthRequest) -> AuthResponse:
    token = auth_request.token or ""
    scheme, _, value = token.partition(" ")
    if scheme.lower() != "bearer" or not value:
        raise Unauthorized("Unauthorized")
    deps = container()
    try:
        claims = deps.tokens.verify(value.strip(), deps.clock.now())
    except TokenError as exc:
        logger.info("citizen token rejected", extra={"reason": str(exc)})
        raise Unauthorized("Unauthorized") from None
    return AuthResponse(
        routes=["*"],
        principal_id=claims.citizen_id,
        context={"citizen_id": claims.citizen_id, "role": "citizen"},
    )
