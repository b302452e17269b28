"""Cold start, like with like: app.py against a bare Chalice + boto3 app doing the same work.

    python -m bench.coldstart [--pairs 10] [--source] [--importtime]

Each run is a whole fresh process laid out as Lambda lays out a Python function: the
deployment zip extracted as the task directory (nothing writes bytecode there: Lambda's
/var/task is read-only), then the packages the Lambda runtime provides (boto3, botocore and
their dependencies) after it on sys.path, and no site-packages. The process imports the
handler module `app`, invokes it once with an API Gateway proxy event for GET /health, then
builds its DynamoDB client the way its first DynamoDB call would. The figure is the time from
spawning the process to that point (interpreter start-up included, as in Lambda's init; the
process's exit is not: a Lambda container lives on after its first request).

- app: `python -m infra.package` (which byte-compiles the zip), extracted.
- baseline: bench/baseline_app.py as `app.py` beside the Chalice runtime the same zip ships
  (chalice/__init__.py, chalice/app.py), byte-compiled by the same function.
- runtime: boto3, botocore, s3transfer, jmespath, dateutil, urllib3, six copied from this
  venv and byte-compiled the same way (unchecked-hash pycs, optimisation level 0). awscrt is
  left out: the Lambda runtime does not ship it, and botocore imports it when present.

Both sides get the same environment: the API function's variables from the packaged template
(its stage, table and queue names; tracing off, as under the template's default), what Lambda
itself sets (AWS_LAMBDA_FUNCTION_NAME and the rest), dummy credentials, an empty HOME and
nothing of the caller's. They get the same bytecode conditions; `--source` strips the cached
.pyc files from both for comparison (the app's third-party packages, shipped as bytecode
alone, stay compiled). Runs are paired (app then baseline, the order alternating per pair)
after one discarded warm-up pair; the figure is the median of the per-pair ratios.
"""

from __future__ import annotations

import argparse
import ast
import atexit
import compileall
import functools
import hashlib
import json
import os
import py_compile
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from infra.package import TEMPLATE_NAME, ZIP_NAME, byte_compile

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "build" / "coldstart"
PAIRS = 10  # even: as many pairs start with the app as with the baseline
TARGET = 1.5
REGION = "cn-north-1"
STAGE = "prod"
FUNCTION = "APIHandler"  # the API's function in the packaged template (handler app.app)
# The template's conditions under its parameters' defaults (Tracing: PassThrough).
CONDITIONS = {"TracingOn": False, "HasDomainName": False}

# What the Lambda Python runtime puts on sys.path after the task directory (/var/runtime).
RUNTIME_DISTRIBUTIONS = {
    "boto3": ("boto3",),
    "botocore": ("botocore",),
    "s3transfer": ("s3transfer",),
    "jmespath": ("jmespath",),
    "python-dateutil": ("dateutil",),
    "urllib3": ("urllib3",),
    "six": ("six.py",),
}
CHALICE_RUNTIME = ("chalice/__init__.py", "chalice/app.py")

# Each side's first DynamoDB use: what its first call to the table would build.
FIRST_DYNAMODB_USE = {
    "app": "from chalicelib.deps import container; client = container().clients.dynamodb",
    "baseline": "client = app.dynamodb()",
}

EVENT = {
    "resource": "/health",
    "path": "/health",
    "httpMethod": "GET",
    "headers": {"Accept": "application/json", "Host": "example.execute-api.cn-north-1"},
    "multiValueHeaders": {"Accept": ["application/json"]},
    "queryStringParameters": None,
    "multiValueQueryStringParameters": None,
    "pathParameters": None,
    "stageVariables": None,
    "requestContext": {
        "resourcePath": "/health",
        "httpMethod": "GET",
        "path": "/api/health",
        "stage": "api",
        "requestId": "c0ld5tart-0000-4000-8000-000000000000",
        "identity": {"sourceIp": "203.0.113.7"},
    },
    "body": None,
    "isBase64Encoded": False,
}

# Run with `python -S -B -c PROBE <task> <runtime> <first use>`, cwd the task directory.
# It prints its phases, the monotonic clock (system-wide: the parent's) once ready, and the
# CPU time it has used by then (interpreter start-up included).
PROBE = f"""
import sys, time
start = time.perf_counter()
task, runtime, first_use = sys.argv[1:4]
sys.path[:0] = [task, runtime]
import app
imported = time.perf_counter()

class Context:
    function_name = "coldstart"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    aws_request_id = "c0ld5tart-0000-4000-8000-000000000000"
    invoked_function_arn = "arn:aws-cn:lambda:cn-north-1:123456789012:function:coldstart"
    log_group_name = log_stream_name = "coldstart"
    def get_remaining_time_in_millis(self):
        return 30_000

response = app.app({EVENT!r}, Context())
served = time.perf_counter()
assert response["statusCode"] == 200, response
exec(first_use)
assert type(client).__name__ == "DynamoDB", client
built = time.perf_counter()
ready, cpu = time.monotonic(), time.process_time()
loaded = [m for m in ("awscrt", "xlsxwriter", "segno", "aws_xray_sdk") if m in sys.modules]
print(repr((imported - start, served - imported, built - served, ready, cpu, loaded)))
"""


