"""Staff routes (SigV4-signed): who am I, and catalogue administration."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.deps import container
from chalicelib.domain.catalogue import ServiceGuide, ServiceItemInput
from chalicelib.domain.common import Strict, Text
from chalicelib.domain.identity import ROLE_LABELS, Role
from chalicelib.http.api import Call, Reply, operation
from chalicelib.services.views import guide_of

bp = Blueprint(__name__)


class StaffProfile(Strict):
    staff_id: str
    name: str
    role: Role
    role_label: Text
    department: str | None = None
    department_name: str | None = None
    jurisdiction: str
    jurisdiction_name: str | None = None
    principal_arn: str


@operation(
    bp,
    "/admin/me",
    summary="The calling staff member's record",
    tags=("admin",),
    auth="staff",
    response=StaffProfile,
    errors=(403,),
)
def staff_me(call: Call) -> StaffProfile:
    deps = container()
    staff = deps.staff.resolve(call.principal_arn)
    department = deps.reference.departments().get(staff.department or "")
    jurisdiction = deps.reference.jurisdictions().nodes.get(staff.jurisdiction)
    zh, en = ROLE_LABELS[staff.role]
    return StaffProfile(
        staff_id=staff.staff_id,
        name=staff.name,
        role=staff.role,
        role_label=Text(zh=zh, en=en),
        department=staff.department,
        department_name=department.name if department else None,
        jurisdiction=staff.jurisdiction,
        jurisdiction_name=jurisdiction.name if jurisdiction else None,
        principal_arn=staff.principal_arn,
    )


@operation(
    bp,
    "/admin/services/{code}",
    "PUT",
    summary="Create or change a catalogue item; every change is kept as a new version",
    tags=("admin", "catalogue"),
    auth="staff",
    body=ServiceItemInput,
    response=ServiceGuide,
    errors=(403, 409, 412, 422),
)
def put_service(call: Call, code: str, body: ServiceItemInput) -> Reply:
    deps = container()
    staff = deps.staff.resolve(call.principal_arn)
    item, created = deps.catalogue.publish(staff, code, body, if_match=call.header("If-Match"))
    guide = guide_of(item, deps.reference.departments())
    status = 201 if created and item.version == 1 else 200
    return Reply(guide, status=status, headers={"ETag": guide.etag})
