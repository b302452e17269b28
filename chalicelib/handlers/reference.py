"""Public reference data: request categories and the jurisdiction tree."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.deps import container
from chalicelib.domain.reference import (
    CategoryList,
    JurisdictionList,
    JurisdictionQuery,
    JurisdictionView,
)
from chalicelib.errors import NotFound
from chalicelib.http.api import Call, operation
from chalicelib.http.paths import JurisdictionCodePath
from chalicelib.services.reference import JurisdictionTree
from chalicelib.services.views import jurisdiction_view

bp = Blueprint(__name__)


@operation(
    bp,
    "/categories",
    summary="Request categories (诉求类别) and their handling departments",
    tags=("reference",),
    response=CategoryList,
)
def list_categories(call: Call) -> CategoryList:
    return CategoryList(items=container().reference.categories())


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
    summary="The jurisdiction tree (county → township → community/village → grid), "
    "or the children of one node with ?parent=",
    tags=("reference",),
    query=JurisdictionQuery,
    response=JurisdictionList,
    errors=(404,),
)
def list_jurisdictions(call: Call, query: JurisdictionQuery) -> JurisdictionList:
    tree = container().reference.jurisdictions()
    if query.parent is not None:
        if query.parent not in tree.nodes:
            raise NotFound(f"No jurisdiction with code {query.parent}.")
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
    tree = container().reference.jurisdictions()
    node = tree.nodes.get(code)
    if node is None:
        raise NotFound(f"No jurisdiction with code {code}.")
    return jurisdiction_view(
        node,
        geometry=True,
        children=[jurisdiction_view(c) for c in tree.children_of(code)],
        path=[a.name for a in tree.ancestors(code)] + [node.name],
    )
