"""A local FHIR R4 sandbox: the `sekmet-fhir` server, in memory, on loopback.

Used by `make demo` (devtools/demo.py) and the integration tests; install it with the `sandbox`
extra.
It is laxer than HAPI FHIR (it accepts unknown codes and dangling references), which is why our
own output is checked by an independent validator in the tests before it goes out.

sekmet-fhir 0.1.1 has no Composition or QuestionnaireResponse search parameters, so a conditional
create on Composition (`ifNoneExist: identifier=...`) would fail there and a search for the
encounter's red-flag screening could not be filtered; we register the R4 ones before it starts.
The version is pinned in pyproject.toml because this reaches into its search-parameter table.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any

import httpx

# R4 Composition search parameters (FHIR R4 composition.html#search) that we rely on.
_COMPOSITION_PARAMS = """
    identifier:token:identifier
    status:token:status
    type:token:type
    subject:reference:subject
    patient:reference:subject:Patient
    encounter:reference:encounter
    author:reference:author
    date:date:date
    entry:reference:section.entry
"""
# R4 QuestionnaireResponse search parameters (questionnaireresponse.html#search).
_QUESTIONNAIRE_RESPONSE_PARAMS = """
    identifier:token:identifier
    status:token:status
    questionnaire:reference:questionnaire
    subject:reference:subject
    patient:reference:subject:Patient
    encounter:reference:encounter
    author:reference:author
    authored:date:authored
"""


def register_missing_search_params() -> None:
    from sekmet.fhir import search_params

    for resource_type, table in (
        ("Composition", _COMPOSITION_PARAMS),
        ("QuestionnaireResponse", _QUESTIONNAIRE_RESPONSE_PARAMS),
    ):
        params = {}
        for line in table.strip().splitlines():
            bits = line.strip().split(":")
            target = bits[3] if len(bits) > 3 else None
            params[bits[0]] = search_params.SearchParam(
                bits[0], bits[1], tuple(bits[2].split("|")), target
            )
        search_params.PARAMS.setdefault(resource_type, {}).update(params)


# The child reads its sekmet `ServerAuth` (JSON) from here; unset: no authentication.
AUTH_CONFIG_ENV = "FHIR_DISCHARGE_SANDBOX_AUTH"


def serve(host: str, port: int, auth_config: dict[str, Any] | None = None) -> None:
    """Run the sandbox in this process (blocks). `auth_config`: sekmet `ServerAuth` fields
    (e.g. `{"types": ["smart"], "smart_clients": [...]}`); default: no authentication."""
    import uvicorn
    from sekmet.config import ServerAuth, Settings, SimulatorSettings
    from sekmet.main import create_app

    register_missing_search_params()
    settings = Settings(
        base_url=f"http://{host}:{port}/fhir",
        host=host,
        port=port,
        db_path=":memory:",
        simulator=SimulatorSettings(enabled=False),
        server_auth=ServerAuth(**auth_config) if auth_config else ServerAuth(types=["none"]),
        log_inbound=False,
    )
    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str, process: subprocess.Popen[bytes] | None, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{url}: the process exited with {process.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up in {seconds:.0f} s")


@dataclass
class RunningServer:
    base_url: str
    process: subprocess.Popen[bytes]

    @property
    def port(self) -> int:
        return int(self.base_url.rsplit(":", 1)[1].split("/", 1)[0])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_sandbox(
    port: int | None = None, workdir: str | None = None, auth_config: dict[str, Any] | None = None
) -> RunningServer:
    """Start the sandbox in a child process on 127.0.0.1 and wait until it answers /metadata.
    `auth_config`: see `serve` (it reaches the child as JSON in an environment variable)."""
    port = port or free_port()
    env = {**os.environ, "SEKMET_CONFIG": os.devnull}
    env.pop(AUTH_CONFIG_ENV, None)
    if auth_config:
        env[AUTH_CONFIG_ENV] = json.dumps(auth_config)
    process = subprocess.Popen(  # noqa: S603 (our own interpreter and module)
        [sys.executable, "-m", "devtools.sandbox", "--port", str(port)],
        cwd=workdir,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base_url = f"http://127.0.0.1:{port}/fhir"
    try:
        wait_until_up(f"{base_url}/metadata", process)
    except RuntimeError:
        RunningServer(base_url, process).stop()
        raise
    return RunningServer(base_url, process)


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the local FHIR sandbox (sekmet-fhir)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    args = parser.parse_args()
    auth = os.environ.get(AUTH_CONFIG_ENV)
    serve(args.host, args.port, json.loads(auth) if auth else None)


if __name__ == "__main__":
    main()
