"""What a county IT office needs to run a stage, added to the deploy template: the
parameters an operator sets, log groups with a retention, the API's access log and
throttling, alarms to an SNS topic, and the reaction to an approval workflow that stops.

Everything here is built from the same logical ids infra/template.py defines; the
template test (tests/test_template.py) asserts each piece on the packaged template, and
cfn-lint checks it for us-east-1, cn-north-1 and cn-northwest-1.
"""

from __future__ import annotations

from typing import Any

from chalicelib import resources

Json = dict[str, Any]

# What keeps the county's data or its trail: kept when the stack goes or a change would
# replace it — but not when the stack's first creation rolls back (nothing was kept in it
# yet, and a kept empty resource with its fixed name would make every retry fail).
RETAINED = {"DeletionPolicy": "RetainExceptOnCreate", "UpdateReplacePolicy": "Retain"}

# --- parameters ---------------------------------------------------------------------------

LOG_RETENTION = "LogRetentionDays"
ALARM_EMAIL = "AlarmEmail"
API_RATE, API_BURST = "ApiThrottleRate", "ApiThrottleBurst"
AUTH_RATE, AUTH_BURST = "AuthThrottleRate", "AuthThrottleBurst"
DOMAIN_NAME, CERTIFICATE = "DomainName", "CertificateArn"
ADMIN_CIDRS = "AdminSourceCidrs"
API_ACCOUNT_ROLE = "ManageApiGatewayLogsRole"
SMS_CONCURRENCY = "SmsConcurrency"
SMS_APP_ID, SMS_TEMPLATES, SMS_REGION = "SmsSdkAppId", "SmsTemplates", "SmsRegion"
WECHAT_APP_ID, WECHAT_TEMPLATE_ID = "WechatAppId", "WechatTemplateId"
APP_CASE_URL = "AppCaseUrl"

HAS_ALARM_EMAIL = "HasAlarmEmail"
HAS_DOMAIN = "HasDomainName"
HAS_ADMIN_CIDRS = "RestrictAdminSources"
MANAGES_API_ROLE = "ManagesApiGatewayLogsRole"

# CloudWatch Logs accepts only these retention periods (days).
RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
    2922, 3288, 3653,
)  # fmt: skip
# The Cybersecurity Law (网络安全法 art. 21) asks network operators to keep logs at least six
# months.
DEFAULT_RETENTION = 180


