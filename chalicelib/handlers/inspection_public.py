"""The public side of 双随机、一公开 (no sign-in): the item list, the plans with their
commitments and draws, the proof anyone recomputes the draw from, and the results (公示),
also as CSV for the national credit-information publicity system."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.deps import container
from chalicelib.domain.inspection import CountyQuery, ItemList
from chalicelib.domain.inspection_api import (
    PublicPlan,
    PublicPlanPage,
    PublicResultPage,
    ResultExportQuery,
    ResultQuery,
)
from chalicelib.domain.inspection_plan import PlanQuery
from chalicelib.http.api import Call, operation
from chalicelib.http.paths import PlanPath

bp = Blueprint(__name__)
TAGS = ("public information", "inspections")
CSV_TYPE = "text/csv; charset=utf-8"


@operation(
    bp,
    "/public/inspections/items",
    summary="A county's random-inspection item list (抽查事项清单)",
    tags=TAGS,
    query=CountyQuery,
    response=ItemList,
    errors=(404,),  # no such county
)
def public_inspection_items(call: Call, query: CountyQuery) -> ItemList:
    return container().inspection_directory.items(query.county)


@operation(
    bp,
    "/public/inspections/plans",
    summary="A county's inspection plans, newest first: commitments and directory hashes "
    "published before each draw",
    tags=TAGS,
    query=PlanQuery,
    response=PublicPlanPage,
)
def public_plans(call: Call, query: PlanQuery) -> PublicPlanPage:
    return container().inspection_plans.page(query)


@operation(
    bp,
    "/public/inspections/plans/{plan_id}",
    summary="A plan: before its draw the commitment and hashes; after it the revealed seed, "
    "the entities and inspectors drawn, the recusals and the progress",
    tags=TAGS,
    path_model=PlanPath,
    response=PublicPlan,
)
def public_plan(call: Call, plan_id: str) -> PublicPlan:
    return container().inspection_plans.public_plan(plan_id)


@operation(
    bp,
    "/public/inspections/plans/{plan_id}/proof",
    summary="The drawn plan's published record (its frozen inputs and outputs): a redirect "
    "to the JSON file; `python scripts/verify_draw.py <this URL>` recomputes the draw",
    tags=TAGS,
    path_model=PlanPath,
    status=302,
    response_headers=("Location",),
)
def public_plan_proof(call: Call, plan_id: str) -> Response:
    url = container().inspection_plans.proof_url(plan_id)
    return Response(body="", status_code=302, headers={"Location": url})


@operation(
    bp,
    "/public/inspections/results",
    summary="A county's inspection results (抽查结果公示), newest first",
    tags=TAGS,
    query=ResultQuery,
    response=PublicResultPage,
)
def public_results(call: Call, query: ResultQuery) -> PublicResultPage:
    return container().inspection_results.public_results(query)


@operation(
    bp,
    "/public/inspections/results.csv",
    summary="A county's inspection results as CSV (UTF-8 with BOM) for the credit-information "
    "publicity system (国家企业信用信息公示系统)",
    tags=TAGS,
    query=ResultExportQuery,
    content_type="text/csv",
    errors=(404, 409),  # no such county; until before since
)
def public_results_csv(call: Call, query: ResultExportQuery) -> Response:
    body = container().inspection_results.export(query)
    return Response(body=body, status_code=200, headers={"Content-Type": CSV_TYPE})
