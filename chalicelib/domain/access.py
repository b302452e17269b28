"""Who may see a case, and who may call a staff route: the one rule that every single read,
list, queue, export and dashboard applies (OWASP API1 and API5).

Seeing a case:
- A department belongs to one county (汶上's 经信局 and 嘉祥's are two departments with one
  code): a department's staff see only their county's cases.
- Applications (never a draft: it is the applicant's own until submitted): the staff who work
  on it — the one window's clerks and issuers, the reviewers of its lead and reviewing
  departments, and the heads of those departments — and, read-only and without the
  applicant's documents, leaders, township supervisors and liaison officers (no department)
  when it lies in their jurisdiction's subtree. Other roles of a department (the catalogue
  administrator, a department's dispatcher) and dispatchers see no applications.
- Requests: the handlers of a department it was ever assigned to (its reviewers and the
  department's head); the dispatchers above it (by jurisdiction or by the unit that
  dispatches it); and, unless it is private, its grid's liaison officer and the supervisors
  and leaders of its jurisdiction. A private request (every petition 信访 is one) is for its
  filer, its dispatchers and its departments only.
- Administrators (系统管理员) manage staff records and see no case at all: they have no
  department and are none of the roles above.

Managing staff: an administrator manages the staff whose jurisdiction lies in theirs (a
county's administrator the county's, a city's or a province's every county below it and
the region's own staff) — `manages`.

Calling a route (function-level authorization) is decided from the caller's record alone,
before the request body is read: a `StaffPolicy` per route.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from chalicelib.domain.application import Application
from chalicelib.domain.application_parts import ACCEPTANCE_WINDOW, Status
from chalicelib.domain.county import region_prefix
from chalicelib.domain.identity import ROLE_LABELS, Role, StaffMember
from chalicelib.domain.request import ServiceRequest

# Roles that act for their department on requests (reply, return): the department's handlers.
REQUEST_HANDLERS = frozenset({Role.REVIEWER})


def within(code: str, scope: str) -> bool:
    """Whether jurisdiction `code` lies in `scope`'s subtree (a province's, a city's, a
    county's or one below)."""
    return code.startswith(region_prefix(scope))


def same_county(staff: StaffMember, jurisdiction: str) -> bool:
    """A department is one county's: its staff act on that county's cases only."""
    return jurisdiction[:6] == staff.county


def manages(admin: StaffMember, jurisdiction: str) -> bool:
    """Whether `admin` manages staff working in `jurisdiction`."""
    return (
        admin.active
        and admin.role is Role.ADMINISTRATOR
        and within(jurisdiction, admin.jurisdiction)
    )


def is_department_head(staff: StaffMember) -> bool:
    return staff.role is Role.SUPERVISOR and staff.department is not None


def handles_for_department(staff: StaffMember) -> bool:
    """Replies and returns requests on behalf of its department."""
    return staff.department is not None and staff.role in REQUEST_HANDLERS


def involved_departments(app: Application) -> set[str]:
    return {ACCEPTANCE_WINDOW, app.lead_department, *app.review_departments}


def works_on_application(staff: StaffMember, app: Application) -> bool:
    """Acts on the case (and so may open the applicant's documents)."""
    if app.status is Status.DRAFT or staff.department is None:
        return False
    if not same_county(staff, app.jurisdiction):
        return False
    if staff.role in (Role.CLERK, Role.ISSUER):
        return staff.department == ACCEPTANCE_WINDOW
    if staff.role is Role.REVIEWER:
        return staff.department in {app.lead_department, *app.review_departments}
    return is_department_head(staff) and staff.department in involved_departments(app)


def sees_application(staff: StaffMember, app: Application) -> bool:
    if app.status is Status.DRAFT:
        return False
    if staff.department:
        return works_on_application(staff, app)
    if staff.role in (Role.LEADER, Role.SUPERVISOR, Role.LIAISON):
        return within(app.jurisdiction, staff.jurisdiction)
    return False


def sees_request(staff: StaffMember, req: ServiceRequest) -> bool:
    if (
        staff.department
        and same_county(staff, req.jurisdiction)
        and (handles_for_department(staff) or is_department_head(staff))
        and any(a.department == staff.department for a in req.assignments)
    ):
        return True
    if staff.role is Role.DISPATCHER:
        return within(req.jurisdiction, staff.jurisdiction) or within(
            req.routing.dispatch_unit, staff.jurisdiction
        )
    if req.private:
        return False
    if staff.role is Role.LIAISON:
        return within(req.jurisdiction, staff.jurisdiction)
    if staff.role in (Role.SUPERVISOR, Role.LEADER) and not staff.department:
        return within(req.jurisdiction, staff.jurisdiction)
    return False


