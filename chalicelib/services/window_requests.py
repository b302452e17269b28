"""Requests (诉求) filed at a service hall for a walk-in visitor (channel `window`) or by the
citizen at a self-service terminal (channel `terminal`). The scanned papers are the desk's
own uploads (POST /admin/uploads, checked by the same scan consumer), attached as photos."""

from __future__ import annotations

from typing import Self

from chalicelib.auth.tokens import TokenIssuer
from chalicelib.domain.identity import StaffMember
from chalicelib.domain.request_api import RequestView
from chalicelib.domain.request_parts import Channel
from chalicelib.domain.window import WindowRequestCreate, desk_keys
from chalicelib.services.idempotency import Idempotent
from chalicelib.services.request_cases import Filer
from chalicelib.services.request_filing import RequestFiling
from chalicelib.services.window_visitors import walk_in

DESK_QUOTA_SCALE = 50  # a hall files for many visitors a day


class WindowRequests(RequestFiling):
    _tokens: TokenIssuer | None = None

    def with_tokens(self, tokens: TokenIssuer) -> Self:
        """The citizens' token issuer, to check who signed in at a terminal."""
        self._tokens = tokens
        return self

    def file_for_visitor(
        self, staff: StaffMember, body: WindowRequestCreate, key: str | None, fingerprint: str
    ) -> tuple[RequestView, bool]:
        """Files it as the visitor's own request (their citizen record created if the phone
        never signed in), in the hall's county; a retry with the same Idempotency-Key
        answers with the first one (False)."""
        if self._tokens is None:
            raise RuntimeError("WindowRequests needs with_tokens()")
        walk = walk_in(
            staff, body.visitor, body.citizen_token, self._citizens, self._tokens, self._clock
        )
        uploads = desk_keys(staff)
        filer = Filer(
            owner_id=walk.citizen_id,
            owner_phone=walk.phone,
            actor=walk.actor,
            channel=Channel(walk.channel),
            upload_owner=uploads,
            quota_owner=uploads,
            quota_scale=DESK_QUOTA_SCALE,
            county=staff.county,
            hall=walk.hall,
            own_quota=walk.channel == "terminal",  # the citizen files: their own quota too
            served=walk.served,
        )
        return self.file(filer, body, Idempotent.of(uploads, key, fingerprint), viewer="staff")
