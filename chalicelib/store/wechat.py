"""The WeChat official account through `wechatpy` (the field's library): template messages,
the web authorisation's code exchange, and the pushed events' signature and parsing.

The account's AppSecret and its server-URL token are a Secrets Manager secret
({"app_secret": …, "token": …}), read once per container. The access token is WeChat's
scarcest resource: each fetch (2,000 a day) starts a new one and the old one dies five
minutes later, so Lambda containers each fetching their own would keep killing each other's.
It is kept in the table instead (`WECHAT#<app id>` / `TOKEN`, `TableTokenStorage`), shared
by every container; a container that finds it expired (or WeChat answers 40001/42001)
fetches a new one and stores it for all.

wechatpy is imported here only, and only when WeChat is configured (it is not on the
sign-in path's cold start)."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from typing import Any

import requests
from wechatpy import WeChatClient, parse_message
from wechatpy.exceptions import WeChatClientException, WeChatException
from wechatpy.oauth import WeChatOAuth
from wechatpy.session import SessionStorage

from chalicelib.domain.wechat import (
    SECRET_NOT_SET,
    WechatCodeRefused,
    WechatDeferred,
    WechatEvent,
    WechatNotSent,
    failure,
)
from chalicelib.store.clients import AwsClients
from chalicelib.store.table import Table

API_BASE = "https://api.weixin.qq.com"


class WechatSecrets:
    """The AppSecret and the server-URL token, from Secrets Manager, once per container."""

    def __init__(self, clients: AwsClients, secret_id: str) -> None:
        self._clients, self._secret_id = clients, secret_id
        self._pair: tuple[str, str] | None = None
        self._lock = threading.Lock()

    def pair(self) -> tuple[str, str]:
        with self._lock:
            if self._pair is None:
                raw = self._clients.client("secretsmanager").get_secret_value(
                    SecretId=self._secret_id
                )
                secret = json.loads(raw.get("SecretString") or "{}")
                pair = (str(secret.get("app_secret") or ""), str(secret.get("token") or ""))
                if not all(pair):
                    raise WechatDeferred(SECRET_NOT_SET)
                self._pair = pair
            return self._pair

    def forget(self) -> None:
        with self._lock:
            self._pair = None


class TableTokenStorage(SessionStorage):  # type: ignore[misc]
    """wechatpy's session storage on the table: one access token per account, shared by every
    container; an entry past its expiry (less a minute) reads as absent."""

    def __init__(self, table: Table, app_id: str) -> None:
        self._table, self._pk = table, f"WECHAT#{app_id}"

    def get(self, key: str, default: Any = None) -> Any:
        raw = self._table.get(self._pk, key, consistent=True)
        if raw is None or int(raw.get("expires_at", 0)) - 60 <= time.time():
            return default
        return raw["value"]

    def set(self, key: str, value: Any, ttl: int | None = None) -> None:
        expires = int(time.time()) + int(ttl or 7200)
        self._table.put({"pk": self._pk, "sk": key, "value": value, "expires_at": expires})

    def delete(self, key: str) -> None:
        self._table.client.delete_item(
            TableName=self._table.name, Key={"pk": {"S": self._pk}, "sk": {"S": key}}
        )


class _TimedSession(requests.Session):
    """wechatpy's HTTP session with a timeout on every call (its token and web-authorisation
    calls pass none: a slow WeChat would hold the function to its own timeout)."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self._timeout = timeout

    def request(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        kwargs["timeout"] = kwargs.get("timeout") or self._timeout
        return super().request(*args, **kwargs)


def _code(exc: WeChatException) -> int | None:
    """WeChat's errcode; None for an HTTP error without one."""
    try:
        return int(exc.errcode)
    except (TypeError, ValueError):
        return None


class _Client(WeChatClient):  # type: ignore[misc]
    """wechatpy's client with the token URL under the configured base (the local fake)."""

    def fetch_access_token(self) -> Any:
        return self._fetch_access_token(
            url=f"{self._base}/cgi-bin/token",
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
        )


class WechatApi:
    """The official account's API: `send_template`, `openid_for` (a web authorisation code),
    `event` (a pushed event, its signature checked)."""

    def __init__(
        self,
        table: Table,
        secrets: WechatSecrets,
        *,
        app_id: str,
        endpoint: str | None = None,
        timeout_seconds: int = 5,
    ) -> None:
        self._table, self._secrets, self._app_id = table, secrets, app_id
        self._base = (endpoint or API_BASE).rstrip("/")
        self._timeout = timeout_seconds
        self._client: _Client | None = None

    def _wechat(self) -> _Client:
        if self._client is None:
            secret, _ = self._secrets.pair()
            client = _Client(
                self._app_id,
                secret,
                session=TableTokenStorage(self._table, self._app_id),
                timeout=self._timeout,
            )
            client._base = self._base
            client._http = _TimedSession(self._timeout)
            client.API_BASE_URL = f"{self._base}/cgi-bin/"
            self._client = client
        return self._client

    def send_template(
        self, openid: str, template_id: str, data: dict[str, str], url: str | None
    ) -> str:
        """Sends a template message; returns WeChat's msgid. Raises `WechatUnreachable`,
        `WechatRefused` or `WechatDeferred`."""
        fields = {name: {"value": value} for name, value in data.items()}
        try:
            result = self._wechat().message.send_template(openid, template_id, fields, url=url)
        except WeChatClientException as exc:
            code = _code(exc)
            if code in (40125, 40001):  # a changed AppSecret: read it again
                self._secrets.forget()
                self._client = None
            raise (WechatDeferred(-1) if code is None else failure(code)) from None
        except (WeChatException, OSError, ValueError):
            raise WechatDeferred(-1) from None
        return str(result["msgid"])

    def openid_for(self, code: str) -> str:
        """The openid WeChat's web authorisation `code` stands for (once)."""
        secret, _ = self._secrets.pair()
        oauth = WeChatOAuth(self._app_id, secret, redirect_uri="")
        oauth.API_BASE_URL = f"{self._base}/"
        oauth._http = _TimedSession(self._timeout)
        try:
            result = oauth.fetch_access_token(code)
        except WeChatException as exc:
            errcode = _code(exc)
            if errcode in (40029, 40163, 41008):
                raise WechatCodeRefused("the authorisation code was refused") from None
            raise (WechatDeferred(-1) if errcode is None else failure(errcode)) from None
        except (OSError, ValueError):
            raise WechatDeferred(-1) from None
        return str(result["openid"])

    def signed(self, signature: str, timestamp: str, nonce: str) -> bool:
        """Whether a call to the server URL comes from WeChat (the token's SHA-1 signature)."""
        _, token = self._secrets.pair()
        joined = "".join(sorted([token, timestamp, nonce])).encode()
        return hmac.compare_digest(hashlib.sha1(joined).hexdigest(), signature)  # noqa: S324 - WeChat's

    @staticmethod
    def event(body: bytes) -> WechatEvent:
        """A pushed XML message as the event this service acts on."""
        try:
            message = parse_message(body)
        except Exception:  # noqa: BLE001 - xmltodict raises its parser's errors
            return WechatEvent(kind="other")
        kind = getattr(message, "event", "")
        openid = str(getattr(message, "source", "") or "")
        if kind == "templatesendjobfinish":
            msg_id = getattr(message, "id", None)
            return WechatEvent(
                kind="template_finished",
                openid=openid,
                msg_id=None if msg_id is None else str(msg_id),
                status=str(getattr(message, "status", "") or ""),
            )
        if kind in ("subscribe", "unsubscribe"):
            return WechatEvent(kind=kind, openid=openid)
        if kind.startswith("subscribe_scan"):  # following again by a QR code (qrscene_…)
            return WechatEvent(kind="subscribe", openid=openid)
        return WechatEvent(kind="other", openid=openid)


__all__ = ["WechatApi", "WechatNotSent", "WechatSecrets"]
