"""The CloudFormation template merged into Chalice's own (`chalice package --merge-template`).

Chalice generates the functions, their roles and the REST API; this module adds every other
resource of a stage, built from the definitions the local stack (devstack/provision.py) uses
too: the table from infra/dynamodb-table.json, the queues and names from
chalicelib/resources.py, the approval workflow from its ASL file. Chalice deep-merges dicts
and replaces everything else, so a role's `Policies` list here replaces the one it derives
from .chalice/policy.json.

Every ARN is built from `${AWS::Partition}` (or read with Fn::GetAtt / Ref), so one template
deploys to aws and aws-cn alike. Importing this module has no side effects.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from chalicelib import resources
from chalicelib.http.problem import PROBLEM_TYPE_BASE, problem_type
from infra import definitions, operations

Json = dict[str, Any]

MAX_RECEIVE_COUNT = 5
DEAD_LETTER_RETENTION_SECONDS = 14 * 24 * 3600  # the SQS maximum
# Lambda's advice for an SQS event source: visibility timeout >= 6x the function timeout.
VISIBILITY_TIMEOUT_FACTOR = 6

# Logical ids of the resources defined here.
TABLE = "MainTable"
BUCKET = "DocumentsBucket"
BUCKET_POLICY = "DocumentsBucketPolicy"
EVENTS_QUEUE = "DocumentEventsQueue"
EVENTS_QUEUE_POLICY = "DocumentEventsQueuePolicy"
SMS_QUEUE = "SmsQueue"
REVIEW_QUEUE = "ReviewTasksQueue"
NOTIFICATIONS_QUEUE = "NotificationsQueue"
SECRET = "SigningSecret"  # noqa: S105 (a logical id, not a secret)
SMS_SECRET = "SmsCredentialsSecret"  # noqa: S105 (a logical id, not a secret)
SMS_CALLBACK_SECRET = "SmsCallbackSecret"  # noqa: S105 (a logical id, not a secret)
WECHAT_SECRET = "WechatSecret"  # noqa: S105 (a logical id, not a secret)
STATE_MACHINE = "ApprovalStateMachine"
STATE_MACHINE_ROLE = "ApprovalWorkflowRole"
STREAM_FAILURES = "StatsStreamFailures"  # batches of the table's stream that kept failing
TRACING = "Tracing"
TRACING_ON = "TracingOn"

_XRAY_ACTIONS = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]

# Logical id Chalice gives the REST API.
REST_API = "RestAPI"

# The bucket name must be unique in the partition: the account id and the region make it so
# (one stage may be deployed to cn-north-1 and cn-northwest-1 from the same account).
BUCKET_NAME_SUFFIX = "${AWS::AccountId}-${AWS::Region}"


def dead_letter_id(queue_id: str) -> str:
    """Logical id of the dead-letter queue of `queue_id`."""
    return f"{queue_id}DeadLetter"


@dataclass(frozen=True)
class Function:
    """A function Chalice generates (logical ids as Chalice names them) and what it may do."""

    logical_id: str
    role: str
    grants: tuple[str, ...] = ()
    # Queues (logical ids) that trigger the function through an SQS event source.
    consumes: tuple[str, ...] = ()
    # The Chalice event of the function that reads the table's stream (its logical id).
    stream_event: str | None = None
    # Reserved concurrency: a number, or a parameter's name (None: the account's pool).
    reserved: int | str | None = None
    # Environment only this function reads (beyond `environment()`).
    own_environment: tuple[tuple[str, Any], ...] = ()

    @property
    def queue_event(self) -> str:
        """The logical id Chalice gives the function's SQS event source."""
        return f"{self.logical_id}SqsEventSource"


