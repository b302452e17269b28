"""One deploy path: package, upload, change set, execute, wait, report.

    python -m infra.deploy --stage prod --region cn-north-1 [--parameters params/prod.json]
    python -m infra.deploy --stage prod --region cn-north-1 history
    python -m infra.deploy --stage prod --region cn-north-1 rollback --to <artifact>

What it does, as `aws cloudformation package` and `deploy` would (docs/DEPLOY.md gives those
commands too):

1. `python -m infra.package` builds the template and the zip (build/package/).
2. The artifact bucket `bianmin-artifacts-<account>-<region>` is created once (private,
   encrypted, versioned, TLS only). The zip goes to `<stage>/<sha256>.zip`, every function's
   CodeUri points at it, and the template (over CloudFormation's 51,200-byte inline limit)
   goes to `<stage>/<sha256>.template.json`: an artifact is the pair, named by the
   template's hash.
3. A change set against the stack `bianmin-<stage>` (created the first time), with the
   parameters of the file given (a JSON object, name → value; a parameter not named keeps
   its previous value on an update), is created, shown, executed and waited for.
   CloudFormation rolls a failed update back by itself; the command then prints why and
   exits 1.
4. The stack's outputs are printed (PublicUrl: the API's address).

`history` lists the artifacts deployed to a stage; `rollback --to` deploys one of them
again (the same template and code), with the stack's current parameters.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Client = Any
DONE = {"CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE"}
ROLLED_BACK = {
    "ROLLBACK_COMPLETE",
    "UPDATE_ROLLBACK_COMPLETE",
    "ROLLBACK_FAILED",
    "UPDATE_ROLLBACK_FAILED",
    "CREATE_FAILED",
    "DELETE_COMPLETE",
}
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]  # roles; SAM's transform


class DeployError(SystemExit):
    """The deployment did not go through; the message says why."""


@dataclass(frozen=True)
class Artifact:
    bucket: str
    template_key: str
    code_key: str

    @property
    def name(self) -> str:
        return self.template_key.rsplit("/", 1)[-1].removesuffix(".template.json")


def stack_name(stage: str) -> str:
    return f"bianmin-{stage}"


def artifact_bucket(account: str, region: str) -> str:
    return f"bianmin-artifacts-{account}-{region}"


def ensure_bucket(s3: Client, bucket: str, region: str) -> None:
    """The artifact bucket, created once: private, encrypted, versioned, TLS only."""
    try:
        s3.head_bucket(Bucket=bucket)
        return
    except s3.exceptions.ClientError as exc:
        if exc.response["Error"]["Code"] not in ("404", "NoSuchBucket", "NotFound"):
            raise
    create: dict[str, Any] = {"Bucket": bucket}
    if region != "us-east-1":
        create["CreateBucketConfiguration"] = {"LocationConstraint": region}
    s3.create_bucket(**create)
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]
        },
    )
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    require_tls(s3, bucket, region)


def tls_only_policy(bucket: str, region: str) -> dict[str, Any]:
    partition = "aws-cn" if region.startswith("cn-") else "aws"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [
                    f"arn:{partition}:s3:::{bucket}",
                    f"arn:{partition}:s3:::{bucket}/*",
                ],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }


def require_tls(s3: Client, bucket: str, region: str) -> None:
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(tls_only_policy(bucket, region)))


def with_code(template: dict[str, Any], bucket: str, key: str) -> dict[str, Any]:
    """The template with every function's code at s3://bucket/key (SAM's CodeUri)."""
    for resource in template["Resources"].values():
        if resource.get("Type") == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = f"s3://{bucket}/{key}"
    return template


def upload(s3: Client, bucket: str, stage: str, package_dir: Path) -> Artifact:
    """The zip and the template (pointing at it) in the bucket, named by their hashes."""
    code = (package_dir / "deployment.zip").read_bytes()
    code_key = f"{stage}/{hashlib.sha256(code).hexdigest()}.zip"
    s3.put_object(Bucket=bucket, Key=code_key, Body=code)
    template = with_code(json.loads((package_dir / "sam.json").read_text()), bucket, code_key)
    text = json.dumps(template, separators=(",", ":"), ensure_ascii=False).encode()
    template_key = f"{stage}/{hashlib.sha256(text).hexdigest()}.template.json"
    s3.put_object(Bucket=bucket, Key=template_key, Body=text, ContentType="application/json")
    return Artifact(bucket, template_key, code_key)


def template_url(bucket: str, key: str, region: str) -> str:
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"https://{bucket}.s3.{region}.{suffix}/{key}"


def stack_status(cfn: Client, name: str) -> str | None:
    try:
        stacks = cfn.describe_stacks(StackName=name)["Stacks"]
    except cfn.exceptions.ClientError as exc:
        if "does not exist" in str(exc):
            return None
        raise
    return str(stacks[0]["StackStatus"])


def sms_templates(value: Any) -> str:
    """`SmsTemplates` as the function reads it: a JSON object of purpose → approved template
    id (given as an object or as its JSON text), checked here so that a typo fails the deploy
    and not every text after it."""
    from chalicelib.domain.sms import SmsPurpose

    try:
        templates = json.loads(value) if isinstance(value, str) else value
    except ValueError:
        raise DeployError("SmsTemplates: not JSON") from None
    if not isinstance(templates, dict):
        raise DeployError('SmsTemplates: a JSON object, {"otp": "<template id>", …}')
    purposes = {p.value for p in SmsPurpose}
    unknown = sorted(set(templates) - purposes)
    if unknown:
        raise DeployError(f"SmsTemplates: no purpose {unknown} (known: {sorted(purposes)})")
    bad = sorted(k for k, v in templates.items() if not str(v).isdigit() or len(str(v)) > 20)
    if bad:
        raise DeployError(f"SmsTemplates: {bad} need a template id (digits)")
    return json.dumps({k: str(v) for k, v in sorted(templates.items())}, separators=(",", ":"))


def parameters(
    given: dict[str, Any], template: dict[str, Any], updating: bool
) -> list[dict[str, Any]]:
    """The change set's parameters: those given; on an update, every other one the template
    declares keeps its previous value."""
    declared = template.get("Parameters", {})
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise DeployError(f"the template has no parameters {unknown}")
    given = dict(given)
    if "SmsTemplates" in given:
        given["SmsTemplates"] = sms_templates(given["SmsTemplates"])
    for name, value in given.items():
        if isinstance(value, list):  # a CommaDelimitedList (AdminSourceCidrs)
            given[name] = ",".join(str(v) for v in value)
        elif isinstance(value, dict):
            raise DeployError(f"{name}: a string, a number or a list")
    out = [{"ParameterKey": k, "ParameterValue": str(v)} for k, v in sorted(given.items())]
    if updating:
        out += [
            {"ParameterKey": k, "UsePreviousValue": True}
            for k in sorted(declared)
            if k not in given
        ]
    return out


def change_and_wait(
    cfn: Client,
    name: str,
    url: str,
    params: list[dict[str, Any]],
    *,
    creating: bool,
    say: Callable[[str], None] = print,
    pause: float = 5.0,
) -> bool:
    """Creates the change set, shows it, executes it and waits; False if there was nothing
    to change. Raises DeployError if CloudFormation refused it or rolled it back."""
    change_set = f"deploy-{int(time.time())}"
    cfn.create_change_set(
        StackName=name,
        ChangeSetName=change_set,
        TemplateURL=url,
        Parameters=params,
        Capabilities=CAPABILITIES,
        ChangeSetType="CREATE" if creating else "UPDATE",
    )
    while True:
        described = cfn.describe_change_set(StackName=name, ChangeSetName=change_set)
        status = described["Status"]
        if status in ("CREATE_COMPLETE", "FAILED"):
            break
        time.sleep(pause)
    if status == "FAILED":
        reason = described.get("StatusReason", "")
        if "didn't contain changes" in reason or "No updates" in reason:
            cfn.delete_change_set(StackName=name, ChangeSetName=change_set)
            say("nothing to change")
            return False
        raise DeployError(f"the change set failed: {reason}")
    for change in described.get("Changes", []):
        resource = change.get("ResourceChange", {})
        say(
            f"  {resource.get('Action', '?'):8s} {resource.get('LogicalResourceId', '?'):40s}"
            f" {resource.get('ResourceType', '')}"
            + (" (replaced)" if resource.get("Replacement") == "True" else "")
        )
    cfn.execute_change_set(StackName=name, ChangeSetName=change_set)
    while True:
        current = stack_status(cfn, name) or "DELETE_COMPLETE"
        if current in DONE:
            return True
        if current in ROLLED_BACK:
            raise DeployError(f"{name} is {current}: {failure_reasons(cfn, name)}")
        time.sleep(pause)


def failure_reasons(cfn: Client, name: str) -> str:
    """Why the stack's last operation failed, from its events."""
    events = cfn.describe_stack_events(StackName=name)["StackEvents"]
    failed = [
        f"{e['LogicalResourceId']}: {e.get('ResourceStatusReason', '')}"
        for e in events
        if e.get("ResourceStatus", "").endswith("FAILED")
    ]
    return "; ".join(failed[:5]) or "see the stack's events"


