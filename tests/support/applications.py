"""Building applications in tests: valid applicants, files, and uploads through S3."""

from __future__ import annotations

import hashlib
from typing import Any

from chalicelib.deps import container
from chalicelib.domain.applicant import credit_code_check_char, id_card_check_digit
from tests.conftest import ApiClient, body

SME = "370830-QR-0001"
COMPANY = "370830-XK-0001"
PDF = b"%PDF-1.7\n" + b"licence scan " * 200 + b"\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 500


def credit_code(first17: str = "91370830MA3C4B5F1") -> str:
    return first17 + credit_code_check_char(first17)


def id_number(first17: str = "37083019900101123") -> str:
    return first17 + id_card_check_digit(first17)


def enterprise(**overrides: Any) -> dict[str, Any]:
    return {
        "kind": "enterprise",
        "name": "山东凯鲁建设工程有限公司",
        "credit_code": credit_code(),
        "legal_representative": "赵成凯",
        "contact": {"name": "赵成凯", "phone": "13953700002"},
        **overrides,
    }


def person(**overrides: Any) -> dict[str, Any]:
    return {
        "kind": "person",
        "name": "庞凯",
        "id_number": id_number(),
        "phone": "13953700003",
        **overrides,
    }


def mail_delivery() -> dict[str, Any]:
    return {
        "method": "mail",
        "address": {
            "recipient": "赵成凯",
            "phone": "13953700002",
            "detail": "泰安市泰山区招标中心 3 楼",
        },
    }


def document_request(material: str, body: bytes = PDF, **overrides: Any) -> dict[str, Any]:
    return {
        "material_code": material,
        "filename": f"{material}.pdf",
        "content_type": "application/pdf",
        "size": len(body),
        "sha256": hashlib.sha256(body).hexdigest(),
        **overrides,
    }


def create(api: ApiClient, token: str, service: str = SME, **overrides: Any) -> dict[str, Any]:
    payload = {"service_code": service, "applicant": enterprise(), "delivery": mail_delivery()}
    payload.update(overrides)
    response = api.post("/applications", json_body=payload, token=token)
    assert response.status_code == 201, response.body
    return body(response)


def upload(
    api: ApiClient,
    aws: Any,
    pump: Any,
    token: str,
    case_id: str,
    material: str,
    content: bytes = PDF,
    **overrides: Any,
) -> dict[str, Any]:
    """Registers a document, puts the bytes where the presigned POST points, and lets the
    scan consumer check it (moto's S3 notifies the queue as S3 does)."""
    request = (
        document_request(material, **overrides)
        if overrides
        else document_request(material, content)
    )
    response = api.post(f"/applications/{case_id}/documents", json_body=request, token=token)
    assert response.status_code == 201, response.body
    created = body(response)
    fields = created["upload"]["fields"]
    aws.client("s3").put_object(
        Bucket=container().settings.documents_bucket,
        Key=fields["key"],
        Body=content,
        ContentType=fields["Content-Type"],
    )
    pump.drain()
    return created


def ready_sme(api: ApiClient, aws: Any, pump: Any, token: str) -> str:
    case = create(api, token)
    for material in ("licence", "audit"):
        upload(api, aws, pump, token, case["id"], material)
    return str(case["id"])