# Chalice (autogen_policy false + iam_policy_file) makes one role per function; each gets only
# the permissions its code needs. A new @on_sqs_message handler is added here (the template
# test fails for a generated function this list does not know).
FUNCTIONS: tuple[Function, ...] = (
    Function(
        "APIHandler",
        "ApiHandlerRole",
        # The providers' callbacks (SMS receipts, WeChat events) and the WeChat binding.
        grants=("table", "documents", "enqueue", "signing_secret", "workflow", "callbacks"),
        # The key of Tencent's status callback URL (not the SMS API key: the sender's alone).
        own_environment=(("BIANMIN_SMS_CALLBACK_SECRET_ID", {"Ref": SMS_CALLBACK_SECRET}),),
    ),
    Function("CitizenAuthorizer", "CitizenAuthorizerRole", grants=("signing_secret",)),
    # One sweep at a time: a second would only find the first one's work done.
    Function(
        "SweepRequests",
        "SweepRequestsRole",
        grants=("table", "enqueue", "signing_secret"),
        reserved=1,
    ),
    # The SMS provider limits sends per account: a bounded number of senders protects it.
    Function(
        "DeliverSms",
        "DeliverSmsRole",
        # The table: each notice text's fate (sent, failed, held at night) is recorded on
        # its notification (services/notification_ledger.py).
        grants=("sms", "table"),
        consumes=(SMS_QUEUE,),
        reserved=operations.SMS_CONCURRENCY,
        # Only the sender reads the provider's settings (a malformed one fails it alone).
        own_environment=(
            ("BIANMIN_SMS_SDK_APP_ID", {"Ref": operations.SMS_APP_ID}),
            ("BIANMIN_SMS_TEMPLATES", {"Ref": operations.SMS_TEMPLATES}),
            ("BIANMIN_SMS_REGION", {"Ref": operations.SMS_REGION}),
            ("BIANMIN_SMS_CREDENTIALS_SECRET_ID", {"Ref": SMS_SECRET}),
            ("BIANMIN_SMS_DEAD_LETTER_URL", {"Ref": dead_letter_id(SMS_QUEUE)}),
        ),
    ),
    Function(
        "ReviewEvents",
        "ReviewEventsRole",
        # A review's outcome writes its decision notice (准予/不予行政许可决定书) to S3.
        grants=("table", "workflow", "write_notices"),
        consumes=(REVIEW_QUEUE,),
    ),
    Function(
        "ScanDocuments",
        "ScanDocumentsRole",
        grants=("table", "read_documents"),
        consumes=(EVENTS_QUEUE,),
    ),
    # One rotation at a time (the secret's version token refuses a second one anyway).
    Function(
        "RotateSigningKeys",
        "RotateSigningKeysRole",
        grants=("rotate_signing_secret",),
        reserved=1,
    ),
    # Tells applicants of their cases' events (the change feed forwards them); it queues the
    # texts (and releases none: the sweep does, after the quiet hours).
    Function(
        "NotifyApplicants",
        "NotifyApplicantsRole",
        grants=("table", "enqueue", "wechat"),
        consumes=(NOTIFICATIONS_QUEUE,),
    ),
    Function(
        "AggregateStats",
        "AggregateStatsRole",
        grants=("table", "read_stream", "stream_failures", "forward_notifications"),
        stream_event="AggregateStatsDynamodbEventSource",
    ),
)


def lambda_timeout(stage: str) -> int:
    """The functions' timeout in seconds, as .chalice/config.json sets it for `stage`."""
    config = json.loads((definitions.ROOT / ".chalice" / "config.json").read_text())
    stage_config = config.get("stages", {}).get(stage, {})
    return int(stage_config.get("lambda_timeout", config.get("lambda_timeout", 60)))


def _arn(service: str, resource: str, *, region: bool = True, account: bool = True) -> Json:
    """An ARN in the deploying partition (and region and account unless told otherwise)."""
    parts = [
        "arn:${AWS::Partition}",
        service,
        "${AWS::Region}" if region else "",
        "${AWS::AccountId}" if account else "",
        resource,
    ]
    return {"Fn::Sub": ":".join(parts)}


def _bucket_name(stage: str) -> str:
    return resources.bucket_name(stage, BUCKET_NAME_SUFFIX)


def _queue_arn(queue_id: str) -> Json:
    return {"Fn::GetAtt": [queue_id, "Arn"]}


def _statement(sid: str, actions: list[str], resource: Any, **extra: Any) -> Json:
    return {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resource, **extra}


def _policy(statements: list[Json]) -> Json:
    return {"Version": "2012-10-17", "Statement": statements}


# --- data ---------------------------------------------------------------------------------


def table(stage: str) -> Json:
    """The single DynamoDB table: keys and indexes exactly as infra/dynamodb-table.json."""
    return {
        "Type": "AWS::DynamoDB::Table",
        # Deletion-protected as well: kept even when the first creation rolls back (the
        # deploy command then says so), never deleted with the stack.
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": {
            "TableName": resources.table_name(stage),
            **{
                k: v
                for k, v in definitions.table_definition().items()
                if k != "StreamSpecification"
            },
            # CloudFormation's shape: the view type only (a stream is on when it is given).
            "StreamSpecification": {
                "StreamViewType": definitions.table_definition()["StreamSpecification"][
                    "StreamViewType"
                ]
            },
            "TimeToLiveSpecification": {
                "AttributeName": definitions.ttl_attribute(),
                "Enabled": True,
            },
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
            "SSESpecification": {"SSEEnabled": True, "SSEType": "KMS"},
            # Deleting the stack (or a mistaken change that replaces the table) must not
            # take the cases with it.
            "DeletionProtectionEnabled": True,
        },
    }


