"""Notifications' items.

NOTICES#<citizen> / N#<event id>     one notification (one per event and recipient: written
                                    only if absent, so a redelivered event adds nothing)
NOTICES#<citizen> / UNREAD          the recipient's unread count (ADD, with the put and the read)
NOTICES#<citizen> / PREFS           the recipient's preferences
SMSHELD#<county>#<shard> / <release at>#<citizen>#<event id>
                                    an SMS held by the quiet hours until `release at`
                                    (HELD_SHARDS per county: no partition takes a county's night)
NSTATS#<county>#<yyyymmdd> / S#<shard>
                                    the day's figures by channel and outcome (ADD)

A notification, its unread count, its figures and its held text are one transaction: all of
them happen exactly once, or none does.
"""

from __future__ import annotations

import zlib
from datetime import UTC, date, datetime
from typing import Any

from chalicelib.domain.application import Application
from chalicelib.domain.moves import TimelineEvent
from chalicelib.domain.notifications import Notification, NotificationPreferences
from chalicelib.domain.request import ServiceRequest
from chalicelib.domain.sms import SmsMessage
from chalicelib.domain.wechat import WechatBinding
from chalicelib.observability import logger
from chalicelib.store.case_parts import ROOT as APPLICATION_ROOT
from chalicelib.store.clients import AwsClients
from chalicelib.store.refusals import is_conditional_failure
from chalicelib.store.request_items import ROOT as REQUEST_ROOT
from chalicelib.store.table import Page, Table

HELD_SHARDS = 4
FIGURE_SHARDS = 4


def _pk(citizen_id: str) -> str:
    return f"NOTICES#{citizen_id}"


def _held_pk(county: str, shard: int) -> str:
    return f"SMSHELD#{county}#{shard}"


def _shard(key: str, shards: int) -> int:
    return zlib.crc32(key.encode()) % shards


def figures_pk(county: str, day: date) -> str:
    return f"NSTATS#{county}#{day.strftime('%Y%m%d')}"


