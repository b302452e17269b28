"""Creates every resource of a stage in an AWS-compatible endpoint (moto locally), from the
same definitions the deploy template uses: infra/dynamodb-table.json, the queue list in
chalicelib/resources.py and the ASL file. Idempotent: existing resources are kept."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

from chalicelib import resources
from chalicelib.store.clients import AwsClients
from infra import definitions

MAX_RECEIVE_COUNT = 5


@dataclass(frozen=True)
class Provisioned:
    table: str
    bucket: str
    queue_urls: dict[str, str]  # suffix -> url
    state_machine_arn: str
    signing_secret_id: str
    account: str


def _error_code(exc: Exception) -> str:
    return str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))


def _table(clients: AwsClients, name: str) -> None:
    ddb = clients.client("dynamodb")
    try:
        ddb.describe_table(TableName=name)
        return
    except Exception as exc:
        if _error_code(exc) != "ResourceNotFoundException":
            raise
    ddb.create_table(
        TableName=name,
        SSESpecification={"Enabled": True},
        **definitions.table_definition(),
    )
    ddb.get_waiter("table_exists").wait(TableName=name)
    ddb.update_time_to_live(
        TableName=name,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": definitions.ttl_attribute()},
    )


def _queues(clients: AwsClients, stage: str) -> dict[str, str]:
    sqs = clients.client("sqs")
    urls = {}
    for suffix in resources.QUEUES.values():
        dlq_url = sqs.create_queue(QueueName=resources.dead_letter_queue_name(stage, suffix))[
            "QueueUrl"
        ]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        urls[suffix] = sqs.create_queue(
            QueueName=resources.queue_name(stage, suffix),
            Attributes={
                "VisibilityTimeout": "60",
                "RedrivePolicy": json.dumps(
                    {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": MAX_RECEIVE_COUNT}
                ),
            },
        )["QueueUrl"]
    return urls


def _bucket(clients: AwsClients, name: str, region: str, events_queue_url: str) -> None:
    s3 = clients.client("s3")
    try:
        s3.head_bucket(Bucket=name)
    except Exception as exc:
        if _error_code(exc) not in {"404", "NoSuchBucket", "NotFound"}:
            raise
        kwargs: dict[str, Any] = {"Bucket": name}
        if region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
        s3.create_bucket(**kwargs)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(
        Bucket=name,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]
        },
    )
    s3.put_public_access_block(
        Bucket=name,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    sqs = clients.client("sqs")
    queue_arn = sqs.get_queue_attributes(QueueUrl=events_queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    s3.put_bucket_notification_configuration(
        Bucket=name,
        NotificationConfiguration={
            "QueueConfigurations": [
                {"QueueArn": queue_arn, "Events": ["s3:ObjectCreated:*"]},
            ]
        },
    )


def _secret(clients: AwsClients, name: str) -> str:
    sm = clients.client("secretsmanager")
    try:
        return str(sm.describe_secret(SecretId=name)["ARN"])
    except Exception as exc:
        if _error_code(exc) != "ResourceNotFoundException":
            raise
    return str(sm.create_secret(Name=name, SecretString=secrets.token_urlsafe(48))["ARN"])


def _state_machine(
    clients: AwsClients, stage: str, account: str, partition: str, review_queue_url: str
) -> str:
    iam = clients.client("iam")
    role_name = f"{resources.APP}-{stage}-approval-workflow"
    try:
        role_arn = iam.get_role(RoleName=role_name)["Role"]["Arn"]
    except Exception as exc:
        if _error_code(exc) != "NoSuchEntity":
            raise
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "states.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
        role_arn = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=json.dumps(trust))[
            "Role"
        ]["Arn"]
    definition = definitions.substitute(
        definitions.state_machine_definition(),
        {"Partition": partition, "ReviewQueueUrl": review_queue_url},
    )
    sfn = clients.client("stepfunctions")
    name = resources.state_machine_name(stage)
    for machine in sfn.list_state_machines()["stateMachines"]:
        if machine["name"] == name:
            sfn.update_state_machine(
                stateMachineArn=machine["stateMachineArn"], definition=definition, roleArn=role_arn
            )
            return str(machine["stateMachineArn"])
    return str(
        sfn.create_state_machine(
            name=name, definition=definition, roleArn=role_arn, type="STANDARD"
        )["stateMachineArn"]
    )


def provision(clients: AwsClients, stage: str, region: str) -> Provisioned:
    identity = clients.client("sts").get_caller_identity()
    account = str(identity["Account"])
    partition = str(identity["Arn"]).split(":")[1]
    table = resources.table_name(stage)
    bucket = resources.bucket_name(stage, account)
    _table(clients, table)
    urls = _queues(clients, stage)
    _bucket(clients, bucket, region, urls["document-events"])
    secret_id = resources.signing_secret_name(stage)
    _secret(clients, secret_id)
    machine = _state_machine(clients, stage, account, partition, urls["review-tasks"])
    return Provisioned(
        table=table,
        bucket=bucket,
        queue_urls=urls,
        state_machine_arn=machine,
        signing_secret_id=secret_id,
        account=account,
    )
