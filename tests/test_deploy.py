"""The deploy path (infra/deploy.py): the artifact bucket is made once, private and
encrypted; the code and the template (too big to pass inline) go up named by their hashes,
every function pointing at the code; a change set is created, shown, executed and waited
for; nothing to change is not an error; a rolled-back update says why and fails; history
lists what was deployed and rollback deploys an earlier artifact again. S3 and STS are
moto's; CloudFormation's answers are scripted (moto cannot expand SAM's transform)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber
from moto import mock_aws

from infra import deploy

REGION = "cn-north-1"


@pytest.fixture
def session(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    # moto applies a bucket policy's Deny without its condition (aws:SecureTransport), so
    # the TLS-only policy would refuse every upload here: it is checked on its own below.
    monkeypatch.setattr(deploy, "require_tls", lambda s3, bucket, region: None)
    with mock_aws():
        yield boto3.session.Session(
            aws_access_key_id="t", aws_secret_access_key="t", region_name=REGION
        )


class Session:
    """moto's S3 and STS, and a stubbed CloudFormation."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.cfn = real.client("cloudformation")
        self.stub = Stubber(self.cfn)
        self._s3 = real.client("s3")

    def client(self, name: str) -> Any:
        return {"cloudformation": self.cfn, "s3": self._s3}.get(name) or self.real.client(name)


@pytest.fixture
def package_dir(tmp_path: Path) -> Path:
    template = {
        "Transform": "AWS::Serverless-2016-10-31",
        "Parameters": {"AlarmEmail": {"Type": "String"}, "LogRetentionDays": {"Type": "Number"}},
        "Resources": {
            "APIHandler": {
                "Type": "AWS::Serverless::Function",
                "Properties": {"CodeUri": "./deployment.zip"},
            },
            "MainTable": {"Type": "AWS::DynamoDB::Table", "Properties": {}},
        },
    }
    (tmp_path / "sam.json").write_text(json.dumps(template))
    (tmp_path / "deployment.zip").write_bytes(b"PK\x03\x04 not really a zip")
    return tmp_path


def missing_stack(stub: Stubber) -> None:
    stub.add_client_error(
        "describe_stacks",
        service_error_code="ValidationError",
        service_message="Stack with id bianmin-prod does not exist",
    )


def stack(stub: Stubber, status: str, outputs: list[dict[str, str]] | None = None) -> None:
    stub.add_response(
        "describe_stacks",
        {
            "Stacks": [
                {
                    "StackName": "bianmin-prod",
                    "CreationTime": "2026-12-06T00:00:00Z",
                    "StackStatus": status,
                    "Outputs": [
                        {"OutputKey": o["k"], "OutputValue": o["v"]} for o in outputs or []
                    ],
                }
            ]
        },
    )


def change_set(stub: Stubber, status: str, reason: str = "") -> None:
    stub.add_response("create_change_set", {"Id": "cs", "StackId": "st"}, {
        "StackName": "bianmin-prod", "ChangeSetName": ANY, "TemplateURL": ANY,
        "Parameters": ANY, "Capabilities": ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
        "ChangeSetType": ANY,
    })  # fmt: skip
    described: dict[str, Any] = {"Status": status, "StatusReason": reason}
    if status == "CREATE_COMPLETE":
        described["Changes"] = [
            {
                "Type": "Resource",
                "ResourceChange": {
                    "Action": "Modify",
                    "LogicalResourceId": "APIHandler",
                    "ResourceType": "AWS::Lambda::Function",
                    "Replacement": "False",
                },
            }
        ]
    stub.add_response("describe_change_set", described)


def test_a_first_deploy_creates_the_bucket_uploads_and_creates_the_stack(
    session: Any, package_dir: Path
) -> None:
    fake = Session(session)
    missing_stack(fake.stub)
    change_set(fake.stub, "CREATE_COMPLETE")
    fake.stub.add_response("execute_change_set", {})
    stack(fake.stub, "CREATE_COMPLETE")
    stack(fake.stub, "CREATE_COMPLETE", [{"k": "PublicUrl", "v": "https://abc/api"}])
    said: list[str] = []
    with fake.stub:
        found = deploy.deploy(
            fake, "prod", REGION, {"AlarmEmail": "it@county.example"},
            package_dir=package_dir, say=said.append, pause=0,
        )  # fmt: skip
    assert found == {"PublicUrl": "https://abc/api"}
    s3 = session.client("s3")
    bucket = deploy.artifact_bucket("123456789012", REGION)
    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"][
        "BlockPublicAcls"
    ]
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert len(keys) == 2
    template_key = next(k for k in keys if k.endswith(".template.json"))
    code = next(k for k in keys if k.endswith(".zip"))
    uploaded = json.loads(s3.get_object(Bucket=bucket, Key=template_key)["Body"].read())
    assert uploaded["Resources"]["APIHandler"]["Properties"]["CodeUri"] == f"s3://{bucket}/{code}"
    assert any("APIHandler" in line for line in said)  # the change set was shown