def parameters() -> Json:
    return {
        LOG_RETENTION: {
            "Type": "Number",
            "Default": DEFAULT_RETENTION,
            "AllowedValues": list(RETENTION_DAYS),
            "Description": "Days every log group keeps its logs (the Cybersecurity Law: at "
            "least 180)",
        },
        ALARM_EMAIL: {
            "Type": "String",
            "Default": "",
            "AllowedPattern": r"^$|^[^@\s]+@[^@\s]+$",
            "Description": "Where alarms are mailed (subscribe more to the AlarmTopic output)",
        },
        API_RATE: {
            "Type": "Number",
            "Default": 200,
            "MinValue": 1,
            "Description": "Requests a second the stage admits (every route), steady",
        },
        API_BURST: {
            "Type": "Number",
            "Default": 400,
            "MinValue": 1,
            "Description": "… and in a burst",
        },
        AUTH_RATE: {
            "Type": "Number",
            "Default": 10,
            "MinValue": 1,
            "Description": "Requests a "
            "second for sign-in (/auth/otp, /auth/token): each code is an SMS",
        },
        AUTH_BURST: {
            "Type": "Number",
            "Default": 20,
            "MinValue": 1,
            "Description": "… and in a burst",
        },
        DOMAIN_NAME: {
            "Type": "String",
            "Default": "",
            "AllowedPattern": r"^$|^[a-z0-9.-]+\.[a-z]{2,}$",
            "Description": "A custom domain for the API (needs an ICP filing in China), "
            "e.g. api.bianmin.example.cn; empty: the execute-api address",
        },
        CERTIFICATE: {
            "Type": "String",
            "Default": "",
            "Description": "The ACM certificate of DomainName, in this region",
        },
        ADMIN_CIDRS: {
            "Type": "CommaDelimitedList",
            "Default": "",
            "Description": "Source address ranges (the government intranet's egress) from "
            "which /admin/* may be called; empty: from anywhere (still SigV4-signed)",
        },
        API_ACCOUNT_ROLE: {
            "Type": "String",
            "Default": "true",
            "AllowedValues": ["true", "false"],
            "Description": "Set API Gateway's account-wide CloudWatch Logs role (access and "
            "execution logs need one); false if another stack of the account sets it",
        },
        SMS_CONCURRENCY: {
            "Type": "Number",
            "Default": 5,
            "MinValue": 1,
            "MaxValue": 100,
            "Description": "SMS senders at once (reserved concurrency): the provider's own "
            "rate limit is per account",
        },
        SMS_APP_ID: {
            "Type": "String",
            "AllowedPattern": "^[0-9]{1,20}$",
            "ConstraintDescription": "the SdkAppId of Tencent Cloud SMS's console (digits)",
            "Description": "Tencent Cloud SMS application (短信应用 SdkAppId) that sends the "
            "stage's texts",
        },
        SMS_TEMPLATES: {
            "Type": "String",
            "AllowedPattern": "^\\{.*\\}$",
            "ConstraintDescription": 'a JSON object: {"otp": "<template id>", …}',
            "Description": "The approved template id of each purpose, JSON "
            '({"otp": …, "request_refused": …, "request_resolved": …}); a purpose without '
            "one is parked on the SMS dead-letter queue until it has",
        },
        SMS_REGION: {
            "Type": "String",
            "Default": "ap-guangzhou",
            "AllowedValues": ["ap-guangzhou", "ap-beijing", "ap-nanjing"],
            "Description": "Tencent Cloud SMS's API region",
        },
        WECHAT_APP_ID: {
            "Type": "String",
            "Default": "",
            "AllowedPattern": "^(wx[0-9a-f]{16})?$",
            "ConstraintDescription": "the official account's AppID (wx and 16 hex digits)",
            "Description": "WeChat official account (公众号) AppID; empty: no WeChat messages",
        },
        APP_CASE_URL: {
            "Type": "String",
            "Default": "",
            "AllowedPattern": "^(https://\\S*\\{case_id\\}\\S*)?$",
            "ConstraintDescription": "an https address with {case_id} in it, or empty",
            "Description": "The citizen app's page of a case (the official account's H5 or "
            "mini-program page), {case_id} in it: WeChat messages link there; empty: no link",
        },
        WECHAT_TEMPLATE_ID: {
            "Type": "String",
            "Default": "",
            "AllowedPattern": "^[A-Za-z0-9_-]{0,64}$",
            "Description": "The account's approved template message 办件进度提醒 (fields "
            "character_string1, thing2, phrase3, time4); empty: no WeChat messages",
        },
    }


def conditions() -> Json:
    return {
        HAS_ALARM_EMAIL: {"Fn::Not": [{"Fn::Equals": [{"Ref": ALARM_EMAIL}, ""]}]},
        HAS_DOMAIN: {"Fn::Not": [{"Fn::Equals": [{"Ref": DOMAIN_NAME}, ""]}]},
        HAS_ADMIN_CIDRS: {
            "Fn::Not": [{"Fn::Equals": [{"Fn::Join": ["", {"Ref": ADMIN_CIDRS}]}, ""]}]
        },
        MANAGES_API_ROLE: {"Fn::Equals": [{"Ref": API_ACCOUNT_ROLE}, "true"]},
    }


# --- logs ---------------------------------------------------------------------------------

ACCESS_LOG = "ApiAccessLogGroup"
WORKFLOW_LOG = "ApprovalWorkflowLogGroup"
API_LOGS_ROLE = "ApiGatewayCloudWatchRole"
API_ACCOUNT = "ApiGatewayAccount"
API_ACCOUNT_READY = "ApiGatewayAccountReady"

# One JSON line per request: who, what, how it ended (no body, no query string: a phone or an
# id card number must never reach a log).
ACCESS_LOG_FORMAT = (
    '{"requestId":"$context.requestId","ip":"$context.identity.sourceIp",'
    '"caller":"$context.identity.userArn","time":"$context.requestTime",'
    '"method":"$context.httpMethod","resource":"$context.resourcePath",'
    '"status":"$context.status","latencyMs":"$context.responseLatency",'
    '"integrationMs":"$context.integrationLatency","bytes":"$context.responseLength",'
    '"error":"$context.error.responseType"}'
)


def _retained(name: Any) -> Json:
    return {
        "Type": "AWS::Logs::LogGroup",
        **RETAINED,
        "Properties": {"LogGroupName": name, "RetentionInDays": {"Ref": LOG_RETENTION}},
    }


def log_groups(functions: list[str], stage: str) -> Json:
    """A log group per function, with its retention (the functions' roles may not create log
    groups: one Lambda made first, without retention, would make this resource fail), the
    API's access log and the workflow's log."""
    groups = {
        f"{function}LogGroup": _retained({"Fn::Sub": "/aws/lambda/${" + function + "}"})
        for function in functions
    }
    groups[ACCESS_LOG] = _retained(f"/bianmin/{stage}/api-access")
    groups[WORKFLOW_LOG] = _retained(f"/bianmin/{stage}/approval-workflow")
    return groups


