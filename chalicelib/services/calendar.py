"""Maintaining the working-day calendar: each year's arrangement is loaded as data."""

from __future__ import annotations

from datetime import date

from pydantic import ValidationError

from chalicelib.domain.calendar import YearArrangement
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
        """Stores (or replaces) one year's arrangement; due dates computed from then on use
        it instead of the Monday–Friday estimate."""
        if actor.role is not Role.CATALOGUE_ADMIN:
            raise Forbidden("Only the catalogue administrator maintains the calendar.")
        try:
            arrangement = YearArrangement(year=year, holidays=holidays, workdays=workdays)
        except ValidationError as exc:
            raise InvalidInput(
                "The arrangement is inconsistent.", errors=validation_errors("body", exc)
            ) from None
        self._store.replace(YearArrangement, [arrangement])
        self._reference.invalidate()
        return arrangement
