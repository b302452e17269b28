"""Every setting can be given to a deployed function: each field of `Settings` is read from
the environment, by its own variable."""

from __future__ import annotations

from chalicelib.settings import ENVIRONMENT, Settings

REQUIRED = {
    "stage",
    "region",
    "table_name",
    "documents_bucket",
    "sms_queue_url",
    "notifications_queue_url",
    "state_machine_arn",
    "signing_secret_id",
}


def test_every_setting_has_its_environment_variable() -> None:
    assert set(Settings.model_fields) == REQUIRED | set(ENVIRONMENT)
    assert len(set(ENVIRONMENT.values())) == len(ENVIRONMENT)


def test_a_variable_set_is_the_setting_read() -> None:
    env = {
        "BIANMIN_TABLE": "t",
        "BIANMIN_DOCUMENTS_BUCKET": "b",
        "BIANMIN_WECHAT_APP_ID": "wx00000000000000ab",
        "BIANMIN_WECHAT_SECRET_ID": "bianmin/prod/wechat",
        "BIANMIN_SMS_CALLBACK_SECRET_ID": "bianmin/prod/sms-callback",
    }
    settings = Settings.from_env(env)
    assert settings.wechat_app_id == "wx00000000000000ab"
    assert settings.wechat_secret_id == "bianmin/prod/wechat"
    assert settings.sms_callback_secret_id == "bianmin/prod/sms-callback"
