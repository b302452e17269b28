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
    policies = packaged.props(role_id)["Policies"]
    return [s for policy in policies for s in policy["PolicyDocument"]["Statement"]]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# --- lint -----------------------------------------------------------------------------------


def test_cfn_lint_passes_in_every_partition(packaged: Packaged) -> None:
    # E3601 is ignored here only: cfn-lint's ASL schema requires Task resources to match
    # ^arn:aws:..., so it rejects "arn:${Partition}:states:::sqs:..." (and any aws-cn ARN);
    # it does not apply DefinitionSubstitutions. The next test lints the definition fully.
    cfn_lint(packaged.template_path, LINT_REGIONS, "--ignore-checks", "E3601")


def test_state_machine_definition_lints_once_the_partition_is_filled_in(
    packaged: Packaged, tmp_path: Path
) -> None:
    template = json.loads(packaged.text)
    machine = template["Resources"]["ApprovalStateMachine"]["Properties"]
    machine["Definition"] = json.loads(
        json.dumps(machine["Definition"]).replace("${Partition}", "aws")
    )
    del machine["DefinitionSubstitutions"]["Partition"]
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
    assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain"


def test_every_queue_has_its_dead_letter_queue(packaged: Packaged) -> None:
    queues = packaged.of_type("AWS::SQS::Queue")
    assert len(queues) == 2 * len(resources.QUEUES)
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


def test_state_machine_is_the_asl_file(packaged: Packaged) -> None:
    (machine_id,) = packaged.of_type("AWS::StepFunctions::StateMachine")
    props = packaged.props(machine_id)
    assert props["StateMachineName"] == resources.state_machine_name(STAGE)
    assert props["Definition"] == json.loads(definitions.ASL_FILE.read_text())
    placeholders = set(re.findall(r"\$\{(\w+)\}", definitions.state_machine_definition()))
    assert set(props["DefinitionSubstitutions"]) == placeholders
    role_id = props["RoleArn"]["Fn::GetAtt"][0]
    trust = packaged.props(role_id)["AssumeRolePolicyDocument"]["Statement"][0]
    assert trust["Principal"]["Service"] == {"Fn::Sub": "states.${AWS::URLSuffix}"}
    (send,) = [s for s in statements(packaged, role_id) if "Fn::If" not in s]
    assert send["Action"] == ["sqs:SendMessage"]
    assert send["Resource"] == {"Fn::GetAtt": ["ReviewTasksQueue", "Arn"]}


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
    (queue_policy,) = packaged.of_type("AWS::SQS::QueuePolicy").values()
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
        "sns:Publish",
        "states:SendTaskSuccess",
        "states:SendTaskFailure",
        "states:SendTaskHeartbeat",
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
        return swagger["paths"][path][method.lower()].get("security", [])

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
    assert "chalicelib/resources.py" in names
    assert "pydantic_core/__init__.py" in names
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
