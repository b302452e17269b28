"""Names of the AWS resources of one stage.

The deploy template (infra/), the local stack (devstack/) and the app all derive names from
here, so a queue the app listens on is the queue the template creates.
"""

from __future__ import annotations

import os

APP = "bianmin"

# Queues: logical id in the template -> name suffix. Every queue gets a dead-letter queue.
QUEUES: dict[str, str] = {
    "SmsQueue": "sms",
    "DocumentEventsQueue": "document-events",
    "ReviewTasksQueue": "review-tasks",
    "NotificationsQueue": "notifications",
}


def stage_from_env() -> str:
    return os.environ.get("BIANMIN_STAGE", "local")


def _name(stage: str, suffix: str) -> str:
    return f"{APP}-{stage}-{suffix}"


def table_name(stage: str) -> str:
    return _name(stage, "main")


def table_stream_arn(stage: str) -> str:
    """The table's stream, as the app declares its consumer: the deploy template replaces it
    with the table's `StreamArn` (infra/template.py), the local stack reads the stream of the
    table it provisioned. `BIANMIN_TABLE_STREAM_ARN` names another."""
    return os.environ.get(
        "BIANMIN_TABLE_STREAM_ARN",
        f"arn:aws:dynamodb:local:000000000000:table/{table_name(stage)}/stream/latest",
    )


def bucket_name(stage: str, account: str = "") -> str:
    # Deployed, the template appends the account id and region to make the name global.
    return _name(stage, "documents") + (f"-{account}" if account else "")


def queue_name(stage: str, suffix: str) -> str:
    return _name(stage, suffix)


def dead_letter_queue_name(stage: str, suffix: str) -> str:
    return _name(stage, f"{suffix}-dlq")


def state_machine_name(stage: str) -> str:
    return _name(stage, "approval")


def signing_secret_name(stage: str) -> str:
    return f"{APP}/{stage}/token-signing-key"


def sms_credentials_secret_name(stage: str) -> str:
    """Tencent Cloud SMS's API key pair, {"secret_id": …, "secret_key": …}, set by operators."""
    return f"{APP}/{stage}/sms-credentials"


def sms_callback_secret_name(stage: str) -> str:
    """The path key of Tencent Cloud SMS's status callback URL, {"callback_key": …}."""
    return f"{APP}/{stage}/sms-callback"


def wechat_secret_name(stage: str) -> str:
    """The WeChat official account's {"app_secret": …, "token": …}, set by operators."""
    return f"{APP}/{stage}/wechat"


# Photo uploads are tagged unclaimed until a request, reply or visit takes them; the bucket's
# lifecycle expires what stays unclaimed (infra/template.py), the store re-tags what is taken.
UPLOAD_STATE_TAG = ("bianmin-state", "unclaimed")
UPLOAD_CLAIMED = "claimed"
