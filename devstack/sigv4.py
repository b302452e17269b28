"""SigV4 verification for the local stack's admin routes.

Deployed, API Gateway's IAM authorizer checks signatures. `chalice local` does not (it lets
every request through), so the local stack recomputes each signature with botocore's signer
from the staff credentials it issued, and rejects what API Gateway would reject.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest, HTTPHeaders
from botocore.credentials import Credentials

from chalicelib.clock import Clock

MAX_SKEW_SECONDS = 300
_AUTH = re.compile(
    r"^AWS4-HMAC-SHA256\s+Credential=(?P<key>[^/\s,]+)/(?P<date>\d{8})/(?P<region>[^/\s,]+)/"
    r"(?P<service>[^/\s,]+)/aws4_request,\s*SignedHeaders=(?P<headers>[a-z0-9;_.-]+),\s*"
    r"Signature=(?P<signature>[0-9a-f]{64})$"
)


class SignatureRejected(Exception):
    """The request is unsigned, mis-signed, stale, tampered with, or signed by an unknown key."""


class SignatureMissing(SignatureRejected):
    """No Authorization header at all (API Gateway: MISSING_AUTHENTICATION_TOKEN)."""


@dataclass(frozen=True)
class StaffCredential:
    access_key: str
    secret_key: str
    user_arn: str


class _ExactHeadersSigner(SigV4Auth):
    """botocore's signer, restricted to exactly the headers the client said it signed."""

    def __init__(self, credentials: Credentials, service: str, region: str, signed: list[str]):
        super().__init__(credentials, service, region)
        self._signed = signed

    def headers_to_sign(self, request: AWSRequest) -> HTTPHeaders:
        headers = HTTPHeaders()
        for name in self._signed:
            headers[name] = request.headers.get(name, "")
        return headers


class SigV4Verifier:
    def __init__(
        self,
        credentials: Mapping[str, StaffCredential],
        *,
        region: str,
        clock: Clock,
        service: str = "execute-api",
    ) -> None:
        self._credentials = credentials
        self._region = region
        self._service = service
        self._clock = clock

    def verify(
        self, method: str, raw_path: str, headers: Mapping[str, str], body: bytes
    ) -> StaffCredential:
        """Returns the credential that signed the request, or raises SignatureRejected."""
        lower = {k.lower(): v for k, v in headers.items()}
        if not lower.get("authorization", "").strip():
            raise SignatureMissing("This route needs a SigV4-signed request (no Authorization).")
        match = _AUTH.match(lower.get("authorization", "").strip())
        if not match:
            raise SignatureRejected("Missing or malformed SigV4 Authorization header.")
        amz_date = lower.get("x-amz-date", "")
        try:
            signed_at = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        except ValueError:
            raise SignatureRejected("The X-Amz-Date header is missing or malformed.") from None
        if abs((self._clock.now() - signed_at).total_seconds()) > MAX_SKEW_SECONDS:
            raise SignatureRejected("Signature expired: signed more than 5 minutes from now.")
        if match["date"] != amz_date[:8]:
            raise SignatureRejected("The credential scope date does not match X-Amz-Date.")
        if match["region"] != self._region or match["service"] != self._service:
            raise SignatureRejected(
                f"Credential scope must be {self._region}/{self._service}, "
                f"not {match['region']}/{match['service']}."
            )
        signed = match["headers"].split(";")
        if "host" not in signed or "x-amz-date" not in signed:
            raise SignatureRejected("SignedHeaders must include host and x-amz-date.")
        credential = self._credentials.get(match["key"])
        if credential is None:
            raise SignatureRejected("The security token included in the request is invalid.")
        declared = lower.get("x-amz-content-sha256")
        if declared is not None and declared != hashlib.sha256(body).hexdigest():
            raise SignatureRejected("X-Amz-Content-SHA256 does not match the body.")

        request = AWSRequest(
            method=method.upper(),
            url=f"http://{lower.get('host', '')}{raw_path}",
            data=body,
            headers={name: lower.get(name, "") for name in signed},
        )
        request.context["timestamp"] = amz_date
        signer = _ExactHeadersSigner(
            Credentials(credential.access_key, credential.secret_key),
            self._service,
            self._region,
            signed,
        )
        canonical = signer.canonical_request(request)
        expected = signer.signature(signer.string_to_sign(request, canonical), request)
        if not hmac.compare_digest(expected, match["signature"]):
            raise SignatureRejected(
                "The request signature we calculated does not match the signature you provided."
            )
        return credential
