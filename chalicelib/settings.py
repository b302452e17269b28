"""Runtime settings: one pydantic model, read from the environment once per container."""

from __future__ import annotations

import json
import os
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from chalicelib import resources

TemplateId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_]{1,32}$")]


# The optional settings, each read from its own variable (`from_env` sets the others: the
# stage, the region and the resources).
ENVIRONMENT: dict[str, str] = {
    "sms_backend": "BIANMIN_SMS_BACKEND",
    "outbox_path": "BIANMIN_OUTBOX_PATH",
    "sms_dead_letter_url": "BIANMIN_SMS_DEAD_LETTER_URL",
    "sms_sdk_app_id": "BIANMIN_SMS_SDK_APP_ID",
    "sms_templates": "BIANMIN_SMS_TEMPLATES",
    "sms_region": "BIANMIN_SMS_REGION",
    "sms_endpoint": "BIANMIN_SMS_ENDPOINT",
    "sms_credentials_secret_id": "BIANMIN_SMS_CREDENTIALS_SECRET_ID",
    "sms_timeout_seconds": "BIANMIN_SMS_TIMEOUT_SECONDS",
    "sms_callback_secret_id": "BIANMIN_SMS_CALLBACK_SECRET_ID",
    "wechat_app_id": "BIANMIN_WECHAT_APP_ID",
    "wechat_secret_id": "BIANMIN_WECHAT_SECRET_ID",
    "wechat_template_id": "BIANMIN_WECHAT_TEMPLATE_ID",
    "wechat_endpoint": "BIANMIN_WECHAT_ENDPOINT",
    "app_case_url": "BIANMIN_APP_CASE_URL",
    "token_ttl_seconds": "BIANMIN_TOKEN_TTL_SECONDS",
    "otp_ttl_seconds": "BIANMIN_OTP_TTL_SECONDS",
    "otp_resend_seconds": "BIANMIN_OTP_RESEND_SECONDS",
    "otp_max_per_hour": "BIANMIN_OTP_MAX_PER_HOUR",
    "otp_max_attempts": "BIANMIN_OTP_MAX_ATTEMPTS",
    "reference_max_age_seconds": "BIANMIN_REFERENCE_MAX_AGE_SECONDS",
    "staff_cache_seconds": "BIANMIN_STAFF_CACHE_SECONDS",
    "review_seconds_per_day": "BIANMIN_REVIEW_SECONDS_PER_DAY",
    "public_url": "BIANMIN_PUBLIC_URL",
    "request_accept_hours": "BIANMIN_REQUEST_ACCEPT_HOURS",
    "request_rating_days": "BIANMIN_REQUEST_RATING_DAYS",
    "duplicate_days": "BIANMIN_DUPLICATE_DAYS",
    "otp_max_per_source_hour": "BIANMIN_OTP_MAX_PER_SOURCE_HOUR",
    "requests_per_day": "BIANMIN_REQUESTS_PER_DAY",
    "applications_per_day": "BIANMIN_APPLICATIONS_PER_DAY",
    "uploads_per_day": "BIANMIN_UPLOADS_PER_DAY",
}


