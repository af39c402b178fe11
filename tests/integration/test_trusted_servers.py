"""Which servers the service talks to, over real sockets: a CDS fhirServer or a launch's iss with
userinfo is refused and never called; an EHR's CDS Hooks JWT is checked against the JWKS its jku
names; a CDS client may name only its own FHIR servers; the app's SMART discovery takes what
App Launch 2.2 requires and refuses what lacks it. The rest of the web layer's security findings:
tests/asgi/test_web_security.py (in-process)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient

from tests.support.stub_http import StubHttpServer, StubReply, json_reply
from tests.support.web_security import (
    AUTH,
    CDS,
    EHR,
    EHR_B,
    FHIR_BASE,
    PUBLIC,
    TOKEN,
    FakeFhir,
    app_client,
    hook,
    jwks,
    settings,
    signed,
    signing_keys,
)

# --- an in-memory FHIR server, and the app in-process (tests/support/web_security.py) ---


@pytest.fixture
def fhir() -> FakeFhir:
    return FakeFhir()


@pytest.fixture
def service(tmp_path: Path, fhir: FakeFhir) -> Iterator[TestClient]:
    with app_client(settings(tmp_path), fhir) as client:
        yield client


@pytest.fixture
def spy() -> Iterator[StubHttpServer]:
    """A real HTTP server on loopback that records what reaches it (it should be nothing)."""
    with StubHttpServer(lambda request: StubReply(404)) as server:
        yield server


# --- 1. SSRF: fhirServer and iss compared parsed, never as string prefixes ------------------


def test_a_cds_fhir_server_with_userinfo_is_refused_and_never_called(service, spy):
    # Passed the old `startswith("http://127.0.0.1:")`, then went to localhost with Basic auth.
    body = hook(fhirServer=f"http://127.0.0.1:1@localhost:{spy.port}/fhir")
    response = service.post(CDS, json=body, headers=AUTH)
    assert response.status_code == 403, response.text
    assert "fhirServer" in response.json()["issue"][0]["diagnostics"]
    assert spy.requests == []


def test_a_launch_iss_with_userinfo_is_refused_and_never_called(service, spy):
    iss = f"http://127.0.0.1:1@localhost:{spy.port}/fhir"
    response = service.get("/app/api/discover", params={"iss": iss})
    assert response.status_code == 403, response.text
    assert spy.requests == []


# --- 5. JWT lifetime, CSP as a header, nosniff ----------------------------------------------


@pytest.fixture(scope="module")
def keys() -> dict[str, Any]:
    return signing_keys()


# --- 6. CDS Hooks 2.0: each EHR by its iss, its own keys, aud, jti ---------------------------


class JwksServer(StubHttpServer):
    """A JWKS on loopback, for a `jku` header."""

    def __init__(self, keys: dict[str, Any]) -> None:
        reply = json_reply(200, keys, content_type="application/json")
        super().__init__(lambda request: reply)
        self.url = f"{self.origin}/jwks.json"

    @property
    def hits(self) -> int:
        return len(self.requests)


@pytest.fixture
def ehr_jku(keys) -> Iterator[JwksServer]:
    with JwksServer(jwks((keys["ec"], "ec-jku"))) as server:
        yield server


def test_cds_hooks_calls_need_the_ehrs_own_jwt_for_this_service_once(tmp_path, fhir, keys, ehr_jku):
    path = tmp_path / "ehr-jwks.json"
    path.write_text(json.dumps(jwks((keys["rsa"], "ehr-1"))))
    clients = {EHR: {"jwks_file": str(path), "jku_allowed": [ehr_jku.url]}}
    config = settings(tmp_path, public_base_url=PUBLIC, cds_clients=clients)
    aud = PUBLIC + CDS

    def call(token: str | None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        # No prefetch, no fhirServer: 412 once the caller is trusted.
        return service.post(CDS, json=hook(), headers=headers)

    def token(**claims: Any) -> str:
        base = {"iss": EHR, "aud": aud, "jti": uuid.uuid4().hex}
        return signed(keys["rsa"], "ehr-1", **{**base, **claims})

    with app_client(config, fhir) as service:
        good = token()
        assert call(good).status_code == 412
        replayed = call(good)
        assert replayed.status_code == 401 and "jti" in replayed.text
        assert call(token()).status_code == 412  # a new jti is a new call

        assert call(None).status_code == 401
        assert call(TOKEN).status_code == 401  # the API's static tokens are not an EHR's JWT
        assert call(token(aud=f"http://testserver{CDS}")).status_code == 401
        assert (
            call(token(aud="https://other.example/cds-services/lbp-discharge")).status_code == 401
        )
        assert call(token(jti=None)).status_code == 401
        assert call(token(iss="https://other-ehr.example")).status_code == 401
        assert call(token(exp=int(time.time()) + 7200)).status_code == 401  # lives too long
        assert call(token(exp=int(time.time()) - 10)).status_code == 401
        stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        forged = signed(stranger, "ehr-1", iss=EHR, aud=aud, jti=uuid.uuid4().hex)
        assert call(forged).status_code == 401

        # A jku listed for the EHR is used; any other is refused, even serving the same keys.
        by_jku = signed(
            keys["ec"], "ec-jku", {"jku": ehr_jku.url}, iss=EHR, aud=aud, jti=uuid.uuid4().hex
        )
        assert call(by_jku).status_code == 412
        elsewhere = ehr_jku.url.replace("/jwks.json", "/other.json")
        unlisted = signed(
            keys["ec"], "ec-jku", {"jku": elsewhere}, iss=EHR, aud=aud, jti=uuid.uuid4().hex
        )
        hits = ehr_jku.hits
        assert call(unlisted).status_code == 401
        assert ehr_jku.hits == hits  # never fetched

        # Discovery stays open; the other endpoints keep their own tokens.
        assert service.get("/cds-services").status_code == 200
        assert service.get("/discharges/none", headers=AUTH).status_code == 404


def test_cds_feedback_needs_the_ehrs_own_jwt_for_the_feedback_endpoint(tmp_path, fhir, keys):
    """The feedback endpoint trusts the EHR as the hook does (issue 22, point 6): its JWT, its
    `aud` the feedback endpoint's own URL (a token for the hook is not one for the feedback), a
    `jti` used once; never the API's static tokens."""
    path = tmp_path / "ehr-jwks.json"
    path.write_text(json.dumps(jwks((keys["rsa"], "ehr-1"))))
    config = settings(tmp_path, public_base_url=PUBLIC, cds_clients={EHR: {"jwks_file": str(path)}})
    feedback = f"{CDS}/feedback"
    body = {
        "feedback": [
            {
                "card": str(uuid.uuid4()),
                "outcome": "accepted",
                "acceptedSuggestions": [{"id": str(uuid.uuid4())}],
                "outcomeTimestamp": "2026-12-07T03:00:00Z",
            }
        ]
    }

    def token(**claims: Any) -> str:
        base = {"iss": EHR, "aud": PUBLIC + feedback, "jti": uuid.uuid4().hex}
        return signed(keys["rsa"], "ehr-1", **{**base, **claims})

    with app_client(config, fhir) as service:

        def call(bearer: str | None) -> int:
            headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
            return service.post(feedback, json=body, headers=headers).status_code

        good = token()
        assert call(good) == 200
        assert call(good) == 401  # replayed
        assert call(token(aud=PUBLIC + CDS)) == 401  # the hook's audience, not this endpoint's
        assert call(token(iss="https://other-ehr.example")) == 401
        assert call(TOKEN) == 401
        assert call(None) == 401


