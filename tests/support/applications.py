"""Building applications in tests: valid applicants, files, and uploads through S3."""

from __future__ import annotations

import hashlib
from typing import Any

from chalicelib.domain.applicant import credit_code_check_char, id_card_check_digit

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
