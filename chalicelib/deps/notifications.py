"""The notifications' wiring: the change feed's forwarder, the notifier, the inbox, the
delivery ledger (the SMS consumer records each notice's fate through it), WeChat."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from chalicelib.deps.core import CoreWiring

if TYPE_CHECKING:
    from chalicelib.services.held_texts import HeldTexts
    from chalicelib.services.notification_inbox import NotificationInbox
    from chalicelib.services.notification_ledger import DeliveryLedger
    from chalicelib.services.notifications import NotificationFeed, Notifier, WechatAccount
    from chalicelib.services.provider_receipts import SmsReceipts, WechatEvents
    from chalicelib.services.sms import SmsDelivery
    from chalicelib.services.wechat_binding import WechatService
    from chalicelib.store.notifications import NotificationStore
    from chalicelib.store.wechat import WechatApi
    from chalicelib.store.wechat_bindings import WechatBindings


class NotificationWiring(CoreWiring):
    @cached_property
    def notification_store(self) -> NotificationStore:
        from chalicelib.store.notifications import NotificationStore

        return NotificationStore(self.table)

    @cached_property
    def notification_feed(self) -> NotificationFeed:
        from chalicelib.services.notifications import NotificationFeed
        from chalicelib.store.notifications import QueuedNotifications

        url = self.settings.notifications_queue_url
        return NotificationFeed(QueuedNotifications(self.clients, url) if url else None)

    @cached_property
    def notifier(self) -> Notifier:
        from chalicelib.services.notification_inbox import template_book
        from chalicelib.services.notifications import Notifier
        from chalicelib.store.identity import CitizenStore

        sms = self.sms_dispatch if self._sms_dispatch or self.settings.sms_queue_url else None
        return Notifier(
            self.notification_store,
            CitizenStore(self.table),
            self.reference,
            sms,
            template_book(),
            self.clock,
            self.delivery_ledger,
            self.wechat_bindings,
            self.wechat_account,
        )

    @cached_property
    def held_texts(self) -> HeldTexts:
        from chalicelib.services.held_texts import HeldTexts

        sms = self.sms_dispatch if self._sms_dispatch or self.settings.sms_queue_url else None
        return HeldTexts(self.notification_store, self.reference, sms, self.clock)

    @cached_property
    def wechat_bindings(self) -> WechatBindings:
        from chalicelib.store.wechat_bindings import WechatBindings

        return WechatBindings(self.table)

    @cached_property
    def delivery_ledger(self) -> DeliveryLedger:
        from chalicelib.services.notification_ledger import DeliveryLedger

        return DeliveryLedger(self.notification_store, self.wechat_bindings, self.clock)

    @cached_property
    def sms_delivery(self) -> SmsDelivery:
        from chalicelib.services.sms import SmsDelivery
        from chalicelib.store.sms import QueuedDeadLetters

        url = self.settings.sms_dead_letter_url
        letters = QueuedDeadLetters(self.clients, url) if url else None
        return SmsDelivery(self.sms_sender, letters, self.clock.now, self.delivery_ledger)

    @cached_property
    def wechat_api(self) -> WechatApi | None:
        """The official account's API; None where the stage has no account configured."""
        s = self.settings
        if not (s.wechat_app_id and s.wechat_secret_id):
            return None
        from chalicelib.store.wechat import WechatApi, WechatSecrets

        return WechatApi(
            self.table,
            WechatSecrets(self.clients, s.wechat_secret_id),
            app_id=s.wechat_app_id,
            endpoint=s.wechat_endpoint,
        )

    @cached_property
    def wechat_account(self) -> WechatAccount | None:
        from chalicelib.services.notifications import WechatAccount

        api, template = self.wechat_api, self.settings.wechat_template_id
        if api is None or not template:
            return None
        return WechatAccount(api, template, self.settings.app_case_url)

    @cached_property
    def wechat(self) -> WechatService:
        from chalicelib.services.wechat_binding import WechatService

        return WechatService(self.wechat_api, self.wechat_bindings, self.clock)

    @cached_property
    def wechat_events(self) -> WechatEvents:
        from chalicelib.services.provider_receipts import WechatEvents

        return WechatEvents(
            self.wechat_api, self.wechat_bindings, self.delivery_ledger, self.notifier, self.clock
        )

    @cached_property
    def sms_receipts(self) -> SmsReceipts:
        from chalicelib.services.provider_receipts import SmsReceipts

        secret_id = self.settings.sms_callback_secret_id
        if not secret_id:
            return SmsReceipts(self.delivery_ledger, lambda: None)
        from chalicelib.store.secrets import SecretField

        key = SecretField(self.clients, secret_id, "callback_key")
        return SmsReceipts(self.delivery_ledger, key.value)

    @cached_property
    def notification_inbox(self) -> NotificationInbox:
        from chalicelib.services.notification_inbox import NotificationInbox, template_book

        return NotificationInbox(self.notification_store, self.cursors, self.clock, template_book())
