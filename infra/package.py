"""Packages a stage for CloudFormation: Chalice's template merged with infra/template.py.

    python -m infra.package --stage prod --region cn-north-1 [--out build/package]

Writes build/merge-<stage>.json, runs `chalice package --merge-template` on a snapshot of
the Chalice project (with BIANMIN_STAGE set: the app names the queues it listens on at
import time), then drops from the deployment zip what the Lambda Python runtime already
provides (boto3 and botocore: aws-xray-sdk pulls botocore in, and it alone is 3/4 of the zip)
and byte-compiles every module into the zip: Lambda's /var/task is read-only, so without
shipped bytecode every cold start compiles every module it imports from source again.
Third-party packages then ship as their bytecode alone (`drop_third_party_sources`): the app's
own modules and the Chalice runtime keep their sources, for tracebacks.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import marshal
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from infra import definitions
from infra.template import merge_template

ROOT = definitions.ROOT
BUILD = ROOT / "build"
DEFAULT_OUT = BUILD / "package"
ZIP_NAME = "deployment.zip"
TEMPLATE_NAME = "sam.json"

# Top-level packages the Lambda Python runtime ships: imported from there, never from the zip.
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer")
# Parts of shipped packages the app never loads: Powertools' Swagger UI assets (its own API
# resolver's; the app is Chalice), the SMS SDK's superseded 2019-07-11 API, dateutil's
# time-zone tarball (zoneinfo reads the runtime's). ~0.6 MB of the zip's 10 MB.
NEVER_LOADED = (
    "aws_lambda_powertools/event_handler/openapi/swagger_ui/",
    "tencentcloud/sms/v20190711/",
    "dateutil/zoneinfo/",
)
_RUNTIME_PROVIDED = re.compile(
    r"^(?:(?:"
    + "|".join(RUNTIME_PROVIDED)
    + r")(?:/|-[^/]*\.dist-info/)|"
    + "|".join(re.escape(part) for part in NEVER_LOADED)
    + ")",
    re.IGNORECASE,
)


def chalice_command() -> str:
    """The `chalice` console script of the interpreter running this module."""
    return os.path.join(os.path.dirname(sys.executable), "chalice")


def write_merge_template(stage: str, build: Path = BUILD, *, private: bool = False) -> Path:
    path = build / f"merge-{stage}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    template = merge_template(stage, private=private)
    path.write_text(json.dumps(template, indent=2, ensure_ascii=False) + "\n")
    return path


def private_endpoint(project: Path, stage: str, vpce: str) -> None:
    """Makes the snapshot's stage a private API reachable only through the VPC endpoint
    `vpce` (a county that serves its staff and windows on its intranet only): Chalice then
    writes the endpoint type and the resource policy that admits only that endpoint."""
    path = project / ".chalice" / "config.json"
    config = json.loads(path.read_text())
    config["stages"][stage].update(
        {"api_gateway_endpoint_type": "PRIVATE", "api_gateway_endpoint_vpce": vpce}
    )
    path.write_text(json.dumps(config, indent=2) + "\n")


def strip_runtime_provided(zip_path: Path) -> int:
    """Rewrites `zip_path` without the runtime-provided packages and the parts never loaded;
    returns entries removed."""
    kept_path = zip_path.with_suffix(".tmp")
    removed = 0
    with zipfile.ZipFile(zip_path) as source, zipfile.ZipFile(kept_path, "w") as target:
        for info in source.infolist():
            if _RUNTIME_PROVIDED.match(info.filename):
                removed += 1
                continue
            target.writestr(info, source.read(info), compress_type=zipfile.ZIP_DEFLATED)
    kept_path.replace(zip_path)
    return removed


# Bytecode beside each module, as `__pycache__/<name>.<tag>.pyc` for optimisation level 0
# (Lambda runs python without -O). Unchecked-hash pycs (PEP 552): the importer uses them without
# comparing them with the source's mtime, which a zip's fixed 1980 timestamps would make
# meaningless; the source stays in the zip for tracebacks. The tag is the packaging
# interpreter's, which is also the runtime Chalice packages for (python3.11 -> cpython-311).
_UNCHECKED_HASH_PYC = 0b01
_NOT_MODULES = re.compile(r"^[^/]+\.(?:dist-info|data)/")


def pyc_name(source: str, tag: str | None = None) -> str | None:
    """Where the importer looks for the bytecode of the module at zip path `source`."""
    if not source.endswith(".py") or _NOT_MODULES.match(source):
        return None
    folder, _, name = source.rpartition("/")
    pyc = f"__pycache__/{name[:-3]}.{tag or sys.implementation.cache_tag}.pyc"
    return f"{folder}/{pyc}" if folder else pyc


def unchecked_pyc(source: bytes, filename: str) -> bytes:
    """The .pyc of `source`, valid whatever the source file's mtime (PEP 552 header)."""
    code = compile(source, filename, "exec", dont_inherit=True, optimize=0)
    return (
        importlib.util.MAGIC_NUMBER
        + _UNCHECKED_HASH_PYC.to_bytes(4, "little")
        + importlib.util.source_hash(source)
        + marshal.dumps(code)
    )


