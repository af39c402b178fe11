"""Start the service as a real process on loopback (for tests that kill and restart it)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from devtools.sandbox import free_port, wait_until_up

# The development bearer token every service started by the tests accepts (secure by default:
# without one, the patient-data endpoints answer 401).
TEST_TOKEN = "test-token-" + os.urandom(8).hex()
AUTH = {"Authorization": f"Bearer {TEST_TOKEN}"}


@dataclass
class Service:
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=15)

    def kill(self) -> None:
        """SIGKILL: no shutdown handler runs, as in a crash or an OOM kill."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=15)


def start_service(
    fhir_base_url: str, workdir: Path, port: int | None = None, **settings: str
) -> Service:
    port = port or free_port()
    env = {
        **os.environ,
        "FHIR_DISCHARGE_FHIR_BASE_URL": fhir_base_url,
        "FHIR_DISCHARGE_OUTBOX_PATH": str(workdir / "outbox.sqlite3"),
        "FHIR_DISCHARGE_API_TOKENS": f'["{TEST_TOKEN}"]',
        # CDS Hooks requests may name test FHIR servers on any loopback port.
        "FHIR_DISCHARGE_CDS_FHIR_SERVERS": '["http://127.0.0.1:"]',
        **{f"FHIR_DISCHARGE_{k.upper()}": v for k, v in settings.items()},
    }
    log_path = workdir / f"service-{port}.log"
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "fhir_discharge.cli", "serve", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{url}/health", process)
    except RuntimeError:
        process.kill()
        raise
    return Service(url, process, log_path)
