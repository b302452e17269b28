"""Reading notifications: the citizen's inbox and preferences, the catalogue administrator's
templates and preview, the supervisors' figures by channel, county and day."""

from __future__ import annotations

import json
from datetime import timedelta
from functools import cache
from pathlib import Path

from chalicelib.clock import Clock
from chalicelib.domain.access import within
from chalicelib.domain.identity import StaffMember
from chalicelib.domain.notification_api import (
    DayFigures,
    NotificationFigures,
    NotificationFiguresQuery,
    NotificationPage,
    NotificationQuery,
    NotificationView,
    PreviewRequest,
    TemplateList,
    TemplatePreview,
    TemplateView,
)
from chalicelib.domain.notifications import (
    Channel,
    MissingValue,
    Notification,
    NotificationKind,
    NotificationPreferences,
    TemplateBook,
    render,
    render_sms,
)
from chalicelib.domain.sms import TEMPLATE_VERSIONS, TEMPLATES, SmsPurpose
from chalicelib.errors import FieldError, InvalidInput, NotFound
from chalicelib.paging import CursorCodec
from chalicelib.store.notifications import NotificationStore

TEMPLATE_FILE = Path(__file__).resolve().parent.parent / "data" / "notification_templates.json"
_SMS_SAMPLES = ("11月27日", "000001")


@cache
def template_book(path: Path = TEMPLATE_FILE) -> TemplateBook:
    """The notification templates (read once per container)."""
    return TemplateBook.model_validate(json.loads(path.read_text(encoding="utf-8")))


def _view(n: Notification) -> NotificationView:
    return NotificationView(
        id=n.notification_id,
        kind=n.kind.value,
        title=n.title,
        text=n.text,
        case_kind=n.case_kind,
        case_id=n.case_id,
        case_number=n.case_number,
        role=n.role,
        at=n.at,
        read=n.read_at is not None,
        read_at=n.read_at,
        channels={c: d.status for c, d in n.channels.items()},
    )


class NotificationInbox:
    def __init__(
        self, store: NotificationStore, cursors: CursorCodec, clock: Clock, book: TemplateBook
    ) -> None:
        self._store = store
        self._cursors = cursors
        self._clock = clock
        self._book = book

    # ---- the citizen

    def page(self, citizen_id: str, query: NotificationQuery) -> NotificationPage:
        """My notifications, newest first, and how many are unread."""
        scope = f"notifications|{citizen_id}"
        after = self._cursors.decode(query.cursor, scope) if query.cursor else None
        found = self._store.page(citizen_id, query.limit, after)
        cursor = None
        if found.last_key is not None and found.items:
            cursor = self._cursors.encode(found.items[-1].notification_id, scope)
        return NotificationPage(
            items=[_view(n) for n in found.items],
            unread=self._store.unread(citizen_id),
            next_cursor=cursor,
        )

    def read(self, citizen_id: str, notification_id: str) -> NotificationView:
        """Marks it read (again: nothing changes)."""
        if self._store.mark_read(citizen_id, notification_id, self._clock.now()) is None:
            raise NotFound(f"No notification {notification_id}.")
        found = self._store.get(citizen_id, notification_id)
        if found is None:
            raise NotFound(f"No notification {notification_id}.")
        return _view(found)

    def preferences(self, citizen_id: str) -> NotificationPreferences:
        return self._store.preferences(citizen_id)

    def set_preferences(
        self, citizen_id: str, prefs: NotificationPreferences
    ) -> NotificationPreferences:
        self._store.save_preferences(citizen_id, prefs)
        return prefs

    # ---- the catalogue administrator

    def templates(self) -> TemplateList:
        items: list[TemplateView] = []
        for kind, rule in self._book.kinds.items():
            inbox = self._book.inbox_template(kind)
            items.append(
                TemplateView(
                    id=f"{kind.value}.inbox",
                    kind=kind.value,
                    channel=Channel.INBOX,
                    version=inbox.version,
                    title=inbox.title,
                    text=inbox.text,
                    placeholders=inbox.placeholders,
                    essential=rule.essential,
                    urgent=rule.urgent,
                )
            )
            items.append(
                TemplateView(
                    id=f"{kind.value}.sms",
                    kind=kind.value,
                    channel=Channel.SMS,
                    version=TEMPLATE_VERSIONS[kind],
                    text=TEMPLATES[kind],
                    placeholders=["1", "2"],
                    essential=rule.essential,
                    urgent=rule.urgent,
                )
            )
            wechat = self._book.wechat_template(kind)
            items.append(
                TemplateView(
                    id=f"{kind.value}.wechat",
                    kind=kind.value,
                    channel=Channel.WECHAT,
                    version=wechat.version,
                    text=_fields_text(wechat.fields),
                    placeholders=wechat.placeholders,
                    essential=rule.essential,
                    urgent=rule.urgent,
                )
            )
        return TemplateList(items=items)

    def preview(self, template_id: str, body: PreviewRequest) -> TemplatePreview:
        """Template `template_id` rendered with the given values (samples for the rest)."""
        kind_name, _, channel = template_id.rpartition(".")
        try:
            kind: NotificationKind = SmsPurpose(kind_name)
        except ValueError:
            kind = SmsPurpose.OTP
        if kind is SmsPurpose.OTP or channel not in ("inbox", "sms", "wechat"):
            raise NotFound(f"No notification template {template_id}.")
        if channel == "sms":
            unknown = set(body.values) - {"1", "2"}
            if unknown:
                raise _unknown(unknown)
            params = tuple(body.values.get(str(i + 1), s) for i, s in enumerate(_SMS_SAMPLES))
            text = render_sms(kind, params)
            return TemplatePreview(id=template_id, version=TEMPLATE_VERSIONS[kind], text=text)
        if channel == "wechat":
            wechat = self._book.wechat_template(kind)
            unknown = set(body.values) - set(wechat.placeholders)
            if unknown:
                raise _unknown(unknown)
            fields = wechat.render({**self._book.samples, **body.values})
            return TemplatePreview(
                id=template_id, version=wechat.version, text=_fields_text(fields)
            )
        template = self._book.inbox_template(kind)
        unknown = set(body.values) - set(template.placeholders)
        if unknown:
            raise _unknown(unknown)
        try:
            text = render(template.text, {**self._book.samples, **body.values})
        except MissingValue as missing:  # pragma: no cover - the book has a sample for each
            raise _unknown({missing.name}) from None
        return TemplatePreview(id=template_id, version=template.version, text=text)

    # ---- the supervisors

    def figures(self, staff: StaffMember, query: NotificationFiguresQuery) -> NotificationFigures:
        """Notifications by channel and outcome, per day, of a county the caller oversees."""
        if not within(query.county, staff.jurisdiction[:6]):
            raise NotFound(
                "No such county in your jurisdiction.",
                errors=[FieldError("query.county", "not in your jurisdiction", "unknown")],
            )
        days = [query.from_ + timedelta(days=n) for n in range((query.to - query.from_).days + 1)]
        found = self._store.figures(query.county, days)
        return NotificationFigures(
            county=query.county,
            days=[DayFigures(date=d, counts=found[d]) for d in days],
        )


def _unknown(names: set[str]) -> InvalidInput:
    return InvalidInput(
        "The template has no such placeholder.",
        errors=[
            FieldError(f"body.values.{n}", "no such placeholder", "unknown") for n in sorted(names)
        ],
    )


def _fields_text(fields: dict[str, str]) -> str:
    """A template message's fields, one `name: value` a line (as WeChat's console shows them)."""
    return "\n".join(f"{name}: {value}" for name, value in fields.items())
