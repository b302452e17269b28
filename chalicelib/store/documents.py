"""Uploaded documents in S3: presigned POST forms in, short-lived presigned GETs out.

Objects live under cases/<case id>/<document id> (application materials) and
uploads/<owner>/<document id> (request photos): no names or ID numbers in keys.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from chalicelib.resources import UPLOAD_CLAIMED, UPLOAD_STATE_TAG
from chalicelib.store.clients import AwsClients

UPLOAD_SECONDS = 900
DOWNLOAD_SECONDS = 300
READ_LIMIT = 25 * 1024 * 1024


def object_key(case_id: str, document_id: str) -> str:
    return f"cases/{case_id}/{document_id}"


def upload_key(owner: str, document_id: str) -> str:
    """Photos uploaded before they are attached to a request (or a reply, or a visit)."""
    return f"uploads/{owner}/{document_id}"


def parse_upload_key(key: str) -> tuple[str, str] | None:
    parts = key.split("/")
    if len(parts) == 3 and parts[0] == "uploads":
        return parts[1], parts[2]
    return None


def parse_key(key: str) -> tuple[str, str] | None:
    parts = key.split("/")
    if len(parts) == 3 and parts[0] == "cases":
        return parts[1], parts[2]
    return None


@dataclass(frozen=True)
class UploadForm:
    url: str
    fields: dict[str, str]
    expires_in: int


@dataclass(frozen=True)
class StoredObject:
    body: bytes
    size: int
    version_id: str | None


class DocumentStorage:
    def __init__(self, clients: AwsClients, bucket: str) -> None:
        self._clients = clients
        self._bucket = bucket

    @property
    def _s3(self) -> Any:
        return self._clients.client("s3")

    def upload_form(
        self, key: str, content_type: str, size: int, sha256_hex: str, *, unclaimed: bool = False
    ) -> UploadForm:
        """A POST form S3 accepts only for exactly `size` bytes of `content_type` whose SHA-256
        is `sha256_hex` (S3 checks the checksum; the scan consumer re-checks everything).
        `unclaimed`: the object is tagged so (a photo before a request takes it), and the
        bucket's lifecycle deletes it unless `claim` retags it."""
        checksum = base64.b64encode(bytes.fromhex(sha256_hex)).decode()
        fields = {
            "Content-Type": content_type,
            "x-amz-checksum-algorithm": "SHA256",
            "x-amz-checksum-sha256": checksum,
        }
        if unclaimed:
            fields["tagging"] = _tagging(*UPLOAD_STATE_TAG)
        conditions: list[Any] = [
            ["content-length-range", size, size],
            *({name: value} for name, value in fields.items()),
        ]
        post = self._s3.generate_presigned_post(
            Bucket=self._bucket,
            Key=key,
            Fields=fields,
            Conditions=conditions,
            ExpiresIn=UPLOAD_SECONDS,
        )
        return UploadForm(url=post["url"], fields=dict(post["fields"]), expires_in=UPLOAD_SECONDS)

    def download_url(
        self, key: str, filename: str, content_type: str, version_id: str | None = None
    ) -> str:
        """A GET link valid for five minutes, pinned to the object version that was checked."""
        params = {
            "Bucket": self._bucket,
            "Key": key,
            "ResponseContentType": content_type,
            "ResponseContentDisposition": f"attachment; filename*=UTF-8''{_quote(filename)}",
        }
        if version_id:
            params["VersionId"] = version_id
        return str(
            self._s3.generate_presigned_url("get_object", Params=params, ExpiresIn=DOWNLOAD_SECONDS)
        )

    def claim(self, key: str, version_id: str | None) -> None:
        """Marks the (checked version of the) upload at `key` as taken by a case: the
        lifecycle rule for unclaimed uploads no longer applies to it."""
        kwargs: dict[str, Any] = {
            "Bucket": self._bucket,
            "Key": key,
            "Tagging": {"TagSet": [{"Key": UPLOAD_STATE_TAG[0], "Value": UPLOAD_CLAIMED}]},
        }
        if version_id:
            kwargs["VersionId"] = version_id
        self._s3.put_object_tagging(**kwargs)

    def put(self, key: str, body: bytes, content_type: str) -> None:
        self._s3.put_object(Bucket=self._bucket, Key=key, Body=body, ContentType=content_type)

    def read(self, key: str, version_id: str | None = None) -> StoredObject | None:
        kwargs: dict[str, Any] = {
            "Bucket": self._bucket,
            "Key": key,
            "Range": f"bytes=0-{READ_LIMIT}",
        }
        if version_id:
            kwargs["VersionId"] = version_id
        try:
            response = self._s3.get_object(**kwargs)
        except self._s3.exceptions.NoSuchKey:
            return None
        body = response["Body"].read()
        total = response.get("ContentRange", "").rpartition("/")[2]
        size = int(total) if total.isascii() and total.isdigit() else len(body)
        return StoredObject(body=body, size=size, version_id=response.get("VersionId"))


def _tagging(key: str, value: str) -> str:
    """One tag as a POST form's `tagging` field (S3's XML)."""
    return f"<Tagging><TagSet><Tag><Key>{key}</Key><Value>{value}</Value></Tag></TagSet></Tagging>"


def _quote(filename: str) -> str:
    from urllib.parse import quote

    return quote(filename, safe="")
