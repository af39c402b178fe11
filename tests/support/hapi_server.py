"""A real HAPI FHIR JPA server (tools/hapi: R4, H2 in memory, our profiles loaded) for the tests.

`hapi_base_url` is a session fixture: it builds the server jar if needed (tools/hapi/build.sh; the
first build downloads from Maven Central into ~/.m2), starts it on a free loopback port, waits
for 200 on /fhir/metadata (bounded), yields the base URL (http://127.0.0.1:PORT/fhir) and stops
the process by pid at the end (SIGTERM, then SIGKILL). The server's output goes to a log file in
pytest's temp directory; `log_hint()` names it in failure messages.

Its validator knows our profiles and the FHIR packages of tests/support/fhir_packages.py: HL7
Belgium's core profiles where the FHIR package cache holds them; where it does not, our profiles
are given with their be-core reference targets as the base types (see that module).

Use it from a test module (or conftest.py) with
    from tests.support.hapi_server import hapi_base_url  # noqa: F401 (a session fixture)
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.fhir_packages import hapi_conformance_dir, hapi_packages

REPO = Path(__file__).resolve().parents[2]
HAPI_DIR = REPO / "tools" / "hapi"
BUILD = HAPI_DIR / "build.sh"
RUN = HAPI_DIR / "run.sh"
CONFORMANCE_DIR = REPO / "profiles" / "fsh-generated" / "resources"

BUILD_TIMEOUT_S = 1200  # a first build on an empty ~/.m2 downloads ~400 MB
START_TIMEOUT_S = 240  # start-up is ~30-60 s on 2 cores
STOP_TIMEOUT_S = 30

FHIR_JSON = "application/fhir+json"

_log_path: Path | None = None


def log_hint() -> str:
    """For assertion messages: where the HAPI server's log is."""
    return f"(HAPI FHIR server log: {_log_path})" if _log_path else ""


def _tail(path: Path, lines: int = 60) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class HapiServer:
    base_url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    startup_seconds: float

    def stop(self) -> None:
        """SIGTERM to the server's pid (run.sh execs java), SIGKILL if it does not exit in time."""
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=STOP_TIMEOUT_S)


def build_hapi(log_path: Path) -> None:
    """tools/hapi/build.sh: a no-op when the jar is newer than its sources."""
    with open(log_path, "ab") as log:
        try:
            result = subprocess.run(
                [str(BUILD)], stdout=log, stderr=subprocess.STDOUT, timeout=BUILD_TIMEOUT_S
            )
        except subprocess.TimeoutExpired:
            pytest.fail(f"HAPI FHIR build took over {BUILD_TIMEOUT_S} s; log: {log_path}")
    if result.returncode != 0:
        pytest.fail(
            f"HAPI FHIR build failed (exit {result.returncode}); log: {log_path}\n{_tail(log_path)}"
        )


def start_hapi(
    workdir: Path,
    port: int | None = None,
    conformance_dir: Path = CONFORMANCE_DIR,
    packages: Sequence[Path] = (),
) -> HapiServer:
    """`conformance_dir`: the definitions its validator starts with (an empty folder for a plain
    terminology server: tests/support/terminology_hapi.py); `packages`: unpacked FHIR packages
    whose profiles, ValueSets and CodeSystems its validator knows too
    (tests/support/fhir_packages.py)."""
    global _log_path
    port = port or _free_port()
    log_path = workdir / f"hapi-{port}.log"
    _log_path = log_path
    build_hapi(log_path)
    env = {
        **os.environ,
        "HAPI_PORT": str(port),
        "HAPI_CONFORMANCE_DIR": str(conformance_dir),
        "HAPI_FHIR_PACKAGES": os.pathsep.join(str(p) for p in packages),
    }
    started = time.monotonic()
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [str(RUN)], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=REPO
        )
    base_url = f"http://127.0.0.1:{port}/fhir"
    deadline = started + START_TIMEOUT_S
    while True:
        if process.poll() is not None:
            pytest.fail(
                f"HAPI FHIR exited with {process.returncode} during start-up; log: {log_path}\n"
                + _tail(log_path)
            )
        try:
            # 503 until the server has loaded our definitions (tools/hapi ReadinessFilter).
            if httpx.get(f"{base_url}/metadata", timeout=10).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            server = HapiServer(base_url, process, log_path, time.monotonic() - started)
            server.stop()
            pytest.fail(
                f"HAPI FHIR did not answer {base_url}/metadata within {START_TIMEOUT_S} s; "
                f"log: {log_path}\n{_tail(log_path)}"
            )
        time.sleep(1)
    return HapiServer(base_url, process, log_path, time.monotonic() - started)


# One server per process even when both a test module and conftest.py import the fixture (each
# import is a fixture of its own): the last one torn down stops it.
_shared: HapiServer | None = None
_users = 0


@pytest.fixture(scope="session")
def hapi_base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    global _shared, _users
    if _shared is None or _shared.process.poll() is not None:
        workdir = tmp_path_factory.mktemp("hapi")
        _shared = start_hapi(
            workdir, conformance_dir=hapi_conformance_dir(workdir), packages=hapi_packages()
        )
    _users += 1
    try:
        yield _shared.base_url
    finally:
        _users -= 1
        if _users == 0:
            _shared.stop()
            _shared = None


# --- $validate -------------------------------------------------------------------------------


def validate(
    base_url: str, resource: dict[str, Any], profile: str | None = None, timeout: float = 180
) -> tuple[int, dict[str, Any]]:
    """POST [type]/$validate (optionally ?profile=): the HTTP status and the OperationOutcome."""
    params = {"profile": profile} if profile else None
    response = httpx.post(
        f"{base_url}/{resource['resourceType']}/$validate",
        params=params,
        json=resource,
        headers={"Content-Type": FHIR_JSON, "Accept": FHIR_JSON},
        timeout=timeout,
    )
    return response.status_code, response.json()


def issues(outcome: dict[str, Any], *severities: str) -> list[str]:
    """The issues of an OperationOutcome with these severities, as 'severity location: text'."""
    found = []
    for issue in outcome.get("issue", []):
        if issue.get("severity") in severities:
            where = (issue.get("location") or issue.get("expression") or [""])[0]
            found.append(f"{issue['severity']} {where}: {issue.get('diagnostics', '')}".strip())
    return found


def errors(outcome: dict[str, Any]) -> list[str]:
    return issues(outcome, "error", "fatal")


def warnings_of(outcome: dict[str, Any]) -> list[str]:
    return issues(outcome, "warning")
