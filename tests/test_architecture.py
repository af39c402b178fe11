"""The floors of the house hold: the folder a module is in says what it may touch.

core/ is pure (resources and text from plain data: no I/O library, no settings, no clock), io/
does the I/O and never reaches up into the web layer, and nothing in the package imports the
development tools or the tests. A newcomer can trust the folder before opening the file.
"""

from __future__ import annotations

import ast
from pathlib import Path

import fhir_discharge
from tests.support.imports import cycles, module_imports

PACKAGE = Path(fhir_discharge.__file__).parent
# What a pure module must not import: network, event loop, storage, the web framework, time.
IO_LIBRARIES = {
    "httpx",
    "asyncio",
    "anyio",
    "sqlite3",
    "psycopg",
    "fastapi",
    "starlette",
    "socket",
    "subprocess",
    "time",
    "os",
}
CORE_MAY_IMPORT = ("fhir_discharge.core", "fhir_discharge.errors", "fhir_discharge.types")


def _third_party_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def _clock_calls(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        ast.unparse(node)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in {"now", "utcnow", "today", "time", "monotonic"}
    ]


def test_the_core_imports_only_the_core_and_the_shared_errors_and_types() -> None:
    graph = module_imports()
    reaching_out = {
        module: sorted(i for i in imported if not i.startswith(CORE_MAY_IMPORT))
        for module, imported in graph.items()
        if module.startswith("fhir_discharge.core")
    }
    assert {m: i for m, i in reaching_out.items() if i} == {}


def test_the_core_uses_no_io_library_and_reads_no_clock() -> None:
    offenders = {}
    for path in (PACKAGE / "core").rglob("*.py"):
        used = (_third_party_imports(path) & IO_LIBRARIES) | set(_clock_calls(path))
        if used:
            offenders[str(path.relative_to(PACKAGE))] = sorted(used)
    assert offenders == {}


def test_io_never_reaches_up_into_the_web_layer() -> None:
    graph = module_imports()
    up = {
        module: sorted(i for i in imported if i.startswith("fhir_discharge.web"))
        for module, imported in graph.items()
        if module.startswith(("fhir_discharge.io", "fhir_discharge.core"))
    }
    assert {m: i for m, i in up.items() if i} == {}


def test_the_package_imports_neither_the_dev_tools_nor_the_tests() -> None:
    offenders = {
        str(path.relative_to(PACKAGE)): sorted(_third_party_imports(path) & {"devtools", "tests"})
        for path in PACKAGE.rglob("*.py")
    }
    assert {p: i for p, i in offenders.items() if i} == {}


def test_the_package_has_no_import_cycle() -> None:
    assert cycles(module_imports()) == []


def test_the_rules_see_a_violation(tmp_path: Path) -> None:
    """The graph reader is not blind: a core module importing io and httpx is caught."""
    core = tmp_path / "fhir_discharge" / "core"
    core.mkdir(parents=True)
    (tmp_path / "fhir_discharge" / "__init__.py").write_text("")
    (tmp_path / "fhir_discharge" / "io.py").write_text("from .core import letter\n")
    (core / "__init__.py").write_text("")
    (core / "letter.py").write_text("import httpx\nfrom ..io import something\n")
    graph = module_imports(tmp_path / "fhir_discharge")
    assert graph["fhir_discharge.core.letter"] == {"fhir_discharge.io"}
    assert cycles(graph)  # core.letter -> io -> core.letter
    assert "httpx" in _third_party_imports(core / "letter.py")


def test_test_modules_import_nothing_from_each_other() -> None:
    """Shared test helpers live in tests/support/; a test module is a leaf (running one module
    alone never runs, or depends on the fixtures of, another)."""
    tests = Path(__file__).parent
    offenders = {}
    for path in tests.glob("test_*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        modules = {
            node.module
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module
        } | {
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        }
        bad = sorted(m for m in modules if m.startswith(("tests.test_", "tests.conftest")))
        if bad:
            offenders[path.name] = bad
    assert offenders == {}