@dataclass(frozen=True)
class Run:
    ready: float  # spawn to the DynamoDB client built, seconds: the cold start
    wall: float  # spawn to exit (the exit is no part of a cold start)
    cpu: float  # CPU time (user + system) the process used until ready
    imported: float  # `import app`
    served: float  # the first request
    built: float  # the first DynamoDB client
    loaded: tuple[str, ...] = ()  # notable modules the run loaded


@dataclass(frozen=True)
class Side:
    name: str
    task: Path
    env: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Spread:
    """The per-pair ratios, summarised."""

    median: float
    q1: float
    q3: float
    low: float
    high: float
    pairs: int

    @property
    def meets(self) -> bool:
        return self.median <= TARGET


def paired_ratios(app: Sequence[float], baseline: Sequence[float]) -> list[float]:
    """app / baseline for each pair (the two runs of a pair ran back to back)."""
    if not app or len(app) != len(baseline):
        raise ValueError(f"need pairs: {len(app)} app runs, {len(baseline)} baseline runs")
    return [a / b for a, b in zip(app, baseline, strict=True)]


def spread(ratios: Sequence[float]) -> Spread:
    ordered = sorted(ratios)
    median = statistics.median(ordered)
    if len(ordered) > 1:
        q1, _, q3 = statistics.quantiles(ordered, n=4)
    else:
        q1 = q3 = median
    return Spread(median, q1, q3, ordered[0], ordered[-1], len(ordered))


