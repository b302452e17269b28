"""The staff's routes of 双随机、一公开 (SigV4-signed): the item list (catalogue
administrators), the directories (department heads keep their inspectors; an inspector
declares conflicts; dispatchers and departments name the entity a complaint is about),
plans and draws (department heads), tasks and results (the drawn inspectors), figures."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.deps import container
from chalicelib.domain.access import (
    ANY_STAFF,
    CATALOGUE_ADMINS,
    DEPARTMENT_HEADS,
    INSPECTION_KEEPERS_OR_STAFF,
    INSPECTION_STAFF,
    INSPECTOR_KEEPERS,
    INSPECTORS,
    REQUEST_WORKERS,
    SUPERVISING,
)
from chalicelib.domain.identity import StaffMember
from chalicelib.domain.inspection import (
    Declaration,
    EntityLink,
    EntityPage,
    EntityQuery,
    InspectionEntity,
    InspectionItem,
    InspectionItemEdit,
    Inspector,
    InspectorInput,
    InspectorList,
    ItemHistory,
    ItemList,
)
from chalicelib.domain.inspection_api import (
    FiguresQuery,
    InspectionFigures,
    InspectionTaskView,
    PublicPlan,
    TaskList,
)
from chalicelib.domain.inspection_plan import (
    FollowUpInput,
    PlanInput,
    StaffingInput,
    TaskQuery,
    TaskResultInput,
)
from chalicelib.http.api import Call, Reply, created, operation
from chalicelib.http.paths import (
    CasePath,
    CreditCodePath,
    InspectionItemPath,
    InspectionTaskPath,
    InspectorPath,
    PlanPath,
)

bp = Blueprint(__name__)
TAGS = ("admin", "inspections")


@operation(
    bp,
    "/admin/inspection/items",
    summary="The county's random-inspection item list (抽查事项清单)",
    tags=TAGS,
    auth="staff",
    allow=ANY_STAFF,
    response=ItemList,
)
def list_inspection_items(call: Call, staff: StaffMember) -> ItemList:
    return container().inspection_directory.items(staff.county)


@operation(
    bp,
    "/admin/inspection/items/{item_id}",
    summary="An item of the list with every version",
    tags=TAGS,
    auth="staff",
    allow=ANY_STAFF,
    path_model=InspectionItemPath,
    response=ItemHistory,
)
def get_inspection_item(call: Call, staff: StaffMember, item_id: str) -> ItemHistory:
    return container().inspection_directory.item(staff.county, item_id)


@operation(
    bp,
    "/admin/inspection/items/{item_id}",
    "PUT",
    summary="Add an item to the list, or edit it (a new version; `version`: the one edited)",
    tags=TAGS,
    auth="staff",
    allow=CATALOGUE_ADMINS,
    path_model=InspectionItemPath,
    body=InspectionItemEdit,
    response=InspectionItem,
    errors=(404, 409),
)
def put_inspection_item(
    call: Call, staff: StaffMember, item_id: str, body: InspectionItemEdit
) -> InspectionItem:
    return container().inspection_directory.save_item(staff, item_id, body)


@operation(
    bp,
    "/admin/inspection/entities",
    summary="The directory of inspectable entities (检查对象名录库), township by township",
    tags=TAGS,
    auth="staff",
    allow=INSPECTION_STAFF,
    query=EntityQuery,
    response=EntityPage,
)
def list_inspection_entities(call: Call, staff: StaffMember, query: EntityQuery) -> EntityPage:
    return container().inspection_directory.entity_page(staff, query)


@operation(
    bp,
    "/admin/inspection/entities/{credit_code}",
    summary="An entity of the directory with its risk signals, licences and last inspection",
    tags=TAGS,
    auth="staff",
    allow=INSPECTION_STAFF,
    path_model=CreditCodePath,
    response=InspectionEntity,
)
def get_inspection_entity(call: Call, staff: StaffMember, credit_code: str) -> InspectionEntity:
    return container().inspection_directory.entity(staff, credit_code)


@operation(
    bp,
    "/admin/requests/{id}/entity",
    "POST",
    summary="Name the entity a complaint request (投诉举报) is about: "
    "it weighs in key-item draws for a year",
    tags=TAGS,
    auth="staff",
    allow=REQUEST_WORKERS,
    path_model=CasePath,
    body=EntityLink,
    response=InspectionEntity,
    errors=(409,),
)
def link_request_entity(
    call: Call, staff: StaffMember, id: str, body: EntityLink
) -> InspectionEntity:
    return container().inspection_directory.link_request(staff, id, body)


@operation(
    bp,
    "/admin/inspection/inspectors",
    summary="The directory of inspectors (执法检查人员名录库); "
    "a department head sees their department's",
    tags=TAGS,
    auth="staff",
    allow=INSPECTION_KEEPERS_OR_STAFF,
    response=InspectorList,
)
def list_inspectors(call: Call, staff: StaffMember) -> InspectorList:
    return InspectorList(county=staff.county, items=container().inspectors.inspectors(staff))


@operation(
    bp,
    "/admin/inspection/inspectors/{inspector_id}",
    "PUT",
    summary="Add or update an inspector (by certificate number 执法证号): "
    "department, qualifications, active, grid of residence, declared conflicts",
    tags=TAGS,
    auth="staff",
    allow=INSPECTOR_KEEPERS,
    path_model=InspectorPath,
    body=InspectorInput,
    response=Inspector,
    errors=(404,),
)
def put_inspector(
    call: Call, staff: StaffMember, inspector_id: str, body: InspectorInput
) -> Inspector:
    return container().inspectors.save_inspector(staff, inspector_id, body)


@operation(
    bp,
    "/admin/inspection/declarations",
    "POST",
    summary="An inspector declares (or withdraws) a conflict of interest with an entity (回避)",
    tags=TAGS,
    auth="staff",
    allow=INSPECTORS,
    body=Declaration,
    response=Inspector,
    errors=(404,),
)
def declare_conflict(call: Call, staff: StaffMember, body: Declaration) -> Inspector:
    return container().inspectors.declare(staff, body)


@operation(
    bp,
    "/admin/inspection/plans",
    "POST",
    summary="Announce a plan: its scope's directories are frozen and their hashes and the seed's "
    "commitment published",
    tags=TAGS,
    auth="staff",
    allow=DEPARTMENT_HEADS,
    body=PlanInput,
    response=PublicPlan,
    status=201,
    errors=(404, 409),
)
def announce_plan(call: Call, staff: StaffMember, body: PlanInput) -> Reply:
    plan = container().inspection_plans.announce(staff, body)
    return created(plan, f"/admin/inspection/plans/{plan.plan_id}")


@operation(
    bp,
    "/admin/inspection/plans/{plan_id}",
    summary="A plan of the county, with its draw once drawn",
    tags=TAGS,
    auth="staff",
    allow=INSPECTION_STAFF,
    path_model=PlanPath,
    response=PublicPlan,
)
def get_plan(call: Call, staff: StaffMember, plan_id: str) -> PublicPlan:
    return container().inspection_plans.staff_plan(staff, plan_id)


@operation(
    bp,
    "/admin/inspection/plans/{plan_id}/draw",
    "POST",
    summary="Draw the plan's entities and inspectors by the published procedure; the seed is "
    "revealed",
    tags=TAGS,
    auth="staff",
    allow=DEPARTMENT_HEADS,
    path_model=PlanPath,
    response=PublicPlan,
    errors=(409,),
)
def draw_plan(call: Call, staff: StaffMember, plan_id: str) -> PublicPlan:
    return container().inspection_plans.draw(staff, plan_id)


@operation(
    bp,
    "/admin/inspection/tasks",
    summary="Inspection tasks: mine (an inspector), or a plan's (`plan_id`)",
    tags=TAGS,
    auth="staff",
    allow=INSPECTION_STAFF,
    query=TaskQuery,
    response=TaskList,
    errors=(404, 409),
)
def list_inspection_tasks(call: Call, staff: StaffMember, query: TaskQuery) -> TaskList:
    return container().inspection_tasks.tasks(staff, query)


@operation(
    bp,
    "/admin/inspection/tasks/{task_id}",
    summary="An inspection task with its result and photos",
    tags=TAGS,
    auth="staff",
    allow=INSPECTION_STAFF,
    path_model=InspectionTaskPath,
    response=InspectionTaskView,
)
def get_inspection_task(call: Call, staff: StaffMember, task_id: str) -> InspectionTaskView:
    return container().inspection_tasks.task(staff, task_id)


@operation(
    bp,
    "/admin/inspection/tasks/{task_id}/result",
    "POST",
    summary="Record the inspection's result (one of the task's inspectors): "
    "未发现问题, 责令整改 (with a date), 立案查处 …",
    tags=TAGS,
    auth="staff",
    allow=INSPECTORS,
    path_model=InspectionTaskPath,
    body=TaskResultInput,
    response=InspectionTaskView,
    errors=(409,),
)
def record_inspection_result(
    call: Call, staff: StaffMember, task_id: str, body: TaskResultInput
) -> InspectionTaskView:
    return container().inspection_tasks.record(staff, task_id, body)


@operation(
    bp,
    "/admin/inspection/tasks/{task_id}/follow-up",
    "POST",
    summary="Record the rectification follow-up of a task ordered to rectify",
    tags=TAGS,
    auth="staff",
    allow=INSPECTORS,
    path_model=InspectionTaskPath,
    body=FollowUpInput,
    response=InspectionTaskView,
    errors=(409,),
)
def record_rectification(
    call: Call, staff: StaffMember, task_id: str, body: FollowUpInput
) -> InspectionTaskView:
    return container().inspection_tasks.follow_up(staff, task_id, body)


@operation(
    bp,
    "/admin/inspection/figures",
    summary="双随机 figures of a scope and year: completion per plan, ratio achieved per item, "
    "results by department and township",
    tags=TAGS,
    auth="staff",
    allow=SUPERVISING,
    query=FiguresQuery,
    response=InspectionFigures,
)
def inspection_figures(call: Call, staff: StaffMember, query: FiguresQuery) -> InspectionFigures:
    return container().inspection_figures.figures(staff, query)


@operation(
    bp,
    "/admin/inspection/tasks/{task_id}/staffing",
    "POST",
    summary="Staff a task the draw left unstaffed (the department head): at least two "
    "active inspectors of the department, none with a conflict",
    tags=TAGS,
    auth="staff",
    allow=DEPARTMENT_HEADS,
    path_model=InspectionTaskPath,
    body=StaffingInput,
    response=InspectionTaskView,
    errors=(409,),
)
def staff_inspection_task(
    call: Call, staff: StaffMember, task_id: str, body: StaffingInput
) -> InspectionTaskView:
    container().inspection_staffing.staff(staff, task_id, body)
    return container().inspection_tasks.task(staff, task_id)
