"""The notifications' wiring: the change feed's forwarder, the notifier, the inbox."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from chalicelib.deps.core import CoreWiring

if TYPE_CHECKING:
    from chalicelib.services.notification_inbox import NotificationInbox
    from chalicelib.services.notifications import NotificationFeed, Notifier
    from chalicelib.store.notifications import NotificationStore


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
        )

    @cached_property
    def notification_inbox(self) -> NotificationInbox:
        from chalicelib.services.notification_inbox import NotificationInbox, template_book

        return NotificationInbox(self.notification_store, self.cursors, self.clock, template_book())