def bucket(stage: str) -> Json:
    """Uploaded documents: private, versioned, KMS-encrypted; new objects notify a queue."""
    return {
        "Type": "AWS::S3::Bucket",
        **operations.RETAINED,
        # S3 checks it may send to the queue when the notification is configured.
        "DependsOn": [EVENTS_QUEUE_POLICY],
        "Properties": {
            "BucketName": {"Fn::Sub": _bucket_name(stage)},
            "VersioningConfiguration": {"Status": "Enabled"},
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [
                    {
                        "ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"},
                        "BucketKeyEnabled": True,
                    }
                ]
            },
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            },
            "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
            "LifecycleConfiguration": {"Rules": lifecycle_rules()},
            "NotificationConfiguration": {
                "QueueConfigurations": [
                    {"Event": "s3:ObjectCreated:*", "Queue": _queue_arn(EVENTS_QUEUE)}
                ]
            },
        },
    }


UNCLAIMED_DAYS = 30  # a photo nobody attached is gone after this (its record's TTL too)
OLD_VERSION_DAYS = 365  # a replaced or deleted document's earlier versions


def lifecycle_rules() -> list[Json]:
    """Uploads nobody attached expire (chalicelib/store/documents.py tags a photo upload
    `bianmin-state=unclaimed` and `claimed` when a request or reply takes it); earlier
    versions of replaced documents expire after a year; unfinished multipart uploads after a
    day."""
    state, unclaimed = resources.UPLOAD_STATE_TAG
    return [
        {
            "Id": "ExpireUnclaimedUploads",
            "Status": "Enabled",
            "TagFilters": [{"Key": state, "Value": unclaimed}],
            "ExpirationInDays": UNCLAIMED_DAYS,
            "NoncurrentVersionExpiration": {"NoncurrentDays": 1},
        },
        {
            "Id": "ExpireOldVersions",
            "Status": "Enabled",
            "NoncurrentVersionExpiration": {"NoncurrentDays": OLD_VERSION_DAYS},
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
        },
    ]


def bucket_policy() -> Json:
    """Refuses every request to the bucket that does not come over TLS."""
    return {
        "Type": "AWS::S3::BucketPolicy",
        "Properties": {
            "Bucket": {"Ref": BUCKET},
            "PolicyDocument": _policy(
                [
                    {
                        "Sid": "DenyInsecureTransport",
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "s3:*",
                        "Resource": [
                            {"Fn::GetAtt": [BUCKET, "Arn"]},
                            {"Fn::Sub": "${" + BUCKET + ".Arn}/*"},
                        ],
                        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                    }
                ]
            ),
        },
    }


def queues(stage: str) -> dict[str, Json]:
    """Every queue of resources.QUEUES and its dead-letter queue."""
    visibility = VISIBILITY_TIMEOUT_FACTOR * lambda_timeout(stage)
    out: dict[str, Json] = {}
    for queue_id, suffix in resources.QUEUES.items():
        out[dead_letter_id(queue_id)] = {
            "Type": "AWS::SQS::Queue",
            # A dead-letter queue holds what still has to be replayed (python -m infra.replay).
            **operations.RETAINED,
            "Properties": {
                "QueueName": resources.dead_letter_queue_name(stage, suffix),
                "MessageRetentionPeriod": DEAD_LETTER_RETENTION_SECONDS,
                "SqsManagedSseEnabled": True,
            },
        }
        out[queue_id] = {
            "Type": "AWS::SQS::Queue",
            "DeletionPolicy": "Delete",
            "UpdateReplacePolicy": "Delete",
            "Properties": {
                "QueueName": resources.queue_name(stage, suffix),
                "VisibilityTimeout": visibility,
                "SqsManagedSseEnabled": True,
                "RedrivePolicy": {
                    "deadLetterTargetArn": _queue_arn(dead_letter_id(queue_id)),
                    "maxReceiveCount": MAX_RECEIVE_COUNT,
                },
            },
        }
    return out