def test_an_update_keeps_the_parameters_not_given_and_nothing_to_change_is_fine(
    session: Any, package_dir: Path
) -> None:
    fake = Session(session)
    stack(fake.stub, "UPDATE_COMPLETE")
    stack(fake.stub, "UPDATE_COMPLETE")  # its endpoint type, kept
    change_set(fake.stub, "FAILED", "The submitted information didn't contain changes.")
    fake.stub.add_response("delete_change_set", {})
    stack(fake.stub, "UPDATE_COMPLETE", [{"k": "PublicUrl", "v": "https://abc/api"}])
    said: list[str] = []
    with fake.stub:
        deploy.deploy(fake, "prod", REGION, {}, package_dir=package_dir, say=said.append, pause=0)
    assert "nothing to change" in said
    params = deploy.parameters({"AlarmEmail": "x@y.cn"}, {"Parameters": {"AlarmEmail": {},
                               "LogRetentionDays": {}}}, updating=True)  # fmt: skip
    assert params == [
        {"ParameterKey": "AlarmEmail", "ParameterValue": "x@y.cn"},
        {"ParameterKey": "LogRetentionDays", "UsePreviousValue": True},
    ]
    with pytest.raises(deploy.DeployError):
        deploy.parameters({"Unknown": "1"}, {"Parameters": {}}, updating=False)


def test_a_rolled_back_update_says_why_and_fails(session: Any, package_dir: Path) -> None:
    fake = Session(session)
    stack(fake.stub, "UPDATE_COMPLETE")
    stack(fake.stub, "UPDATE_COMPLETE")
    change_set(fake.stub, "CREATE_COMPLETE")
    fake.stub.add_response("execute_change_set", {})
    stack(fake.stub, "UPDATE_ROLLBACK_COMPLETE")
    fake.stub.add_response(
        "describe_stack_events",
        {
            "StackEvents": [
                {
                    "StackId": "st", "EventId": "e", "StackName": "bianmin-prod",
                    "Timestamp": "2026-12-06T00:00:00Z", "LogicalResourceId": "RestAPI",
                    "ResourceStatus": "UPDATE_FAILED",
                    "ResourceStatusReason": "Endpoint Configuration type EDGE is not supported",
                }
            ]
        },
    )  # fmt: skip
    with fake.stub, pytest.raises(deploy.DeployError) as failed:
        deploy.deploy(fake, "prod", REGION, {}, package_dir=package_dir, say=print, pause=0)
    assert "EDGE is not supported" in str(failed.value.code)


def test_history_lists_the_artifacts_and_rollback_deploys_one_again(
    session: Any, package_dir: Path
) -> None:
    s3 = session.client("s3")
    bucket = deploy.artifact_bucket("123456789012", REGION)
    deploy.ensure_bucket(s3, bucket, REGION)
    first = deploy.upload(s3, bucket, "prod", package_dir)
    listed = deploy.history(s3, bucket, "prod")
    assert [name for name, _ in listed] == [first.name]
    fake = Session(session)
    stack(fake.stub, "UPDATE_COMPLETE")
    stack(fake.stub, "UPDATE_COMPLETE")
    change_set(fake.stub, "CREATE_COMPLETE")
    fake.stub.add_response("execute_change_set", {})
    stack(fake.stub, "UPDATE_COMPLETE")
    stack(fake.stub, "UPDATE_COMPLETE")
    said: list[str] = []
    with fake.stub:
        deploy.deploy(fake, "prod", REGION, {}, artifact=first.name, say=said.append, pause=0)
    assert said[0] == f"rolling back to artifact {first.name}"
    assert deploy.template_url(bucket, "k", REGION).endswith(".amazonaws.com.cn/k")