def api_account() -> Json:
    """API Gateway writes access and execution logs only through an account-wide role."""
    return {
        API_LOGS_ROLE: {
            "Type": "AWS::IAM::Role",
            "Condition": MANAGES_API_ROLE,
            "Properties": {
                "AssumeRolePolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "apigateway.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                },
                "ManagedPolicyArns": [
                    {
                        "Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/"
                        "AmazonAPIGatewayPushToCloudWatchLogs"
                    }
                ],
            },
        },
        API_ACCOUNT: {
            "Type": "AWS::ApiGateway::Account",
            "Condition": MANAGES_API_ROLE,
            "Properties": {"CloudWatchRoleArn": {"Fn::GetAtt": [API_LOGS_ROLE, "Arn"]}},
        },
        # The stage's access log needs the account's role first, and a DependsOn cannot name
        # a resource that may not exist: this handle refers to it only when it does, and the
        # API depends on the handle (else a fresh account's stage may be made first and fail
        # with "CloudWatch Logs role ARN must be set in account settings").
        API_ACCOUNT_READY: {
            "Type": "AWS::CloudFormation::WaitConditionHandle",
            "Metadata": {
                "ApiGatewayAccount": {"Fn::If": [MANAGES_API_ROLE, {"Ref": API_ACCOUNT}, ""]}
            },
        },
    }


# --- the API stage ------------------------------------------------------------------------


def _escaped(path: str) -> str:
    """A resource path as MethodSettings names it: every slash as ~1, behind a leading slash
    (`/auth/otp` → `/~1auth~1otp`)."""
    return "/" + path.replace("/", "~1")


def api_stage_settings() -> Json:
    """Merged into the REST API: access logs, throttling (tighter for sign-in: each code is
    a text message someone pays for). Per-method detailed metrics stay off: the alarms read
    the stage's own (free) metrics, and detailed ones bill every route's as custom metrics."""
    everything = {
        "ResourcePath": "/*",
        "HttpMethod": "*",
        "ThrottlingRateLimit": {"Ref": API_RATE},
        "ThrottlingBurstLimit": {"Ref": API_BURST},
    }
    sign_in = [
        {
            "ResourcePath": _escaped(path),
            "HttpMethod": "POST",
            "ThrottlingRateLimit": {"Ref": AUTH_RATE},
            "ThrottlingBurstLimit": {"Ref": AUTH_BURST},
        }
        for path in ("/auth/otp", "/auth/token")
    ]
    return {
        "AccessLogSetting": {
            "DestinationArn": {"Fn::GetAtt": [ACCESS_LOG, "Arn"]},
            "Format": ACCESS_LOG_FORMAT,
        },
        "MethodSettings": [everything, *sign_in],
    }


def admin_source_policy() -> Json:
    """The API's resource policy when AdminSourceCidrs is set: /admin/* only from those
    address ranges (the county's intranet), every other route from anywhere."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "execute-api:Invoke",
                "Resource": "execute-api:/*",
            },
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "execute-api:Invoke",
                "Resource": "execute-api:/*/*/admin/*",
                "Condition": {"NotIpAddress": {"aws:SourceIp": {"Ref": ADMIN_CIDRS}}},
            },
        ],
    }


CUSTOM_DOMAIN = "ApiDomainName"
DOMAIN_MAPPING = "ApiBasePathMapping"


def custom_domain(rest_api: str) -> Json:
    """A regional custom domain (its own ACM certificate, in this region) mapped to the
    stage at the root, when DomainName is set."""
    return {
        CUSTOM_DOMAIN: {
            "Type": "AWS::ApiGateway::DomainName",
            "Condition": HAS_DOMAIN,
            "Properties": {
                "DomainName": {"Ref": DOMAIN_NAME},
                "RegionalCertificateArn": {"Ref": CERTIFICATE},
                "EndpointConfiguration": {"Types": ["REGIONAL"]},
                "SecurityPolicy": "TLS_1_2",
            },
        },
        DOMAIN_MAPPING: {
            "Type": "AWS::ApiGateway::BasePathMapping",
            "Condition": HAS_DOMAIN,
            "Properties": {
                "DomainName": {"Ref": CUSTOM_DOMAIN},
                "RestApiId": {"Ref": rest_api},
                # SAM's reference to the stage it creates (and so a dependency on it).
                "Stage": {"Ref": f"{rest_api}.Stage"},
            },
        },
    }


def public_url(rest_api: str, stage_name: str) -> Json:
    """The address citizens and certificates use: the custom domain, or the stage's own."""
    return {
        "Fn::If": [
            HAS_DOMAIN,
            {"Fn::Sub": "https://${" + DOMAIN_NAME + "}"},
            {
                "Fn::Sub": "https://${"
                + rest_api
                + "}.execute-api.${AWS::Region}.${AWS::URLSuffix}/"
                + stage_name
            },
        ]
    }


