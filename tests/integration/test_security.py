"""Who may call the service: secure by default, static development tokens, JWT against a JWKS."""

from __future__ import annotations

import json
import time
import uuid

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from tests.support.factories import fresh_record
from tests.support.servers import start_service

FHIR_JSON = {"Content-Type": "application/fhir+json"}
DRY_RUN = "/Encounter/$lbp-discharge?_dry-run=true"


def dry_run(url: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.post(
        url + DRY_RUN,
        json=fresh_record(uuid.uuid4().hex[:8]),
        headers={**FHIR_JSON, **(headers or {})},
        timeout=30,
    )


def test_without_configuration_patient_data_is_refused_and_the_log_says_how(
    fhir_base_url, tmp_path
):
    service = start_service(fhir_base_url, tmp_path, api_tokens="[]")
    try:
        refused = dry_run(service.url, {"Authorization": "Bearer anything"})
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"].startswith("Bearer")
        assert refused.json()["issue"][0]["code"] == "login"
        for path in ("/Composition/x/$document", "/discharges/x"):
            assert httpx.get(service.url + path).status_code == 401
        # Health, metadata and discovery stay open.
        for path in ("/health", "/metadata", "/OperationDefinition/lbp-discharge", "/cds-services"):
            assert httpx.get(service.url + path).status_code == 200, path
    finally:
        service.stop()
    log = service.log_path.read_text()
    assert log.count("no authentication configured") == 1
    assert "FHIR_DISCHARGE_API_JWKS_URL" in log


def test_static_tokens_are_checked(fhir_base_url, tmp_path):
    token = "dev-" + uuid.uuid4().hex
    service = start_service(fhir_base_url, tmp_path, api_tokens=json.dumps([token]))
    try:
        assert dry_run(service.url).status_code == 401
        assert dry_run(service.url, {"Authorization": "Bearer wrong"}).status_code == 401
        assert dry_run(service.url, {"Authorization": f"Basic {token}"}).status_code == 401
        assert dry_run(service.url, {"Authorization": f"Bearer {token}"}).status_code == 200
    finally:
        service.stop()
    assert token not in service.log_path.read_text()


@pytest.fixture(scope="module")
def keys():
    return {
        "rsa": rsa.generate_private_key(public_exponent=65537, key_size=2048),
        "ec": ec.generate_private_key(ec.SECP384R1()),
        "stranger": rsa.generate_private_key(public_exponent=65537, key_size=2048),
    }


def jwk(private_key, kid: str) -> dict:
    algorithm = jwt.algorithms.RSAAlgorithm if kid.startswith("rsa") else jwt.algorithms.ECAlgorithm
    public = json.loads(algorithm.to_jwk(private_key.public_key()))
    return {**public, "kid": kid}


def token_for(private_key, kid: str, alg: str, **claims) -> str:
    body = {
        "iss": "https://ehr.uzleuven.example",
        "sub": "ehr-discharge",
        "aud": "fhir-discharge",
        "iat": int(time.time()),
        "exp": int(time.time()) + 300,
        "scope": "discharge/write",
        **claims,
    }
    return jwt.encode(body, private_key, algorithm=alg, headers={"kid": kid})


def test_jwt_bearer_tokens_are_checked_against_the_jwks(fhir_base_url, tmp_path, keys):
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [jwk(keys["rsa"], "rsa-1"), jwk(keys["ec"], "ec-1")]}))
    service = start_service(
        fhir_base_url,
        tmp_path,
        api_tokens="[]",
        api_jwks_file=str(jwks),
        api_jwt_audience="fhir-discharge",
        api_jwt_issuer="https://ehr.uzleuven.example",
        api_required_scope="discharge/write",
    )

    def status(token: str) -> int:
        return dry_run(service.url, {"Authorization": f"Bearer {token}"}).status_code

    try:
        assert status(token_for(keys["rsa"], "rsa-1", "RS384")) == 200
        assert status(token_for(keys["ec"], "ec-1", "ES384")) == 200
        assert status(token_for(keys["rsa"], "rsa-1", "RS384", exp=int(time.time()) - 10)) == 401
        assert status(token_for(keys["rsa"], "rsa-1", "RS384", aud="someone-else")) == 401
        assert status(token_for(keys["rsa"], "rsa-1", "RS384", iss="https://evil")) == 401
        assert status(token_for(keys["stranger"], "rsa-1", "RS384")) == 401  # wrong key
        assert status(token_for(keys["rsa"], "unknown-kid", "RS384")) == 401
        assert status(token_for(keys["rsa"], "rsa-1", "RS384", scope="patient/*.read")) == 403
        assert status("not-a-jwt") == 401
        expired = dry_run(
            service.url,
            {"Authorization": "Bearer " + token_for(keys["rsa"], "rsa-1", "RS384", exp=1)},
        )
        assert "expired" in expired.json()["issue"][0]["diagnostics"]
    finally:
        service.stop()
