"""Who is calling: citizens (phone + one-time code) and staff (IAM principals)."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints, WithJsonSchema

from chalicelib.domain.common import DepartmentCode, Strict
from chalicelib.domain.reference import JurisdictionCode

# A mainland mobile number: 11 digits, 1 then 3-9, optionally after +86; a space or a dash
# may separate the groups (139 5370 0001, +86-139-5370-0001) and is dropped. The pattern is
# the whole rule (it is what the OpenAPI document states), the validator only normalises.
PHONE_PATTERN = r"^(?:\+86[ -]?)?1[3-9][0-9](?:[ -]?[0-9]){8}$"
_PHONE = re.compile(PHONE_PATTERN)


def _mainland_mobile(value: str) -> str:
    if not _PHONE.match(value):
        raise ValueError("must be a mainland China mobile number (11 digits starting with 1)")
    digits = value.replace(" ", "").replace("-", "")
    return digits[3:] if digits.startswith("+86") else digits


def normalise_phone(value: str) -> str:
    """The 11 digits of a mainland mobile number (ValueError if it is not one)."""
    return _mainland_mobile(value)


Phone = Annotated[str, StringConstraints(pattern=PHONE_PATTERN), AfterValidator(_mainland_mobile)]
OtpCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")]


def mask_phone(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:] if len(phone) == 11 else "***"


class Role(StrEnum):
    CLERK = "clerk"  # 综合受理窗口
    ISSUER = "issuer"  # 统一出件窗口
    REVIEWER = "reviewer"  # 部门审批 / 部门办理
    DISPATCHER = "dispatcher"  # 信息管理员
    LIAISON = "liaison"  # 民情联络员
    SUPERVISOR = "supervisor"  # 乡镇/部门一把手
    LEADER = "leader"  # 县领导
    CATALOGUE_ADMIN = "catalogue_admin"
    ADMINISTRATOR = "administrator"  # 系统管理员: manages the staff of a jurisdiction
    TERMINAL = "terminal"  # 自助服务终端: a service hall's self-service terminal (a device)
    CONTENT_EDITOR = "content_editor"  # 信息发布员: a county's news and phone directory
    INSPECTOR = "inspector"  # 执法检查人员: a department's law-enforcement inspector


ROLE_LABELS: dict[Role, tuple[str, str]] = {
    Role.CLERK: ("综合受理窗口", "Acceptance clerk"),
    Role.ISSUER: ("统一出件窗口", "Issuance clerk"),
    Role.REVIEWER: ("部门审批", "Department reviewer"),
    Role.DISPATCHER: ("信息管理员", "Dispatcher"),
    Role.LIAISON: ("民情联络员", "Grid liaison officer"),
    Role.SUPERVISOR: ("乡镇/部门负责人", "Supervisor"),
    Role.LEADER: ("领导（县、市、省）", "Leader (county, city or province)"),
    Role.CATALOGUE_ADMIN: ("事项清单管理员", "Catalogue administrator"),
    Role.ADMINISTRATOR: ("系统管理员", "System administrator"),
    Role.TERMINAL: ("自助服务终端", "Self-service terminal"),
    Role.CONTENT_EDITOR: ("信息发布员", "Content editor"),
    Role.INSPECTOR: ("执法检查人员", "Law-enforcement inspector"),
}

StaffId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]{2,64}$")]
StaffName = Annotated[str, StringConstraints(min_length=1, max_length=50)]
# The principal API Gateway's IAM authorizer reports as `userArn`: an IAM user
# (arn:aws-cn:iam::<account>:user/<path/><name>), or an assumed role's session
# (arn:aws-cn:sts::<account>:assumed-role/<role>/<session>). A role's own ARN
# (…:iam::<account>:role/<name>) never signs a call, so a record keyed by one could never be
# reached: refused, as is anything else.
PRINCIPAL_PATTERN = (
    r"^arn:aws[a-z-]*:(?:iam::[0-9]{12}:user/[A-Za-z0-9_+=,.@/-]+"
    r"|sts::[0-9]{12}:assumed-role/[A-Za-z0-9_+=,.@-]+/[A-Za-z0-9_+=,.@-]+)$"
)
_PRINCIPAL = re.compile(PRINCIPAL_PATTERN)


def _signing_principal(value: str) -> str:
    if not _PRINCIPAL.match(value):
        raise ValueError(
            "must be the ARN that signs the calls: an IAM user's "
            "(arn:aws-cn:iam::<account>:user/<name>) or an assumed role's session "
            "(arn:aws-cn:sts::<account>:assumed-role/<role>/<session>); a role's own ARN "
            "never signs a call"
        )
    return value


PrincipalArn = Annotated[
    str,
    StringConstraints(max_length=2048),
    AfterValidator(_signing_principal),
    WithJsonSchema({"type": "string", "maxLength": 2048, "pattern": PRINCIPAL_PATTERN}),
]


class StaffMember(Strict):
    """A staff record, keyed by the IAM principal that signs the staff member's requests."""

    staff_id: StaffId
    name: StaffName
    role: Role
    department: DepartmentCode | None = None
    jurisdiction: JurisdictionCode
    principal_arn: PrincipalArn
    phone: Phone | None = None
    active: bool = True

    @property
    def county(self) -> str:
        """The county the staff member works in (a city's or province's leader: their
        region's six-digit code, which is no county)."""
        return self.jurisdiction[:6]


class Citizen(Strict):
    citizen_id: str
    phone: Phone
    created_at: str


class OtpRequest(Strict):
    phone: Phone


class OtpSent(Strict):
    phone: str = Field(description="The phone the code went to, masked")
    expires_in: int
    resend_after: int


class TokenRequest(Strict):
    phone: Phone
    code: OtpCode


class TokenIssued(Strict):
    access_token: str
    token_type: str = "Bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int