def uploaded(session: Any) -> list[str]:
    s3 = session.client("s3")
    bucket = deploy.artifact_bucket("123456789012", REGION)
    try:
        return [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    except s3.exceptions.NoSuchBucket:
        return []


def test_what_would_be_refused_is_refused_before_anything_is_uploaded(
    session: Any, package_dir: Path
) -> None:
    """A parameter the template lacks, or a private stage deployed without its VPC endpoint
    (it would turn public), fails before the artifact bucket is even made."""
    fake = Session(session)
    missing_stack(fake.stub)
    with fake.stub, pytest.raises(deploy.DeployError, match="SmsSdkAppld"):
        deploy.deploy(fake, "prod", REGION, {"SmsSdkAppld": "1"}, package_dir=package_dir)
    private = Session(session)
    stack(private.stub, "UPDATE_COMPLETE")
    stack(private.stub, "UPDATE_COMPLETE", [{"k": "ApiEndpointType", "v": "PRIVATE"}])
    with private.stub, pytest.raises(deploy.DeployError, match="PRIVATE") as refused:
        deploy.deploy(private, "prod", REGION, {}, package_dir=package_dir)
    assert "--private-vpce" in str(refused.value.code)
    assert uploaded(session) == []


def test_a_failed_first_creation_is_cleared_and_created_again(
    session: Any, package_dir: Path
) -> None:
    """ROLLBACK_COMPLETE: the empty stack is deleted and the stage created afresh; but a
    table kept from that creation is never touched: the operator is told to remove it if it
    is empty, and nothing is deployed."""
    dynamodb = session.client("dynamodb")
    dynamodb.create_table(
        TableName="bianmin-prod-main",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    kept = Session(session)
    stack(kept.stub, "ROLLBACK_COMPLETE")
    with kept.stub, pytest.raises(deploy.DeployError) as refused:
        deploy.deploy(kept, "prod", REGION, {}, package_dir=package_dir, pause=0)
    assert "bianmin-prod-main was kept and is empty" in str(refused.value.code)
    assert uploaded(session) == []

    dynamodb.delete_table(TableName="bianmin-prod-main")
    fake = Session(session)
    stack(fake.stub, "ROLLBACK_COMPLETE")
    fake.stub.add_response("delete_stack", {}, {"StackName": "bianmin-prod"})
    missing_stack(fake.stub)
    change_set(fake.stub, "CREATE_COMPLETE")
    fake.stub.add_response("execute_change_set", {})
    stack(fake.stub, "CREATE_COMPLETE")
    stack(fake.stub, "CREATE_COMPLETE", [{"k": "PublicUrl", "v": "https://abc/api"}])
    said: list[str] = []
    with fake.stub:
        deploy.deploy(fake, "prod", REGION, {}, package_dir=package_dir, say=said.append, pause=0)
    assert any("deleting the empty bianmin-prod" in line for line in said)
    fake.stub.assert_no_pending_responses()


def test_the_artifact_bucket_refuses_plain_http() -> None:
    policy = deploy.tls_only_policy("b", "cn-north-1")
    (statement,) = policy["Statement"]
    assert statement["Effect"] == "Deny"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert statement["Resource"] == ["arn:aws-cn:s3:::b", "arn:aws-cn:s3:::b/*"]


def test_parameters_are_checked_before_anything_is_deployed() -> None:
    """The SMS templates go in as an object and reach the function as the JSON it reads; a
    purpose that does not exist or an id that is not one fails the deploy, naming the
    parameter (not every text after it); a list becomes CloudFormation's comma list."""
    template = {"Parameters": {"SmsTemplates": {}, "AdminSourceCidrs": {}, "AlarmEmail": {}}}
    given = {
        "SmsTemplates": {"request_resolved": 2345678, "otp": "1234567"},
        "AdminSourceCidrs": ["10.0.0.0/8", "172.16.0.0/12"],
    }
    assert deploy.parameters(given, template, updating=False) == [
        {"ParameterKey": "AdminSourceCidrs", "ParameterValue": "10.0.0.0/8,172.16.0.0/12"},
        {
            "ParameterKey": "SmsTemplates",
            "ParameterValue": '{"otp":"1234567","request_resolved":"2345678"}',
        },
    ]
    for wrong, named in (
        ({"otpp": "1234567"}, "otpp"),
        ({"otp": "短信模板"}, "otp"),
        ("{not json", "not JSON"),
        (["1234567"], "a JSON object"),
    ):
        with pytest.raises(deploy.DeployError) as refused:
            deploy.parameters({"SmsTemplates": wrong}, template, updating=False)
        assert "SmsTemplates" in str(refused.value) and named in str(refused.value)
    with pytest.raises(deploy.DeployError, match="SmsSdkAppld"):
        deploy.parameters({"SmsSdkAppld": "1400000001"}, template, updating=False)


def test_the_example_parameters_are_the_templates_and_pass_its_constraints() -> None:
    """infra/params.example.json (docs/DEPLOY.md starts from it) names every parameter the
    stage's template declares, and each value passes that parameter's constraints."""
    import re

    from infra.template import merge_template

    declared = merge_template("prod")["Parameters"]
    example = json.loads(Path("infra/params.example.json").read_text(encoding="utf-8"))
    assert set(example) == set(declared)
    for given in deploy.parameters(example, {"Parameters": declared}, updating=False):
        name, value = given["ParameterKey"], given["ParameterValue"]
        spec = declared[name]
        if "AllowedValues" in spec:
            assert value in [str(v) for v in spec["AllowedValues"]], name
        if "AllowedPattern" in spec:
            assert re.fullmatch(spec["AllowedPattern"], value), name
        if spec["Type"] == "Number":
            assert spec.get("MinValue", float("-inf")) <= float(value), name
            assert float(value) <= spec.get("MaxValue", float("inf")), name
