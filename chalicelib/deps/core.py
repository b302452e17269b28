"""The wiring every use case shares: settings, the clock and the AWS clients, the stores,
and the services the others are built on (reference data, cursors, tokens, SMS, the staff
directory, routing, the calendar). Each is built lazily, once per container."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from chalicelib.clock import Clock, SystemClock
from chalicelib.paging import CursorCodec
from chalicelib.settings import Settings, get_settings

if TYPE_CHECKING:  # the services are imported when first built: a cold start pays for
    # what its first request uses, not for every module of the app
    from chalicelib.auth.tokens import TokenIssuer
    from chalicelib.services.calendar import CalendarService
    from chalicelib.services.notices import NoticeService
    from chalicelib.services.reference import ReferenceData
    from chalicelib.services.routing import Router
    from chalicelib.services.sms import SmsDelivery, SmsDispatch, SmsSender
    from chalicelib.services.staff import StaffDirectory
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


class CoreWiring:
    """Settings, clock, AWS clients, the stores and the shared services."""

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

    # shared services ----------------------------------------------------------------------
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
        return CursorCodec(self.signing_keys)

    @cached_property
    def tokens(self) -> TokenIssuer:
        from chalicelib.auth.tokens import TokenIssuer

        return TokenIssuer(self.signing_keys, self.settings.token_ttl_seconds)

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
        s = self.settings
        if s.sms_backend != "tencent":
            from chalicelib.store.sms import OutboxSender

            return OutboxSender(s.outbox_path)
        from chalicelib.store.tencent_sms import TencentCredentials, TencentSmsSender

        if not (s.sms_sdk_app_id and s.sms_credentials_secret_id):
            raise RuntimeError(
                "BIANMIN_SMS_BACKEND=tencent needs BIANMIN_SMS_SDK_APP_ID and "
                "BIANMIN_SMS_CREDENTIALS_SECRET_ID (and BIANMIN_SMS_TEMPLATES)"
            )
        return TencentSmsSender(
            TencentCredentials(self.clients, s.sms_credentials_secret_id),
            app_id=s.sms_sdk_app_id,
            templates=s.sms_templates,
            region=s.sms_region,
            endpoint=s.sms_endpoint,
            timeout_seconds=s.sms_timeout_seconds,
        )

    @cached_property
    def sms_delivery(self) -> SmsDelivery:
        from chalicelib.services.sms import SmsDelivery
        from chalicelib.store.sms import QueuedDeadLetters

        url = self.settings.sms_dead_letter_url
        letters = QueuedDeadLetters(self.clients, url) if url else None
        return SmsDelivery(self.sms_sender, letters, self.clock.now)

    @cached_property
    def idempotency(self) -> IdempotencyStore:
        from chalicelib.store.limits import IdempotencyStore

        return IdempotencyStore(self.table, self.clock.now)

    @cached_property
    def partner_keys(self) -> PartnerKeyStore:
        from chalicelib.store.partners import PartnerKeyStore

        return PartnerKeyStore(self.table)

    @cached_property
    def staff(self) -> StaffDirectory:
        from chalicelib.services.staff import StaffDirectory
        from chalicelib.store.staff import StaffStore

        return StaffDirectory(StaffStore(self.table), self.clock, self.settings.staff_cache_seconds)

    @property
    def roster(self) -> StaffDirectory:
        """The staff as routing and the views look them up: the one staff cache."""
        return self.staff

    @cached_property
    def router(self) -> Router:
        from chalicelib.services.routing import Router

        return Router(self.reference, self.roster)

    @cached_property
    def notices(self) -> NoticeService:
        """Written notices (受理/补正/不予受理通知书, decisions, receipts): rendered inline."""
        from chalicelib.services.notices import NoticeService
        from chalicelib.store.notices import NoticeStore

        return NoticeService(
            NoticeStore(self.table),
            self.case_store,
            self.request_store,
            self.reference,
            self.document_storage,
            self.clock,
            self.settings.public_url,
        )

    @cached_property
    def calendar(self) -> CalendarService:
        from chalicelib.services.calendar import CalendarService

        return CalendarService(self.reference_store, self.reference)