def outputs(cfn: Client, name: str) -> dict[str, str]:
    stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def history(s3: Client, bucket: str, stage: str) -> list[tuple[str, str]]:
    """(artifact name, when uploaded) of every template deployed to `stage`, newest first."""
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=f"{stage}/").get("Contents", [])
    templates = [o for o in listed if o["Key"].endswith(".template.json")]
    templates.sort(key=lambda o: o["LastModified"], reverse=True)
    return [
        (o["Key"].rsplit("/", 1)[-1].removesuffix(".template.json"), str(o["LastModified"]))
        for o in templates
    ]


def deploy(
    session: Any,
    stage: str,
    region: str,
    given: dict[str, Any],
    *,
    package_dir: Path | None = None,
    artifact: str | None = None,
    say: Callable[[str], None] = print,
    pause: float = 5.0,
) -> dict[str, str]:
    """Deploys the stage (a fresh package, or the earlier `artifact`); returns the outputs."""
    account = session.client("sts").get_caller_identity()["Account"]
    s3, cfn = session.client("s3"), session.client("cloudformation")
    bucket = artifact_bucket(account, region)
    name = stack_name(stage)
    status = stack_status(cfn, name)
    if artifact is None:
        assert package_dir is not None
        template = json.loads((package_dir / "sam.json").read_text())
    else:
        ensure_bucket(s3, bucket, region)
        key = f"{stage}/{artifact}.template.json"
        template = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    # Everything that can be refused is checked before anything is uploaded or changed.
    updating = status not in (None, "REVIEW_IN_PROGRESS", "ROLLBACK_COMPLETE")
    params = parameters(given, template, updating)
    if updating:
        keep_endpoint_type(cfn, name, template)
    refuse_private_domain(cfn, name, template, given, updating)
    if status == "ROLLBACK_COMPLETE":
        clear_failed_creation(session, cfn, name, stage, say=say, pause=pause)
    if artifact is None:
        assert package_dir is not None
        ensure_bucket(s3, bucket, region)
        uploaded = upload(s3, bucket, stage, package_dir)
        key = uploaded.template_key
        say(f"artifact {uploaded.name}")
    else:
        say(f"rolling back to artifact {artifact}")
    url = template_url(bucket, key, region)
    change_and_wait(cfn, name, url, params, creating=not updating, say=say, pause=pause)
    found = outputs(cfn, name)
    for output, value in sorted(found.items()):
        say(f"{output:28s} {value}")
    return found