def resolve(value: Any, conditions: Mapping[str, bool]) -> str:
    """A template value as the deployed function sees it: a Ref as a placeholder name, an
    Fn::If by its condition."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and set(value) == {"Ref"}:
        return f"coldstart-{value['Ref']}"
    if isinstance(value, dict) and set(value) == {"Fn::If"}:
        condition, yes, no = value["Fn::If"]
        return resolve(yes if conditions[condition] else no, conditions)
    raise ValueError(f"cannot resolve {value!r}")


def function_environment(
    template: Mapping[str, Any],
    function: str = FUNCTION,
    conditions: Mapping[str, bool] = CONDITIONS,
) -> dict[str, str]:
    """The environment variables the template gives `function`."""
    properties = template["Resources"][function]["Properties"]
    variables = properties.get("Environment", {}).get("Variables", {})
    return {name: resolve(value, conditions) for name, value in variables.items()}


def lambda_environment(
    function_env: Mapping[str, str], task: Path, runtime: Path, home: Path
) -> dict[str, str]:
    """What a Lambda container's process sees: the function's variables and Lambda's own
    (region, credentials, function name: Powertools and botocore read them)."""
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "TZ": ":UTC",
        "LAMBDA_TASK_ROOT": str(task),
        "LAMBDA_RUNTIME_DIR": str(runtime),
        "_HANDLER": "app.app",
        "AWS_EXECUTION_ENV": f"AWS_Lambda_python{version}",
        "AWS_LAMBDA_FUNCTION_NAME": "coldstart",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/coldstart",
        "AWS_LAMBDA_LOG_STREAM_NAME": "coldstart",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "AWS_SESSION_TOKEN": "coldstart",
        "AWS_EC2_METADATA_DISABLED": "true",
        "PYTHONDONTWRITEBYTECODE": "1",
        **function_env,
    }


@functools.lru_cache(maxsize=1)
def deployment() -> Path:
    """`python -m infra.package` for the prod stage, once per process (`make bench` shares
    it); the directory holding deployment.zip and sam.json, removed at exit."""
    out = Path(tempfile.mkdtemp(prefix="bianmin-bench-"))
    atexit.register(shutil.rmtree, out, ignore_errors=True)
    command = [sys.executable, "-m", "infra.package", "--stage", STAGE, "--region", REGION]
    result = subprocess.run(
        [*command, "--out", str(out)], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"python -m infra.package failed:\n{result.stdout}{result.stderr}")
    return out


def deployment_zip() -> Path:
    return deployment() / ZIP_NAME


def _extract(archive: Path, into: Path, compiled: bool) -> Path:
    with zipfile.ZipFile(archive) as source:
        # From source: without the cached bytecode; a third-party module shipped as its
        # bytecode alone (`x.pyc`, no `x.py`: infra/package.py) has nothing else to run.
        names = [
            n
            for n in source.namelist()
            if compiled or not n.endswith(".pyc") or "__pycache__/" not in n
        ]
        source.extractall(into, members=names)
    return into


def baseline_zip(app_zip: Path, into: Path) -> Path:
    """The baseline deployed as Chalice would: app.py and the Chalice runtime, compiled."""
    path = into / "baseline.zip"
    with zipfile.ZipFile(app_zip) as source, zipfile.ZipFile(path, "w") as target:
        for name in CHALICE_RUNTIME:
            info = source.getinfo(name)
            target.writestr(info, source.read(info), compress_type=zipfile.ZIP_DEFLATED)
        app_info = zipfile.ZipInfo("app.py", date_time=(1980, 1, 1, 0, 0, 0))
        app_info.external_attr = 0o644 << 16
        source_bytes = (ROOT / "bench" / "baseline_app.py").read_bytes()
        target.writestr(app_info, source_bytes, compress_type=zipfile.ZIP_DEFLATED)
    byte_compile(path)
    return path


def runtime_dir(compiled: bool) -> Path:
    """boto3, botocore and their dependencies as the Lambda runtime provides them; built
    once per set of versions under build/coldstart/."""
    versions = {name: metadata.version(name) for name in RUNTIME_DISTRIBUTIONS}
    key = json.dumps([sys.implementation.cache_tag, versions, compiled], sort_keys=True)
    path = CACHE / f"runtime-{hashlib.sha256(key.encode()).hexdigest()[:12]}"
    if (path / ".complete").exists():
        return path
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    site = Path(metadata.distribution("botocore").locate_file(""))
    skip = shutil.ignore_patterns("__pycache__", "*.pyc")
    for tops in RUNTIME_DISTRIBUTIONS.values():
        for top in tops:
            if (site / top).is_dir():
                shutil.copytree(site / top, path / top, ignore=skip)
            else:
                shutil.copy2(site / top, path / top)
    if compiled:
        compileall.compile_dir(
            path,
            quiet=2,
            optimize=0,
            workers=0,
            invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
        )
    (path / ".complete").touch()
    return path


def command(side: Side, runtime: Path, *flags: str) -> list[str]:
    paths = [str(side.task), str(runtime), FIRST_DYNAMODB_USE[side.name]]
    return [sys.executable, "-S", "-B", *flags, "-c", PROBE, *paths]


def run(side: Side, runtime: Path) -> Run:
    start = time.monotonic()
    out = subprocess.run(
        command(side, runtime),
        cwd=side.task,
        env=dict(side.env),
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.monotonic() - start
    if out.returncode != 0:
        raise RuntimeError(f"{side.name} cold start failed:\n{out.stderr}")
    last = out.stdout.strip().splitlines()[-1]
    imported, served, built, ready, cpu, loaded = ast.literal_eval(last)
    return Run(ready - start, wall, cpu, imported, served, built, tuple(loaded))


@dataclass(frozen=True)
class Result:
    compiled: bool
    app: list[Run]
    baseline: list[Run]

    @property
    def ratios(self) -> list[float]:
        return paired_ratios([r.ready for r in self.app], [r.ready for r in self.baseline])

    @property
    def spread(self) -> Spread:
        return spread(self.ratios)


def _layout(workdir: Path, compiled: bool) -> tuple[Side, Side, Path]:
    """Both task directories, the runtime directory, and each side's environment."""
    out = deployment()
    app_zip = out / ZIP_NAME
    function_env = function_environment(json.loads((out / TEMPLATE_NAME).read_text()))
    runtime = runtime_dir(compiled)
    home = workdir / "home"
    home.mkdir(exist_ok=True)
    sides = []
    for name, archive in (
        ("app", app_zip),
        ("baseline", baseline_zip(app_zip, workdir)),
    ):
        task = _extract(archive, workdir / name, compiled)
        sides.append(Side(name, task, lambda_environment(function_env, task, runtime, home)))
    return sides[0], sides[1], runtime


def measure(pairs: int = PAIRS, compiled: bool = True) -> Result:
    """`pairs` paired runs (after one discarded warm-up pair), the order alternating."""
    with tempfile.TemporaryDirectory(prefix="bianmin-coldstart-") as tmp:
        app, baseline, runtime = _layout(Path(tmp), compiled)
        app_runs: list[Run] = []
        base_runs: list[Run] = []
        for i in range(pairs + 1):
            if i % 2:
                base, first = run(baseline, runtime), run(app, runtime)
            else:
                first, base = run(app, runtime), run(baseline, runtime)
            if i:  # the first pair warms the page cache for both
                app_runs.append(first)
                base_runs.append(base)
        return Result(compiled, app_runs, base_runs)


def _ms(runs: list[Run], name: str) -> float:
    return statistics.median(getattr(r, name) for r in runs) * 1000