def events_queue_policy(stage: str) -> Json:
    """Lets S3 deliver this account's bucket notifications to the document-events queue."""
    return {
        "Type": "AWS::SQS::QueuePolicy",
        "Properties": {
            "Queues": [{"Ref": EVENTS_QUEUE}],
            "PolicyDocument": _policy(
                [
                    {
                        "Sid": "AllowDocumentsBucketNotifications",
                        "Effect": "Allow",
                        "Principal": {"Service": "s3.amazonaws.com"},
                        "Action": "sqs:SendMessage",
                        "Resource": _queue_arn(EVENTS_QUEUE),
                        "Condition": {
                            # The bucket is not referenced (it depends on this policy): its ARN
                            # is built from the same name.
                            "ArnLike": {
                                "aws:SourceArn": {
                                    "Fn::Sub": "arn:${AWS::Partition}:s3:::" + _bucket_name(stage)
                                }
                            },
                            "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
                        },
                    }
                ]
            ),
        },
    }


def signing_secret(stage: str) -> Json:
    """The key that signs citizen tokens and pagination cursors, generated by AWS."""
    return {
        "Type": "AWS::SecretsManager::Secret",
        # Deleting the key would end every session and cursor at once.
        **operations.RETAINED,
        "Properties": {
            "Name": resources.signing_secret_name(stage),
            "Description": f"{resources.APP} {stage}: HS256 key for citizen tokens and cursors",
            "GenerateSecretString": {"PasswordLength": 64, "ExcludePunctuation": True},
        },
    }


def sms_credentials_secret(stage: str) -> Json:
    """Tencent Cloud SMS's key pair: created empty, filled in by an operator (docs/DEPLOY.md);
    until then every text waits on the SMS queue (retried) and the SMS alarm calls."""
    return {
        "Type": "AWS::SecretsManager::Secret",
        **operations.RETAINED,
        "Properties": {
            "Name": resources.sms_credentials_secret_name(stage),
            "Description": f"{resources.APP} {stage}: Tencent Cloud SMS API key of a CAM user "
            'allowed only sms:SendSms, {"secret_id": …, "secret_key": …}',
            "SecretString": '{"secret_id": "", "secret_key": ""}',
        },
    }


def sms_callback_secret(stage: str) -> Json:
    """The key in Tencent's status callback URL (…/callbacks/tencent-sms/<key>): generated
    here; an operator copies the URL into Tencent's console (docs/DEPLOY.md)."""
    return {
        "Type": "AWS::SecretsManager::Secret",
        **operations.RETAINED,
        "Properties": {
            "Name": resources.sms_callback_secret_name(stage),
            "Description": f"{resources.APP} {stage}: the path key of Tencent Cloud SMS's status "
            'callback URL, {"callback_key": …}',
            "GenerateSecretString": {
                "SecretStringTemplate": "{}",
                "GenerateStringKey": "callback_key",
                "PasswordLength": 40,
                "ExcludePunctuation": True,
            },
        },
    }


def wechat_secret(stage: str) -> Json:
    """The official account's AppSecret and server-URL token: created empty, filled in by an
    operator (docs/DEPLOY.md); until then WeChat is not used (SMS and the inbox carry all)."""
    return {
        "Type": "AWS::SecretsManager::Secret",
        **operations.RETAINED,
        "Properties": {
            "Name": resources.wechat_secret_name(stage),
            "Description": f"{resources.APP} {stage}: WeChat official account "
            '{"app_secret": …, "token": …}',
            "SecretString": '{"app_secret": "", "token": ""}',
        },
    }


# --- workflow -----------------------------------------------------------------------------


def state_machine(stage: str) -> Json:
    """The approval workflow, from the same ASL file the local stack loads."""
    return {
        "Type": "AWS::StepFunctions::StateMachine",
        "Properties": {
            "StateMachineName": resources.state_machine_name(stage),
            "StateMachineType": "STANDARD",
            # The ASL file's placeholders filled by Fn::Sub (the partition: aws-cn in China).
            "DefinitionString": {
                "Fn::Sub": [
                    json.dumps(json.loads(definitions.state_machine_definition())),
                    {
                        "Partition": {"Ref": "AWS::Partition"},
                        "ReviewQueueUrl": {"Ref": REVIEW_QUEUE},
                    },
                ]
            },
            "RoleArn": {"Fn::GetAtt": [STATE_MACHINE_ROLE, "Arn"]},
            "TracingConfiguration": {"Enabled": {"Fn::If": [TRACING_ON, True, False]}},
            "LoggingConfiguration": operations.workflow_logging(),
        },
    }


