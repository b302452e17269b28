"""Public catalogue routes: browse the service items and read their guides."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.deps import container
from chalicelib.domain.catalogue import ServiceGuide, ServicePage, ServiceQuery, ServiceVersionList
from chalicelib.domain.review import CertificateView
from chalicelib.http.api import Call, Reply, operation
from chalicelib.http.paths import CertificatePath, ServicePath, ServiceVersionPath
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
)
def list_services(call: Call, query: ServiceQuery) -> ServicePage:
    items, cursor = container().catalogue.search(
        county=query.county,
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
    path_model=ServicePath,
    response=ServiceGuide,
    response_headers=("ETag",),
)
def get_service(call: Call, code: str) -> Reply:
    deps = container()
    guide = guide_of(deps.catalogue.guide(code), deps.reference.departments(code[:6]))
    return Reply(guide, headers={"ETag": guide.etag})


@operation(
    bp,
    "/services/{code}/versions",
    summary="Every published version of an item",
    tags=TAGS,
    path_model=ServicePath,
    response=ServiceVersionList,
)
def list_service_versions(call: Call, code: str) -> ServiceVersionList:
    return version_list(container().catalogue.history(code))


@operation(
    bp,
    "/services/{code}/versions/{version}",
    summary="One earlier version of an item",
    tags=TAGS,
    path_model=ServiceVersionPath,
    response=ServiceGuide,
)
def get_service_version(call: Call, code: str, version: int) -> ServiceGuide:
    deps = container()
    return guide_of(deps.catalogue.version(code, version), deps.reference.departments(code[:6]))


@operation(
    bp,
    "/certificates/{code}",
    summary="Verify a certificate or a written notice by its public code",
    tags=("certificates",),
    path_model=CertificatePath,
    response=CertificateView,
)
def verify_certificate(call: Call, code: str) -> CertificateView:
    return container().notices.verify(code)
