"""The composition root: builds stores and services lazily, once per container.

Handlers call `container()`; tests and the local stack install their own with
`use_container(...)` (a different clock, pre-built clients, other settings).
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, TypeVar

from chalicelib.deps.core import CoreWiring
from chalicelib.deps.inspections import InspectionWiring
from chalicelib.deps.notifications import NotificationWiring

if TYPE_CHECKING:  # the services are imported when first built: a cold start pays for
    # what its first request uses, not for every module of the app
    from chalicelib.services.acceptance import AcceptanceService
    from chalicelib.services.application_agents import ApplicationAgents
    from chalicelib.services.application_submission import ApplicationSubmission
    from chalicelib.services.applications import ApplicationService
    from chalicelib.services.auth import CitizenAuth
    from chalicelib.services.catalogue import CatalogueService
    from chalicelib.services.dashboard import DashboardService
    from chalicelib.services.exports import ExportService
    from chalicelib.services.issuance import IssuanceService
    from chalicelib.services.news import NewsService
    from chalicelib.services.open311 import Open311
    from chalicelib.services.phones import PhoneDirectoryService
    from chalicelib.services.public_guides import PublicGuides
    from chalicelib.services.receipts import Receipts
    from chalicelib.services.request_cases import RequestCases
    from chalicelib.services.request_filing import RequestFiling
    from chalicelib.services.request_handling import RequestHandling
    from chalicelib.services.request_rating import RequestRating
    from chalicelib.services.request_reading import RequestReading
    from chalicelib.services.request_sweep import RequestSweep
    from chalicelib.services.request_triage import RequestTriage
    from chalicelib.services.review import ReviewService
    from chalicelib.services.review_recovery import ReviewRecovery
    from chalicelib.services.scanning import DocumentScanner
    from chalicelib.services.staff_admin import StaffAdministration
    from chalicelib.services.stats import StatsService
    from chalicelib.services.stats_feed import StatsFeed
    from chalicelib.services.supervision import SupervisionService
    from chalicelib.services.window_applications import WindowApplications
    from chalicelib.services.window_requests import WindowRequests

R = TypeVar("R", bound="RequestCases")
A = TypeVar("A", bound="ApplicationService")


DASHBOARD_SECONDS = 8 * 3600  # a working day


class Container(InspectionWiring, NotificationWiring, CoreWiring):
    """Every use case, built on the shared wiring (`core`)."""

    @cached_property
    def catalogue(self) -> CatalogueService:
        from chalicelib.services.catalogue import CatalogueService

        return CatalogueService(self.catalogue_store, self.reference, self.cursors, self.clock)

    @cached_property
    def news(self) -> NewsService:
        from chalicelib.services.news import NewsService
        from chalicelib.store.news import NewsStore

        return NewsService(NewsStore(self.table), self.reference, self.cursors, self.clock)

    @cached_property
    def phones(self) -> PhoneDirectoryService:
        from chalicelib.services.phones import PhoneDirectoryService
        from chalicelib.store.phones import PhoneStore

        return PhoneDirectoryService(PhoneStore(self.table), self.reference, self.clock)

    @cached_property
    def public_guides(self) -> PublicGuides:
        from chalicelib.services.public_guides import PublicGuides

        return PublicGuides(self.catalogue, self.reference)

    @cached_property
    def citizen_auth(self) -> CitizenAuth:
        from chalicelib.services.auth import CitizenAuth
        from chalicelib.store.identity import CitizenStore, OtpStore

        return CitizenAuth(
            OtpStore(self.table),
            CitizenStore(self.table),
            self.sms_dispatch,
            self.tokens,
            self.signing_keys,
            self.settings,
            self.clock,
            self.reference,
        )

    def _application_case(self, kind: type[A]) -> A:
        """A citizen's application use case with its collaborators."""
        from chalicelib.store.identity import CitizenStore

        return kind(
            self.case_store,
            self.catalogue_store,
            CitizenStore(self.table),
            self.reference,
            self.document_storage,
            self.cursors,
            self.clock,
            self.settings,
            self.idempotency,
        )

    @cached_property
    def applications(self) -> ApplicationService:
        from chalicelib.services.applications import ApplicationService

        return self._application_case(ApplicationService)

    @cached_property
    def application_submission(self) -> ApplicationSubmission:
        from chalicelib.services.application_submission import ApplicationSubmission

        return self._application_case(ApplicationSubmission).print_receipts_with(self.receipts)

    @cached_property
    def application_agents(self) -> ApplicationAgents:
        from chalicelib.services.application_agents import ApplicationAgents

        return self._application_case(ApplicationAgents)

    @cached_property
    def acceptance(self) -> AcceptanceService:
        from chalicelib.services.acceptance import AcceptanceService

        return AcceptanceService(
            self.case_store,
            self.reference,
            self.document_storage,
            self.workflow,
            self.cursors,
            self.clock,
            self.settings,
        ).issue_notices_with(self.notices)

    @cached_property
    def review(self) -> ReviewService:
        from chalicelib.services.review import ReviewService

        return (
            ReviewService(self.case_store, self.reference, self.workflow, self.cursors, self.clock)
            .recover_with(self.review_recovery)
            .issue_notices_with(self.notices)
        )

    @cached_property
    def review_recovery(self) -> ReviewRecovery:
        from chalicelib.services.review_recovery import ReviewRecovery

        return ReviewRecovery(
            self.case_store,
            self.reference,
            self.workflow,
            self.clock,
            self.settings,
            self.cursors,
        )

    @cached_property
    def issuance(self) -> IssuanceService:
        from chalicelib.services.issuance import IssuanceService

        return IssuanceService(
            self.case_store,
            self.reference,
            self.document_storage,
            self.cursors,
            self.clock,
            self.settings.public_url,
            self.inspection_directory.licence_issued,
        )

    @cached_property
    def window_applications(self) -> WindowApplications:
        from chalicelib.services.window_applications import WindowApplications

        return (
            self._application_case(WindowApplications)
            .with_tokens(self.tokens)
            .print_receipts_with(self.receipts)
        )

    @cached_property
    def window_requests(self) -> WindowRequests:
        from chalicelib.services.window_requests import WindowRequests

        return (
            self._request_case(WindowRequests)
            .with_tokens(self.tokens)
            .print_receipts_with(self.receipts)
        )

    @cached_property
    def receipts(self) -> Receipts:
        from chalicelib.services.receipts import Receipts
        from chalicelib.store.identity import CitizenStore

        return Receipts(
            self.case_store,
            self.request_store,
            CitizenStore(self.table),
            self.reference,
            self.clock,
            self.settings.public_url,
        ).print_with(self.notices)

    @cached_property
    def scanner(self) -> DocumentScanner:
        from chalicelib.services.scanning import DocumentScanner

        return DocumentScanner(
            self.case_store, self.request_store, self.document_storage, self.clock
        )

    def _request_case(self, kind: type[R]) -> R:
        """A request use case with its collaborators (every one shares the same)."""
        from chalicelib.store.identity import CitizenStore
        from chalicelib.store.request_lists import RequestLists

        sms = self.sms_dispatch if self._sms_dispatch or self.settings.sms_queue_url else None
        return kind(
            self.request_store,
            CitizenStore(self.table),
            self.reference,
            self.router,
            self.roster,
            self.document_storage,
            self.cursors,
            sms,
            self.clock,
            self.settings,
            self.idempotency,
            RequestLists(self.table),
        )

    @cached_property
    def request_filing(self) -> RequestFiling:
        from chalicelib.services.request_filing import RequestFiling

        return self._request_case(RequestFiling)

    @cached_property
    def request_reading(self) -> RequestReading:
        from chalicelib.services.request_reading import RequestReading

        return self._request_case(RequestReading)

    @cached_property
    def request_triage(self) -> RequestTriage:
        from chalicelib.services.request_triage import RequestTriage

        return self._request_case(RequestTriage)

    @cached_property
    def request_handling(self) -> RequestHandling:
        from chalicelib.services.request_handling import RequestHandling

        return self._request_case(RequestHandling)

    @cached_property
    def request_rating(self) -> RequestRating:
        from chalicelib.services.request_rating import RequestRating

        return self._request_case(RequestRating)

    @cached_property
    def request_sweep(self) -> RequestSweep:
        from chalicelib.services.request_sweep import RequestSweep

        return self._request_case(RequestSweep)

    @cached_property
    def open311(self) -> Open311:
        from chalicelib.services.open311 import Open311

        return Open311(
            self.reference,
            self.request_filing,
            self.request_store,
            self.partner_keys,
            self.clock,
            self.settings.public_url,
        )

    @cached_property
    def stats(self) -> StatsService:
        from chalicelib.services.stats import StatsService
        from chalicelib.store.stats import StatsStore

        return StatsService(StatsStore(self.table), self.reference, self.clock)

    @cached_property
    def stats_feed(self) -> StatsFeed:
        from chalicelib.services.stats_feed import StatsFeed
        from chalicelib.store.stats import StatsStore

        return StatsFeed(StatsStore(self.table), self.clock, self.reference)

    @cached_property
    def supervision(self) -> SupervisionService:
        from chalicelib.services.supervision import SupervisionService
        from chalicelib.store.listing import CaseIndex

        return SupervisionService(CaseIndex(self.table), self.reference, self.cursors, self.clock)

    @cached_property
    def exports(self) -> ExportService:
        from chalicelib.services.exports import ExportService

        return ExportService(self.supervision, self.stats)

    @cached_property
    def staff_admin(self) -> StaffAdministration:
        from chalicelib.services.staff_admin import StaffAdministration
        from chalicelib.store.staff import StaffStore

        return StaffAdministration(
            StaffStore(self.table), self.reference, self.staff, self.cursors, self.clock
        )

    @cached_property
    def dashboard(self) -> DashboardService:
        from chalicelib.auth.tokens import DASHBOARD_AUDIENCE, TokenIssuer
        from chalicelib.services.dashboard import DashboardService

        return DashboardService(
            TokenIssuer(self.signing_keys, DASHBOARD_SECONDS, DASHBOARD_AUDIENCE),
            self.staff,
            self.stats,
            self.supervision,
            self.clock,
            self.settings.public_url,
            self.inspection_figures,
        )


_container: Container | None = None


def container() -> Container:
    global _container
    if _container is None:
        _container = Container()
    return _container


def use_container(replacement: Container | None) -> None:
    """Installs `replacement` (None: build from the environment on next use)."""
    global _container
    _container = replacement
