"""Tencent Cloud SMS (腾讯云短信), the production sender: API 2021-01-11 `SendSms` through the
official SDK (tencentcloud-sdk-python-sms), TC3-HMAC-SHA256 signed.

Each message is one call: the application (SmsSdkAppId), the approved signature (SignName),
the approved template of its purpose (TemplateId) and its parameters (TemplateParamSet), the
number in E.164 (+86…). The API key pair is read from a Secrets Manager secret once per
container ({"secret_id": …, "secret_key": …}) and read again after an authentication failure
(a rotated key). Tencent answers per number in `SendStatusSet` ("Ok" or an error code) with
HTTP 200, and raises for a failed call; both are mapped by `failure`: what this recipient cannot
have is `SmsUnreachable` (dropped), what an operator must fix first `SmsRefused` (parked on
the dead-letter queue), everything else `SmsDeferred` (the queue delivers it again).

The SDK logs whole requests (numbers, codes) at DEBUG: its logger is held at WARNING.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sms.v20210111 import models, sms_client

from chalicelib.domain.sms import (
    SmsDeferred,
    SmsMessage,
    SmsNotConfigured,
    SmsNotSent,
    SmsPurpose,
    SmsRefused,
    SmsUnreachable,
)
from chalicelib.store.clients import AwsClients

logging.getLogger("tencentcloud_sdk_common").setLevel(logging.WARNING)

API_VERSION = "2021-01-11"
DEFAULT_REGION = "ap-guangzhou"
# Ours, for what never reaches Tencent: a purpose whose template id is not configured.
TEMPLATE_NOT_CONFIGURED = "Bianmin.TemplateNotConfigured"
# … and an API key pair not yet put in its secret (the stage was just deployed).
CREDENTIALS_NOT_SET = "Bianmin.CredentialsNotSet"

# Codes after which sending this message again cannot succeed. Those of the recipient — the
# number has had its share for now (per-number limits), cannot receive (invalid, on the
# do-not-disturb list) — are dropped; those an operator fixes — the signature, template or
# parameters not approved — are parked for a replay. Everything else — the application's own
# daily limits, throttling (RequestLimitExceeded), InternalError.*, an exhausted package,
# authentication, the network — may pass later and is retried.
UNREACHABLE_CODES = frozenset(
    {
        "LimitExceeded.DeliveryFrequencyLimit",
        "InvalidParameterValue.IncorrectPhoneNumber",
        "FailedOperation.PhoneNumberParseFail",
        "FailedOperation.PhoneNumberInBlacklist",
        "MissingParameter.EmptyPhoneNumberSet",
    }
)
# Every per-number limit (PhoneNumberOneHourLimit, …DailyLimit, …ThirtySecondLimit,
# …SameContentDailyLimit).
UNREACHABLE_PREFIXES = ("LimitExceeded.PhoneNumber",)
REFUSED_CODES = frozenset(
    {
        "FailedOperation.SignatureIncorrectOrUnapproved",
        "FailedOperation.MissingSignatureList",
        "FailedOperation.TemplateIncorrectOrUnapproved",
        "FailedOperation.TemplateUnapprovedOrNotExist",
        "FailedOperation.TemplateIdNotExist",
        "FailedOperation.MissingTemplateList",
        "FailedOperation.TemplateParamSetNotMatchApprovedTemplate",
        "FailedOperation.ContainSensitiveWord",
        "InvalidParameter.DirtyWordFound",
        "InvalidParameterValue.TemplateParameterFormatError",
        "InvalidParameterValue.TemplateParameterLengthLimit",
        "InvalidParameterValue.ProhibitedUseUrlInTemplateParameter",
        "InvalidParameterValue.ContentLengthLimit",
        TEMPLATE_NOT_CONFIGURED,
    }
)
# Every unsupported number/template combination (a mainland template to a foreign number …).
REFUSED_PREFIXES = ("UnsupportedOperation.",)


def failure(code: str, request_id: str = "") -> SmsNotSent:
    """What Tencent's error `code` means for the message it was about."""
    if code in UNREACHABLE_CODES or code.startswith(UNREACHABLE_PREFIXES):
        return SmsUnreachable(code, request_id)
    if code in REFUSED_CODES or code.startswith(REFUSED_PREFIXES):
        return SmsRefused(code, request_id)
    return SmsDeferred(code, request_id)