def report(result: Result) -> bool:
    """Prints the figures; True when the median ratio meets the target."""
    figures = result.spread
    code = "byte-compiled (.pyc in the zip and the runtime)" if result.compiled else "from source"
    print(f"Cold start, paired fresh processes laid out as Lambda ({figures.pairs} pairs, {code})")
    print("  spawn, import app, GET /health through the handler, build the DynamoDB client")
    print("  (cpu: the process's CPU time by then; near the total, the work is CPU-bound)")
    columns = ("total", "import", "request", "client", "cpu")
    print(f"  {'median ms':32s}" + "".join(f" {c:>8s}" for c in columns))
    for label, runs in (
        ("app.py (deployment zip)", result.app),
        ("bare Chalice + boto3", result.baseline),
    ):
        names = ("ready", "imported", "served", "built", "cpu")
        print(f"  {label:32s}" + "".join(f" {_ms(runs, name):8.1f}" for name in names))
    print(
        f"  ratio per pair: median {figures.median:4.2f}, quartiles {figures.q1:4.2f}-"
        f"{figures.q3:4.2f}, range {figures.low:4.2f}-{figures.high:4.2f}   "
        f"target <= {TARGET}  {'OK' if figures.meets else 'OVER TARGET'}"
    )
    loaded = sorted({m for r in result.app + result.baseline for m in r.loaded})
    if loaded:
        print(f"  note: loaded {', '.join(loaded)}")
    return figures.meets


# --- where the app's time goes -------------------------------------------------------------


@dataclass
class Import:
    """One line of `python -X importtime`, with the imports it caused."""

    name: str
    own: int  # microseconds
    cumulative: int
    depth: int
    children: list[Import] = field(default_factory=list)


def import_tree(stderr: str) -> list[Import]:
    """The top-level imports of an `-X importtime` log, each with its subtree (the log lists
    a module after the imports it caused, one indent deeper)."""
    stack: list[Import] = []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        own, cumulative, name = line.removeprefix("import time:").split("|")
        depth = (len(name) - len(name.lstrip())) // 2
        node = Import(name.strip(), int(own), int(cumulative), depth)
        while stack and stack[-1].depth > depth:
            node.children.insert(0, stack.pop())
        stack.append(node)
    return stack


def own_time_by_package(tree: list[Import]) -> dict[str, int]:
    """Self time (microseconds) summed per top-level package, costliest first."""
    totals: dict[str, int] = {}

    def add(node: Import) -> None:
        top = node.name.split(".")[0]
        totals[top] = totals.get(top, 0) + node.own
        for child in node.children:
            add(child)

    for node in tree:
        add(node)
    return dict(sorted(totals.items(), key=lambda item: -item[1]))


def _walk(nodes: list[Import], depth: int, floor_us: int) -> Iterator[Import]:
    for node in nodes:
        if node.cumulative >= floor_us:
            yield node
            if node.depth < depth:
                yield from _walk(node.children, depth, floor_us)


def import_profile(compiled: bool = True) -> list[Import]:
    """The app side's `-X importtime` under the same layout and environment (the second of
    two runs, so the page cache is warm)."""
    with tempfile.TemporaryDirectory(prefix="bianmin-coldstart-") as tmp:
        app, _, runtime = _layout(Path(tmp), compiled)
        for _ in range(2):
            out = subprocess.run(
                command(app, runtime, "-X", "importtime"),
                cwd=app.task,
                env=dict(app.env),
                capture_output=True,
                text=True,
                check=True,
            )
    return import_tree(out.stderr)


def print_profile(tree: list[Import], depth: int = 3, floor_ms: float = 3.0) -> None:
    print("Where the app's cold start goes (-X importtime; self and cumulative ms)")
    for node in _walk(tree, depth, int(floor_ms * 1000)):
        label = "  " * node.depth + node.name
        print(f"  {label:64s} {node.own / 1000:7.1f} {node.cumulative / 1000:8.1f}")
    print("Self time by top-level package (module bodies: pydantic models are built there)")
    for top, own in list(own_time_by_package(tree).items())[:15]:
        print(f"  {top:32s} {own / 1000:7.1f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.coldstart", description=__doc__)
    parser.add_argument("--pairs", type=int, default=PAIRS)
    parser.add_argument("--source", action="store_true", help="both sides without .pyc files")
    parser.add_argument(
        "--importtime", action="store_true", help="where the app's import time goes"
    )
    parser.add_argument("--depth", type=int, default=3, help="--importtime: tree depth shown")
    args = parser.parse_args(argv)
    if args.importtime:
        print_profile(import_profile(not args.source), depth=args.depth)
        return 0
    return 0 if report(measure(args.pairs, compiled=not args.source)) else 1


if __name__ == "__main__":
    sys.exit(main())
