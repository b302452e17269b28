"""Use cases of the service catalogue: browse, read a guide, and edit it as a new version."""

from __future__ import annotations

import re

from chalicelib.clock import Clock
from chalicelib.domain.access import within
from chalicelib.domain.catalogue import (
    SERVICE_CODE_PATTERN,
    ServiceItem,
    ServiceItemEdit,
    ServiceItemInput,
    ServiceSummary,
    ServiceType,
    item_matches,
)
from chalicelib.domain.identity import Role, StaffMember
from chalicelib.errors import FieldError, Forbidden, InvalidInput, NotFound, PreconditionFailed
from chalicelib.observability import metrics
from chalicelib.paging import CursorCodec
from chalicelib.services.reference import ReferenceData
from chalicelib.store.catalogue import CatalogueStore


def etag(item: ServiceItem) -> str:
    return f'"{item.code}@{item.version}"'


class CatalogueService:
    def __init__(
        self,
        store: CatalogueStore,
        reference: ReferenceData,
        cursors: CursorCodec,
        clock: Clock,
    ) -> None:
        self._store = store
        self._reference = reference
        self._cursors = cursors
        self._clock = clock

    def search(
        self,
        *,
        county: str,
        type: ServiceType | None,
        department: str | None,
        keyword: str | None,
        limit: int,
        cursor: str | None,
    ) -> tuple[list[ServiceSummary], str | None]:
        """A county's current items filtered by type, department (lead or reviewing) and
        keyword, in code order, `limit` at a time. The cursor is bound to the filters it was
        minted for."""
        code = self._reference.county_named(county, "query.county").code
        scope = f"services|{code}|{type or ''}|{department or ''}|{keyword or ''}"
        after = self._cursors.decode(cursor, scope) if cursor else ""
        matches = [
            item
            for item in self._reference.catalogue(code)
            if item.code > after
            and (type is None or item.type == type)
            and (
                department is None
                or department == item.lead_department
                or department in item.review.departments
            )
            and (not keyword or item_matches(item, keyword))
        ]
        page = matches[:limit]
        next_cursor = self._cursors.encode(page[-1].code, scope) if len(matches) > limit else None
        return [ServiceSummary.of(item) for item in page], next_cursor

    def guide(self, code: str) -> ServiceItem:
        item = self._store.current(code)
        if item is None:
            raise NotFound(f"No service item with code {code}.")
        return item

    def version(self, code: str, version: int) -> ServiceItem:
        item = self._store.version(code, version)
        if item is None:
            raise NotFound(f"Service item {code} has no version {version}.")
        return item

    def history(self, code: str) -> list[ServiceItem]:
        versions = self._store.versions(code)
        if not versions:
            raise NotFound(f"No service item with code {code}.")
        return versions

    def publish(
        self,
        actor: StaffMember,
        code: str,
        edit: ServiceItemEdit,
        *,
        if_match: str | None = None,
    ) -> tuple[ServiceItem, bool]:
        """Validates the edit against the county's departments and stores it as the item's
        next version. Returns the version now current and whether a new one was created:
        sending the current content again creates nothing, so a retried request does not act
        twice. The edit may carry the read-only fields of the guide it was made from."""
        if actor.role is not Role.CATALOGUE_ADMIN:
            raise Forbidden("Only the catalogue administrator may edit the catalogue.")
        self._check_code(code)
        county = self._reference.county_named(code, "path.code").code
        if not within(county, actor.jurisdiction):
            raise Forbidden("The item is another county's: its own administrator edits it.")
        change = edit.editable()
        self._check_departments(county, change)
        current = self._store.current(code)
        if if_match is not None and (current is None or if_match not in (etag(current), "*")):
            raise PreconditionFailed(
                "The item changed since you read it (If-Match does not match its ETag)."
            )
        self._check_read_only(code, current, edit.read_only())
        if current is not None and _content(current) == change.model_dump(mode="json"):
            return current, False
        item = ServiceItem(
            **change.model_dump(),
            code=code,
            version=(current.version + 1) if current else 1,
            updated_at=self._clock.now(),
            updated_by=actor.staff_id,
        )
        self._store.save(item)
        self._reference.invalidate()
        metrics.add_metric(name="CatalogueVersionPublished", unit="Count", value=1)
        return item, True

    def _check_read_only(
        self, code: str, current: ServiceItem | None, given: dict[str, object]
    ) -> None:
        """Read-only fields sent back must match what GET returned for the current version:
        a different version or etag means the edit started from a stale copy (412); any
        other difference is a 422 naming the field."""
        if not given:
            return
        from chalicelib.services.views import guide_of

        if current is None:
            shown: dict[str, object] = {"code": code}
        else:
            departments = self._reference.departments(code[:6])
            shown = guide_of(current, departments).model_dump(mode="json")
        sent = ServiceItemEdit.model_construct(**given).model_dump(mode="json", include=set(given))
        stale = [f for f in ("version", "etag") if f in sent and sent[f] != shown.get(f)]
        if stale and current is not None:
            raise PreconditionFailed(
                f"The item is at version {current.version}; this edit was made from another "
                f"({', '.join(stale)} differ). Read it again.",
                errors=[
                    FieldError(f"body.{f}", "not the current version's", "stale") for f in stale
                ],
            )
        differing = [f for f in sent if sent[f] != shown.get(f)]
        if differing:
            raise InvalidInput(
                "Read-only fields differ from the current version: leave them out or as read.",
                errors=[
                    FieldError(f"body.{f}", "read-only; differs", "read_only") for f in differing
                ],
            )

    @staticmethod
    def _check_code(code: str) -> None:
        if not re.fullmatch(SERVICE_CODE_PATTERN, code):
            raise InvalidInput(
                "The service code must look like 370830-XK-0001.",
                errors=[FieldError("path.code", f"must match {SERVICE_CODE_PATTERN}", "pattern")],
            )

    def _check_departments(self, county: str, change: ServiceItemInput) -> None:
        known = self._reference.departments(county)
        errors = []
        if change.lead_department not in known:
            errors.append(FieldError("body.lead_department", "unknown department", "unknown"))
        for i, dept in enumerate(change.review.departments):
            if dept not in known:
                errors.append(
                    FieldError(f"body.review.departments[{i}]", "unknown department", "unknown")
                )
        for i, step in enumerate(change.process):
            if step.actor != "applicant" and step.actor not in known:
                errors.append(
                    FieldError(f"body.process[{i}].actor", "unknown department", "unknown")
                )
        if errors:
            raise NotFound(
                "The item refers to departments the county does not have.", errors=errors
            )


def _content(item: ServiceItem) -> dict[str, object]:
    return ServiceItemInput.model_validate(
        item.model_dump(exclude={"code", "version", "updated_at", "updated_by"})
    ).model_dump(mode="json")
