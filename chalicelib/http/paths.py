"""Path parameters as the API hands them out: the OpenAPI document states each one's form,
and an address no resource could have is a 404 before any lookup."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from chalicelib.domain.common import Strict

# Crockford base32 ULIDs (chalicelib/ids.py): 48-bit time first, so the first character is 0-7.
ULID_PATTERN = r"^[0-7][0-9A-HJKMNP-TV-Z]{25}$"
Ulid = Annotated[str, StringConstraints(pattern=ULID_PATTERN)]
TaskId = Annotated[
    str, StringConstraints(pattern=r"^[0-7][0-9A-HJKMNP-TV-Z]{25}-[a-z][a-z0-9]{1,15}$")
]
ServiceCodePath = Annotated[str, StringConstraints(pattern=r"^[0-9]{6}-[A-Z]{2}-[0-9]{4}$")]
JurisdictionPath = Annotated[str, StringConstraints(pattern=r"^[0-9]{6}([0-9]{3}){0,3}$")]
CertificateCode = Annotated[str, StringConstraints(pattern=r"^[2-9A-HJ-NP-Z]{12}$")]


class CasePath(Strict):
    id: Ulid


class CaseDocumentPath(Strict):
    id: Ulid
    document_id: Ulid


class CaseAgentPath(Strict):
    id: Ulid
    agent_id: Ulid


class CaseCommentPath(Strict):
    id: Ulid
    comment_id: Ulid


class UploadPath(Strict):
    id: Ulid


class TaskPath(Strict):
    task_id: TaskId


class ServicePath(Strict):
    code: ServiceCodePath


class ServiceVersionPath(Strict):
    code: ServiceCodePath
    version: int = Field(ge=1, le=999_999)


class CertificatePath(Strict):
    code: CertificateCode


class JurisdictionCodePath(Strict):
    code: JurisdictionPath


class CalendarPath(Strict):
    year: int = Field(ge=2000, le=2100)


class ExportPath(Strict):
    file: Literal["cases.csv", "cases.xlsx", "stats.csv", "stats.xlsx"]


class StaffPath(Strict):
    staff_id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]{2,64}$")]


class PartnerPath(Strict):
    partner: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,39}$")]


class ArticlePath(Strict):
    article_id: Ulid


class PhoneEntryPath(Strict):
    entry_id: Ulid


class InspectionItemPath(Strict):
    item_id: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2,8}-[0-9]{3}$")]


class CreditCodePath(Strict):
    credit_code: Annotated[str, StringConstraints(pattern=r"^[0-9A-HJ-NP-RT-UW-Y]{18}$")]


class InspectorPath(Strict):
    inspector_id: Annotated[str, StringConstraints(pattern=r"^[0-9A-Z]{6,20}$")]


class PlanPath(Strict):
    plan_id: Ulid


class InspectionTaskPath(Strict):
    task_id: Annotated[str, StringConstraints(pattern=r"^[0-7][0-9A-HJKMNP-TV-Z]{25}-[0-9]{4}$")]
