"""Maintaining the working-day calendar: each year's arrangement is loaded as data.

The State Council's arrangement is national: the platform's own catalogue administrator (one
whose jurisdiction is the city or the province) loads it. A county's catalogue administrator
loads the county's own days on top of it (a local holiday, or a working day in its place);
the county's time limits count both."""

from __future__ import annotations

from datetime import date

from pydantic import ValidationError

from chalicelib.domain.calendar import YearArrangement
from chalicelib.domain.county import is_region
from chalicelib.domain.identity import Role, StaffMember
from chalicelib.errors import Forbidden, InvalidInput, validation_errors
from chalicelib.services.reference import ReferenceData
from chalicelib.store.reference import ReferenceStore


class CalendarService:
    def __init__(self, store: ReferenceStore, reference: ReferenceData) -> None:
        self._store = store
        self._reference = reference

    def load_year(
        self, actor: StaffMember, year: int, holidays: list[date], workdays: list[date]
    ) -> YearArrangement:
        """Stores (or replaces) one year's arrangement, national or the actor's county's; due
        dates computed from then on use it instead of the Monday–Friday estimate."""
        if actor.role is not Role.CATALOGUE_ADMIN:
            raise Forbidden("Only the catalogue administrator maintains the calendar.")
        try:
            arrangement = YearArrangement(year=year, holidays=holidays, workdays=workdays)
        except ValidationError as exc:
            raise InvalidInput(
                "The arrangement is inconsistent.", errors=validation_errors("body", exc)
            ) from None
        county = None if is_region(actor.jurisdiction) else actor.county
        self._store.replace(YearArrangement, [arrangement], county)
        self._reference.invalidate()
        return arrangement