def state_machine_role() -> Json:
    """What the workflow itself may do: put review tasks on the review queue (and trace)."""
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": _policy(
                [
                    {
                        "Effect": "Allow",
                        # The service principal is states.amazonaws.com in every partition,
                        # China's included (as SAM and CDK write it; docs/DEPLOY.md).
                        "Principal": {"Service": "states.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                        "Condition": {
                            "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
                        },
                    }
                ]
            ),
            "Policies": [
                {
                    "PolicyName": "ApprovalWorkflow",
                    "PolicyDocument": _policy(
                        [
                            _statement(
                                "SendReviewTasks", ["sqs:SendMessage"], _queue_arn(REVIEW_QUEUE)
                            ),
                            # Log deliveries have no resource-level permissions.
                            _statement("WorkflowLogs", operations.WORKFLOW_LOG_ACTIONS, "*"),
                            {
                                "Fn::If": [
                                    TRACING_ON,
                                    _statement("Tracing", _XRAY_ACTIONS, "*"),
                                    {"Ref": "AWS::NoValue"},
                                ]
                            },
                        ]
                    ),
                }
            ],
        },
    }


# --- functions ----------------------------------------------------------------------------

_LOG_GROUPS = "log-group:/aws/lambda/*"

# Per-item actions: a TransactWriteItems call is authorised item by item against these.
_TABLE_ACTIONS = [
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:Query",
    "dynamodb:BatchGetItem",
    "dynamodb:BatchWriteItem",
]

_CONSUMER_ACTIONS = [
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "sqs:ChangeMessageVisibility",
]


def _grant(name: str, stage: str) -> list[Json]:
    """The statements of one named permission group."""
    machine = resources.state_machine_name(stage)
    groups: dict[str, list[Json]] = {
        "table": [
            _statement(
                "Table",
                _TABLE_ACTIONS,
                [
                    {"Fn::GetAtt": [TABLE, "Arn"]},
                    {"Fn::Sub": "${" + TABLE + ".Arn}/index/*"},
                ],
            )
        ],
        "documents": [
            _statement(
                "Documents",
                [
                    "s3:GetObject",
                    "s3:GetObjectVersion",
                    "s3:PutObject",
                    "s3:DeleteObject",
                    # An upload form's tag (unclaimed), and its retagging once a case takes it.
                    "s3:PutObjectTagging",
                    "s3:PutObjectVersionTagging",
                ],
                {"Fn::Sub": "${" + BUCKET + ".Arn}/*"},
            )
        ],
        "write_notices": [
            _statement(
                "WriteNotices",
                ["s3:PutObject"],
                {"Fn::Sub": "${" + BUCKET + ".Arn}/notices/*"},
            )
        ],
        "read_documents": [
            _statement(
                "ReadDocuments",
                ["s3:GetObject", "s3:GetObjectVersion"],
                {"Fn::Sub": "${" + BUCKET + ".Arn}/*"},
            )
        ],
        "enqueue": [
            _statement(
                "Enqueue",
                ["sqs:SendMessage"],
                [_queue_arn(SMS_QUEUE), _queue_arn(REVIEW_QUEUE)],
            )
        ],
        "forward_notifications": [
            _statement("ForwardNotifications", ["sqs:SendMessage"], _queue_arn(NOTIFICATIONS_QUEUE))
        ],
        "wechat": [
            _statement("WechatSecret", ["secretsmanager:GetSecretValue"], {"Ref": WECHAT_SECRET})
        ],
        "callbacks": [
            _statement(
                "ProviderCallbackSecrets",
                ["secretsmanager:GetSecretValue"],
                [{"Ref": WECHAT_SECRET}, {"Ref": SMS_CALLBACK_SECRET}],
            )
        ],
        "signing_secret": [
            _statement("SigningSecret", ["secretsmanager:GetSecretValue"], {"Ref": SECRET})
        ],
        "rotate_signing_secret": [
            _statement(
                "RotateSigningSecret",
                ["secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue"],
                {"Ref": SECRET},
            )
        ],
        "workflow": [
            _statement("StartApproval", ["states:StartExecution"], {"Ref": STATE_MACHINE}),
            _statement(
                "DescribeApproval",
                ["states:DescribeExecution"],
                _arn("states", f"execution:{machine}:*"),
            ),
            # Task-token calls have no resource-level permissions: the token names the task.
            _statement(
                "AnswerReviewTasks",
                ["states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat"],
                "*",
            ),
        ],
        "read_stream": [
            _statement(
                "ReadTableStream",
                [
                    "dynamodb:DescribeStream",
                    "dynamodb:GetRecords",
                    "dynamodb:GetShardIterator",
                    "dynamodb:ListStreams",
                ],
                {"Fn::GetAtt": [TABLE, "StreamArn"]},
            )
        ],
        "sms": [
            _statement("SmsCredentials", ["secretsmanager:GetSecretValue"], {"Ref": SMS_SECRET}),
            _statement(
                "ParkRefusedSms", ["sqs:SendMessage"], _queue_arn(dead_letter_id(SMS_QUEUE))
            ),
        ],
        "stream_failures": [
            _statement("ReportFailedBatches", ["sqs:SendMessage"], _queue_arn(STREAM_FAILURES))
        ],
    }
    return groups[name]


