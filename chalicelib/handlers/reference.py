"""Public reference data: the platform's counties, a county's request categories and its
jurisdiction tree."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.deps import container
from chalicelib.domain.county import CountyList
from chalicelib.domain.reference import (
    CategoryList,
    CategoryQuery,
    JurisdictionList,
    JurisdictionQuery,
    JurisdictionView,
)
from chalicelib.errors import FieldError, NotFound
from chalicelib.http.api import Call, operation
from chalicelib.http.paths import JurisdictionCodePath
from chalicelib.services.reference import JurisdictionTree
from chalicelib.services.views import jurisdiction_view

bp = Blueprint(__name__)


@operation(
    bp,
    "/counties",
    summary="The platform and the counties it serves (pick one: the catalogue, categories "
    "and jurisdictions are each county's)",
    tags=("reference",),
    response=CountyList,
)
def list_counties(call: Call) -> CountyList:
    return container().reference.county_list()


@operation(
    bp,
    "/categories",
    summary="A county's request categories (诉求类别) and their handling departments",
    tags=("reference",),
    query=CategoryQuery,
    response=CategoryList,
    errors=(404, 422),
)
def list_categories(call: Call, query: CategoryQuery) -> CategoryList:
    reference = container().reference
    county = reference.county_named(query.county, "query.county")
    return CategoryList(county=county.code, items=reference.categories(county.code))


def _subtree(tree: JurisdictionTree, code: str, depth: int) -> JurisdictionView:
    node = tree.nodes[code]
    children = (
        [_subtree(tree, child.code, depth - 1) for child in tree.children_of(code)]
        if depth > 0
        else None
    )
    return jurisdiction_view(node, children=children)


@operation(
    bp,
    "/jurisdictions",
    summary="A county's jurisdiction tree (county → township → community/village → grid), "
    "or the children of one node with ?parent=",
    tags=("reference",),
    query=JurisdictionQuery,
    response=JurisdictionList,
    errors=(404, 422),
)
def list_jurisdictions(call: Call, query: JurisdictionQuery) -> JurisdictionList:
    reference = container().reference
    tree = reference.jurisdictions(reference.county_named(query.county, "query.county").code)
    if query.parent is not None:
        if query.parent not in tree.nodes:
            raise NotFound(
                f"No jurisdiction {query.parent} in county {query.county}.",
                errors=[FieldError("query.parent", "not a node of the county", "unknown")],
            )
        return JurisdictionList(
            items=[jurisdiction_view(c, geometry=True) for c in tree.children_of(query.parent)]
        )
    return JurisdictionList(items=[_subtree(tree, r.code, query.depth) for r in tree.roots()])


@operation(
    bp,
    "/jurisdictions/{code}",
    summary="One jurisdiction with its path and children",
    tags=("reference",),
    path_model=JurisdictionCodePath,
    response=JurisdictionView,
)
def get_jurisdiction(call: Call, code: str) -> JurisdictionView:
    tree = container().reference.jurisdictions(code[:6])
    node = tree.nodes.get(code)
    if node is None:
        raise NotFound(f"No jurisdiction with code {code}.")
    return jurisdiction_view(
        node,
        geometry=True,
        children=[jurisdiction_view(c) for c in tree.children_of(code)],
        path=[a.name for a in tree.ancestors(code)] + [node.name],
    )
