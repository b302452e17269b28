"""The pure parts of the cold-start bench (bench/coldstart.py) and of the byte-compiled
deployment zip (infra/package.py): no packaging, no timed runs."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import marshal
import os
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench import coldstart
from infra.package import byte_compile, drop_third_party_sources, pyc_name, unchecked_pyc

ROOT = Path(__file__).resolve().parent.parent
TAG = sys.implementation.cache_tag


# --- infra/package.py: bytecode in the zip ---------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("app.py", f"__pycache__/app.{TAG}.pyc"),
        ("chalicelib/__init__.py", f"chalicelib/__pycache__/__init__.{TAG}.pyc"),
        ("chalicelib/store/table.py", f"chalicelib/store/__pycache__/table.{TAG}.pyc"),
        ("six.py", f"__pycache__/six.{TAG}.pyc"),
        ("pydantic-2.14.4.dist-info/RECORD.py", None),
        ("jmespath-1.1.0.data/scripts/jp.py", None),
        ("chalicelib/web/dashboard.html", None),
        ("pydantic_core/_pydantic_core.cpython-311-x86_64-linux-gnu.so", None),
        ("chalicelib/py.typed", None),
    ],
)
def test_pyc_name_is_where_the_importer_looks(source: str, expected: str | None) -> None:
    assert pyc_name(source) == expected


def test_pyc_name_takes_another_interpreters_tag() -> None:
    assert pyc_name("a/b.py", tag="cpython-312") == "a/__pycache__/b.cpython-312.pyc"


def test_pyc_name_agrees_with_importlib() -> None:
    assert pyc_name("pkg/mod.py") == importlib.util.cache_from_source("pkg/mod.py")


def test_unchecked_pyc_has_the_pep_552_header() -> None:
    source = b"VALUE = 1\n"
    pyc = unchecked_pyc(source, "pkg/mod.py")
    assert pyc[:4] == importlib.util.MAGIC_NUMBER
    assert int.from_bytes(pyc[4:8], "little") == 0b01  # hash-based, not checked
    assert pyc[8:16] == importlib.util.source_hash(source)
    code = marshal.loads(pyc[16:])  # noqa: S302 (bytes this test just made)
    assert code.co_filename == "pkg/mod.py"


def test_unchecked_pyc_refuses_what_does_not_compile() -> None:
    with pytest.raises(SyntaxError):
        unchecked_pyc(b"def broken(:\n", "broken.py")


@pytest.fixture
def importable(tmp_path: Path) -> Iterator[Path]:
    """`tmp_path` on sys.path; whatever is imported from it is forgotten afterwards."""
    sys.path.insert(0, str(tmp_path))
    importlib.invalidate_caches()
    before = set(sys.modules)
    try:
        yield tmp_path
    finally:
        sys.path.remove(str(tmp_path))
        for name in set(sys.modules) - before:
            del sys.modules[name]
        importlib.invalidate_caches()


def test_an_unchecked_pyc_is_imported_whatever_the_sources_mtime(importable: Path) -> None:
    """What Lambda does with the extracted zip: the .pyc is used as it is, neither its
    timestamp (a zip's are 1980's) nor the source's hash is compared."""
    package = importable / "coldstart_probe_pkg"
    (package / "__pycache__").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "mod.py").write_text('ORIGIN = "source"\n')
    pyc = unchecked_pyc(b'ORIGIN = "bytecode"\n', "coldstart_probe_pkg/mod.py")
    (importable / pyc_name("coldstart_probe_pkg/mod.py")).write_bytes(pyc)  # type: ignore[operator]
    os.utime(package / "mod.py", (4_102_444_800, 4_102_444_800))  # a source "newer" than any pyc

    module = importlib.import_module("coldstart_probe_pkg.mod")

    assert module.ORIGIN == "bytecode"
    assert module.__file__ == str(package / "mod.py")  # tracebacks still name the source


