"""Shaping domain objects into the response models the API publishes."""

from __future__ import annotations

from chalicelib.domain.catalogue import (
    DELIVERY_LABELS,
    RULE_LABELS,
    SERVICE_TYPE_LABELS,
    DepartmentRef,
    ServiceGuide,
    ServiceItem,
    ServiceVersion,
    ServiceVersionList,
)
from chalicelib.domain.common import Text
from chalicelib.domain.reference import LEVEL_LABELS, Department, Jurisdiction, JurisdictionView
from chalicelib.services.catalogue import etag


def _text(pair: tuple[str, str]) -> Text:
    return Text(zh=pair[0], en=pair[1])


def guide_of(item: ServiceItem, departments: dict[str, Department]) -> ServiceGuide:
    codes = list(dict.fromkeys([item.lead_department, *item.review.departments]))
    return ServiceGuide(
        **item.model_dump(),
        type_label=_text(SERVICE_TYPE_LABELS[item.type]),
        review_rule_label=_text(RULE_LABELS[item.review.rule]),
        delivery_labels=[_text(DELIVERY_LABELS[d]) for d in item.delivery],
        departments=[
            DepartmentRef(code=c, name=departments[c].name, name_en=departments[c].name_en)
            for c in codes
            if c in departments
        ],
        etag=etag(item),
    )


def version_list(versions: list[ServiceItem]) -> ServiceVersionList:
    newest = max(v.version for v in versions)
    return ServiceVersionList(
        items=[
            ServiceVersion(
                code=v.code,
                version=v.version,
                updated_at=v.updated_at,
                updated_by=v.updated_by,
                current=v.version == newest,
            )
            for v in versions
        ]
    )


def jurisdiction_view(
    node: Jurisdiction,
    *,
    geometry: bool = False,
    children: list[JurisdictionView] | None = None,
    path: list[str] | None = None,
) -> JurisdictionView:
    return JurisdictionView(
        code=node.code,
        name=node.name,
        level=node.level,
        level_label=_text(LEVEL_LABELS[node.level]),
        parent=node.parent,
        households=node.households,
        centroid=node.centroid,
        polygon=node.polygon if geometry else None,
        children=children,
        path=path,
    )
