"""A county's inspection files (the item list and the two directories) loaded through the
directory's rules: `python -m infra.bootstrap load-inspections` and the local stack's seed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from chalicelib.clock import Clock
from chalicelib.paging import CursorCodec
from chalicelib.services.inspection_directory import InspectionDirectoryService, Loaded
from chalicelib.store.inspections import InspectionDirectoryStore
from chalicelib.store.table import Table

INSPECTION_FILES = {
    "items": "inspection-items.json",
    "entities": "inspection-entities.json",
    "inspectors": "inspection-inspectors.json",
}


def load_county_files(table: Table, clock: Clock, county: str, folder: Path) -> Loaded:
    """The county's inspection files from `folder` (those it has), through the service's
    rules; used by `python -m infra.bootstrap load-inspections` and the local stack's seed."""
    from chalicelib.services.reference import ReferenceData, RevisionCache
    from chalicelib.store.catalogue import CatalogueStore, RevisionStore
    from chalicelib.store.reference import ReferenceStore

    reference = ReferenceData(
        ReferenceStore(table), CatalogueStore(table), RevisionCache(RevisionStore(table), clock, 0)
    )
    if reference.county(county) is None:
        return Loaded(refused=[f"county {county}: not loaded on this stage (load-county first)"])
    service = InspectionDirectoryService(
        InspectionDirectoryStore(table), reference, CursorCodec(b"\0" * 32), clock
    )
    records: dict[str, list[dict[str, Any]]] = {}
    for kind, name in INSPECTION_FILES.items():
        path = folder / name
        records[kind] = json.loads(path.read_text(encoding="utf-8"))[kind] if path.exists() else []
    return service.load_files(county, records["items"], records["entities"], records["inspectors"])
