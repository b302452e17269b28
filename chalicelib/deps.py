"""The composition root: builds stores and services lazily, once per container.

Handlers call `container()`; tests and the local stack install their own with
`use_container(...)` (a different clock, pre-built clients, other settings).
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, TypeVar

from chalicelib.clock import Clock, SystemClock
from chalicelib.paging import CursorCodec
from chalicelib.settings import Settings, get_settings

if TYPE_CHECKING:  # the services are imported when first built: a cold start pays for
    # what its first request uses, not for every module of the app
    from chalicelib.auth.tokens import TokenIssuer
    from chalicelib.services.acceptance import AcceptanceService
    from chalicelib.services.application_agents import ApplicationAgents
    from chalicelib.services.application_submission import ApplicationSubmission
    from chalicelib.services.applications import ApplicationService
    from chalicelib.services.auth import CitizenAuth
    from chalicelib.services.calendar import CalendarService
    from chalicelib.services.catalogue import CatalogueService
    from chalicelib.services.dashboard import DashboardService
    from chalicelib.services.exports import ExportService
    from chalicelib.services.issuance import IssuanceService
    from chalicelib.services.open311 import Open311
    from chalicelib.services.reference import ReferenceData
    from chalicelib.services.request_cases import RequestCases
    from chalicelib.services.request_filing import RequestFiling
    from chalicelib.services.request_handling import RequestHandling
    from chalicelib.services.request_rating import RequestRating
    from chalicelib.services.request_reading import RequestReading
    from chalicelib.services.request_sweep import RequestSweep
    from chalicelib.services.request_triage import RequestTriage
    from chalicelib.services.review import ReviewService
    from chalicelib.services.routing import Router
    from chalicelib.services.scanning import DocumentScanner
    from chalicelib.services.sms import (
        SmsDispatch,
        SmsSender,
    )
    from chalicelib.services.staff import StaffDirectory
    from chalicelib.services.stats import StatsService
    from chalicelib.services.supervision import SupervisionService
    from chalicelib.store.cases import CaseStore
    from chalicelib.store.catalogue import CatalogueStore
    from chalicelib.store.clients import AwsClients
    from chalicelib.store.documents import DocumentStorage
    from chalicelib.store.limits import IdempotencyStore
    from chalicelib.store.partners import PartnerKeyStore
    from chalicelib.store.reference import ReferenceStore
    from chalicelib.store.requests import RequestStore
    from chalicelib.store.secrets import SigningKeyStore
    from chalicelib.store.table import Table
    from chalicelib.store.workflow import ApprovalWorkflow

R = TypeVar("R", bound="RequestCases")
A = TypeVar("A", bound="ApplicationService")


DASHBOARD_SECONDS = 8 * 3600  # a working day


class Container:
    def __init__(
        self,
        settings: Settings | None = None,
        clock: Clock | None = None,
        clients: AwsClients | None = None,
        sms_dispatch: SmsDispatch | None = None,
    ) -> None:
        from chalicelib.store.clients import AwsClients

        self.settings = settings or get_settings()
        self.clock = clock or SystemClock()
        self.clients = clients or AwsClients(self.settings.region)
        self._sms_dispatch = sms_dispatch

    # stores -------------------------------------------------------------------------------
    @cached_property
    def table(self) -> Table:
        from chalicelib.store.table import Table

        return Table(self.clients, self.settings.table_name)

    @cached_property
    def catalogue_store(self) -> CatalogueStore:
        from chalicelib.store.catalogue import CatalogueStore

        return CatalogueStore(self.table)

    @cached_property
    def reference_store(self) -> ReferenceStore:
        from chalicelib.store.reference import ReferenceStore

        return ReferenceStore(self.table)

    @cached_property
    def case_store(self) -> CaseStore:
        from chalicelib.store.cases import CaseStore

        return CaseStore(self.table)

    @cached_property
    def request_store(self) -> RequestStore:
        from chalicelib.store.requests import RequestStore

        return RequestStore(self.table)

    @cached_property
    def document_storage(self) -> DocumentStorage:
        from chalicelib.store.documents import DocumentStorage

        return DocumentStorage(self.clients, self.settings.documents_bucket)

    @cached_property
    def workflow(self) -> ApprovalWorkflow | None:
        from chalicelib.store.workflow import ApprovalWorkflow

        arn = self.settings.state_machine_arn
        return ApprovalWorkflow(self.clients, arn) if arn else None

    @cached_property
    def signing_keys(self) -> SigningKeyStore:
        from chalicelib.store.secrets import SigningKeyStore

        return SigningKeyStore(self.clients, self.settings.signing_secret_id)

    # services -----------------------------------------------------------------------------
    @cached_property
    def reference(self) -> ReferenceData:
        from chalicelib.services.reference import ReferenceData, RevisionCache
        from chalicelib.store.catalogue import RevisionStore

        cache = RevisionCache(
            RevisionStore(self.table), self.clock, self.settings.reference_max_age_seconds
        )
        return ReferenceData(self.reference_store, self.catalogue_store, cache)

    @cached_property
    def cursors(self) -> CursorCodec:
        return CursorCodec(self.signing_keys.key())

    @cached_property
    def catalogue(self) -> CatalogueService:
        from chalicelib.services.catalogue import CatalogueService

        return CatalogueService(self.catalogue_store, self.reference, self.cursors, self.clock)

    @cached_property
    def tokens(self) -> TokenIssuer:
        from chalicelib.auth.tokens import TokenIssuer

        return TokenIssuer(self.signing_keys.key(), self.settings.token_ttl_seconds)

    @cached_property
    def sms_dispatch(self) -> SmsDispatch:
        from chalicelib.store.sms import QueuedDispatch

        if self._sms_dispatch is not None:
            return self._sms_dispatch
        if not self.settings.sms_queue_url:
            raise RuntimeError("BIANMIN_SMS_QUEUE_URL is not set")
        return QueuedDispatch(self.clients, self.settings.sms_queue_url)

    @cached_property
    def sms_sender(self) -> SmsSender:
        from chalicelib.store.sms import OutboxSender, SnsSender

        if self.settings.sms_backend == "sns":
            return SnsSender(self.clients)
        return OutboxSender(self.settings.outbox_path)

    @cached_property
    def citizen_auth(self) -> CitizenAuth:
        from chalicelib.services.auth import CitizenAuth
        from chalicelib.store.identity import CitizenStore, OtpStore

        return CitizenAuth(
            OtpStore(self.table),
            CitizenStore(self.table),
            self.sms_dispatch,
            self.tokens,
            self.signing_keys.key(),
            self.settings,
            self.clock,
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

        return self._application_case(ApplicationSubmission)

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
        )

    @cached_property
    def review(self) -> ReviewService:
        from chalicelib.services.review import ReviewService

        return ReviewService(
            self.case_store, self.reference, self.workflow, self.cursors, self.clock
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
        )

    @cached_property
    def calendar(self) -> CalendarService:
        from chalicelib.services.calendar import CalendarService

        return CalendarService(self.reference_store, self.reference)

    @cached_property
    def scanner(self) -> DocumentScanner:
        from chalicelib.services.scanning import DocumentScanner

        return DocumentScanner(
            self.case_store, self.request_store, self.document_storage, self.clock
        )

    @property
    def roster(self) -> StaffDirectory:
        """The staff as routing and the views look them up: the one staff cache."""
        return self.staff

    @cached_property
    def router(self) -> Router:
        from chalicelib.services.routing import Router

        return Router(self.reference, self.roster)

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
    def partner_keys(self) -> PartnerKeyStore:
        from chalicelib.store.partners import PartnerKeyStore

        return PartnerKeyStore(self.table)

    @cached_property
    def idempotency(self) -> IdempotencyStore:
        from chalicelib.store.limits import IdempotencyStore

        return IdempotencyStore(self.table, self.clock.now)

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
    def supervision(self) -> SupervisionService:
        from chalicelib.services.supervision import SupervisionService
        from chalicelib.store.listing import CaseIndex

        return SupervisionService(CaseIndex(self.table), self.reference, self.cursors, self.clock)

    @cached_property
    def exports(self) -> ExportService:
        from chalicelib.services.exports import ExportService

        return ExportService(self.supervision, self.stats)

    @cached_property
    def dashboard(self) -> DashboardService:
        from chalicelib.auth.tokens import DASHBOARD_AUDIENCE, TokenIssuer
        from chalicelib.services.dashboard import DashboardService

        return DashboardService(
            TokenIssuer(self.signing_keys.key(), DASHBOARD_SECONDS, DASHBOARD_AUDIENCE),
            self.staff,
            self.stats,
            self.supervision,
            self.clock,
            self.settings.public_url,
        )

    @cached_property
    def staff(self) -> StaffDirectory:
        from chalicelib.services.staff import StaffDirectory
        from chalicelib.store.identity import StaffStore

        return StaffDirectory(StaffStore(self.table), self.clock, self.settings.staff_cache_seconds)


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