def sees(staff: StaffMember, case: Application | ServiceRequest) -> bool:
    """The rule for either kind of case."""
    if isinstance(case, ServiceRequest):
        return sees_request(staff, case)
    return sees_application(staff, case)


# ---- function-level authorization ------------------------------------------------------


@dataclass(frozen=True)
class StaffPolicy:
    """Who may call a staff route: any of `roles`, and, with `department`, only staff of that
    department (`ANY_DEPARTMENT`: of some department)."""

    name: str
    roles: frozenset[Role]
    department: str | None = None

    def allows(self, staff: StaffMember) -> bool:
        if not staff.active or staff.role not in self.roles:
            return False
        if self.department == ANY_DEPARTMENT:
            return staff.department is not None
        return self.department is None or staff.department == self.department

    def describe(self) -> str:
        roles = ", ".join(
            f"{role.value} ({ROLE_LABELS[role][0]})"
            for role in sorted(self.roles, key=lambda r: r.value)
        )
        if self.department == ANY_DEPARTMENT:
            return f"{roles}, of a department"
        if self.department:
            return f"{roles}, of department {self.department}"
        return roles


ANY_DEPARTMENT = "*"


def policy(name: str, roles: Iterable[Role], department: str | None = None) -> StaffPolicy:
    return StaffPolicy(name=name, roles=frozenset(roles), department=department)


ANY_STAFF = policy("any staff member", Role)
CLERKS = policy("acceptance clerks", [Role.CLERK], ACCEPTANCE_WINDOW)
ISSUERS = policy("issuance clerks", [Role.ISSUER], ACCEPTANCE_WINDOW)
REVIEWERS = policy("department reviewers", [Role.REVIEWER], ANY_DEPARTMENT)
DEPARTMENT_STAFF = policy(
    "department reviewers and heads", [Role.REVIEWER, Role.SUPERVISOR], ANY_DEPARTMENT
)
SUPERVISORS = policy("supervisors and leaders", [Role.SUPERVISOR, Role.LEADER])
SUPERVISING = policy(
    "supervisors, leaders and dispatchers", [Role.SUPERVISOR, Role.LEADER, Role.DISPATCHER]
)
DISPATCHERS = policy("dispatchers", [Role.DISPATCHER])
LIAISONS = policy("liaison officers", [Role.LIAISON])
CATALOGUE_ADMINS = policy("the catalogue administrator", [Role.CATALOGUE_ADMIN])
REQUEST_WORKERS = policy(
    "request handlers",
    [Role.DISPATCHER, Role.LIAISON, Role.REVIEWER, Role.SUPERVISOR, Role.LEADER],
)
ADMINISTRATORS = policy("staff administrators", [Role.ADMINISTRATOR])
CONTENT_EDITORS = policy("content editors", [Role.CONTENT_EDITOR])
PHOTO_TAKERS = policy(
    "liaison officers, department reviewers, window clerks, terminals and inspectors",
    [Role.LIAISON, Role.REVIEWER, Role.CLERK, Role.TERMINAL, Role.INSPECTOR],
)
INSPECTORS = policy("law-enforcement inspectors", [Role.INSPECTOR], ANY_DEPARTMENT)
# Who keeps a department's plans and inspectors: its head (a supervisor of the department).
DEPARTMENT_HEADS = policy("department heads", [Role.SUPERVISOR], ANY_DEPARTMENT)
INSPECTOR_KEEPERS = policy(
    "department heads and staff administrators", [Role.SUPERVISOR, Role.ADMINISTRATOR]
)
INSPECTION_KEEPERS_OR_STAFF = policy(
    "inspectors, department heads, leaders, supervisors and staff administrators",
    [Role.INSPECTOR, Role.SUPERVISOR, Role.LEADER, Role.ADMINISTRATOR],
)
INSPECTION_STAFF = policy(
    "inspectors, department heads, leaders and supervisors",
    [Role.INSPECTOR, Role.SUPERVISOR, Role.LEADER],
)
# The service halls' walk-in desk: a window clerk, or a self-service terminal (acting as the
# citizen signed in at it), of the one window.
WINDOW_DESK = policy(
    "window clerks and self-service terminals", [Role.CLERK, Role.TERMINAL], ACCEPTANCE_WINDOW
)