class Settings(BaseModel):
    """Everything the app reads from its environment, validated once."""

    model_config = ConfigDict(defer_build=True, frozen=True, extra="forbid")

    stage: str = Field(default="local", pattern=r"^[a-z][a-z0-9-]{0,15}$")
    region: str = "cn-north-1"
    table_name: str
    documents_bucket: str
    sms_queue_url: str | None = None
    notifications_queue_url: str | None = None
    state_machine_arn: str | None = None
    public_url: str = Field(
        default="",
        description="Where clients reach the API (a custom domain); empty: the address each "
        "request came through",
    )
    signing_secret_id: str
    # SMS (docs/ARCHITECTURE.md, "SMS"): the local outbox, or Tencent Cloud SMS deployed.
    sms_backend: Literal["outbox", "tencent"] = "outbox"
    outbox_path: str = ".local/outbox.jsonl"
    sms_dead_letter_url: str | None = Field(
        default=None, description="Where the SMS consumer parks what the provider refused"
    )
    sms_sdk_app_id: str | None = Field(
        default=None, pattern=r"^[0-9]{1,20}$", description="Tencent Cloud SMS SmsSdkAppId"
    )
    sms_templates: dict[str, TemplateId] = Field(
        default_factory=dict,
        description='Approved template id per purpose, JSON: {"otp": "1234567", …}',
    )
    sms_region: str = Field(default="ap-guangzhou", pattern=r"^[a-z]{2}-[a-z]+(-[0-9])?$")
    sms_endpoint: str | None = Field(
        default=None, pattern=r"^https?://", description="Another API address (tests' fake)"
    )
    sms_credentials_secret_id: str | None = Field(
        default=None, description='Secrets Manager secret: {"secret_id": …, "secret_key": …}'
    )
    sms_timeout_seconds: int = Field(default=5, ge=1, le=20)
    sms_callback_secret_id: str | None = Field(
        default=None,
        description='Secrets Manager secret {"callback_key": …}: the path key of Tencent\'s '
        "status callback URL (none: receipts are refused)",
    )
    # WeChat official account (docs/ARCHITECTURE.md, "WeChat"): none configured, no WeChat.
    wechat_app_id: str | None = Field(default=None, pattern=r"^wx[0-9a-f]{16}$")
    wechat_secret_id: str | None = Field(
        default=None, description='Secrets Manager secret: {"app_secret": …, "token": …}'
    )
    wechat_template_id: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9_-]{1,64}$",
        description="The approved template message 办件进度提醒",
    )
    app_case_url: str | None = Field(
        default=None,
        pattern=r"^https?://[^\s]*\{case_id\}[^\s]*$",
        description="The citizen app's page of a case, with {case_id} (the official account's "
        "H5 or mini-program page): WeChat messages link there; none, no link",
    )
    wechat_endpoint: str | None = Field(
        default=None, pattern=r"^https?://", description="Another API address (the local fake)"
    )
    token_ttl_seconds: int = Field(default=900, ge=60, le=86_400)
    otp_ttl_seconds: int = Field(default=300, ge=30, le=3_600)
    otp_resend_seconds: int = Field(default=60, ge=0, le=3_600)
    otp_max_per_hour: int = Field(default=5, ge=1, le=100)
    otp_max_attempts: int = Field(default=5, ge=1, le=20)
    reference_max_age_seconds: float = Field(default=2.0, ge=0, le=3_600)
    staff_cache_seconds: float = Field(default=60.0, ge=0, le=3_600)
    review_seconds_per_day: int = Field(
        default=86_400, ge=1, le=86_400, description="A review task's timeout per promised day"
    )

    request_accept_hours: float = Field(
        default=2.0, gt=0, le=720, description="A request must be accepted within this many hours"
    )
    request_rating_days: int = Field(
        default=7, ge=1, le=60, description="An unrated resolved request closes after these days"
    )
    duplicate_days: int = Field(
        default=7, ge=1, le=90, description="Look-back for likely duplicates (same category, grid)"
    )

    # Bounds on what one client can make (OWASP API4); each is enforced in the write itself.
    otp_max_per_source_hour: int = Field(
        default=30,
        ge=1,
        le=100_000,
        description="Sign-in codes one client address may ask for in an hour (any phones)",
    )
    requests_per_day: int = Field(default=20, ge=1, le=10_000, description="Per filer")
    applications_per_day: int = Field(default=20, ge=1, le=10_000, description="Per applicant")
    uploads_per_day: int = Field(
        default=100, ge=1, le=100_000, description="Photo uploads per citizen or staff member"
    )

    @field_validator("sms_templates", mode="before")
    @classmethod
    def _templates_from_json(cls, value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) else value

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        stage = env.get("BIANMIN_STAGE", "local")
        values: dict[str, object] = {
            "stage": stage,
            "region": env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "cn-north-1",
            "table_name": env.get("BIANMIN_TABLE", resources.table_name(stage)),
            "documents_bucket": env.get("BIANMIN_DOCUMENTS_BUCKET", resources.bucket_name(stage)),
            "sms_queue_url": env.get("BIANMIN_SMS_QUEUE_URL"),
            "notifications_queue_url": env.get("BIANMIN_NOTIFICATIONS_QUEUE_URL"),
            "state_machine_arn": env.get("BIANMIN_STATE_MACHINE_ARN"),
            "signing_secret_id": env.get(
                "BIANMIN_SIGNING_SECRET_ID", resources.signing_secret_name(stage)
            ),
        }
        for field, var in ENVIRONMENT.items():
            if env.get(var):
                values[field] = env[var]
        return cls.model_validate(values)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()
