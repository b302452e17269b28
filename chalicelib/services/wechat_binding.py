"""A citizen binds the county's WeChat official account to their sign-in: the app opens
WeChat's web authorisation (snsapi_base, silent) and hands the code it came back with to
`POST /me/wechat`; the API exchanges it for the openid, once. From then on the account's
template messages carry their notifications (preferences: /me/notification-preferences)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.clock import Clock
from chalicelib.domain.wechat import (
    BindWechat,
    WechatBinding,
    WechatBindingView,
    WechatCodeRefused,
    WechatNotSent,
)
from chalicelib.errors import Busy, FieldError, InvalidInput, NotFound
from chalicelib.observability import logger
from chalicelib.store.wechat_bindings import WechatBindings

if TYPE_CHECKING:  # wechatpy loads only where WeChat is configured
    from chalicelib.store.wechat import WechatApi


class WechatService:
    def __init__(self, api: WechatApi | None, bindings: WechatBindings, clock: Clock) -> None:
        self._api, self._bindings, self._clock = api, bindings, clock

    def view(self, citizen_id: str) -> WechatBindingView:
        binding = self._bindings.binding(citizen_id)
        if binding is None:
            return WechatBindingView(bound=False)
        return WechatBindingView(bound=True, following=binding.following, bound_at=binding.bound_at)

    def bind(self, citizen_id: str, body: BindWechat) -> WechatBindingView:
        if self._api is None:
            raise NotFound("No WeChat official account is configured on this service.")
        try:
            openid = self._api.openid_for(body.code)
        except WechatCodeRefused:
            raise InvalidInput(
                "微信授权码无效或已使用，请重新授权 / The WeChat authorisation code is invalid, "
                "expired or used: open the authorisation page again.",
                errors=[FieldError("body.code", "refused by WeChat", "wechat_code")],
            ) from None
        except WechatNotSent as failed:  # WeChat busy, or refusing this service (its secret)
            logger.warning("wechat code exchange failed", extra={"errcode": failed.code})
            raise Busy("WeChat did not answer; try again shortly.", 30) from None
        binding = WechatBinding(citizen_id=citizen_id, openid=openid, bound_at=self._clock.now())
        self._bindings.bind(binding)
        return self.view(citizen_id)

    def unbind(self, citizen_id: str) -> None:
        if not self._bindings.unbind(citizen_id):
            raise NotFound("No WeChat account is bound.")
