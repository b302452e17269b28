"""Checks each uploaded document when S3 reports it: the real type by its magic bytes, the
size and the SHA-256 the applicant declared. S3's own checks are not relied on (and moto
does not enforce presigned-POST conditions at all)."""

from __future__ import annotations

import hashlib
from typing import Any

from chalicelib.clock import Clock
from chalicelib.domain.application_parts import Document, DocumentStatus
from chalicelib.domain.moves import SYSTEM
from chalicelib.observability import logger, metrics
from chalicelib.services.application_steps import material_name
from chalicelib.services.cases import event
from chalicelib.store.cases import CaseStore
from chalicelib.store.documents import DocumentStorage, parse_key, parse_upload_key
from chalicelib.store.requests import RequestStore

MAGIC = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
}


def sniff(body: bytes) -> str | None:
    for content_type, signatures in MAGIC.items():
        if any(body.startswith(s) for s in signatures):
            return content_type
    return None


def verdict(document: Document, body: bytes, size: int) -> str | None:
    """None when the file is what was declared; otherwise why not."""
    if size != document.size:
        return f"size is {size} bytes, {document.size} were declared"
    if hashlib.sha256(body).hexdigest() != document.sha256:
        return "SHA-256 does not match the declared checksum"
    actual = sniff(body)
    if actual != document.content_type:
        return f"the file is {actual or 'not a PDF, JPEG or PNG'}, not {document.content_type}"
    return None


class DocumentScanner:
    def __init__(
        self, cases: CaseStore, requests: RequestStore, storage: DocumentStorage, clock: Clock
    ) -> None:
        self._cases = cases
        self._requests = requests
        self._storage = storage
        self._clock = clock

    def handle_s3_event(self, message: dict[str, Any]) -> int:
        """Processes one S3 notification (an SQS message body); returns documents checked.
        Test events and objects that are not pending documents are ignored, so redelivery is
        harmless."""
        checked = 0
        for record in message.get("Records", []):
            if not str(record.get("eventName", "")).startswith("ObjectCreated"):
                continue
            s3 = record.get("s3", {})
            key = s3.get("object", {}).get("key", "")
            version = s3.get("object", {}).get("versionId")
            checked += self.check(key, version)
        return checked

    def check(self, key: str, version_id: str | None) -> int:
        from urllib.parse import unquote_plus

        upload = parse_upload_key(unquote_plus(key))
        if upload is not None:
            return self._check_upload(unquote_plus(key), *upload, version_id)
        parsed = parse_key(unquote_plus(key))
        if parsed is None:
            return 0
        case_id, document_id = parsed
        document = self._cases.document(case_id, document_id)
        if document is None or document.status is not DocumentStatus.PENDING:
            return 0
        stored = self._storage.read(unquote_plus(key), version_id)
        if stored is None:
            return 0
        reason = verdict(document, stored.body, stored.size)
        now = self._clock.now()
        checked = document.model_copy(
            update={
                "status": DocumentStatus.REJECTED if reason else DocumentStatus.CLEAN,
                "reason": reason,
                "checked_at": now,
                "version_id": stored.version_id,
            }
        )
        app = self._cases.application(case_id)
        name = material_name(app, document.material_code) if app else document.material_code
        note = event(
            self._clock,
            "document_rejected" if reason else "document_checked",
            f"材料{'未通过检查' if reason else '已上传并通过检查'}：{name}",
            f"Document {'rejected' if reason else 'received and checked'}: {document.filename}",
            SYSTEM,
            comment=reason,
            at=now,
            document_id=document_id,
            material_code=document.material_code,
        )
        if self._cases.update_document(case_id, checked, DocumentStatus.PENDING, note):
            metrics.add_metric(
                name="DocumentRejected" if reason else "DocumentClean", unit="Count", value=1
            )
            logger.info("document checked", extra={"clean": reason is None})
            return 1
        return 0

    def _check_upload(self, key: str, owner: str, document_id: str, version: str | None) -> int:
        document = self._requests.upload(owner, document_id)
        if document is None or document.status is not DocumentStatus.PENDING:
            return 0
        stored = self._storage.read(key, version)
        if stored is None:
            return 0
        reason = verdict(document, stored.body, stored.size)
        checked = document.model_copy(
            update={
                "status": DocumentStatus.REJECTED if reason else DocumentStatus.CLEAN,
                "reason": reason,
                "checked_at": self._clock.now(),
                "version_id": stored.version_id,
            }
        )
        if self._requests.update_upload(owner, checked, DocumentStatus.PENDING):
            metrics.add_metric(
                name="DocumentRejected" if reason else "DocumentClean", unit="Count", value=1
            )
            return 1
        return 0
