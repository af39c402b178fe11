"""The physician's app on loopback: the FHIR sandbox, the test EHR (tests/support/smart_ehr.py)
in front of it, and the service configured to launch from the EHR (its FHIR endpoint an `iss`
the service trusts, its origin one that may frame the app). The service takes no token of the
EHR's as a caller: the app's session comes from the code exchange the service does itself.
Used by tests/browser/test_physician_app.py, tests/integration/test_caller_roles.py and by
`make app` (`python -m tests.support.app_stack`).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from devtools.sandbox import RunningServer, free_port, start_sandbox, wait_until_up
from tests.support.seeding import seed
from tests.support.servers import Service, start_service

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "input" / "happy-path-bundle.json"
PHYSICIAN = "lbp-example-ed-physician"


@dataclass
class Stack:
    fhir: str  # the FHIR server the EHR fronts and the service posts to
    sandbox: RunningServer | None  # when started here
    ehr: subprocess.Popen[bytes]
    ehr_url: str
    service: Service

    @property
    def iss(self) -> str:
        return f"{self.ehr_url}/fhir"

    def standalone_launch_url(self) -> str:
        return f"{self.service.url}/app/launch?{urlencode({'iss': self.iss})}"

    def ehr_launch_url(
        self, patient: str, encounter: str, token_lifetime: int = 300, practitioner: str = PHYSICIAN
    ) -> str:
        """What the EHR opens: the app's launch URL with `iss` and a fresh `launch`."""
        launch = httpx.post(
            f"{self.ehr_url}/_test/launches",
            json={
                "patient": patient,
                "encounter": encounter,
                "practitioner": practitioner,
                "token_lifetime": token_lifetime,
            },
            timeout=10,
        ).json()["launch"]
        return f"{self.service.url}/app/launch?{urlencode({'iss': self.iss, 'launch': launch})}"

    def framed_url(self, url: str) -> str:
        """A page of the EHR's origin that frames `url` (the EHR embedding the app)."""
        return f"{self.ehr_url}/_test/frame?{urlencode({'src': url})}"

    def open_session(
        self, patient: str | None, encounter: str | None, practitioner: str = PHYSICIAN
    ) -> str:
        """What the app's page does, without a browser: an EHR launch for `patient` and
        `encounter` (None: a launch without that context), the authorization at the test EHR,
        then the code exchanged by the service (POST /app/api/token); the app's session
        handle."""
        registered = httpx.post(
            f"{self.ehr_url}/_test/launches",
            json={
                "patient": patient,
                "encounter": encounter,
                "practitioner": practitioner,
            },
            timeout=10,
        ).json()["launch"]
        verifier = secrets.token_urlsafe(48)
        challenge = (
            base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
            .rstrip(b"=")
            .decode()
        )
        redirect_uri = f"{self.service.url}/app/callback"
        authorized = httpx.get(
            f"{self.ehr_url}/oauth/authorize",
            params={
                "response_type": "code",
                "client_id": "fhir-discharge-app",
                "redirect_uri": redirect_uri,
                "scope": "launch openid fhirUser patient/*.rs patient/QuestionnaireResponse.cu",
                "state": "s",
                "aud": self.iss,
                "launch": registered,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            },
            timeout=10,
        )
        assert authorized.status_code == 302, authorized.text
        code = parse_qs(urlsplit(authorized.headers["location"]).query)["code"][0]
        exchanged = httpx.post(
            f"{self.service.url}/app/api/token",
            json={
                "iss": self.iss,
                "code": code,
                "code_verifier": verifier,
                "redirect_uri": redirect_uri,
            },
            timeout=30,
        )
        assert exchanged.status_code == 200, f"{exchanged.status_code} {exchanged.text}"
        return str(exchanged.json()["session"])

    def stop(self) -> None:
        self.service.stop()
        if self.ehr.poll() is None:
            self.ehr.terminate()
            self.ehr.wait(timeout=10)
        if self.sandbox is not None:
            self.sandbox.stop()


def start_stack(
    workdir: Path, fhir_base_url: str | None = None, *, return_to_ehr: bool = False
) -> Stack:
    """`return_to_ehr`: the service names the EHR's page `{ehr}/_test/returned` as the app's
    way back (FHIR_DISCHARGE_APP_RETURN_URL); else the app has none (it closes its window)."""
    sandbox = start_sandbox() if fhir_base_url is None else None
    fhir = sandbox.base_url if sandbox else str(fhir_base_url)
    ehr_port, service_port = free_port(), free_port()
    ehr_url = f"http://127.0.0.1:{ehr_port}"
    service_url = f"http://127.0.0.1:{service_port}"
    ehr = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.support.smart_ehr",
            "--port",
            str(ehr_port),
            "--upstream",
            fhir,
            "--redirect-uri",
            f"{service_url}/app/callback",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=(workdir / "ehr.log").open("ab"),
    )
    try:
        wait_until_up(f"{ehr_url}/fhir/.well-known/smart-configuration", ehr)
        service = start_service(
            fhir,
            workdir,
            port=service_port,
            app_fhir_servers=json.dumps([f"{ehr_url}/fhir"]),
            app_frame_ancestors=json.dumps([ehr_url]),
            **({"app_return_url": f"{ehr_url}/_test/returned"} if return_to_ehr else {}),
        )
    except BaseException:
        ehr.terminate()
        if sandbox:
            sandbox.stop()
        raise
    return Stack(fhir, sandbox, ehr, ehr_url, service)


def unscreened_record(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    """The record as the EHR holds it before the physician screened: no QuestionnaireResponse."""
    return [
        e["resource"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] != "QuestionnaireResponse"
    ]


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="fhir-discharge-app-") as scratch:
        stack = start_stack(Path(scratch))
        try:
            bundle = json.loads(EXAMPLE.read_text(encoding="utf-8"))
            seed(stack.fhir, unscreened_record(bundle))
            encounter = next(
                e["resource"]["id"]
                for e in bundle["entry"]
                if e["resource"]["resourceType"] == "Encounter"
            )
            patient = next(
                e["resource"]["id"]
                for e in bundle["entry"]
                if e["resource"]["resourceType"] == "Patient"
            )
            print(f"FHIR sandbox:          {stack.fhir}")
            print(f"test EHR (SMART, iss): {stack.iss}")
            print(f"service:               {stack.service.url}")
            print(f"\nThe example encounter, unscreened: Encounter/{encounter}")
            print("\nStandalone launch (enter the encounter id at the test EHR's prompt):")
            print(f"  {stack.standalone_launch_url()}")
            print("\nEHR launch (one use; the encounter's context comes with it):")
            print(f"  {stack.ehr_launch_url(patient, encounter)}")
            print("\nCtrl-C stops all three.")
            with contextlib.suppress(KeyboardInterrupt):
                while True:
                    time.sleep(3600)
        finally:
            stack.stop()


if __name__ == "__main__":
    main()


@pytest.fixture(scope="module")
def app_on_hapi(hapi_base_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The physician's app: the test EHR in front of HAPI, the service writing to HAPI. Import
    it where it is used: `app_on_hapi = app_stack.app_on_hapi`."""
    stack = start_stack(tmp_path_factory.mktemp("app-on-hapi"), hapi_base_url)
    try:
        yield stack
    finally:
        stack.stop()