# --- 8. CDS Hooks: each EHR its own FHIR servers (issue 18) ----------------------------------


def test_a_cds_client_may_name_only_its_own_fhir_servers(tmp_path, fhir, keys, spy):
    path = tmp_path / "ehr-jwks.json"
    path.write_text(json.dumps(jwks((keys["rsa"], "ehr-1"))))
    a_server, b_server = f"{spy.origin}/ehr-a/fhir", f"{spy.origin}/ehr-b/fhir"
    clients = {
        EHR: {"jwks_file": str(path), "fhir_servers": [a_server]},
        EHR_B: {"jwks_file": str(path), "fhir_servers": [b_server]},
    }
    config = settings(tmp_path, public_base_url=PUBLIC, cds_clients=clients)

    def call(iss: str, server: str) -> httpx.Response:
        token = signed(keys["rsa"], "ehr-1", iss=iss, aud=PUBLIC + CDS, jti=uuid.uuid4().hex)
        body = hook(fhirServer=server)
        return service.post(CDS, json=body, headers={"Authorization": f"Bearer {token}"})

    with app_client(config, fhir) as service:
        for iss, other in ((EHR, b_server), (EHR_B, a_server)):
            refused = call(iss, other)
            assert refused.status_code == 403, refused.text
            assert "fhirServer" in refused.json()["issue"][0]["diagnostics"]
        assert spy.requests == []  # never read with A's token at B's server
        # Its own: read (the spy answers 404 to the Encounter: 412, the data is not there).
        assert call(EHR, a_server).status_code == 412
        assert call(EHR_B, b_server).status_code == 412
        # The configured FHIR server is no EHR's unless it names it.
        assert call(EHR, FHIR_BASE).status_code == 403