def byte_compile(zip_path: Path) -> int:
    """Rewrites `zip_path` with an unchecked-hash .pyc after every module that compiles
    (on this interpreter: a module that does not cannot be imported either); returns how
    many were added."""
    compiled_path = zip_path.with_suffix(".tmp")
    added = 0
    with zipfile.ZipFile(zip_path) as source, zipfile.ZipFile(compiled_path, "w") as target:
        present = set(source.namelist())
        for info in source.infolist():
            data = source.read(info)
            target.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
            pyc = pyc_name(info.filename)
            if pyc is None or pyc in present:
                continue
            try:
                payload = unchecked_pyc(data, info.filename)
            except (SyntaxError, ValueError):
                continue
            entry = zipfile.ZipInfo(pyc, date_time=info.date_time)
            entry.external_attr = info.external_attr
            target.writestr(entry, payload, compress_type=zipfile.ZIP_DEFLATED)
            added += 1
    compiled_path.replace(zip_path)
    return added


# Modules whose sources stay in the zip beside their bytecode, so that tracebacks quote
# their lines: the app's own and the Chalice runtime's (every handler's frames). Every other
# package ships as bytecode alone (a sourceless `name.pyc` where `name.py` was, which the
# importer loads as it is): their sources are half of what the zip would otherwise weigh
# with bytecode added, against Lambda's limit; their frames in a traceback keep file and line.
OWN_SOURCES = ("app.py", "chalicelib/", "chalice/")


def sourceless_pyc_name(source: str) -> str:
    """Where a sourceless module's bytecode goes: beside where its source was (PEP 3147)."""
    return source[:-3] + ".pyc"


def drop_third_party_sources(zip_path: Path, keep: tuple[str, ...] = OWN_SOURCES) -> int:
    """Rewrites a byte-compiled zip so that every module outside `keep` with bytecode is
    its bytecode alone: `x.py` and `__pycache__/x.<tag>.pyc` become `x.pyc`. A module
    without bytecode (it does not compile) keeps its source. Returns the modules changed."""
    kept_path = zip_path.with_suffix(".tmp")
    changed = 0
    with zipfile.ZipFile(zip_path) as source, zipfile.ZipFile(kept_path, "w") as target:
        present = set(source.namelist())
        moved = {
            name: pyc
            for name in present
            if not name.startswith(keep) and (pyc := pyc_name(name)) is not None and pyc in present
        }
        cached = set(moved.values())
        for info in source.infolist():
            if info.filename in cached:
                continue
            if info.filename not in moved:
                target.writestr(info, source.read(info), compress_type=zipfile.ZIP_DEFLATED)
                continue
            entry = zipfile.ZipInfo(sourceless_pyc_name(info.filename), date_time=info.date_time)
            entry.external_attr = info.external_attr
            payload = source.read(moved[info.filename])
            target.writestr(entry, payload, compress_type=zipfile.ZIP_DEFLATED)
            changed += 1
    kept_path.replace(zip_path)
    return changed


def check_stage(stage: str) -> None:
    """Chalice packages an unknown stage without complaint (and without its environment)."""
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    if stage not in config.get("stages", {}):
        known = ", ".join(sorted(config.get("stages", {})))
        raise SystemExit(f"unknown stage {stage!r} (.chalice/config.json has: {known})")


# What Chalice packages; everything else in the repository is none of its business.
PROJECT_FILES = ("app.py", "requirements.txt", "chalicelib", ".chalice/config.json")


def project_snapshot(into: Path) -> Path:
    """A copy of the Chalice project without bytecode caches, so that packaging never reads
    a file another process is writing (a test run compiles `__pycache__` files meanwhile)
    and the zip holds sources only. The dependency cache (.chalice/deployments) is shared."""
    for name in PROJECT_FILES:
        source = ROOT / name
        target = into / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(source, target)
    for extra in (ROOT / ".chalice").glob("*.json"):
        shutil.copy2(extra, into / ".chalice" / extra.name)
    cache = ROOT / ".chalice" / "deployments"
    cache.mkdir(parents=True, exist_ok=True)
    (into / ".chalice" / "deployments").symlink_to(cache, target_is_directory=True)
    return into


