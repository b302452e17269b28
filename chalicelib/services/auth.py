"""Citizen sign-in: a one-time code by SMS, exchanged for a short-lived access token."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from chalicelib.auth.tokens import TokenIssuer
from chalicelib.clock import Clock
from chalicelib.domain.identity import Citizen, OtpSent, TokenIssued, mask_phone
from chalicelib.domain.sms import SmsMessage
from chalicelib.errors import FieldError, NotAuthenticated, RateLimited
from chalicelib.ids import new_ulid
from chalicelib.keys import LEGACY_ID, KeyringSource, SigningKey, find_key, keys_of
from chalicelib.observability import metrics
from chalicelib.services.reference import ReferenceData
from chalicelib.services.sms import SmsDispatch
from chalicelib.settings import Settings
from chalicelib.store.identity import CitizenStore, OtpStore, RateLimitHit

_REJECTED = "The code is wrong, expired or already used. Request a new code."


class CitizenAuth:
    def __init__(
        self,
        otp: OtpStore,
        citizens: CitizenStore,
        sms: SmsDispatch,
        tokens: TokenIssuer,
        keys: KeyringSource | bytes,
        settings: Settings,
        clock: Clock,
        reference: ReferenceData,
    ) -> None:
        self._reference = reference
        self._otp = otp
        self._citizens = citizens
        self._sms = sms
        self._tokens = tokens
        self._keys = keys_of(keys)
        self._settings = settings
        self._clock = clock

    @staticmethod
    def _derived(key: SigningKey) -> bytes:
        return hmac.new(key.secret, b"bianmin-otp-v1", hashlib.sha256).digest()

    def _source(self, source_ip: str) -> str:
        """A client address as stored: keyed, so the table holds no IP addresses."""
        key = self._derived(self._keys.keyring().current)
        return hmac.new(key, f"ip|{source_ip}".encode(), hashlib.sha256).hexdigest()[:32]

    def _hash(self, phone: str, code: str, key: SigningKey | None = None) -> str:
        """`<key id>:<hmac>`: the stored hash names the key it was made with, so a code sent
        just before a rotation is still checked with that key after it."""
        key = key or self._keys.keyring().current
        digest = hmac.new(self._derived(key), f"{phone}|{code}".encode(), hashlib.sha256)
        return f"{key.id}:{digest.hexdigest()}"

    def _matches(self, stored_hash: str, phone: str, code: str) -> bool:
        key_id, _, _ = stored_hash.rpartition(":")  # none: stored before keys had ids
        key = find_key(self._keys, key_id or LEGACY_ID)
        if key is None:  # its key has left the keyring: long expired anyway
            return False
        expected = self._hash(phone, code, key)
        if not key_id:
            expected = expected.partition(":")[2]
        return hmac.compare_digest(stored_hash, expected)

    def send_code(self, phone: str, source_ip: str) -> OtpSent:
        """Sends a fresh six-digit code to `phone`, at most once a minute and a few times an
        hour per phone, and a bounded number an hour per client address (whatever the
        phones: nobody makes the county pay for texts to thousands of numbers); a new code
        replaces the previous one."""
        s = self._settings
        now = self._clock.now()
        epoch = int(now.timestamp())
        code = f"{secrets.randbelow(1_000_000):06d}"
        try:
            self._otp.save_code(
                phone,
                self._hash(phone, code),
                now=epoch,
                expires_at=epoch + s.otp_ttl_seconds,
                resend_after=s.otp_resend_seconds,
                window=now.strftime("%Y%m%d%H"),
                max_per_window=s.otp_max_per_hour,
                source=self._source(source_ip),
                max_per_source=s.otp_max_per_source_hour,
            )
        except RateLimitHit as hit:
            if hit.reason in ("hourly", "source"):
                wait = 3600 - (epoch % 3600)
                whom = "this phone" if hit.reason == "hourly" else "this network address"
                detail = f"Too many codes for {whom} this hour; try again in {wait} s."
            else:
                wait = s.otp_resend_seconds
                detail = f"A code was sent less than {wait} s ago; wait before asking again."
            metrics.add_metric(name="SignInCodeRateLimited", unit="Count", value=1)
            raise RateLimited(detail, retry_after_seconds=wait) from None
        minutes = max(1, s.otp_ttl_seconds // 60)
        # A citizen signs in to the platform, not to a county: the platform's signature.
        signature = self._reference.platform().sms_signature
        expires = now + timedelta(seconds=s.otp_ttl_seconds)
        self._sms.dispatch(SmsMessage.sign_in_code(phone, signature, code, minutes, expires))
        metrics.add_metric(name="SignInCodeSent", unit="Count", value=1)
        return OtpSent(
            phone=mask_phone(phone),
            expires_in=s.otp_ttl_seconds,
            resend_after=s.otp_resend_seconds,
        )

    def exchange(self, phone: str, code: str) -> TokenIssued:
        """Trades a valid code for an access token; creates the citizen on first sign-in."""
        now = self._clock.now()
        epoch = int(now.timestamp())
        stored = self._otp.current(phone)
        rejected = NotAuthenticated(_REJECTED, errors=[FieldError("body.code", _REJECTED, "otp")])
        if (
            stored is None
            or stored.used
            or stored.expires_at <= epoch
            or stored.attempts >= self._settings.otp_max_attempts
        ):
            raise rejected
        if not self._matches(stored.code_hash, phone, code):
            self._otp.record_failure(phone, stored.code_hash)
            raise rejected
        if not self._otp.consume(
            phone, stored.code_hash, now=epoch, max_attempts=self._settings.otp_max_attempts
        ):
            raise rejected
        metrics.add_metric(name="CitizenSignedIn", unit="Count", value=1)
        citizen = self._citizens.by_phone(phone) or self._citizens.create(
            Citizen(citizen_id=new_ulid(now), phone=phone, created_at=now.isoformat())
        )
        return TokenIssued(
            access_token=self._tokens.issue(citizen.citizen_id, now),
            expires_in=self._tokens.ttl_seconds,
        )
