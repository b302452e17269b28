"""Scheduled upkeep: the signing keys' rotation."""

from __future__ import annotations

from chalice import Blueprint, Rate
from chalice.app import CloudWatchEvent

from chalicelib.deps import container
from chalicelib.observability import logger

bp = Blueprint(__name__)

ROTATE_EVERY_SECONDS = 30 * 86_400
# A key stays accepted this long after it stopped signing: longer than any token (a
# dashboard link: 8 hours) and than a listing a client pages through; older cursors end.
KEEP_SECONDS = 40 * 86_400


@bp.schedule(Rate(1, unit=Rate.DAYS), name="rotate_signing_keys")
def rotate_signing_keys(event: CloudWatchEvent) -> None:
    """Checks daily and rotates the signing key every 30 days; the previous keys are still
    accepted for 40 days, so nobody is logged out and no listing breaks."""
    deps = container()
    now = int(deps.clock.now().timestamp())
    rotated = deps.signing_keys.rotate_if_due(now, ROTATE_EVERY_SECONDS, KEEP_SECONDS)
    logger.info("signing keys", extra={"rotated": rotated})