def _zip(path: Path, files: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            archive.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    return path


# Module names no other test imports (the importer caches modules by name).
DEPLOYMENT = {
    "coldstart_app.py": b"from coldstart_lib.mod import answer\nRESULT = answer()\n",
    "coldstart_lib/__init__.py": b"",
    "coldstart_lib/mod.py": b"def answer():\n    return 42\n",
    "coldstart_lib/broken.py": b"def broken(:\n",  # a template or Python-2 file some wheels carry
    "coldstart_lib/data.json": b"{}",
    "lib-1.0.dist-info/METADATA": b"Name: lib\n",
    "lib-1.0.dist-info/entry.py": b"X = 1\n",
    "lib-1.0.data/scripts/tool.py": b"X = 1\n",
    "old/mod.py": b"X = 1\n",
    f"old/__pycache__/mod.{TAG}.pyc": b"already there",
}


def test_byte_compile_adds_a_pyc_per_module_and_keeps_the_rest(tmp_path: Path) -> None:
    path = _zip(tmp_path / "deployment.zip", DEPLOYMENT)

    added = byte_compile(path)

    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        contents = {name: archive.read(name) for name in names}
    pycs = {n for n in names if n.endswith(".pyc")}
    assert pycs == {
        f"__pycache__/coldstart_app.{TAG}.pyc",
        f"coldstart_lib/__pycache__/__init__.{TAG}.pyc",
        f"coldstart_lib/__pycache__/mod.{TAG}.pyc",
        f"old/__pycache__/mod.{TAG}.pyc",
    }
    assert added == 3  # not the module that does not compile, dist-info, .data, nor old/
    assert len(names) == len(set(names))
    for name, data in DEPLOYMENT.items():
        assert contents[name] == data
    assert contents[f"coldstart_lib/__pycache__/mod.{TAG}.pyc"] == unchecked_pyc(
        DEPLOYMENT["coldstart_lib/mod.py"], "coldstart_lib/mod.py"
    )


def test_the_byte_compiled_zip_extracted_runs_from_its_bytecode(
    tmp_path: Path, importable: Path
) -> None:
    path = _zip(tmp_path / "deployment.zip", DEPLOYMENT)
    byte_compile(path)
    with zipfile.ZipFile(path) as archive:
        archive.extractall(importable)
    # Proof that the pyc, not the source, is what runs: change the source after the fact.
    (importable / "coldstart_lib" / "mod.py").write_text("def answer():\n    return 0\n")

    assert importlib.import_module("coldstart_app").RESULT == 42


def test_third_party_modules_ship_as_bytecode_alone_and_ours_keep_their_sources(
    tmp_path: Path,
) -> None:
    path = _zip(tmp_path / "deployment.zip", {**DEPLOYMENT, "chalicelib/own.py": b"X = 1\n"})
    byte_compile(path)

    changed = drop_third_party_sources(path, keep=("coldstart_app.py", "chalicelib/"))

    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        contents = {name: archive.read(name) for name in names}
    assert changed == 3  # coldstart_lib's two modules and old/mod.py
    assert {n for n in names if n.startswith(("coldstart_lib/", "old/"))} == {
        "coldstart_lib/__init__.pyc",
        "coldstart_lib/mod.pyc",
        "coldstart_lib/broken.py",  # it does not compile: no bytecode to ship instead
        "coldstart_lib/data.json",
        "old/mod.pyc",
    }
    assert contents["coldstart_lib/mod.pyc"] == unchecked_pyc(
        DEPLOYMENT["coldstart_lib/mod.py"], "coldstart_lib/mod.py"
    )
    assert {"coldstart_app.py", f"__pycache__/coldstart_app.{TAG}.pyc"} <= names  # ours
    assert {"chalicelib/own.py", f"chalicelib/__pycache__/own.{TAG}.pyc"} <= names
    assert "lib-1.0.dist-info/entry.py" in names  # not a module


def test_a_zip_of_sourceless_packages_extracted_runs(tmp_path: Path, importable: Path) -> None:
    names = {"coldstart_app2.py": b"from coldstart_lib2.mod import answer\nRESULT = answer()\n"}
    names |= {
        "coldstart_lib2/__init__.py": b"",
        "coldstart_lib2/mod.py": b"def answer():\n    return 42\n",
    }
    path = _zip(tmp_path / "deployment.zip", names)
    byte_compile(path)
    drop_third_party_sources(path, keep=("coldstart_app2.py",))
    with zipfile.ZipFile(path) as archive:
        archive.extractall(importable)

    assert importlib.import_module("coldstart_app2").RESULT == 42
    assert importlib.import_module("coldstart_lib2.mod").__file__.endswith("mod.pyc")


# --- bench/coldstart.py ------------------------------------------------------------------------


def test_the_ratio_is_the_median_of_the_per_pair_ratios() -> None:
    app = [0.60, 0.90, 0.62, 0.61]
    baseline = [0.40, 0.45, 0.40, 0.40]  # the second pair ran on a slow moment, both sides

    ratios = coldstart.paired_ratios(app, baseline)
    figures = coldstart.spread(ratios)

    assert ratios == pytest.approx([1.5, 2.0, 1.55, 1.525])
    assert figures.median == pytest.approx(1.5375)
    assert (figures.low, figures.high, figures.pairs) == (pytest.approx(1.5), 2.0, 4)
    assert figures.q1 <= figures.median <= figures.q3
    assert not figures.meets


def test_the_target_is_met_at_one_and_a_half() -> None:
    assert coldstart.spread([1.5]).meets
    assert coldstart.spread([1.4, 1.5, 1.6]).meets
    assert not coldstart.spread([1.4, 1.51, 1.6]).meets


@pytest.mark.parametrize(("app", "baseline"), [([], []), ([1.0, 1.0], [1.0]), ([1.0], [1.0, 1.0])])
def test_runs_must_come_in_pairs(app: list[float], baseline: list[float]) -> None:
    with pytest.raises(ValueError, match="pairs"):
        coldstart.paired_ratios(app, baseline)


TEMPLATE = {
    "Resources": {
        "APIHandler": {
            "Type": "AWS::Serverless::Function",
            "Properties": {
                "Handler": "app.app",
                "Environment": {
                    "Variables": {
                        "BIANMIN_STAGE": "prod",
                        "BIANMIN_TABLE": {"Ref": "MainTable"},
                        "POWERTOOLS_TRACE_DISABLED": {"Fn::If": ["TracingOn", "false", "true"]},
                    }
                },
            },
        }
    }
}


def test_both_sides_get_the_deployed_functions_variables() -> None:
    assert coldstart.function_environment(TEMPLATE) == {
        "BIANMIN_STAGE": "prod",
        "BIANMIN_TABLE": "coldstart-MainTable",
        "POWERTOOLS_TRACE_DISABLED": "true",  # the template's default: Tracing=PassThrough
    }
    traced = coldstart.function_environment(TEMPLATE, conditions={"TracingOn": True})
    assert traced["POWERTOOLS_TRACE_DISABLED"] == "false"


def test_an_unknown_template_value_is_an_error() -> None:
    with pytest.raises(ValueError, match="cannot resolve"):
        coldstart.resolve({"Fn::GetAtt": ["MainTable", "Arn"]}, {})


def test_the_environment_is_lambdas_not_the_callers(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("BIANMIN_STAGE", "test")
    monkeypatch.setenv("AWS_PROFILE", "someone")
    monkeypatch.setenv("PYTHONPATH", "/somewhere")
    function_env = {"BIANMIN_STAGE": "prod"}

    env = coldstart.lambda_environment(function_env, tmp_path / "task", tmp_path / "rt", tmp_path)

    assert env["BIANMIN_STAGE"] == "prod"
    assert "AWS_PROFILE" not in env
    assert "PYTHONPATH" not in env
    assert env["AWS_LAMBDA_FUNCTION_NAME"]
    assert env["LAMBDA_TASK_ROOT"] == str(tmp_path / "task")
    assert env["PYTHONDONTWRITEBYTECODE"] == "1"


def test_the_baseline_ships_app_py_and_the_chalice_runtime_compiled_alike(tmp_path: Path) -> None:
    app_zip = _zip(
        tmp_path / "deployment.zip",
        {
            "chalice/__init__.py": b"",
            "chalice/app.py": b"class Chalice: ...\n",
            "chalicelib/__init__.py": b"",
        },
    )

    with zipfile.ZipFile(coldstart.baseline_zip(app_zip, tmp_path)) as archive:
        names = set(archive.namelist())

    assert names == {
        "app.py",
        f"__pycache__/app.{TAG}.pyc",
        "chalice/__init__.py",
        f"chalice/__pycache__/__init__.{TAG}.pyc",
        "chalice/app.py",
        f"chalice/__pycache__/app.{TAG}.pyc",
    }


def _client_config(path: Path) -> list[str]:
    """The keyword arguments of every botocore `Config(...)` call in a file, as source."""
    calls = [
        node
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Config"
    ]
    return [ast.unparse(keyword) for call in calls for keyword in call.keywords]


def test_the_baseline_builds_its_client_with_the_apps_retry_settings() -> None:
    app_config = _client_config(ROOT / "chalicelib" / "store" / "clients.py")
    assert app_config
    assert _client_config(ROOT / "bench" / "baseline_app.py") == app_config


def test_both_sides_build_the_dynamodb_client() -> None:
    assert set(coldstart.FIRST_DYNAMODB_USE) == {"app", "baseline"}
    for code in coldstart.FIRST_DYNAMODB_USE.values():
        assert "dynamodb" in code


IMPORTTIME = """\
import time: self [us] | cumulative | imported package
import time:       100 |        100 |     _io
import time:       300 |        300 |       pydantic.types
import time:       200 |        500 |     pydantic
import time:      1000 |       1000 |     chalicelib.domain.common
import time:        50 |       1550 |   chalicelib.domain
import time:        10 |       1560 | app
import time:        40 |         40 | boto3
"""


def test_the_importtime_log_becomes_a_tree() -> None:
    app, boto3 = coldstart.import_tree(IMPORTTIME)

    assert (app.name, app.cumulative, boto3.name) == ("app", 1560, "boto3")
    (domain,) = app.children
    assert [c.name for c in domain.children] == ["_io", "pydantic", "chalicelib.domain.common"]
    assert [c.name for c in domain.children[1].children] == ["pydantic.types"]
    assert coldstart.own_time_by_package([app, boto3]) == {
        "chalicelib": 1050,
        "pydantic": 500,
        "_io": 100,
        "boto3": 40,
        "app": 10,
    }