def endpoint_type(template: dict[str, Any]) -> str:
    """REGIONAL or PRIVATE: what the template makes the stage's API."""
    return str(template.get("Outputs", {}).get("ApiEndpointType", {}).get("Value", "REGIONAL"))


def keep_endpoint_type(cfn: Client, name: str, template: dict[str, Any]) -> None:
    """An intranet-only (private) stage never turns public because a deploy forgot its VPC
    endpoint, nor the other way round, without being asked."""
    deployed = outputs(cfn, name).get("ApiEndpointType", "REGIONAL")
    wanted = endpoint_type(template)
    if deployed != wanted:
        how = "--private-vpce vpce-…" if deployed == "PRIVATE" else "no --private-vpce"
        raise DeployError(
            f"the stage's API is {deployed} and this deploy would make it {wanted}: deploy with "
            f"{how} to keep it (changing it means deleting the stage's API first)"
        )


def refuse_private_domain(
    cfn: Client, name: str, template: dict[str, Any], given: dict[str, Any], updating: bool
) -> None:
    """A custom domain is a regional name: it cannot be mapped to a private API."""
    if endpoint_type(template) != "PRIVATE":
        return
    domain = given.get("DomainName")
    if domain is None and updating:
        stacks = cfn.describe_stacks(StackName=name)["Stacks"]
        previous = {
            p["ParameterKey"]: p.get("ParameterValue") for p in stacks[0].get("Parameters", [])
        }
        domain = previous.get("DomainName")
    if domain:
        raise DeployError(
            "DomainName: a private API (--private-vpce) has no custom domain; leave it empty"
        )