class TencentCredentials:
    """The API key pair, from Secrets Manager, once per container (until `forget`)."""

    def __init__(self, clients: AwsClients, secret_id: str) -> None:
        self._clients = clients
        self._secret_id = secret_id
        self._pair: tuple[str, str] | None = None
        self._lock = threading.Lock()

    def pair(self) -> tuple[str, str]:
        with self._lock:
            if self._pair is None:
                response = self._clients.client("secretsmanager").get_secret_value(
                    SecretId=self._secret_id
                )
                secret = json.loads(response.get("SecretString") or "{}")
                pair = (str(secret.get("secret_id") or ""), str(secret.get("secret_key") or ""))
                if not all(pair):  # not filled in yet (docs/DEPLOY.md): wait, and alarm
                    raise SmsDeferred(CREDENTIALS_NOT_SET)
                self._pair = pair
            return self._pair

    def forget(self) -> None:
        with self._lock:
            self._pair = None


class TencentSmsSender:
    def __init__(
        self,
        credentials: TencentCredentials,
        *,
        app_id: str,
        templates: Mapping[str, str],
        region: str = DEFAULT_REGION,
        endpoint: str | None = None,
        timeout_seconds: int = 5,
    ) -> None:
        unknown = set(templates) - {p.value for p in SmsPurpose}
        if unknown:
            raise RuntimeError(f"BIANMIN_SMS_TEMPLATES names no purpose: {sorted(unknown)}")
        self._credentials = credentials
        self._app_id = app_id
        self._templates = dict(templates)
        self._region = region
        self._endpoint = endpoint
        self._timeout = timeout_seconds
        self._client: Any = None

    def _sms(self) -> Any:
        if self._client is None:
            secret_id, secret_key = self._credentials.pair()
            http = HttpProfile(reqTimeout=self._timeout)
            if self._endpoint:  # another address (the tests' fake): scheme://host:port
                where = urlsplit(self._endpoint)
                http = HttpProfile(
                    protocol=where.scheme or "https",
                    endpoint=where.netloc or where.path,
                    reqTimeout=self._timeout,
                )
            self._client = sms_client.SmsClient(
                credential.Credential(secret_id, secret_key),
                self._region,
                ClientProfile(httpProfile=http),
            )
        return self._client

    def deliver(self, message: SmsMessage) -> str | None:
        """Sends it; returns Tencent's SerialNo (its status callback names it)."""
        template_id = self._templates.get(message.purpose.value)
        if not template_id and message.purpose is not SmsPurpose.OTP:
            raise SmsNotConfigured(TEMPLATE_NOT_CONFIGURED)
        if not template_id:
            raise failure(TEMPLATE_NOT_CONFIGURED)
        request = models.SendSmsRequest()
        request.SmsSdkAppId = self._app_id
        request.SignName = message.signature
        request.TemplateId = template_id
        request.TemplateParamSet = list(message.params)
        request.PhoneNumberSet = ["+86" + message.phone]
        try:
            response = self._sms().SendSms(request)
        except TencentCloudSDKException as exc:
            code = str(exc.get_code() or "ClientError")
            if code.startswith("AuthFailure"):  # a rotated key: read the secret again
                self._credentials.forget()
                self._client = None
            raise failure(code, str(exc.get_request_id() or "")) from None
        statuses = response.SendStatusSet or []
        code = str(statuses[0].Code) if statuses else "Bianmin.NoSendStatus"
        if code != "Ok":
            raise failure(code, str(response.RequestId or ""))
        return str(statuses[0].SerialNo or "") or None