# --- alarms -------------------------------------------------------------------------------

ALARM_TOPIC = "AlarmTopic"
ALARM_SUBSCRIPTION = "AlarmEmailSubscription"
METRICS_NAMESPACE = "Bianmin"  # .chalice/config.json POWERTOOLS_METRICS_NAMESPACE


def alarm_topic() -> Json:
    return {
        # Not encrypted with SNS's AWS-managed key: its key policy cannot be changed to let
        # CloudWatch alarms publish, so every alarm would fail to notify. Alarm texts carry
        # no personal data.
        ALARM_TOPIC: {"Type": "AWS::SNS::Topic", "Properties": {"DisplayName": "Bianmin alarms"}},
        ALARM_SUBSCRIPTION: {
            "Type": "AWS::SNS::Subscription",
            "Condition": HAS_ALARM_EMAIL,
            "Properties": {
                "TopicArn": {"Ref": ALARM_TOPIC},
                "Protocol": "email",
                "Endpoint": {"Ref": ALARM_EMAIL},
            },
        },
    }


def _alarm(
    description: str,
    namespace: str,
    metric: str,
    dimensions: dict[str, Any],
    *,
    statistic: str = "Sum",
    threshold: float = 0,
    period: int = 300,
    periods: int = 1,
) -> Json:
    properties: Json = {
        "AlarmDescription": description,
        "Namespace": namespace,
        "MetricName": metric,
        "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()],
        "Period": period,
        "EvaluationPeriods": periods,
        "Threshold": threshold,
        "ComparisonOperator": "GreaterThanThreshold",
        "TreatMissingData": "notBreaching",
        "AlarmActions": [{"Ref": ALARM_TOPIC}],
        "OKActions": [{"Ref": ALARM_TOPIC}],
    }
    if statistic.startswith("p"):
        properties["ExtendedStatistic"] = statistic
    else:
        properties["Statistic"] = statistic
    return {"Type": "AWS::CloudWatch::Alarm", "Properties": properties}


def alarms(
    *,
    api_name: str,
    stage_name: str,
    functions: list[str],
    dead_letters: list[str],
    state_machine: str,
    table: str,
    stream_consumer: str,
) -> Json:
    """Something is broken when any of these moves: the API answers 5xx or slowly, a function
    fails or is throttled, a message lands in a dead-letter queue, an approval workflow
    fails or times out, DynamoDB throttles, an SMS cannot be delivered, or the figures fall
    behind the cases."""
    api = {"ApiName": api_name, "Stage": stage_name}
    out: Json = {
        "ApiServerErrorsAlarm": _alarm("The API answered 5xx", "AWS/ApiGateway", "5XXError", api),
        "ApiLatencyAlarm": _alarm(
            "The API's p99 latency passed 3 s for 15 minutes",
            "AWS/ApiGateway",
            "Latency",
            api,
            statistic="p99",
            threshold=3000,
            periods=3,
        ),
        "ApprovalFailedAlarm": _alarm(
            "An approval workflow failed, timed out or was aborted (its case is put before "
            "the supervisors)",
            "AWS/States",
            "ExecutionsFailed",
            {"StateMachineArn": {"Ref": state_machine}},
        ),
        "ApprovalTimedOutAlarm": _alarm(
            "An approval workflow timed out",
            "AWS/States",
            "ExecutionsTimedOut",
            {"StateMachineArn": {"Ref": state_machine}},
        ),
        "TableReadThrottleAlarm": _alarm(
            "DynamoDB throttled reads",
            "AWS/DynamoDB",
            "ReadThrottleEvents",
            {"TableName": {"Ref": table}},
        ),
        "TableWriteThrottleAlarm": _alarm(
            "DynamoDB throttled writes",
            "AWS/DynamoDB",
            "WriteThrottleEvents",
            {"TableName": {"Ref": table}},
        ),
        # A text refused for a reason an operator fixes is on the SMS dead-letter queue
        # (its alarm below); these two see the provider failing and the recipients' refusals.
        "SmsDeferredAlarm": _alarm(
            "Text messages keep failing at the provider (credentials, balance, limits, "
            "its availability): over 20 in each of three 5-minute periods",
            METRICS_NAMESPACE,
            "SmsDeferred",
            {"service": "bianmin"},
            threshold=20,
            periods=3,
        ),
        "SmsUnreachableAlarm": _alarm(
            "Over 200 texts in an hour refused for their recipients (numbers over their "
            "limits or invalid): someone may be asking codes for numbers not theirs",
            METRICS_NAMESPACE,
            "SmsUnreachable",
            {"service": "bianmin"},
            threshold=200,
            period=3600,
        ),
        "FiguresLagAlarm": _alarm(
            "The figures fall behind the cases: the table stream's oldest record is over "
            "5 minutes old",
            "AWS/Lambda",
            "IteratorAge",
            {"FunctionName": {"Ref": stream_consumer}},
            statistic="Maximum",
            threshold=300_000,
            periods=3,
        ),
    }
    for function in functions:
        dimension = {"FunctionName": {"Ref": function}}
        out[f"{function}ErrorsAlarm"] = _alarm(
            f"{function} failed", "AWS/Lambda", "Errors", dimension
        )
        out[f"{function}ThrottlesAlarm"] = _alarm(
            f"{function} was throttled", "AWS/Lambda", "Throttles", dimension
        )
    for queue in dead_letters:
        out[f"{queue}Alarm"] = _alarm(
            f"A message is waiting in {queue} (replay it: python -m infra.replay)",
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            {"QueueName": {"Fn::GetAtt": [queue, "QueueName"]}},
            statistic="Maximum",
        )
    return out


