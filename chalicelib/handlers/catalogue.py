"""Public catalogue routes: browse the service items and read their guides."""

from __future__ import annotations

import re

from chalice import Blueprint

from chalicelib.deps import container
from chalicelib.domain.catalogue import ServiceGuide, ServicePage, ServiceQuery, ServiceVersionList
from chalicelib.domain.review import CertificateView
from chalicelib.errors import FieldError, InvalidInput
from chalicelib.http.api import Call, Reply, operation
from chalicelib.services.views import guide_of, version_list

bp = Blueprint(__name__)
TAGS = ("catalogue",)


@operation(
    bp,
    "/services",
    summary="Browse the service catalogue (事项清单)",
    tags=TAGS,
    query=ServiceQuery,
    response=ServicePage,
    errors=(422,),
)
def list_services(call: Call, query: ServiceQuery) -> ServicePage:
    items, cursor = container().catalogue.search(
        type=query.type,
        department=query.department,
        keyword=query.q,
        limit=query.limit,
        cursor=query.cursor,
    )
    return ServicePage(items=items, next_cursor=cursor)


@operation(
    bp,
    "/services/{code}",
    summary="The full guide of a service item",
    tags=TAGS,
    response=ServiceGuide,
    errors=(404,),
)
def get_service(call: Call, code: str) -> Reply:
    deps = container()
    guide = guide_of(deps.catalogue.guide(code), deps.reference.departments())
    return Reply(guide, headers={"ETag": guide.etag})


@operation(
    bp,
    "/services/{code}/versions",
    summary="Every published version of an item",
    tags=TAGS,
    response=ServiceVersionList,
    errors=(404,),
)
def list_service_versions(call: Call, code: str) -> ServiceVersionList:
    return version_list(container().catalogue.history(code))


@operation(
    bp,
    "/services/{code}/versions/{version}",
    summary="One earlier version of an item",
    tags=TAGS,
    response=ServiceGuide,
    errors=(404, 422),
)
def get_service_version(call: Call, code: str, version: str) -> ServiceGuide:
    if not re.fullmatch(r"[0-9]{1,6}", version) or int(version) < 1:
        raise InvalidInput(
            "The version must be a positive whole number.",
            errors=[FieldError("path.version", "must be an integer from 1", "int_parsing")],
        )
    deps = container()
    return guide_of(deps.catalogue.version(code, int(version)), deps.reference.departments())


@operation(
    bp,
    "/certificates/{code}",
    summary="Verify a certificate by its public code",
    tags=("certificates",),
    response=CertificateView,
    errors=(404,),
)
def verify_certificate(call: Call, code: str) -> CertificateView:
    return container().issuance.verify(code)
