"""Notification routes: the citizen's inbox and preferences (citizen JWT), the catalogue
administrator's templates and preview, the supervisors' figures (SigV4)."""

from __future__ import annotations

from typing import Annotated

from chalice import Blueprint
from pydantic import StringConstraints

from chalicelib.deps import container
from chalicelib.domain.access import CATALOGUE_ADMINS, SUPERVISING
from chalicelib.domain.common import Strict
from chalicelib.domain.identity import StaffMember
from chalicelib.domain.notification_api import (
    NotificationFigures,
    NotificationFiguresQuery,
    NotificationPage,
    NotificationQuery,
    NotificationView,
    PreviewRequest,
    TemplateList,
    TemplatePreview,
)
from chalicelib.domain.notifications import NotificationPreferences
from chalicelib.domain.wechat import BindWechat, WechatBindingView
from chalicelib.http.api import Call, operation
from chalicelib.http.paths import CasePath

bp = Blueprint(__name__)
TAGS = ("notifications",)


class TemplatePath(Strict):
    id: Annotated[str, StringConstraints(pattern=r"^[a-z_]{3,40}\.(inbox|sms|wechat)$")]


@operation(
    bp,
    "/me/notifications",
    summary="My notifications, newest first, and how many are unread",
    tags=TAGS,
    auth="citizen",
    query=NotificationQuery,
    response=NotificationPage,
)
def my_notifications(call: Call, query: NotificationQuery) -> NotificationPage:
    return container().notification_inbox.page(call.citizen_id, query)


@operation(
    bp,
    "/me/notifications/{id}/read",
    "POST",
    summary="Mark a notification read (again: nothing changes)",
    tags=TAGS,
    auth="citizen",
    path_model=CasePath,
    response=NotificationView,
)
def read_notification(call: Call, id: str) -> NotificationView:
    return container().notification_inbox.read(call.citizen_id, id)


@operation(
    bp,
    "/me/notification-preferences",
    summary="What I receive on each channel (essential notifications always)",
    tags=TAGS,
    auth="citizen",
    response=NotificationPreferences,
)
def get_preferences(call: Call) -> NotificationPreferences:
    return container().notification_inbox.preferences(call.citizen_id)


@operation(
    bp,
    "/me/notification-preferences",
    "PUT",
    summary="Choose all or only the essential notifications by SMS (the inbox receives all)",
    tags=TAGS,
    auth="citizen",
    body=NotificationPreferences,
    response=NotificationPreferences,
)
def put_preferences(call: Call, body: NotificationPreferences) -> NotificationPreferences:
    return container().notification_inbox.set_preferences(call.citizen_id, body)


@operation(
    bp,
    "/admin/notification-templates",
    summary="Every notification template, per kind and channel, with its version",
    tags=("admin", *TAGS),
    auth="staff",
    allow=CATALOGUE_ADMINS,
    response=TemplateList,
)
def list_templates(call: Call, staff: StaffMember) -> TemplateList:
    return container().notification_inbox.templates()


@operation(
    bp,
    "/admin/notification-templates/{id}/preview",
    "POST",
    summary="A template rendered with the given values (samples for the rest)",
    tags=("admin", *TAGS),
    auth="staff",
    allow=CATALOGUE_ADMINS,
    path_model=TemplatePath,
    body=PreviewRequest,
    response=TemplatePreview,
)
def preview_template(
    call: Call, staff: StaffMember, id: str, body: PreviewRequest
) -> TemplatePreview:
    return container().notification_inbox.preview(id, body)


@operation(
    bp,
    "/admin/notification-stats",
    summary="Notifications by channel and outcome, per day, of a county (at most 31 days)",
    tags=("admin", *TAGS),
    auth="staff",
    allow=SUPERVISING,
    query=NotificationFiguresQuery,
    response=NotificationFigures,
    errors=(404,),  # a county outside the caller's jurisdiction
)
def notification_stats(
    call: Call, staff: StaffMember, query: NotificationFiguresQuery
) -> NotificationFigures:
    return container().notification_inbox.figures(staff, query)


@operation(
    bp,
    "/me/wechat",
    summary="Whether my WeChat account is bound (and still follows the official account)",
    tags=TAGS,
    auth="citizen",
    response=WechatBindingView,
)
def my_wechat(call: Call) -> WechatBindingView:
    return container().wechat.view(call.citizen_id)


@operation(
    bp,
    "/me/wechat",
    "PUT",
    summary="Bind my WeChat account by the code of WeChat's web authorisation (snsapi_base)",
    tags=TAGS,
    auth="citizen",
    body=BindWechat,
    response=WechatBindingView,
    errors=(404, 409),  # no official account configured; bound to another citizen (503: WeChat
    # did not answer)
)
def bind_wechat(call: Call, body: BindWechat) -> WechatBindingView:
    return container().wechat.bind(call.citizen_id, body)


@operation(
    bp,
    "/me/wechat",
    "DELETE",
    summary="Unbind my WeChat account (notifications go by SMS and the inbox again)",
    tags=TAGS,
    auth="citizen",
    status=204,
    errors=(404,),
)
def unbind_wechat(call: Call) -> None:
    container().wechat.unbind(call.citizen_id)