# --- the workflow's end -------------------------------------------------------------------

WORKFLOW_ENDED_RULE = "ApprovalWorkflowStoppedRule"
REVIEW_QUEUE_POLICY = "ReviewTasksQueuePolicy"


def workflow_stopped_rule(state_machine: str, review_queue: str) -> Json:
    """An approval execution that fails, times out or is aborted is reported on the review
    queue, whose consumer puts the case before the supervisors (ReviewService)."""
    return {
        WORKFLOW_ENDED_RULE: {
            "Type": "AWS::Events::Rule",
            "Properties": {
                "Description": "Approval workflows that stop without an outcome",
                "EventPattern": {
                    "source": ["aws.states"],
                    "detail-type": ["Step Functions Execution Status Change"],
                    "detail": {
                        "status": ["FAILED", "TIMED_OUT", "ABORTED"],
                        "stateMachineArn": [{"Ref": state_machine}],
                    },
                },
                "Targets": [
                    {"Id": "ReviewTasksQueue", "Arn": {"Fn::GetAtt": [review_queue, "Arn"]}}
                ],
            },
        },
        REVIEW_QUEUE_POLICY: {
            "Type": "AWS::SQS::QueuePolicy",
            "Properties": {
                "Queues": [{"Ref": review_queue}],
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "WorkflowStoppedEvents",
                            "Effect": "Allow",
                            "Principal": {"Service": "events.amazonaws.com"},
                            "Action": "sqs:SendMessage",
                            "Resource": {"Fn::GetAtt": [review_queue, "Arn"]},
                            "Condition": {
                                "ArnEquals": {
                                    "aws:SourceArn": {"Fn::GetAtt": [WORKFLOW_ENDED_RULE, "Arn"]}
                                }
                            },
                        }
                    ],
                },
            },
        },
    }


def workflow_logging() -> Json:
    """The approval workflow's errors in its log group (ids only: the payloads carry no
    personal data, but the execution data is left out all the same)."""
    return {
        "Level": "ERROR",
        "IncludeExecutionData": False,
        "Destinations": [
            {"CloudWatchLogsLogGroup": {"LogGroupArn": {"Fn::GetAtt": [WORKFLOW_LOG, "Arn"]}}}
        ],
    }


WORKFLOW_LOG_ACTIONS = [
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
]


def outputs(rest_api: str, stage_name: str) -> Json:
    return {
        "PublicUrl": {
            "Description": "The API's public address (certificates and links use it)",
            "Value": public_url(rest_api, stage_name),
        },
        "AlarmTopicArn": {"Value": {"Ref": ALARM_TOPIC}},
        "RegionalDomainName": {
            "Condition": HAS_DOMAIN,
            "Description": "Point the custom domain's CNAME here",
            "Value": {"Fn::GetAtt": [CUSTOM_DOMAIN, "RegionalDomainName"]},
        },
    }


def api_name(stage: str) -> str:
    return f"{resources.APP}-{stage}"
