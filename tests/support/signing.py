"""Signing admin requests as a real SigV4 client does (botocore's signer), at a chosen time."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from devstack.sigv4 import StaffCredential


def signed_headers(
    method: str,
    url: str,
    credential: StaffCredential,
    when: datetime,
    *,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    region: str = "cn-north-1",
    service: str = "execute-api",
) -> dict[str, str]:
    request = AWSRequest(method=method, url=url, data=body, headers=dict(headers or {}))
    signer = SigV4Auth(Credentials(credential.access_key, credential.secret_key), service, region)
    stamp = when.strftime("%Y%m%dT%H%M%SZ")
    request.context["timestamp"] = stamp
    request.headers["X-Amz-Date"] = stamp
    request.headers["Host"] = urlsplit(url).netloc
    canonical = signer.canonical_request(request)
    signature = signer.signature(signer.string_to_sign(request, canonical), request)
    signed = signer.signed_headers(signer.headers_to_sign(request))
    request.headers["Authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={signer.scope(request)}, "
        f"SignedHeaders={signed}, Signature={signature}"
    )
    return dict(request.headers.items())