def function_role_policy(function: Function, stage: str) -> Json:
    """The one inline policy of a function's role: logs, tracing, then its grants."""
    statements = [
        _statement(
            "Logs",
            ["logs:CreateLogStream", "logs:PutLogEvents"],
            [_arn("logs", _LOG_GROUPS), _arn("logs", _LOG_GROUPS + ":*")],
        ),
        _statement("Tracing", _XRAY_ACTIONS, "*"),
    ]
    for grant in function.grants:
        statements.extend(_grant(grant, stage))
    if function.consumes:
        statements.append(
            _statement(
                "ConsumeQueues",
                _CONSUMER_ACTIONS,
                [_queue_arn(queue_id) for queue_id in function.consumes],
            )
        )
    return {"PolicyName": f"{function.role}Policy", "PolicyDocument": _policy(statements)}


def environment() -> dict[str, Any]:
    """Where the app finds its resources (read by chalicelib/settings.py)."""
    return {
        "BIANMIN_TABLE": {"Ref": TABLE},
        "BIANMIN_DOCUMENTS_BUCKET": {"Ref": BUCKET},
        "BIANMIN_SMS_QUEUE_URL": {"Ref": SMS_QUEUE},
        "BIANMIN_NOTIFICATIONS_QUEUE_URL": {"Ref": NOTIFICATIONS_QUEUE},
        "BIANMIN_SIGNING_SECRET_ID": {"Ref": SECRET},
        "BIANMIN_STATE_MACHINE_ARN": {"Ref": STATE_MACHINE},
        "BIANMIN_WECHAT_SECRET_ID": {"Ref": WECHAT_SECRET},
        "BIANMIN_WECHAT_APP_ID": {"Ref": operations.WECHAT_APP_ID},
        "BIANMIN_WECHAT_TEMPLATE_ID": {"Ref": operations.WECHAT_TEMPLATE_ID},
        "BIANMIN_APP_CASE_URL": {"Ref": operations.APP_CASE_URL},
        # A custom domain's address; without one, each request's own (the stage's URL).
        "BIANMIN_PUBLIC_URL": {
            "Fn::If": [
                operations.HAS_DOMAIN,
                {"Fn::Sub": "https://${" + operations.DOMAIN_NAME + "}"},
                "",
            ]
        },
        "POWERTOOLS_TRACE_DISABLED": {"Fn::If": [TRACING_ON, "false", "true"]},
    }


def function_overrides(function: Function) -> Json:
    """What is merged into Chalice's AWS::Serverless::Function."""
    merged: Json = {
        "Properties": {
            "Tracing": {"Ref": TRACING},
            "Environment": {"Variables": {**environment(), **dict(function.own_environment)}},
        }
    }
    # Chalice builds an SQS event source's ARN from the queue name, which makes no dependency
    # on the queue: one is declared unless the function's properties already Ref the queue.
    referenced = {value["Ref"] for value in environment().values() if "Ref" in value}
    depends_on = [queue_id for queue_id in function.consumes if queue_id not in referenced]
    if depends_on:
        merged["DependsOn"] = depends_on
    if function.reserved is not None:
        merged["Properties"]["ReservedConcurrentExecutions"] = (
            {"Ref": function.reserved} if isinstance(function.reserved, str) else function.reserved
        )
    if function.consumes:
        # Each record on its own: a consumer reports the ones that failed, and only those
        # are delivered again (the others are not retried with them).
        merged["Properties"]["Events"] = {
            function.queue_event: {
                "Properties": {"FunctionResponseTypes": ["ReportBatchItemFailures"]}
            }
        }
    if function.stream_event:
        # The app names the stream by a placeholder (its ARN exists only once the table
        # does): the event reads the table's stream; a failing batch is split to isolate the
        # record that fails, retried, and its position kept (each record is applied once).
        # A batch that still fails is reported (its shard and sequence numbers) on a queue
        # that raises an alarm: `make verify-stats ARGS=--repair` then mends the figures.
        merged["Properties"]["Events"] = {
            function.stream_event: {
                "Properties": {
                    "Stream": {"Fn::GetAtt": [TABLE, "StreamArn"]},
                    "BisectBatchOnFunctionError": True,
                    "MaximumRetryAttempts": 100,
                    "DestinationConfig": {
                        "OnFailure": {"Type": "SQS", "Destination": _queue_arn(STREAM_FAILURES)}
                    },
                }
            }
        }
    return merged


