"""The inspection-item list and the two directories: the catalogue administrator keeps the
list (versions), department heads keep their inspectors, an inspector declares conflicts;
entities come from files (the market regulator's register: `load_files`), from the licences
the platform issues (`licence_issued`) and carry the complaints linked to them
(`link_complaint`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from chalicelib.clock import Clock
from chalicelib.domain.access import same_county, sees_request
from chalicelib.domain.calendar import beijing_date
from chalicelib.domain.identity import StaffMember
from chalicelib.domain.inspection import (
    EntityInput,
    EntityLink,
    EntityPage,
    EntityQuery,
    InspectionEntity,
    InspectionItem,
    InspectionItemEdit,
    Inspector,
    InspectorInput,
    ItemHistory,
    ItemList,
    Licence,
)
from chalicelib.errors import Conflict, FieldError, Forbidden, NotFound
from chalicelib.paging import CursorCodec
from chalicelib.services.inspectors import check_staff_id
from chalicelib.services.reference import ReferenceData
from chalicelib.store.inspections import InspectionDirectoryStore
from chalicelib.store.requests import RequestStore

COMPLAINT_CATEGORY = "complaint"
KEPT_LICENCES = 20  # the newest licences an entity record keeps (its item billed by size)


@dataclass
class Loaded:
    items: int = 0
    entities: int = 0
    inspectors: int = 0
    refused: list[str] = field(default_factory=list)


class InspectionDirectoryService:
    def __init__(
        self,
        store: InspectionDirectoryStore,
        reference: ReferenceData,
        cursors: CursorCodec,
        clock: Clock,
        requests: RequestStore | None = None,
    ) -> None:
        self._requests = requests
        self._store = store
        self._reference = reference
        self._cursors = cursors
        self._clock = clock

    # The item list ---------------------------------------------------------------------

    def items(self, county: str) -> ItemList:
        code = self._reference.county_named(county, "query.county").code
        return ItemList(county=code, items=self._store.items(code))

    def item(self, county: str, item_id: str) -> ItemHistory:
        code = self._reference.county_named(county, "query.county").code
        found = self._store.item(code, item_id)
        if found is None:
            raise NotFound(f"No inspection item {item_id} in this county.")
        return ItemHistory(item=found, versions=self._store.item_versions(code, item_id))

    def save_item(
        self, staff: StaffMember, item_id: str, edit: InspectionItemEdit
    ) -> InspectionItem:
        """A new item (no `version`) or the next version of one (`version`: the one edited)."""
        county = staff.county
        if self._reference.county(county) is None:
            raise Forbidden("The catalogue administrator of a county keeps its item list.")
        self._department(county, edit.department, "body.department")
        current = self._store.item(county, item_id)
        if current is None and edit.version is not None:
            raise NotFound(f"No inspection item {item_id}; leave out `version` to create it.")
        if current is not None and edit.version != current.version:
            raise Conflict(
                f"Item {item_id} is at version {current.version}; edit that one.",
                errors=[FieldError("body.version", f"expected {current.version}", "stale")],
            )
        item = InspectionItem(
            **edit.model_dump(exclude={"version"}),
            item_id=item_id,
            county=county,
            version=1 if current is None else current.version + 1,
            updated_at=self._clock.now(),
            updated_by=staff.staff_id,
        )
        self._store.save_item(item)
        return item

    def _department(self, county: str, code: str, where: str) -> None:
        if code not in self._reference.departments(county):
            raise NotFound(
                f"No department {code} in this county.",
                errors=[FieldError(where, "no such department of the county", "unknown")],
            )

    # Entities --------------------------------------------------------------------------

    def entity_page(self, staff: StaffMember, query: EntityQuery) -> EntityPage:
        county = self._reference.county_named(query.county, "query.county").code
        if not same_county(staff, county):
            raise Forbidden("Only the county's staff see its directory of entities.")
        townships = self.townships(county)
        if query.township is not None:
            if query.township not in townships:
                raise NotFound(
                    f"No township {query.township} in county {county}.",
                    errors=[FieldError("query.township", "no township of the county", "unknown")],
                )
            townships = [query.township]
        scope = f"entities|{county}|{query.township or ''}"
        position = self._cursors.decode(query.cursor, scope) if query.cursor else None
        index, start = (position["t"], position["k"]) if position else (0, None)
        items: list[InspectionEntity] = []
        while index < len(townships) and len(items) < query.limit:
            page = self._store.entity_page(townships[index], query.limit - len(items), start)
            items += page.items
            start = page.last_key
            if start is None:
                index += 1
        more = index < len(townships)
        cursor = self._cursors.encode({"t": index, "k": start}, scope) if more else None
        return EntityPage(items=items, next_cursor=cursor)

    def townships(self, county: str) -> list[str]:
        tree = self._reference.jurisdictions(county)
        return [node.code for node in tree.children_of(county)]

    def entity(self, staff: StaffMember, credit_code: str) -> InspectionEntity:
        found = self._store.entity(credit_code)
        if found is None or not same_county(staff, found.county):
            raise NotFound(f"No entity {credit_code} in your county's directory.")
        return found

    def put_entity(self, county: str, record: EntityInput, source: str = "file") -> bool:
        """Adds or updates an entity from a register file; keeps its risk signals, licences
        and inspections. False when nothing changed."""
        self._township(county, record.township, record.grid)
        current = self._store.entity(record.credit_code)
        fields = record.model_dump()
        if current is not None and all(getattr(current, k) == v for k, v in fields.items()):
            return False
        base: dict[str, Any] = current.model_dump() if current else {}
        base.update(fields, county=county, updated_at=self._clock.now())
        if current is None:
            base["source"] = source
        self._store.save_entity(InspectionEntity.model_validate(base))
        return True

    def _township(self, county: str, township: str, grid: str | None) -> None:
        if township not in self.townships(county):
            raise ValueError(f"township: {township} is no township of county {county}")
        if grid is not None and (
            not grid.startswith(township) or self._reference.node(grid) is None
        ):
            raise ValueError(f"grid: {grid} is no grid of township {township}")

    def licence_issued(
        self, county: str, jurisdiction: str, credit_code: str, name: str, licence: Licence
    ) -> None:
        """An enterprise got a licence from the platform: it enters the directory (in the
        township it applied in, or the county's first when it applied at the county) or its
        record gains the licence and its current name."""
        for _ in range(3):  # a concurrent change (a complaint linked) is read again
            current = self._store.entity(credit_code)
            if current is None:
                township = jurisdiction[:9] if len(jurisdiction) >= 9 else self.townships(county)[0]
                entity = InspectionEntity(
                    credit_code=credit_code,
                    name=name,
                    township=township,
                    county=county,
                    source="licence",
                    licences=[licence],
                    updated_at=self._clock.now(),
                )
            else:
                licences = [x for x in current.licences if x.number != licence.number]
                licences = licences[-(KEPT_LICENCES - 1) :]  # the item stays small
                entity = current.model_copy(
                    update={
                        "name": name,
                        "licences": [*licences, licence],
                        "updated_at": self._clock.now(),
                    }
                )
            try:
                self._store.save_entity(entity)
                return
            except Conflict:
                continue

    def link_request(
        self, staff: StaffMember, request_id: str, link: EntityLink
    ) -> InspectionEntity:
        """Staff who see a complaint request (投诉举报) name the entity it is about."""
        assert self._requests is not None
        req = self._requests.get(request_id)
        if req is None or not sees_request(staff, req):
            raise NotFound(f"No request {request_id}.")
        if req.category != COMPLAINT_CATEGORY:
            raise Conflict(
                "Only a complaint request (投诉举报) names an entity to inspect.",
                errors=[FieldError("category", f"is {req.category}", "state")],
            )
        entity = self._store.entity(link.credit_code)
        if entity is None or entity.county != req.county:
            raise NotFound(
                f"No entity {link.credit_code} in the county's directory.",
                errors=[FieldError("body.credit_code", "not in the directory", "unknown")],
            )
        self.link_complaint(link.credit_code, request_id, beijing_date(req.created_at))
        found = self._store.entity(link.credit_code)
        assert found is not None
        return found

    def link_complaint(self, credit_code: str, request_id: str, filed_on: date) -> bool:
        """A complaint request (投诉举报) names the entity: it weighs in key-item draws for a
        year. Once per request."""
        for _ in range(3):
            entity = self._store.entity(credit_code)
            if entity is None:
                raise NotFound(
                    f"No entity {credit_code} in the directory.",
                    errors=[FieldError("body.credit_code", "not in the directory", "unknown")],
                )
            if not entity.noting("complaints", request_id, filed_on):
                return False
            try:
                self._store.save_entity(entity)
                return True
            except Conflict:
                continue
        raise Conflict("The entity is being changed; try again.")

    # Files -----------------------------------------------------------------------------

    def load_files(
        self,
        county: str,
        items: Iterable[dict[str, Any]],
        entities: Iterable[dict[str, Any]],
        inspectors: Iterable[dict[str, Any]],
    ) -> Loaded:
        """A county's files; a refused record is reported by its position, the others load;
        an item is written only when new or changed (a new version)."""
        loaded = Loaded()
        now = self._clock.now()
        for index, raw in enumerate(items):
            try:
                record = dict(raw)
                item_id = record.pop("item_id")
                edit = InspectionItemEdit.model_validate(record)
                current = self._store.item(county, item_id)
                same = current is not None and current.model_dump(
                    include=set(InspectionItemEdit.model_fields) - {"version"}
                ) == edit.model_dump(exclude={"version"})
                if same:
                    continue
                self._store.save_item(
                    InspectionItem(
                        **edit.model_dump(exclude={"version"}),
                        item_id=item_id,
                        county=county,
                        version=1 if current is None else current.version + 1,
                        updated_at=now,
                        updated_by="file",
                    )
                )
                loaded.items += 1
            except (ValueError, KeyError) as exc:
                loaded.refused.append(f"items[{index}]: {exc}")
        for index, raw in enumerate(entities):
            try:
                loaded.entities += self.put_entity(county, EntityInput.model_validate(raw))
            except ValueError as exc:
                loaded.refused.append(f"entities[{index}]: {exc}")
        for index, raw in enumerate(inspectors):
            try:
                self._load_inspector(county, raw, now)
                loaded.inspectors += 1
            except (ValueError, KeyError, Conflict) as exc:
                loaded.refused.append(f"inspectors[{index}]: {exc}")
        return loaded

    def _load_inspector(self, county: str, raw: dict[str, Any], now: datetime) -> None:
        """One inspector of a file (`profile`: their staff id), keeping what they declared."""
        record = {k: v for k, v in raw.items() if k not in ("inspector_id", "profile")}
        body = InspectorInput.model_validate({**record, "staff_id": raw.get("profile")})
        check_staff_id(self._store, county, raw["inspector_id"], body.staff_id)
        current = self._store.inspector(county, raw["inspector_id"])
        self._store.save_inspector(
            Inspector(
                **body.model_dump(),
                inspector_id=raw["inspector_id"],
                county=county,
                declared=current.declared if current else [],
                rev=current.rev if current else 0,
                updated_at=now,
                updated_by="file",
            )
        )
