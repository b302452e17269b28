"""Service guides (办事指南) for the public information channel: rendered from the catalogue,
the single source of truth (nothing of a guide is edited here), in any of its versions."""

from __future__ import annotations

from chalicelib.domain.catalogue import PublicGuide, ServiceVersionList
from chalicelib.domain.common import Text
from chalicelib.services.catalogue import CatalogueService
from chalicelib.services.reference import ReferenceData
from chalicelib.services.views import guide_of, version_list


class PublicGuides:
    def __init__(self, catalogue: CatalogueService, reference: ReferenceData) -> None:
        self._catalogue = catalogue
        self._reference = reference

    def guide(self, code: str, version: int | None) -> PublicGuide:
        """The guide of an item's current version, or of `version`; with Chinese and English
        labels for its type, review rule, delivery options and departments, and the county's
        one window to apply at and its hotline."""
        county = self._reference.county_named(code, "path.code")
        item = (
            self._catalogue.guide(code)
            if version is None
            else self._catalogue.version(code, version)
        )
        guide = guide_of(item, self._reference.departments(county.code))
        return PublicGuide(
            **guide.model_dump(),
            apply_at=Text(zh=county.service_centre, en=county.service_centre_en),
            hotline=county.hotline,
        )

    def versions(self, code: str) -> ServiceVersionList:
        self._reference.county_named(code, "path.code")
        return version_list(self._catalogue.history(code))