def _figure_op(county: str, day: date, key: str, counts: dict[str, int]) -> dict[str, Any]:
    names = {f"#c{i}": name for i, name in enumerate(counts)}
    values = {f":c{i}": n for i, n in enumerate(counts.values())}
    return {
        "Update": {
            "Key": {
                "pk": figures_pk(county, day),
                "sk": f"S#{_shard(key, FIGURE_SHARDS)}",
            },
            "UpdateExpression": "ADD " + ", ".join(f"#c{i} :c{i}" for i in range(len(counts))),
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
    }


def _held_put(
    county: str, citizen_id: str, notification_id: str, message: SmsMessage, release_at: datetime
) -> dict[str, Any]:
    shard = _shard(citizen_id, HELD_SHARDS)
    return {
        "Put": {
            "Item": {
                "pk": _held_pk(county, shard),
                "sk": f"{release_at.astimezone(UTC).isoformat()}#{citizen_id}#{notification_id}",
                "message": message.model_dump_json(),
            }
        }
    }


def _mark_op(
    citizen_id: str,
    notification_id: str,
    channel: str,
    status: str,
    when_in: tuple[str, ...],
    **fields: Any,
) -> dict[str, Any]:
    """The update of a channel's status (and `at` → updated_at, provider_id, reason), on
    condition the channel exists and, given `when_in`, its status is one of them."""
    names = {"#d": "data", "#ch": "channels", "#c": channel, "#s": "status"}
    values: dict[str, Any] = {":s": status}
    sets = ["#d.#ch.#c.#s = :s"]
    if fields.get("at") is not None:
        fields["updated_at"] = fields["at"].isoformat()
    for name in ("updated_at", "provider_id", "reason"):
        if fields.get(name) is not None:
            names[f"#{name}"], values[f":{name}"] = name, fields[name]
            sets.append(f"#d.#ch.#c.#{name} = :{name}")
    condition = "attribute_exists(#d.#ch.#c)"
    if when_in:
        options = {f":w{i}": w for i, w in enumerate(when_in)}
        values |= options
        condition += f" AND #d.#ch.#c.#s IN ({', '.join(options)})"
    key = {"pk": _pk(citizen_id), "sk": f"N#{notification_id}"}
    return {
        "Update": {
            "Key": key,
            "UpdateExpression": "SET " + ", ".join(sets),
            "ConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
    }


class HeldSms:
    """An SMS held for the morning, with where its status is recorded."""

    def __init__(self, pk: str, sk: str, message: SmsMessage, citizen_id: str, nid: str) -> None:
        self.pk, self.sk = pk, sk
        self.message, self.citizen_id, self.notification_id = message, citizen_id, nid


class QueuedNotifications:
    """Puts a timeline event to tell of on the notifications queue."""

    def __init__(self, clients: AwsClients, queue_url: str) -> None:
        self._clients = clients
        self._queue_url = queue_url

    def send(self, body: str) -> None:
        self._clients.client("sqs").send_message(QueueUrl=self._queue_url, MessageBody=body)


class NotificationStore:
    def __init__(self, table: Table) -> None:
        self._table = table

    # ---- the case an event belongs to

    def case(self, case_id: str) -> Application | ServiceRequest | None:
        """The root of case `case_id`, of either kind (one BatchGetItem)."""
        pk = f"CASE#{case_id}"
        for raw in self._table.batch_get([(pk, APPLICATION_ROOT), (pk, REQUEST_ROOT)]):
            if raw.get("kind") == "request" or raw["sk"] == REQUEST_ROOT:
                return ServiceRequest.model_validate(raw["data"])
            return Application.model_validate(raw["data"])
        return None

    def event(self, case_id: str, event_id: str) -> TimelineEvent | None:
        raw = self._table.get(f"CASE#{case_id}", f"EV#{event_id}", consistent=True)
        return TimelineEvent.model_validate(raw["data"]) if raw else None

    # ---- recording

    def record(
        self,
        notice: Notification,
        held: SmsMessage | None = None,
        release_at: datetime | None = None,
    ) -> bool:
        """Records `notice` (its unread count, its held SMS) unless it is recorded already;
        True when this call recorded it. Only the recipient's own items are in the
        transaction: no two recipients' notifications share an item."""
        pk = _pk(notice.citizen_id)
        ops: list[dict[str, Any]] = [
            {
                "Put": {
                    "Item": {
                        "pk": pk,
                        "sk": f"N#{notice.notification_id}",
                        "data": notice.model_dump(mode="json", exclude_none=True),
                    },
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {
                "Update": {
                    "Key": {"pk": pk, "sk": "UNREAD"},
                    "UpdateExpression": "ADD #n :one",
                    "ExpressionAttributeNames": {"#n": "n"},
                    "ExpressionAttributeValues": {":one": 1},
                }
            },
        ]
        if held is not None and release_at is not None:
            ops.append(
                _held_put(
                    notice.county, notice.citizen_id, notice.notification_id, held, release_at
                )
            )
        return self._transact_if(ops)

    def count(self, county: str, day: date, key: str, counts: dict[str, int]) -> None:
        self._table.transact([_figure_op(county, day, key, counts)])

    def mark(
        self,
        citizen_id: str,
        notification_id: str,
        channel: str,
        status: str,
        *,
        at: datetime | None = None,
        provider_id: str | None = None,
        reason: str | None = None,
        when_in: tuple[str, ...] = (),
    ) -> bool:
        """Moves a channel's status, with the provider's id or the reason, only from one of
        `when_in` if given (a receipt counts once; a late `sent` never undoes `delivered`).
        True when it moved."""
        fields = {"at": at, "provider_id": provider_id, "reason": reason}
        spec = _mark_op(citizen_id, notification_id, channel, status, when_in, **fields)["Update"]
        key = spec.pop("Key")
        try:
            self._table.update(key["pk"], key["sk"], **spec)  # one item: no transaction's price
        except Exception as exc:
            if not is_conditional_failure(exc):
                raise
            return False
        return True

    def hold_notice(
        self,
        message: SmsMessage,
        release_at: datetime,
        at: datetime,
        *,
        when_in: tuple[str, ...],
    ) -> bool:
        """Holds a notice text until `release_at` and marks it held, in one transaction, if
        its status is one of `when_in`; False (nothing written) otherwise."""
        notice = message.notice
        if notice is None:
            raise ValueError("only a notification's text is held")
        cid, nid = notice.citizen_id, notice.notification_id
        put = _held_put(notice.county, cid, nid, message, release_at)
        return self._transact_if([put, _mark_op(cid, nid, "sms", "held", when_in, at=at)])

    def _transact_if(self, ops: list[dict[str, Any]]) -> bool:
        """The transaction; False when a condition of it failed (nothing written)."""
        try:
            self._table.transact(ops)
        except Exception as exc:
            if is_conditional_failure(exc):
                return False
            raise
        return True

    # ---- the inbox

    def page(self, citizen_id: str, limit: int, after: str | None) -> Page[Notification]:
        """The citizen's notifications newest first, older than notification `after`."""
        pk = _pk(citizen_id)
        found = self._table.query(
            pk,
            sk_prefix="N#",
            forward=False,
            limit=limit,
            start_key={"pk": {"S": pk}, "sk": {"S": f"N#{after}"}} if after else None,
            consistent=True,
        )
        items = [Notification.model_validate(raw["data"]) for raw in found.items]
        return Page(items, found.last_key)

    def unread(self, citizen_id: str) -> int:
        raw = self._table.get(_pk(citizen_id), "UNREAD", consistent=True)
        return max(0, int(raw["n"])) if raw else 0

    def mark_read(self, citizen_id: str, notification_id: str, at: datetime) -> bool | None:
        """Marks it read once: True now, False already read, None no such notification."""
        pk, sk = _pk(citizen_id), f"N#{notification_id}"
        try:
            self._table.transact(
                [
                    {
                        "Update": {
                            "Key": {"pk": pk, "sk": sk},
                            "UpdateExpression": "SET #d.#r = :at",
                            "ConditionExpression": "attribute_exists(pk) AND "
                            "attribute_not_exists(#d.#r)",
                            "ExpressionAttributeNames": {"#d": "data", "#r": "read_at"},
                            "ExpressionAttributeValues": {":at": at.isoformat()},
                        }
                    },
                    {
                        "Update": {
                            "Key": {"pk": pk, "sk": "UNREAD"},
                            "UpdateExpression": "ADD #n :minus",
                            "ExpressionAttributeNames": {"#n": "n"},
                            "ExpressionAttributeValues": {":minus": -1},
                        }
                    },
                ]
            )
        except Exception as exc:
            if not is_conditional_failure(exc):
                raise
            return False if self.get(citizen_id, notification_id) else None
        return True

    def get(self, citizen_id: str, notification_id: str) -> Notification | None:
        raw = self._table.get(_pk(citizen_id), f"N#{notification_id}", consistent=True)
        return Notification.model_validate(raw["data"]) if raw else None

    # ---- preferences

    def preferences(self, citizen_id: str) -> NotificationPreferences:
        raw = self._table.get(_pk(citizen_id), "PREFS", consistent=True)
        return (
            NotificationPreferences.model_validate(raw["data"])
            if raw
            else NotificationPreferences()
        )

    def recipient_settings(
        self, citizen_id: str
    ) -> tuple[NotificationPreferences, WechatBinding | None]:
        """The citizen's preferences and WeChat binding (one BatchGetItem)."""
        pk = _pk(citizen_id)
        prefs, binding = NotificationPreferences(), None
        for raw in self._table.batch_get([(pk, "PREFS"), (pk, "WECHAT")]):
            if raw["sk"] == "PREFS":
                prefs = NotificationPreferences.model_validate(raw["data"])
            else:
                binding = WechatBinding.model_validate(raw["data"])
        return prefs, binding

    def save_preferences(self, citizen_id: str, prefs: NotificationPreferences) -> None:
        self._table.put({"pk": _pk(citizen_id), "sk": "PREFS", "data": prefs.model_dump()})

    # ---- held SMS

    def due_held(self, county: str, now: datetime, limit: int = 100) -> list[HeldSms]:
        """Held texts of `county` whose release time has come (a Query a shard)."""
        due: list[HeldSms] = []
        for shard in range(HELD_SHARDS):
            pk = _held_pk(county, shard)
            found = self._table.query(
                pk,
                sk_between=("0", f"{now.astimezone(UTC).isoformat()}~"),
                limit=limit,
                consistent=True,
            )
            for raw in found.items:
                _, citizen_id, nid = str(raw["sk"]).rsplit("#", 2)
                try:
                    message = SmsMessage.model_validate_json(raw["message"])
                except ValueError:  # written by another version: left, not in the way
                    logger.warning("a held text no longer reads", extra={"sk": raw["sk"]})
                    continue
                due.append(HeldSms(pk, str(raw["sk"]), message, citizen_id, nid))
        return due

    def take_held(self, held: HeldSms) -> bool:
        """Removes a held text; False when another sweep took it first."""
        key = {"pk": held.pk, "sk": held.sk}
        return self._transact_if(
            [{"Delete": {"Key": key, "ConditionExpression": "attribute_exists(pk)"}}]
        )

    # ---- figures

    def figures(self, county: str, days: list[date]) -> dict[date, dict[str, int]]:
        """The figures of `county` on each of `days` (one BatchGetItem per 25 days)."""
        keys = [(figures_pk(county, d), f"S#{s}") for d in days for s in range(FIGURE_SHARDS)]
        by_pk = {figures_pk(county, d): d for d in days}
        totals: dict[date, dict[str, int]] = {d: {} for d in days}
        for raw in self._table.batch_get(keys, consistent=False):
            total = totals[by_pk[str(raw["pk"])]]
            for name, value in raw.items():
                if name not in ("pk", "sk"):
                    total[name] = total.get(name, 0) + int(value)
        return totals