def package(stage: str, region: str, out: Path, *, vpce: str | None = None) -> Path:
    """Builds `out`/sam.json and `out`/deployment.zip; returns the template path. With
    `vpce`, a private API (only through that VPC endpoint); else a regional one."""
    check_stage(stage)
    if vpce is not None and not re.fullmatch(r"vpce-[0-9a-f]{8,17}", vpce):
        raise SystemExit(f"not a VPC endpoint id: {vpce!r} (vpce-…)")
    merge_path = write_merge_template(stage, private=vpce is not None)
    with tempfile.TemporaryDirectory(prefix="bianmin-package-") as workdir:
        project = project_snapshot(Path(workdir))
        if vpce is not None:
            private_endpoint(project, stage, vpce)
        return _package(stage, region, out.resolve(), merge_path, project)


def _package(stage: str, region: str, out: Path, merge_path: Path, project: Path) -> Path:
    env = {**os.environ, "BIANMIN_STAGE": stage, "AWS_DEFAULT_REGION": region}
    command = [
        chalice_command(),
        "package",
        "--stage",
        stage,
        "--merge-template",
        str(merge_path),
        str(out),
    ]
    result = subprocess.run(command, cwd=project, env=env, check=False)
    if result.returncode != 0:
        raise SystemExit(f"chalice package failed (exit {result.returncode})")
    zip_path = out / ZIP_NAME
    strip_runtime_provided(zip_path)
    byte_compile(zip_path)
    drop_third_party_sources(zip_path)
    return compact_template(out / TEMPLATE_NAME)


# CloudFormation takes a template of at most 1 MB (from S3; 51,200 bytes inline). Chalice
# writes its template indented, which doubles it: written compact, the API's definition
# leaves room to grow.
TEMPLATE_LIMIT = 1_048_576


ANY_METHOD = "x-amazon-apigateway-any-method"
ROUTES_MANIFEST = ROOT / "chalicelib" / "handlers" / "routes.json"


def collapse_fallbacks(template: dict[str, Any], manifest: Path = ROUTES_MANIFEST) -> int:
    """Chalice writes one method per 405 fallback route (app.py: a path's missing methods,
    with the path's authorizer); API Gateway's `x-amazon-apigateway-any-method` stands for
    all of them at once (a declared method takes precedence over it), to the same function
    with the same authorizer, which answers 405 by the method it received. Returns the
    methods folded; the API's definition shrinks by half."""
    declared = {(r["path"], r["method"].lower()) for r in json.loads(manifest.read_text())}
    folded = 0
    for resource in template.get("Resources", {}).values():
        body = resource.get("Properties", {}).get("DefinitionBody")
        if resource.get("Type") != "AWS::Serverless::Api" or not body:
            continue
        for path, methods in body.get("paths", {}).items():
            fallbacks = [m for m in methods if m != ANY_METHOD and (path, m) not in declared]
            if len(fallbacks) < 2:
                continue
            methods[ANY_METHOD] = methods[fallbacks[0]]
            for method in fallbacks:
                del methods[method]
            folded += len(fallbacks)
    return folded


def compact_template(path: Path) -> Path:
    """Rewrites the template without indentation (the fallback methods folded into one);
    refuses one over CloudFormation's limit."""
    template = json.loads(path.read_text())
    collapse_fallbacks(template)
    text = json.dumps(template, separators=(",", ":"), ensure_ascii=False)
    size = len(text.encode())
    if size > TEMPLATE_LIMIT:
        raise SystemExit(f"the template is {size:,} bytes, over CloudFormation's 1 MB limit")
    path.write_text(text + "\n")
    return path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.package", description=__doc__)
    parser.add_argument("--stage", required=True, help="a stage of .chalice/config.json")
    parser.add_argument("--region", required=True, help="e.g. cn-north-1")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory")
    parser.add_argument(
        "--private-vpce",
        metavar="VPCE_ID",
        help="a private API, reachable only through this VPC endpoint (default: regional)",
    )
    args = parser.parse_args(argv)
    out = args.out if args.out.is_absolute() else Path.cwd() / args.out
    template = package(args.stage, args.region, out.resolve(), vpce=args.private_vpce)
    size_mb = (template.parent / ZIP_NAME).stat().st_size / 1_000_000
    print(f"template: {template}")
    print(f"deployment package: {template.parent / ZIP_NAME} ({size_mb:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
