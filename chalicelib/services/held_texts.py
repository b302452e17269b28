"""The quiet hours' held texts, released after 08:00 Beijing time by the sweep: county after
county, ten at a time (one SendMessageBatch a ten, where the SMS port can batch), until the
run's time budget is spent — the next run goes on where it stopped. Each text is queued
before its held item is deleted: a crash between the two sends it twice, never loses it."""

from __future__ import annotations

import time
from collections.abc import Sequence

from chalicelib.clock import Clock
from chalicelib.domain.calendar import beijing_date
from chalicelib.domain.notifications import DeliveryStatus, in_quiet_hours
from chalicelib.domain.sms import SmsMessage
from chalicelib.observability import logger
from chalicelib.services.reference import ReferenceData
from chalicelib.services.sms import SmsDispatch
from chalicelib.store.notifications import HeldSms, NotificationStore

BATCH = 10  # SQS SendMessageBatch's limit


class HeldTexts:
    def __init__(
        self,
        store: NotificationStore,
        reference: ReferenceData,
        sms: SmsDispatch | None,
        clock: Clock,
    ) -> None:
        self._store, self._reference, self._sms, self._clock = store, reference, sms, clock

    def release(self, budget_seconds: float = 12.0) -> int:
        """Queues every held text whose morning has come; returns how many."""
        now = self._clock.now()
        if in_quiet_hours(now) or self._sms is None:
            return 0
        stop = time.monotonic() + budget_seconds
        released = 0
        for county in sorted(self._reference.counties()):
            while due := self._store.due_held(county, now):
                moved = 0
                for start in range(0, len(due), BATCH):
                    if time.monotonic() > stop:
                        logger.info(
                            "held texts left for the next run", extra={"released": released}
                        )
                        return released + moved
                    moved += self._release(county, due[start : start + BATCH])
                released += moved
                if not moved:  # nothing could be taken: the next run tries again
                    break
        return released

    def _release(self, county: str, held: Sequence[HeldSms]) -> int:
        queued = self._dispatch([h.message for h in held])
        taken = [h for h, ok in zip(held, queued, strict=True) if ok and self._store.take_held(h)]
        for h in taken:
            self._store.mark(
                h.citizen_id,
                h.notification_id,
                "sms",
                DeliveryStatus.QUEUED.value,
                when_in=(DeliveryStatus.HELD.value,),
            )
        if taken:
            day = beijing_date(self._clock.now())
            self._store.count(county, day, taken[0].sk, {"sms_released": len(taken)})
        return len(taken)

    def _dispatch(self, messages: list[SmsMessage]) -> list[bool]:
        """Which of `messages` are on the queue: one batch call where the port has it."""
        assert self._sms is not None
        many = getattr(self._sms, "dispatch_many", None)
        if many is not None:
            return list(many(messages))
        for message in messages:
            self._sms.dispatch(message)
        return [True] * len(messages)
