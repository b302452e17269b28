"""The deploy template: `python -m infra.package` once, then cfn-lint and the checks that the
template is built from the shared definitions (the ones the local stack provisions)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from chalicelib import resources
from infra import definitions
from infra.operations import WORKFLOW_LOG_ACTIONS
from infra.package import ANY_METHOD, TEMPLATE_LIMIT
from infra.template import FUNCTIONS, dead_letter_id

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("package")]

STAGE = "prod"
REGION = "cn-north-1"
LINT_REGIONS = ("us-east-1", "cn-north-1", "cn-northwest-1")
MAX_PACKAGE_BYTES = 10 * 1024 * 1024
BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Packaged:
    out: Path
    template_path: Path
    text: str
    template: dict[str, Any]

    @property
    def resources(self) -> dict[str, Any]:
        return self.template["Resources"]

    def of_type(self, resource_type: str) -> dict[str, Any]:
        return {k: v for k, v in self.resources.items() if v["Type"] == resource_type}

    def props(self, logical_id: str) -> dict[str, Any]:
        return self.resources[logical_id]["Properties"]

    @property
    def swagger(self) -> dict[str, Any]:
        return self.props("RestAPI")["DefinitionBody"]


@pytest.fixture(scope="module")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> Packaged:
    out = tmp_path_factory.mktemp("package")
    command = [sys.executable, "-m", "infra.package", "--stage", STAGE, "--region", REGION]
    command += ["--out", str(out)]
    # `chalice package` downloads manylinux wheels from PyPI: one retry rides out a network
    # hiccup; a real packaging error fails both attempts and is shown.
    for _attempt in range(2):
        result = subprocess.run(
            command,
            cwd=definitions.ROOT,
            capture_output=True,
            text=True,
            check=False,
            timeout=900,
        )
        if result.returncode == 0:
            break
        print(result.stdout + result.stderr)
    assert result.returncode == 0, result.stdout + result.stderr
    template_path = out / "sam.json"
    text = template_path.read_text()
    return Packaged(out=out, template_path=template_path, text=text, template=json.loads(text))


def cfn_lint(path: Path, regions: tuple[str, ...], *extra: str) -> None:
    result = subprocess.run(
        [str(BIN / "cfn-lint"), "--regions", *regions, *extra, "--", str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, f"cfn-lint failed:\n{result.stdout}{result.stderr}"


def contains_ref(value: Any, logical_id: str) -> bool:
    if isinstance(value, dict):
        if value.get("Ref") == logical_id or value.get("Fn::GetAtt", [None])[0] == logical_id:
            return True
        return any(contains_ref(v, logical_id) for v in value.values())
    if isinstance(value, list):
        return any(contains_ref(v, logical_id) for v in value)
    return False


def statements(packaged: Packaged, role_id: str) -> list[dict[str, Any]]:
    policies = packaged.props(role_id).get("Policies", [])
    return [s for policy in policies for s in policy["PolicyDocument"]["Statement"]]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# --- lint -----------------------------------------------------------------------------------


def test_the_template_is_written_compact_well_within_cloudformations_limit(
    packaged: Packaged,
) -> None:
    size = len(packaged.text.encode())
    assert "\n " not in packaged.text  # not indented: indentation doubles it
    assert size < 0.6 * TEMPLATE_LIMIT, f"{size:,} bytes: the API definition is nearing 1 MB"


def test_cfn_lint_passes_in_every_partition_with_no_rule_ignored(packaged: Packaged) -> None:
    cfn_lint(packaged.template_path, LINT_REGIONS)


def test_state_machine_definition_lints_as_the_asl_it_becomes(
    packaged: Packaged, tmp_path: Path
) -> None:
    """cfn-lint checks a definition given as an object (not one built by Fn::Sub): the
    definition with the placeholders filled in (the aws partition: cfn-lint's ASL schema
    knows no other) passes its ASL checks too."""
    template = json.loads(packaged.text)
    machine = template["Resources"]["ApprovalStateMachine"]["Properties"]
    text, _ = machine.pop("DefinitionString")["Fn::Sub"]
    machine["Definition"] = json.loads(text.replace("${Partition}", "aws"))
    machine["DefinitionSubstitutions"] = {"ReviewQueueUrl": {"Ref": "ReviewTasksQueue"}}
    path = tmp_path / "sam-aws.json"
    path.write_text(json.dumps(template))
    cfn_lint(path, ("us-east-1",))


def test_no_hard_coded_partition(packaged: Packaged) -> None:
    assert "arn:aws:" not in packaged.text
    assert "arn:aws-cn:" not in packaged.text


# --- resources from the shared definitions --------------------------------------------------


def test_table_is_the_shared_definition(packaged: Packaged) -> None:
    (table_id,) = packaged.of_type("AWS::DynamoDB::Table")
    table = packaged.resources[table_id]
    props = table["Properties"]
    shared = definitions.table_definition()
    assert props["TableName"] == resources.table_name(STAGE)
    for key in ("KeySchema", "AttributeDefinitions", "GlobalSecondaryIndexes", "BillingMode"):
        assert props[key] == shared[key], key
    assert props["TimeToLiveSpecification"] == {
        "AttributeName": definitions.ttl_attribute(),
        "Enabled": True,
    }
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["SSESpecification"]["SSEEnabled"] is True
    assert props["DeletionProtectionEnabled"] is True
    assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain"


def test_every_queue_has_its_dead_letter_queue(packaged: Packaged) -> None:
    queues = packaged.of_type("AWS::SQS::Queue")
    assert len(queues) == 2 * len(resources.QUEUES) + 1  # and the stream's failures
    timeouts = [
        f["Properties"]["Timeout"] for f in packaged.of_type("AWS::Serverless::Function").values()
    ]
    for queue_id, suffix in resources.QUEUES.items():
        queue = packaged.props(queue_id)
        dead_letter = packaged.props(dead_letter_id(queue_id))
        assert queue["QueueName"] == resources.queue_name(STAGE, suffix)
        assert dead_letter["QueueName"] == resources.dead_letter_queue_name(STAGE, suffix)
        assert queue["RedrivePolicy"] == {
            "deadLetterTargetArn": {"Fn::GetAtt": [dead_letter_id(queue_id), "Arn"]},
            "maxReceiveCount": 5,
        }
        assert queue["VisibilityTimeout"] >= 6 * max(timeouts)
        assert dead_letter["MessageRetentionPeriod"] == 1_209_600
        assert queue["SqsManagedSseEnabled"] is dead_letter["SqsManagedSseEnabled"] is True
        # What a dead-letter queue holds is still to be replayed: it outlives the stack.
        assert packaged.resources[dead_letter_id(queue_id)]["DeletionPolicy"] == KEPT
        assert packaged.resources[queue_id]["DeletionPolicy"] == "Delete"


def test_state_machine_is_the_asl_file(packaged: Packaged) -> None:
    (machine_id,) = packaged.of_type("AWS::StepFunctions::StateMachine")
    props = packaged.props(machine_id)
    assert props["StateMachineName"] == resources.state_machine_name(STAGE)
    text, variables = props["DefinitionString"]["Fn::Sub"]
    assert json.loads(text) == json.loads(definitions.ASL_FILE.read_text())
    placeholders = set(re.findall(r"\$\{(\w+)\}", definitions.state_machine_definition()))
    assert set(variables) == placeholders
    role_id = props["RoleArn"]["Fn::GetAtt"][0]
    trust = packaged.props(role_id)["AssumeRolePolicyDocument"]["Statement"][0]
    # The same service principal in every partition (China's too), as SAM and CDK write it.
    assert trust["Principal"]["Service"] == "states.amazonaws.com"
    sends = [s for s in statements(packaged, role_id) if s.get("Sid") == "SendReviewTasks"]
    assert sends[0]["Action"] == ["sqs:SendMessage"]
    assert sends[0]["Resource"] == {"Fn::GetAtt": ["ReviewTasksQueue", "Arn"]}
    logging = props["LoggingConfiguration"]
    assert logging["Level"] == "ERROR" and logging["IncludeExecutionData"] is False
    # A review task is sent again when SQS refuses, never for a reviewer's outcome.
    definition = json.loads(text)
    request = definition["States"]["ReviewByEachDepartment"]["ItemProcessor"]["States"][
        "RequestReview"
    ]
    retried = {e for r in request["Retry"] for e in r["ErrorEquals"]}
    assert "SQS.AmazonSQSException" in retried
    assert not retried & {"States.ALL", "States.TaskFailed", "ReviewDenied", "States.Timeout"}


def test_documents_bucket_is_private_versioned_and_encrypted(packaged: Packaged) -> None:
    props = packaged.props("DocumentsBucket")
    assert props["BucketName"]["Fn::Sub"].startswith(resources.bucket_name(STAGE) + "-")
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert set(props["PublicAccessBlockConfiguration"].values()) == {True}
    (rule,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    (notification,) = props["NotificationConfiguration"]["QueueConfigurations"]
    assert notification["Queue"] == {"Fn::GetAtt": ["DocumentEventsQueue", "Arn"]}
    (policy,) = packaged.of_type("AWS::S3::BucketPolicy").values()
    (deny,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    # S3 may notify the queue, for this bucket's name only.
    queue_policy = packaged.resources["DocumentEventsQueuePolicy"]
    (allow,) = queue_policy["Properties"]["PolicyDocument"]["Statement"]
    source = allow["Condition"]["ArnLike"]["aws:SourceArn"]["Fn::Sub"]
    assert source == "arn:${AWS::Partition}:s3:::" + props["BucketName"]["Fn::Sub"]


def test_secret_is_generated_under_the_shared_name(packaged: Packaged) -> None:
    props = packaged.props("SigningSecret")
    assert props["Name"] == resources.signing_secret_name(STAGE)
    assert props["GenerateSecretString"]["PasswordLength"] >= 32


# --- functions ------------------------------------------------------------------------------


def test_every_generated_function_is_wired(packaged: Packaged) -> None:
    """A function Chalice generates that infra.template.FUNCTIONS does not know would run with
    no resource names in its environment and the static policy: this catches it."""
    functions = packaged.of_type("AWS::Serverless::Function")
    assert set(functions) == {f.logical_id for f in FUNCTIONS}
    for function in FUNCTIONS:
        props = packaged.props(function.logical_id)
        env = props["Environment"]["Variables"]
        assert env["BIANMIN_STAGE"] == STAGE
        assert env["BIANMIN_TABLE"] == {"Ref": "MainTable"}
        assert env["BIANMIN_DOCUMENTS_BUCKET"] == {"Ref": "DocumentsBucket"}
        assert env["BIANMIN_SMS_QUEUE_URL"] == {"Ref": "SmsQueue"}
        assert env["BIANMIN_SIGNING_SECRET_ID"] == {"Ref": "SigningSecret"}
        assert env["BIANMIN_STATE_MACHINE_ARN"] == {"Ref": "ApprovalStateMachine"}
        assert env["POWERTOOLS_TRACE_DISABLED"] == {"Fn::If": ["TracingOn", "false", "true"]}
        assert props["Tracing"] == {"Ref": "Tracing"}
        assert props["Role"] == {"Fn::GetAtt": [function.role, "Arn"]}
        sids = {s["Sid"] for s in statements(packaged, function.role)}
        assert {"Logs", "Tracing"} <= sids


def test_sqs_handlers_listen_on_template_queues_and_wait_for_them(packaged: Packaged) -> None:
    queue_ids = {
        p["Properties"]["QueueName"]: k for k, p in packaged.of_type("AWS::SQS::Queue").items()
    }
    seen = 0
    for function_id, function in packaged.of_type("AWS::Serverless::Function").items():
        role_id = function["Properties"]["Role"]["Fn::GetAtt"][0]
        for event in function["Properties"].get("Events", {}).values():
            if event["Type"] != "SQS":
                continue
            seen += 1
            arn = event["Properties"]["Queue"]["Fn::Sub"]
            assert arn.startswith("arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:")
            queue_id = queue_ids[arn.rsplit(":", 1)[1]]
            # Ordered after its queue: explicitly, or through a Ref in its properties.
            assert queue_id in function.get("DependsOn", []) or contains_ref(
                function["Properties"], queue_id
            ), function_id
            consume = [
                s for s in statements(packaged, role_id) if "sqs:ReceiveMessage" in s["Action"]
            ]
            assert any({"Fn::GetAtt": [queue_id, "Arn"]} in as_list(s["Resource"]) for s in consume)
    assert seen >= 1


def test_roles_grant_nothing_broad(packaged: Packaged) -> None:
    # Actions that have no resource to scope to: Resource "*" is the only way to grant them.
    unscoped = {
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "states:SendTaskSuccess",
        "states:SendTaskFailure",
        "states:SendTaskHeartbeat",
        # Step Functions' log delivery to CloudWatch Logs (documented with Resource "*").
        *WORKFLOW_LOG_ACTIONS,
    }
    for role_id in packaged.of_type("AWS::IAM::Role"):
        for statement in statements(packaged, role_id):
            statement = statement.get("Fn::If", [None, statement])[1]
            actions = as_list(statement["Action"])
            assert not [a for a in actions if a == "*" or a.endswith(":*")], role_id
            if "*" in as_list(statement["Resource"]):
                assert set(actions) <= unscoped, (role_id, actions)
            assert "dynamodb:Scan" not in actions
            assert "dynamodb:TransactWriteItems" not in actions  # not an IAM action


# --- API ------------------------------------------------------------------------------------


def test_admin_routes_use_iam_and_citizen_routes_the_authorizer(packaged: Packaged) -> None:
    from chalice import IAMAuthorizer

    from app import app

    swagger = packaged.swagger
    assert swagger["securityDefinitions"]["sigv4"]["x-amazon-apigateway-authtype"] == "awsSigv4"
    citizen = swagger["securityDefinitions"]["citizen_authorizer"]
    assert citizen["x-amazon-apigateway-authtype"] == "custom"
    assert (
        "${CitizenAuthorizer.Arn}"
        in citizen["x-amazon-apigateway-authorizer"]["authorizerUri"]["Fn::Sub"]
    )

    def security(path: str, method: str) -> list[dict[str, list[str]]]:
        # A 405 fallback is folded into the path's any-method (infra/package.py).
        methods = swagger["paths"][path]
        return methods.get(method.lower(), methods.get(ANY_METHOD, {})).get("security", [])

    assert security("/admin/me", "GET") == [{"sigv4": []}]
    assert security("/admin/services/{code}", "PUT") == [{"sigv4": []}]
    assert security("/me", "GET") == [{"citizen_authorizer": []}]
    # Every route the app declares keeps its authorizer; the 405 fallbacks are the only
    # unauthenticated methods on /admin paths.
    for path, by_method in app.routes.items():
        for method, entry in by_method.items():
            if entry.authorizer is None:
                expected: list[dict[str, list[str]]] = []
            elif isinstance(entry.authorizer, IAMAuthorizer):
                expected = [{"sigv4": []}]
            else:
                expected = [{entry.authorizer.name: []}]
            assert security(path, method) == expected, (path, method)
            if not entry.view_name.startswith("not_allowed"):  # declared, never folded
                assert method.lower() in swagger["paths"][path], (path, method)
            if path.startswith("/admin") and not entry.view_name.startswith("not_allowed"):
                assert expected == [{"sigv4": []}], (path, method)


def test_gateway_errors_are_problem_details(packaged: Packaged) -> None:
    responses = packaged.swagger["x-amazon-apigateway-gateway-responses"]
    expected = {
        "UNAUTHORIZED": 401,
        "ACCESS_DENIED": 403,
        "MISSING_AUTHENTICATION_TOKEN": 401,
        "INVALID_SIGNATURE": 403,
        "EXPIRED_TOKEN": 403,
        "DEFAULT_4XX": None,
        "DEFAULT_5XX": None,
    }
    assert set(expected) <= set(responses)
    for response_type, response in responses.items():
        expected_headers = {"gatewayresponse.header.Content-Type": "'application/problem+json'"}
        if response_type == "MISSING_AUTHENTICATION_TOKEN":
            expected_headers["gatewayresponse.header.WWW-Authenticate"] = "'AWS4-HMAC-SHA256'"
        assert response["responseParameters"] == expected_headers
        rendered = response["responseTemplates"]["application/json"].replace(
            "$context.error.messageString", json.dumps("the gateway's message")
        )
        body = json.loads(rendered)
        assert body["type"].startswith("https://bianmin.example/problems/")
        assert body["title"]
        assert body["detail"] == "the gateway's message"
        status = expected.get(response_type, int(response.get("statusCode", 0)) or None)
        assert body.get("status") == status, response_type
        if status is not None:
            assert response["statusCode"] == str(status)


def test_outputs_name_every_resource(packaged: Packaged) -> None:
    outputs = packaged.template["Outputs"]
    assert "EndpointURL" in outputs
    for name in ("TableName", "DocumentsBucketName", "ApprovalStateMachineArn"):
        assert name in outputs
    for queue_id in resources.QUEUES:
        assert outputs[f"{queue_id}Url"] == {"Value": {"Ref": queue_id}}


def test_parameters_switch_tracing(packaged: Packaged) -> None:
    tracing = packaged.template["Parameters"]["Tracing"]
    assert tracing["Default"] == "PassThrough"
    assert set(tracing["AllowedValues"]) == {"Active", "PassThrough"}
    machine = packaged.props("ApprovalStateMachine")
    assert machine["TracingConfiguration"] == {"Enabled": {"Fn::If": ["TracingOn", True, False]}}


# --- deployment package ---------------------------------------------------------------------


def test_deployment_package_is_small_and_complete(packaged: Packaged) -> None:
    path = packaged.out / "deployment.zip"
    assert path.stat().st_size < MAX_PACKAGE_BYTES, f"{path.stat().st_size / 1e6:.1f} MB"
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        names = set(archive.namelist())
    assert "app.py" in names
    assert "chalicelib/resources.py" in names  # the app's sources stay, for tracebacks
    # Third-party packages ship as bytecode alone (infra/package.py: drop_third_party_sources).
    assert "pydantic_core/__init__.pyc" in names
    assert "tencentcloud/sms/v20210111/sms_client.pyc" in names  # the SMS provider's SDK
    assert not [n for n in names if n.startswith(("pydantic/", "requests/")) and n.endswith(".py")]
    # The Lambda runtime provides boto3/botocore; the package does not carry them.
    assert not [n for n in names if n.startswith(("botocore/", "boto3/"))]


def test_cold_start_does_not_import_the_export_libraries() -> None:
    """XlsxWriter and segno load on the routes that need them, not on every cold start."""
    probe = "import sys, app; print(sorted(m for m in ('xlsxwriter', 'segno') if m in sys.modules))"
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=root
    )
    assert out.stdout.strip() == "[]"


def test_the_deployed_authorizer_has_its_token_check_wired() -> None:
    """Deployed, the authorizer Lambda imports only its handler's module: that import alone
    must install the token check (a bad token is a 401, not a 500 for a missing verifier)."""
    root = Path(__file__).resolve().parent.parent
    handlers = subprocess.run(
        [
            sys.executable,
            "-c",
            "import app; print(*(h.handler_string for h in app.app.builtin_auth_handlers))",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=root,
    ).stdout.split()
    assert handlers == ["app.citizen_authorizer"]
    probe = (
        "import importlib, sys\n"
        "module, name = sys.argv[1].rsplit('.', 1)\n"
        "handler = getattr(importlib.import_module(module), name)\n"
        "event = {'type': 'TOKEN', 'authorizationToken': 'Bearer not-a-token',\n"
        "         'methodArn': 'arn:aws-cn:execute-api:cn-north-1:1:a/api/GET/me'}\n"
        "try:\n"
        "    handler(event, None)\n"
        "except Exception as exc:\n"
        "    print(type(exc).__name__, exc)\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("BIANMIN_")}
    env.update({"AWS_DEFAULT_REGION": "cn-north-1", "BIANMIN_SIGNING_KEY": "k" * 48})
    out = subprocess.run(
        [sys.executable, "-c", probe, handlers[0]],
        capture_output=True,
        text=True,
        check=False,
        cwd=root,
        env=env,
    )
    assert "no token verifier" not in out.stdout + out.stderr, out.stderr


# --- production on AWS China: endpoint, logs, throttling, alarms, lifetimes -----------------


KEPT = "RetainExceptOnCreate"


def test_the_api_is_regional_throttled_and_access_logged(packaged: Packaged) -> None:
    """Edge-optimised APIs do not exist in the Beijing and Ningxia regions."""
    api = packaged.props("RestAPI")
    assert api["EndpointConfiguration"] == "REGIONAL"
    assert api["Name"] == f"bianmin-{STAGE}"
    log = api["AccessLogSetting"]
    assert log["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}
    assert "$context.requestId" in log["Format"] and "$context.status" in log["Format"]
    assert "querystring" not in log["Format"].lower()  # no phone or ID number in a log
    by_path = {(m["ResourcePath"], m["HttpMethod"]): m for m in api["MethodSettings"]}
    assert by_path[("/*", "*")]["ThrottlingRateLimit"] == {"Ref": "ApiThrottleRate"}
    # API Gateway's form: the leading slash kept, the others as ~1.
    for path in ("/~1auth~1otp", "/~1auth~1token"):
        assert by_path[(path, "POST")]["ThrottlingRateLimit"] == {"Ref": "AuthThrottleRate"}
    # No per-method detailed metrics (each route's billed as custom metrics).
    assert not any(m.get("MetricsEnabled") for m in api["MethodSettings"])
    # The stage's access log waits for the account's CloudWatch role (when the stack sets it).
    assert packaged.resources["RestAPI"]["DependsOn"] == ["ApiGatewayAccountReady"]
    ready = packaged.resources["ApiGatewayAccountReady"]["Metadata"]["ApiGatewayAccount"]
    assert ready == {"Fn::If": ["ManagesApiGatewayLogsRole", {"Ref": "ApiGatewayAccount"}, ""]}
    assert (
        packaged.template["Parameters"]["AuthThrottleRate"]["Default"]
        < (packaged.template["Parameters"]["ApiThrottleRate"]["Default"])
    )


def test_every_function_and_the_api_log_with_a_retention(packaged: Packaged) -> None:
    groups = packaged.of_type("AWS::Logs::LogGroup")
    named = {json.dumps(g["Properties"]["LogGroupName"]) for g in groups.values()}
    for function_id in packaged.of_type("AWS::Serverless::Function"):
        assert json.dumps({"Fn::Sub": "/aws/lambda/${" + function_id + "}"}) in named
    for group in groups.values():
        assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
        assert group["DeletionPolicy"] == KEPT
    retention = packaged.template["Parameters"]["LogRetentionDays"]
    assert retention["Default"] >= 180  # the Cybersecurity Law: six months at least
    assert "ApiAccessLogGroup" in groups and "ApprovalWorkflowLogGroup" in groups
    # No function can make its own log group (without retention, and one the stack's would
    # then collide with).
    for role_id in packaged.of_type("AWS::IAM::Role"):
        for statement in statements(packaged, role_id):
            assert "logs:CreateLogGroup" not in as_list(statement.get("Action", [])), role_id


def test_alarms_cover_what_breaks(packaged: Packaged) -> None:
    alarms = packaged.of_type("AWS::CloudWatch::Alarm").values()
    watched = {(a["Properties"]["Namespace"], a["Properties"]["MetricName"]) for a in alarms}
    for metric in (
        ("AWS/ApiGateway", "5XXError"),
        ("AWS/ApiGateway", "Latency"),
        ("AWS/States", "ExecutionsFailed"),
        ("AWS/States", "ExecutionsTimedOut"),
        ("AWS/DynamoDB", "ReadThrottleEvents"),
        ("AWS/DynamoDB", "WriteThrottleEvents"),
        ("AWS/Lambda", "IteratorAge"),
        ("Bianmin", "SmsDeferred"),
        ("Bianmin", "SmsUnreachable"),
    ):
        assert metric in watched, metric
    functions = set(packaged.of_type("AWS::Serverless::Function"))
    per_function: dict[str, set[str]] = {}
    dead_letters = set()
    for alarm in alarms:
        props = alarm["Properties"]
        assert props["AlarmActions"] == [{"Ref": "AlarmTopic"}]
        dimension = props["Dimensions"][0]["Value"]
        if props["Namespace"] == "AWS/Lambda":
            per_function.setdefault(dimension["Ref"], set()).add(props["MetricName"])
        if props["Namespace"] == "AWS/SQS":
            dead_letters.add(dimension["Fn::GetAtt"][0])
    assert all({"Errors", "Throttles"} <= per_function.get(f, set()) for f in functions)
    expected = {dead_letter_id(q) for q in resources.QUEUES} | {"StatsStreamFailures"}
    assert dead_letters == expected
    assert packaged.resources["AlarmTopic"]["Type"] == "AWS::SNS::Topic"
    assert packaged.resources["AlarmEmailSubscription"]["Condition"] == "HasAlarmEmail"


def test_every_consumer_reports_its_failed_records_only(packaged: Packaged) -> None:
    functions = packaged.of_type("AWS::Serverless::Function")
    sqs_events = [
        event
        for function in functions.values()
        for event in function["Properties"].get("Events", {}).values()
        if event["Type"] == "SQS"
    ]
    assert len(sqs_events) == len(resources.QUEUES)
    for event in sqs_events:
        assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    (stream,) = [
        e
        for f in functions.values()
        for e in f["Properties"].get("Events", {}).values()
        if e["Type"] == "DynamoDB"
    ]
    on_failure = stream["Properties"]["DestinationConfig"]["OnFailure"]
    assert on_failure["Destination"] == {"Fn::GetAtt": ["StatsStreamFailures", "Arn"]}


def test_only_the_sender_reads_the_sms_provider_and_its_key(packaged: Packaged) -> None:
    """Tencent Cloud SMS's application, templates and region are parameters, its key pair an
    operator-filled secret only the sender may read; it parks refusals on its dead-letter
    queue. No function may publish through SNS (it sends no texts in the China regions)."""
    for function in FUNCTIONS:
        env = packaged.props(function.logical_id)["Environment"]["Variables"]
        sms_settings = {
            k for k in env if k.startswith("BIANMIN_SMS_") and k != "BIANMIN_SMS_QUEUE_URL"
        }
        # The API takes Tencent's status callback: it reads that URL's key, never the API key.
        allowed = {"BIANMIN_SMS_BACKEND"} | (
            {"BIANMIN_SMS_CALLBACK_SECRET_ID"} if function.logical_id == "APIHandler" else set()
        )
        if function.logical_id != "DeliverSms":
            assert sms_settings <= allowed, function.logical_id
    env = packaged.props("DeliverSms")["Environment"]["Variables"]
    assert env["BIANMIN_SMS_BACKEND"] == "tencent"
    assert env["BIANMIN_SMS_SDK_APP_ID"] == {"Ref": "SmsSdkAppId"}
    assert env["BIANMIN_SMS_TEMPLATES"] == {"Ref": "SmsTemplates"}
    assert env["BIANMIN_SMS_REGION"] == {"Ref": "SmsRegion"}
    assert env["BIANMIN_SMS_CREDENTIALS_SECRET_ID"] == {"Ref": "SmsCredentialsSecret"}
    assert env["BIANMIN_SMS_DEAD_LETTER_URL"] == {"Ref": "SmsQueueDeadLetter"}
    assert packaged.props("SmsCredentialsSecret")["Name"] == resources.sms_credentials_secret_name(
        STAGE
    )
    readers = [
        role
        for role in packaged.of_type("AWS::IAM::Role")
        for s in statements(packaged, role)
        if {"Ref": "SmsCredentialsSecret"} in as_list(s.get("Fn::If", [None, s])[1]["Resource"])
    ]
    assert readers == ["DeliverSmsRole"]
    sender = statements(packaged, "DeliverSmsRole")
    assert any(
        s["Action"] == ["sqs:SendMessage"]
        and s["Resource"] == {"Fn::GetAtt": ["SmsQueueDeadLetter", "Arn"]}
        for s in sender
    )
    # … and records each notice text's fate (sent, failed, held) on its notification
    assert any(
        "dynamodb:UpdateItem" in as_list(s.get("Fn::If", [None, s])[1]["Action"]) for s in sender
    )
    every_action = [
        a for role in packaged.of_type("AWS::IAM::Role") for s in statements(packaged, role)
        for a in as_list(s.get("Fn::If", [None, s])[1]["Action"])
    ]  # fmt: skip
    assert not [a for a in every_action if a.startswith("sns:")]
    parameters = packaged.template["Parameters"]
    assert "Default" not in parameters["SmsSdkAppId"]  # a stage cannot go up without one


def test_concurrency_is_reserved_where_it_protects_a_downstream(packaged: Packaged) -> None:
    assert packaged.props("DeliverSms")["ReservedConcurrentExecutions"] == {"Ref": "SmsConcurrency"}
    assert packaged.props("SweepRequests")["ReservedConcurrentExecutions"] == 1


def test_a_stopped_workflow_reaches_the_review_queue(packaged: Packaged) -> None:
    rule = packaged.props("ApprovalWorkflowStoppedRule")
    pattern = rule["EventPattern"]
    assert set(pattern["detail"]["status"]) == {"FAILED", "TIMED_OUT", "ABORTED"}
    assert pattern["detail"]["stateMachineArn"] == [{"Ref": "ApprovalStateMachine"}]
    (target,) = rule["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": ["ReviewTasksQueue", "Arn"]}
    (allow,) = packaged.props("ReviewTasksQueuePolicy")["PolicyDocument"]["Statement"]
    assert allow["Principal"] == {"Service": "events.amazonaws.com"}


def test_data_outlives_mistakes(packaged: Packaged) -> None:
    """Unclaimed uploads and old versions expire; what holds the county's data is kept when
    the stack goes (or a change would replace it)."""
    rules = {
        r["Id"]: r for r in packaged.props("DocumentsBucket")["LifecycleConfiguration"]["Rules"]
    }
    unclaimed = rules["ExpireUnclaimedUploads"]
    assert unclaimed["TagFilters"] == [
        {"Key": resources.UPLOAD_STATE_TAG[0], "Value": resources.UPLOAD_STATE_TAG[1]}
    ]
    assert unclaimed["ExpirationInDays"] == 30
    old = rules["ExpireOldVersions"]
    assert old["NoncurrentVersionExpiration"]["NoncurrentDays"] >= 90
    assert old["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] == 1
    stateful_ids = (
        "MainTable",
        "DocumentsBucket",
        "SigningSecret",
        "SmsCredentialsSecret",
        "StatsStreamFailures",
    )
    for stateful in stateful_ids:
        resource = packaged.resources[stateful]
        assert resource["UpdateReplacePolicy"] == "Retain"
        # Kept when the stack goes — but not after a failed first creation, whose retry would
        # find the fixed names taken; the table, deletion-protected, is kept even then.
        assert resource["DeletionPolicy"] == ("Retain" if stateful == "MainTable" else KEPT)
    # Alarms can only notify through a topic CloudWatch may publish to: not one encrypted
    # with SNS's AWS-managed key, whose policy cannot admit CloudWatch.
    topic = packaged.props("AlarmTopic")
    assert topic.get("KmsMasterKeyId") != "alias/aws/sns"


def test_the_public_url_comes_from_the_stack(packaged: Packaged) -> None:
    """A custom domain's address when one is set (its certificate from ACM in the region);
    otherwise each request's own address, so no link points at a developer's machine."""
    env = packaged.props("APIHandler")["Environment"]["Variables"]
    assert env["BIANMIN_PUBLIC_URL"]["Fn::If"][0] == "HasDomainName"
    output = packaged.template["Outputs"]["PublicUrl"]["Value"]["Fn::If"]
    assert output[0] == "HasDomainName"
    assert "execute-api" in output[2]["Fn::Sub"]
    domain = packaged.props("ApiDomainName")
    assert domain["EndpointConfiguration"] == {"Types": ["REGIONAL"]}
    assert domain["RegionalCertificateArn"] == {"Ref": "CertificateArn"}


def test_admin_routes_may_be_kept_to_the_intranet(packaged: Packaged) -> None:
    policy = packaged.swagger["x-amazon-apigateway-policy"]["Fn::If"]
    assert policy[0] == "RestrictAdminSources"
    deny = policy[1]["Statement"][1]
    assert deny["Effect"] == "Deny" and deny["Resource"] == "execute-api:/*/*/admin/*"
    assert deny["Condition"] == {"NotIpAddress": {"aws:SourceIp": {"Ref": "AdminSourceCidrs"}}}


def test_service_principals_take_the_form_the_china_partition_accepts(packaged: Packaged) -> None:
    """IAM in the China partition refuses `<service>.amazonaws.com.cn` principals (what
    `${AWS::URLSuffix}` would make there); roles and resource policies name services by
    their `.amazonaws.com` form in every partition (docs/ARCHITECTURE.md, "Production")."""
    found: list[Any] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "Principal" in node and isinstance(node["Principal"], dict):
                found.extend(as_list(node["Principal"].get("Service", [])))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(packaged.template)
    assert {"states.amazonaws.com", "events.amazonaws.com", "lambda.amazonaws.com"} <= set(found)
    for service in found:
        assert isinstance(service, str) and service.endswith(".amazonaws.com"), service