# --- API ----------------------------------------------------------------------------------

# Gateway responses with a fixed status (API Gateway's defaults), then the catch-alls.
_GATEWAY_RESPONSES: dict[str, int | None] = {
    "UNAUTHORIZED": 401,
    "ACCESS_DENIED": 403,
    # No signature at all on an admin route: a 401, as for a missing citizen token
    # (API Gateway's default is 403; RFC 9110 and the OpenAPI security scheme say 401).
    "MISSING_AUTHENTICATION_TOKEN": 401,
    "INVALID_SIGNATURE": 403,
    "EXPIRED_TOKEN": 403,
    "WAF_FILTERED": 403,
    "RESOURCE_NOT_FOUND": 404,
    "REQUEST_TOO_LARGE": 413,
    "UNSUPPORTED_MEDIA_TYPE": 415,
    "THROTTLED": 429,
    "AUTHORIZER_FAILURE": 500,
    "AUTHORIZER_CONFIGURATION_ERROR": 500,
    "INTEGRATION_FAILURE": 504,
    "INTEGRATION_TIMEOUT": 504,
    "DEFAULT_4XX": None,
    "DEFAULT_5XX": None,
}


def problem_template(status: int | None, default_title: str = "Error") -> str:
    """An RFC 9457 body as a mapping template (`messageString` is already a JSON string).

    The catch-alls cover many statuses and the template cannot read the status, so their
    body leaves `status` out (it is advisory in RFC 9457)."""
    title = HTTPStatus(status).phrase if status else default_title
    status_member = f'"status":{status},' if status else ""
    if status:
        kind = problem_type(status)
    else:  # a catch-all: the status is not known here
        kind = PROBLEM_TYPE_BASE + (
            "server-error" if default_title == "Server Error" else "client-error"
        )
    return (
        '{"type":"'
        + kind
        + '","title":"'
        + title
        + '",'
        + status_member
        + '"detail":$context.error.messageString}'
    )


def gateway_responses() -> Json:
    """API Gateway's own errors as application/problem+json, like the app's.

    Declared in the API definition (x-amazon-apigateway-gateway-responses) rather than as
    AWS::ApiGateway::GatewayResponse resources: gateway responses take effect only with a
    deployment, and the deployment SAM creates follows the definition body, not separate
    resources (their first version would miss the deployment and later changes would never
    be deployed)."""
    out: Json = {}
    for response_type, status in _GATEWAY_RESPONSES.items():
        default_title = "Server Error" if response_type.endswith("5XX") else "Client Error"
        response: Json = {
            "responseParameters": {
                "gatewayresponse.header.Content-Type": "'application/problem+json'"
            },
            "responseTemplates": {"application/json": problem_template(status, default_title)},
        }
        if status is not None:
            response["statusCode"] = str(status)
        if response_type == "MISSING_AUTHENTICATION_TOKEN":
            response["responseParameters"]["gatewayresponse.header.WWW-Authenticate"] = (
                "'AWS4-HMAC-SHA256'"
            )
        out[response_type] = response
    return out


# --- the template -------------------------------------------------------------------------


def outputs() -> Json:
    """Names and addresses operators and scripts need (Chalice adds EndpointURL)."""
    out: Json = {
        "TableName": {"Value": {"Ref": TABLE}},
        "DocumentsBucketName": {"Value": {"Ref": BUCKET}},
        "SigningSecretArn": {"Value": {"Ref": SECRET}},
        "SmsCredentialsSecretArn": {
            "Description": 'Put Tencent Cloud SMS\'s key pair here: {"secret_id", "secret_key"}',
            "Value": {"Ref": SMS_SECRET},
        },
        "SmsCallbackSecretArn": {
            "Description": "Its callback_key ends Tencent's status callback URL",
            "Value": {"Ref": SMS_CALLBACK_SECRET},
        },
        "WechatSecretArn": {
            "Description": 'Put the official account\'s {"app_secret", "token"} here',
            "Value": {"Ref": WECHAT_SECRET},
        },
        "ApprovalStateMachineArn": {"Value": {"Ref": STATE_MACHINE}},
    }
    for queue_id in resources.QUEUES:
        out[f"{queue_id}Url"] = {"Value": {"Ref": queue_id}}
        out[f"{dead_letter_id(queue_id)}Url"] = {"Value": {"Ref": dead_letter_id(queue_id)}}
    return out