# --- 10. The app's SMART discovery: App Launch 2.2's required fields (issue 23) -------------

SMART_CONFIGURATION = {
    "issuer": "https://ehr.example",
    "jwks_uri": "https://ehr.example/jwks",
    "authorization_endpoint": "https://ehr.example/authorize",
    "token_endpoint": "https://ehr.example/token",
    "grant_types_supported": ["authorization_code"],
    "capabilities": ["launch-ehr", "client-public", "sso-openid-connect", "context-ehr-patient"],
    "code_challenge_methods_supported": ["S256"],
}


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"capabilities": None}, "capabilities"),
        ({"capabilities": "launch-ehr"}, "capabilities"),
        ({"capabilities": ["client-public"]}, "launch-ehr or launch-standalone"),
        ({"grant_types_supported": None}, "grant_types_supported"),
        ({"grant_types_supported": ["client_credentials"]}, "authorization_code"),
        ({"token_endpoint": None}, "token_endpoint"),
        ({"authorization_endpoint": None}, "authorization_endpoint"),
        ({"code_challenge_methods_supported": None}, "code_challenge_methods_supported"),
        ({"code_challenge_methods_supported": ["S256", "plain"]}, "without plain"),
        ({"jwks_uri": None}, "jwks_uri"),  # sso-openid-connect needs it
        ({"issuer": None}, "issuer"),
    ],
)
def test_the_apps_discovery_refuses_what_smart_2_2_requires_and_lacks(service, change, named):
    found = {k: v for k, v in {**SMART_CONFIGURATION, **change}.items() if v is not None}
    reply = json_reply(200, found, content_type="application/json")
    with StubHttpServer(lambda request: reply) as ehr:
        answer = service.get("/app/api/discover", params={"iss": f"{ehr.origin}/fhir"})
    assert answer.status_code == 502, answer.text
    assert named in answer.json()["issue"][0]["diagnostics"]


def test_the_apps_discovery_takes_a_smart_2_2_configuration(service):
    without_sso = {**SMART_CONFIGURATION, "capabilities": ["launch-standalone"]}
    for found in (SMART_CONFIGURATION, {k: v for k, v in without_sso.items() if k != "jwks_uri"}):
        reply = json_reply(200, found, content_type="application/json")
        with StubHttpServer(lambda request, reply=reply: reply) as ehr:
            answer = service.get("/app/api/discover", params={"iss": f"{ehr.origin}/fhir"})
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"authorization_endpoint": "https://ehr.example/authorize"}
