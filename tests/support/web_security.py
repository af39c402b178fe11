"""What the web layer's security tests share (tests/asgi/test_web_security.py in-process,
tests/integration/test_trusted_servers.py over real sockets): an in-memory FHIR server, the
settings of the service under test, a CDS Hooks request, and signing keys with their JWKS."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi.testclient import TestClient

from fhir_discharge.config import Settings
from tests.support.factories import happy_bundle, resource
from tests.support.in_process import in_process_app

TOKEN = "web-security-" + uuid.uuid4().hex
AUTH = {"Authorization": f"Bearer {TOKEN}"}
FHIR_BASE = "http://fhir.test/fhir"
CDS = "/cds-services/lbp-discharge"
EHR = "https://ehr.uzleuven.example"
EHR_B = "https://ehr-b.uzleuven.example"
PUBLIC = "https://discharge.uzleuven.example"


class FakeFhir:
    """Reads by `Type/id`, and transactions answered as created; every request recorded."""

    def __init__(self, resources: list[dict[str, Any]] = ()) -> None:  # type: ignore[assignment]
        self.resources = {f"{r['resourceType']}/{r['id']}": r for r in resources}
        self.requests: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/fhir").strip("/")
        self.requests.append(f"{request.method} {path}")
        if request.method == "POST" and path == "":
            bundle = json.loads(request.content)
            entries = [
                {
                    "response": {
                        "status": "201 Created",
                        "location": f"{e['request']['url']}/n{n}/_history/1",
                    }
                }
                for n, e in enumerate(bundle["entry"])
            ]
            return httpx.Response(
                200,
                json={"resourceType": "Bundle", "type": "transaction-response", "entry": entries},
            )
        if path in self.resources:
            return httpx.Response(200, json=self.resources[path])
        return httpx.Response(
            404, json={"resourceType": "OperationOutcome", "issue": [{"code": "not-found"}]}
        )


def settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "fhir_base_url": FHIR_BASE,
        "outbox_path": str(tmp_path / "outbox.sqlite3"),
        "api_tokens": [TOKEN],
        "cds_fhir_servers": ["http://127.0.0.1:"],
        "app_fhir_servers": ["http://127.0.0.1:"],
        **overrides,
    }
    return Settings(**values)


def app_client(config: Settings, fhir: FakeFhir) -> TestClient:
    return in_process_app(config, fhir)


def hook(record: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    record = record or happy_bundle()
    return {
        "hook": "encounter-discharge",
        "hookInstance": str(uuid.uuid4()),
        "context": {
            "userId": "Practitioner/x",
            "patientId": resource(record, "Patient")["id"],
            "encounterId": resource(record, "Encounter")["id"],
        },
        **fields,
    }


def signing_keys() -> dict[str, Any]:
    """An RSA and an EC private key (RS384, ES384), for a module-scoped fixture: RSA is slow."""
    return {
        "rsa": rsa.generate_private_key(public_exponent=65537, key_size=2048),
        "ec": ec.generate_private_key(ec.SECP384R1()),
    }


def jwks(*pairs: tuple[Any, str]) -> dict[str, Any]:
    out = []
    for private_key, kid in pairs:
        algorithm = (
            jwt.algorithms.RSAAlgorithm
            if isinstance(private_key, rsa.RSAPrivateKey)
            else jwt.algorithms.ECAlgorithm
        )
        out.append({**json.loads(algorithm.to_jwk(private_key.public_key())), "kid": kid})
    return {"keys": out}


def signed(private_key: Any, kid: str, headers: dict[str, Any] | None = None, **claims: Any) -> str:
    now = int(time.time())
    body = {"iat": now, "exp": now + 300, **claims}
    body = {k: v for k, v in body.items() if v is not None}
    alg = "RS384" if isinstance(private_key, rsa.RSAPrivateKey) else "ES384"
    return jwt.encode(body, private_key, algorithm=alg, headers={"kid": kid, **(headers or {})})