def api_stage(stage: str) -> str:
    """The API Gateway stage name .chalice/config.json gives `stage` (the URL's first part)."""
    config = json.loads((definitions.ROOT / ".chalice" / "config.json").read_text())
    return str(config.get("stages", {}).get(stage, {}).get("api_gateway_stage", "api"))


def stream_failures(stage: str) -> Json:
    return {
        "Type": "AWS::SQS::Queue",
        **operations.RETAINED,
        "Properties": {
            "QueueName": resources.dead_letter_queue_name(stage, "stats-stream"),
            "MessageRetentionPeriod": DEAD_LETTER_RETENTION_SECONDS,
            "SqsManagedSseEnabled": True,
        },
    }


def rest_api(stage: str, private: bool = False) -> Json:
    """Merged into Chalice's REST API: its name (the alarms' dimension), tracing, access logs
    and throttling, the problem+json gateway responses, and — with AdminSourceCidrs — a
    resource policy that admits /admin/* from the county's intranet only."""
    body: Json = {"x-amazon-apigateway-gateway-responses": gateway_responses()}
    if not private:  # a private API's policy is Chalice's: its VPC endpoint only
        body["x-amazon-apigateway-policy"] = {
            "Fn::If": [
                operations.HAS_ADMIN_CIDRS,
                operations.admin_source_policy(),
                {"Ref": "AWS::NoValue"},
            ]
        }
    return {
        "DependsOn": [operations.API_ACCOUNT_READY],
        "Properties": {
            "Name": operations.api_name(stage),
            "TracingEnabled": {"Fn::If": [TRACING_ON, True, False]},
            "DefinitionBody": body,
            **operations.api_stage_settings(),
        },
    }


def operations_resources(stage: str) -> Json:
    """Log groups, alarms and their topic, the workflow's stop rule, the custom domain."""
    functions = [f.logical_id for f in FUNCTIONS]
    dead_letters = [dead_letter_id(q) for q in resources.QUEUES] + [STREAM_FAILURES]
    return {
        **operations.log_groups(functions, stage),
        **operations.api_account(),
        **operations.alarm_topic(),
        **operations.alarms(
            api_name=operations.api_name(stage),
            stage_name=api_stage(stage),
            functions=functions,
            dead_letters=dead_letters,
            state_machine=STATE_MACHINE,
            table=TABLE,
            stream_consumer=next(f.logical_id for f in FUNCTIONS if f.stream_event),
        ),
        **operations.workflow_stopped_rule(STATE_MACHINE, REVIEW_QUEUE),
        **operations.custom_domain(REST_API),
    }


def merge_template(stage: str, *, private: bool = False) -> Json:
    """The template `chalice package --merge-template` merges into Chalice's for `stage`."""
    resources_: Json = {
        TABLE: table(stage),
        BUCKET: bucket(stage),
        BUCKET_POLICY: bucket_policy(),
        **queues(stage),
        STREAM_FAILURES: stream_failures(stage),
        EVENTS_QUEUE_POLICY: events_queue_policy(stage),
        SECRET: signing_secret(stage),
        SMS_SECRET: sms_credentials_secret(stage),
        SMS_CALLBACK_SECRET: sms_callback_secret(stage),
        WECHAT_SECRET: wechat_secret(stage),
        STATE_MACHINE_ROLE: state_machine_role(),
        STATE_MACHINE: state_machine(stage),
        REST_API: rest_api(stage, private),
        **operations_resources(stage),
    }
    for function in FUNCTIONS:
        resources_[function.logical_id] = function_overrides(function)
        resources_[function.role] = {
            "Properties": {"Policies": [function_role_policy(function, stage)]}
        }
    return {
        "Parameters": {
            TRACING: {
                "Type": "String",
                "Default": "PassThrough",
                "AllowedValues": ["Active", "PassThrough"],
                "Description": "X-Ray tracing of the functions and the approval workflow",
            },
            **operations.parameters(),
        },
        "Conditions": {
            TRACING_ON: {"Fn::Equals": [{"Ref": TRACING}, "Active"]},
            **operations.conditions(),
        },
        "Resources": resources_,
        "Outputs": {
            **outputs(),
            **operations.outputs(REST_API, api_stage(stage)),
            # infra/deploy.py keeps a stage's endpoint type from one deploy to the next.
            "ApiEndpointType": {"Value": "PRIVATE" if private else "REGIONAL"},
        },
    }
