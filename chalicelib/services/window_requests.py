"""Requests (诉求) filed at a service hall for a walk-in visitor (channel `window`) or by the
citizen at a self-service terminal (channel `terminal`). The scanned papers are the desk's
own uploads (POST /admin/uploads, checked by the same scan consumer), attached as photos.
Its printed receipt (受理回执) is issued as it is filed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Self

from chalicelib.auth.tokens import TokenIssuer
from chalicelib.domain.identity import StaffMember
from chalicelib.domain.moves import Actor
from chalicelib.domain.request_api import RequestView
from chalicelib.domain.request_parts import Channel
from chalicelib.domain.window import WindowRequestCreate, desk_keys
from chalicelib.services.idempotency import Idempotent
from chalicelib.services.request_cases import Filer
from chalicelib.services.request_filing import RequestFiling
from chalicelib.services.window_visitors import walk_in

if TYPE_CHECKING:
    from chalicelib.services.receipts import Receipts

DESK_QUOTA_SCALE = 50  # a hall files for many visitors a day


class WindowRequests(RequestFiling):
    _tokens: TokenIssuer | None = None
    _receipts: Receipts | None = None

    def with_tokens(self, tokens: TokenIssuer) -> Self:
        """The citizens' token issuer, to check who signed in at a terminal."""
        self._tokens = tokens
        return self

    def print_receipts_with(self, receipts: Receipts) -> Self:
        """The walk-in receipts: a filed request's printed receipt is issued as it is filed."""
        self._receipts = receipts
        return self

    def file_for_visitor(
        self, staff: StaffMember, body: WindowRequestCreate, key: str | None, fingerprint: str
    ) -> tuple[RequestView, bool]:
        """Files it as the visitor's own request (their citizen record created if the phone
        never signed in), in the hall's county; a retry with the same Idempotency-Key
        answers with the first one (False). Its printed receipt is issued then (a retry
        issues it if the first attempt did not)."""
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
        retry = Idempotent.of(uploads, key, fingerprint)
        view, fresh = self.file(filer, body, retry, viewer="staff")
        self._print_receipt(view.request_id, walk.actor)
        return view, fresh

    def _print_receipt(self, request_id: str, by: Actor) -> None:
        """The filed request's printed receipt, once (after its write, like an application's)."""
        if self._receipts is None:
            return
        loaded = self._store.load(request_id)
        if loaded is not None:
            self._receipts.issue_printed_request(*loaded, by)
