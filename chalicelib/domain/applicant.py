"""Who applies: a person (ID card, GB 11643) or an enterprise (unified social credit code,
GB 32100), with the check digits verified, and how the result is delivered."""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints, WithJsonSchema

from chalicelib.domain.common import Name, Strict
from chalicelib.domain.identity import Phone, mask_phone
from chalicelib.domain.redaction import redact

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def id_card_check_digit(first17: str) -> str:
    return _ID_CHECK[sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


ID_CARD_PATTERN = r"^[0-9]{17}[0-9Xx]$"
CREDIT_CODE_PATTERN = r"^[0-9A-HJ-NP-RTUW-Ya-hj-np-rtuw-y]{18}$"


def _id_card(value: str) -> str:
    value = value.upper()
    if len(value) != 18 or not re.fullmatch(r"[0-9]{17}[0-9X]", value):
        raise ValueError("an ID card number has 17 digits and a check digit (0-9 or X)")
    try:
        date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise ValueError("the ID card number holds an impossible birth date") from None
    if id_card_check_digit(value[:17]) != value[17]:
        raise ValueError("the ID card number's check digit is wrong (GB 11643)")
    return value


def credit_code_check_char(first17: str) -> str:
    total = sum(_USCC_ALPHABET.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return _USCC_ALPHABET[(31 - total % 31) % 31]


def _credit_code(value: str) -> str:
    value = value.upper()
    if len(value) != 18 or any(c not in _USCC_ALPHABET for c in value):
        raise ValueError(
            "a unified social credit code has 18 characters from 0-9 and A-Y without I, O, S, V, Z"
        )
    if credit_code_check_char(value[:17]) != value[17]:
        raise ValueError("the credit code's check character is wrong (GB 32100)")
    return value


# Check digits cannot be written as a pattern: the OpenAPI document names the standard as the
# string's format and states the shape in words. (A pattern beside the format would have
# fuzzers draw from the pattern alone; with the format alone, one that knows the format —
# tests/schemathesis_hooks.py — generates valid numbers.)
IdCardNumber = Annotated[
    str,
    StringConstraints(pattern=ID_CARD_PATTERN),
    AfterValidator(_id_card),
    WithJsonSchema(
        {
            "type": "string",
            "format": "gb11643",
            "description": "Resident ID card number (GB 11643): 18 characters, 17 digits "
            "holding a real birth date and a check digit (0-9 or X)",
        }
    ),
]
CreditCode = Annotated[
    str,
    StringConstraints(pattern=CREDIT_CODE_PATTERN),
    AfterValidator(_credit_code),
    WithJsonSchema(
        {
            "type": "string",
            "format": "gb32100",
            "description": "Unified social credit code (GB 32100): 18 characters from 0-9 and "
            "A-Y without I, O, S, V, Z, the last a check character",
        }
    ),
]


def mask_id(value: str) -> str:
    return value[:6] + "********" + value[-4:]


class Person(Strict):
    kind: Literal["person"]
    name: Name
    id_number: IdCardNumber
    phone: Phone

    def masked(self) -> Person:
        return self.model_copy(
            update={
                "name": redact(self.name),
                "id_number": mask_id(self.id_number),
                "phone": mask_phone(self.phone),
            }
        )


class Contact(Strict):
    name: Name
    phone: Phone


class Enterprise(Strict):
    kind: Literal["enterprise"]
    name: Name
    credit_code: CreditCode
    legal_representative: Name
    contact: Contact

    def masked(self) -> Enterprise:
        contact = self.contact.model_copy(
            update={"name": redact(self.contact.name), "phone": mask_phone(self.contact.phone)}
        )
        return self.model_copy(
            update={
                "name": redact(self.name),
                "legal_representative": redact(self.legal_representative),
                "contact": contact,
            }
        )


Applicant = Annotated[Person | Enterprise, Field(discriminator="kind")]


class Address(Strict):
    recipient: Name
    phone: Phone
    province: Name | None = Field(default=None, description="Default: the case's county's")
    city: Name | None = Field(default=None, description="Default: the case's county's")
    county: Name | None = Field(default=None, description="Default: the case's county")
    detail: Annotated[str, StringConstraints(min_length=4, max_length=300)]
    postcode: Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")] | None = None


class MailDelivery(Strict):
    method: Literal["mail"]
    address: Address

    def masked(self) -> MailDelivery:
        a = self.address
        address = a.model_copy(
            update={
                "phone": mask_phone(a.phone),
                **{
                    f: redact(getattr(a, f)) if getattr(a, f) else getattr(a, f)
                    for f in ("recipient", "province", "city", "county")
                },
                "detail": redact(a.detail),
            }
        )
        return self.model_copy(update={"address": address})


class CollectedDelivery(Strict):
    """Picked up at the window, or delivered as an electronic certificate: no address."""

    method: Literal["pickup", "electronic"]

    def masked(self) -> CollectedDelivery:
        return self


Delivery = Annotated[MailDelivery | CollectedDelivery, Field(discriminator="method")]


class ApplicantKind(StrEnum):
    PERSON = "person"
    ENTERPRISE = "enterprise"
