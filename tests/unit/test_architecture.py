"""The floors of the house hold: the folder a module is in says what it may touch.

core/ is pure (resources and text from plain data: no I/O library, no settings, no clock), io/
does the I/O and never reaches up into the web layer, and nothing in the package imports the
development tools or the tests. A newcomer can trust the folder before opening the file.
"""

from __future__ import annotations

import ast
import socket
from pathlib import Path

import pytest

import fhir_discharge
from tests.support.imports import cycles, module_imports
from tests.support.no_sockets import SocketInInProcessLane

PACKAGE = Path(fhir_discharge.__file__).parent
TESTS = Path(__file__).resolve().parents[1]
LANES = ("unit", "asgi", "integration", "browser")
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


def test_the_core_never_imports_the_web_layer_or_io() -> None:
    """Said on its own, so a newcomer who moves a module across floors hears which rule broke:
    the core is imported by io and web, never the other way round."""
    graph = module_imports()
    upward = {
        module: sorted(
            i for i in imported if i.startswith(("fhir_discharge.web", "fhir_discharge.io"))
        )
        for module, imported in graph.items()
        if module.startswith("fhir_discharge.core")
    }
    assert {m: i for m, i in upward.items() if i} == {}


# The web layer speaks HTTP to its callers only: a request to another server (a FHIR server, an
# authorization server, a JWKS) is io/'s, whose modules are the ones that import these.
OUTBOUND_HTTP = ("httpx", "requests", "aiohttp", "urllib.request", "http.client")


def _outbound_http(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported = [
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    ] + [
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module
    ]
    found = sorted(
        {m for m in imported for http in OUTBOUND_HTTP if m == http or m.startswith(http + ".")}
    )
    found += [
        ast.unparse(node)
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr == "PyJWKClient"  # fetches a JWKS
    ]
    return found


def test_the_web_layer_makes_no_http_request_of_its_own() -> None:
    offenders = {
        str(path.relative_to(PACKAGE)): _outbound_http(path)
        for path in (PACKAGE / "web").rglob("*.py")
    }
    assert {p: found for p, found in offenders.items() if found} == {}


def test_every_dependency_of_the_routes_is_declared_in_deps() -> None:
    """web/deps.py declares each dependency once (FastAPI's `Annotated` aliases); a route names
    the alias, so who may call it and what it is given are read in one file."""
    offenders = {}
    for path in (PACKAGE / "web").rglob("*.py"):
        if path.name == "deps.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        calls = [
            ast.unparse(node)
            for node in ast.walk(tree)
            if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name | ast.Attribute)
            and (node.func.id if isinstance(node.func, ast.Name) else node.func.attr)
            in {"Depends", "Security"}
        ]
        if calls:
            offenders[str(path.relative_to(PACKAGE))] = calls
    assert offenders == {}


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
    web = tmp_path / "fhir_discharge" / "web"
    web.mkdir()
    (web / "routes.py").write_text(
        "import httpx\nimport jwt\nfrom urllib.parse import quote\nkeys = jwt.PyJWKClient('u')\n"
    )
    assert _outbound_http(web / "routes.py") == ["httpx", "jwt.PyJWKClient"]


def test_test_modules_import_nothing_from_each_other() -> None:
    """Shared test helpers live in tests/support/; a test module is a leaf (running one module
    alone never runs, or depends on the fixtures of, another)."""
    offenders = {}
    for path in TESTS.rglob("test_*.py"):
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
        lanes = tuple(f"tests.{lane}" for lane in LANES)
        bad = sorted(m for m in modules if m.startswith(("tests.test_", "tests.conftest", *lanes)))
        if bad:
            offenders[str(path.relative_to(TESTS))] = bad
    assert offenders == {}


def test_every_test_module_is_in_one_lane() -> None:
    """tests/unit (pure), tests/asgi (the app in-process), tests/integration (servers on
    loopback), tests/browser (Chromium): the folder says what a test needs, and marks it."""
    outside = sorted(
        str(path.relative_to(TESTS))
        for path in TESTS.rglob("test_*.py")
        if path.relative_to(TESTS).parts[0] not in LANES
    )
    assert outside == []


def test_the_in_process_lanes_open_no_socket() -> None:
    """tests/unit and tests/asgi hold what they say (tests/support/no_sockets.py): a connection
    to loopback, or a server bound there, fails inside them, naming the lane to move to."""
    with pytest.raises(SocketInInProcessLane, match="tests/integration"):
        socket.create_connection(("127.0.0.1", 9), timeout=1)
    with socket.socket(socket.AF_INET) as server, pytest.raises(SocketInInProcessLane):
        server.bind(("127.0.0.1", 0))
    left, right = socket.socketpair()  # an event loop's own wake-up: allowed
    left.close()
    right.close()


def test_no_two_test_modules_share_a_name() -> None:
    # The lanes have no __init__.py: pytest imports each test module by its basename, and two of
    # one name in two lanes stop the collection of the whole suite (what `make test` runs).
    names: dict[str, list[str]] = {}
    for module in sorted(TESTS.glob("*/test_*.py")):
        names.setdefault(module.name, []).append(str(module.relative_to(TESTS)))
    assert [paths for paths in names.values() if len(paths) > 1] == []