def clear_failed_creation(
    session: Any,
    cfn: Client,
    name: str,
    stage: str,
    *,
    say: Callable[[str], None] = print,
    pause: float = 5.0,
) -> None:
    """The stage's first creation failed and was rolled back (ROLLBACK_COMPLETE): the empty
    stack is deleted so it can be created again. The table alone outlives a failed creation
    (it is retained, and deletion-protected): an empty one is named so the operator removes
    it; one with items is never touched."""
    from chalicelib import resources

    table = resources.table_name(stage)
    dynamodb = session.client("dynamodb")
    try:
        count = dynamodb.scan(TableName=table, Limit=1, Select="COUNT")["Count"]
    except dynamodb.exceptions.ResourceNotFoundException:
        count = None
    if count is not None:
        state = "is empty" if count == 0 else "HOLDS ITEMS: keep it, and find out how"
        raise DeployError(
            f"the stage's first creation failed; its table {table} was kept and {state}. If "
            "it is empty, remove it (aws dynamodb update-table --table-name "
            f"{table} --no-deletion-protection-enabled; aws dynamodb delete-table "
            f"--table-name {table}) and deploy again"
        )
    say(f"the stage's first creation failed and was rolled back: deleting the empty {name}")
    cfn.delete_stack(StackName=name)
    while stack_status(cfn, name) not in (None, "DELETE_COMPLETE"):
        time.sleep(pause)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.deploy", description=__doc__)
    parser.add_argument("--stage", required=True)
    parser.add_argument("--region", required=True, help="cn-north-1, cn-northwest-1, …")
    parser.add_argument("--parameters", type=Path, help="a JSON object: parameter → value")
    parser.add_argument("--profile", help="the AWS profile to deploy with")
    parser.add_argument("command", nargs="?", default="deploy", choices=("deploy", "history",
                        "rollback"))  # fmt: skip
    parser.add_argument("--to", help="rollback: the artifact to deploy again")
    parser.add_argument(
        "--private-vpce",
        help="a private API, reachable only through this VPC endpoint (vpce-…); the whole "
        "stage then serves the intranet alone (docs/DEPLOY.md)",
    )
    args = parser.parse_args(argv)
    import boto3

    session = boto3.session.Session(profile_name=args.profile, region_name=args.region)
    if args.command == "history":
        account = session.client("sts").get_caller_identity()["Account"]
        for name, when in history(
            session.client("s3"), artifact_bucket(account, args.region), args.stage
        ):
            print(f"{name}  {when}")
        return 0
    given = json.loads(args.parameters.read_text()) if args.parameters else {}
    if not isinstance(given, dict):
        raise DeployError(f"{args.parameters}: a JSON object of parameter → value")
    try:
        if args.command == "rollback":
            if not args.to:
                raise DeployError("rollback needs --to <artifact> (see `history`)")
            deploy(session, args.stage, args.region, given, artifact=args.to)
        else:
            from infra.package import DEFAULT_OUT, package

            package(args.stage, args.region, DEFAULT_OUT, vpce=args.private_vpce)
            deploy(session, args.stage, args.region, given, package_dir=DEFAULT_OUT)
    except DeployError as failed:
        print(f"deploy failed: {failed.code}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
