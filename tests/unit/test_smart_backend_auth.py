"""SMART Backend Services (io/smart.py) without a server: the client assertion, the key id, keys
that do not fit the algorithm, the token request, a 401 retried once with a fresh token, the
token refreshed before it expires, a token endpoint's echo kept out of errors, and the settings
choosing the auth (the authorization server a mock transport). Against a protected sandbox:
tests/integration/test_smart_auth.py."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from fhir_discharge.config import Settings
from fhir_discharge.io.fhir_client import FhirClient
from fhir_discharge.io.retry import RetryPolicy
from fhir_discharge.io.smart import (
    ASSERTION_TYPE,
    DEFAULT_SCOPE,
    BearerAuth,
    SmartBackendAuth,
    fhir_auth_from,
    jwk_thumbprint,
    public_jwk,
)
from tests.support.smart_keys import (
    assert_no_secrets,
    ec_private_key,
    failure_of,
    pem,
    rsa_private_key,
)

NO_RETRY = RetryPolicy(attempts=1)


# --- keys --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa_private_key()


@pytest.fixture(scope="module")
def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec_private_key()


# --- the client assertion -------------------------------------------------------------


@pytest.mark.parametrize("algorithm", ["RS384", "ES384"])
def test_the_client_assertion_has_the_right_header_and_claims(rsa_key, ec_key, algorithm):
    key = rsa_key if algorithm == "RS384" else ec_key
    auth = SmartBackendAuth(
        "https://ehr.example/fhir", "my-client", pem(key), key_id="k-7", algorithm=algorithm
    )
    token_url = "https://ehr.example/oauth2/token"
    before = time.time()
    first, second = auth.client_assertion(token_url), auth.client_assertion(token_url)

    header = jwt.get_unverified_header(first)
    assert header == {"alg": algorithm, "typ": "JWT", "kid": "k-7"}
    claims = jwt.decode(first, key.public_key(), algorithms=[algorithm], audience=token_url)
    assert claims["iss"] == claims["sub"] == "my-client"
    assert claims["aud"] == token_url
    assert before < claims["exp"] <= before + 300
    other = jwt.decode(second, key.public_key(), algorithms=[algorithm], audience=token_url)
    assert claims["jti"] != other["jti"] and len(claims["jti"]) >= 16


def test_the_default_kid_is_the_rfc7638_thumbprint(rsa_key, ec_key):
    from sekmet.auth.keys import thumbprint  # an independent implementation

    for key in (rsa_key, ec_key):
        assert jwk_thumbprint(key) == thumbprint(public_jwk(key))
    auth = SmartBackendAuth("https://ehr.example/fhir", "c", pem(rsa_key))
    assert jwt.get_unverified_header(auth.client_assertion("https://t"))["kid"] == (
        jwk_thumbprint(rsa_key)
    )


def test_a_key_that_does_not_fit_the_algorithm_is_refused(rsa_key, ec_key, tmp_path):
    with pytest.raises(ValueError, match="ES384 needs an EC private key on the P-384"):
        SmartBackendAuth("https://x/fhir", "c", pem(rsa_key), algorithm="ES384")
    with pytest.raises(ValueError, match="RS384 needs an RSA"):
        SmartBackendAuth("https://x/fhir", "c", pem(ec_key))
    with pytest.raises(ValueError, match="cannot read the SMART private key file"):
        SmartBackendAuth("https://x/fhir", "c", tmp_path / "missing.pem")
    encrypted = rsa_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"secret"),
    )
    with pytest.raises(ValueError, match="encrypted") as caught:
        SmartBackendAuth("https://x/fhir", "c", encrypted)
    assert "BEGIN" not in str(caught.value)


# --- the flow, against a scripted server --------------------------------------------


class Scripted:
    """A FHIR server and token endpoint in one httpx.MockTransport."""

    def __init__(self, fhir_statuses: list[int], token_answer: tuple[int, dict] | None = None):
        self.fhir_statuses = fhir_statuses
        self.token_answer = token_answer
        self.token_forms: list[dict[str, str]] = []
        self.issued: list[str] = []
        self.fhir_authorizations: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/fhir/.well-known/smart-configuration":
            return httpx.Response(200, json={"token_endpoint": "https://ehr.test/token"})
        if path == "/token":
            form = dict(httpx.QueryParams(request.content.decode()))
            self.token_forms.append(form)
            if self.token_answer:
                return httpx.Response(self.token_answer[0], json=self.token_answer[1])
            token = f"tok-{len(self.issued)}"
            self.issued.append(token)
            return httpx.Response(
                200, json={"access_token": token, "token_type": "Bearer", "expires_in": 300}
            )
        self.fhir_authorizations.append(request.headers.get("authorization", ""))
        status = self.fhir_statuses.pop(0) if self.fhir_statuses else 200
        return httpx.Response(status, json={"resourceType": "Patient", "id": "p"})


def scripted_client(server: Scripted, key, **options) -> tuple[FhirClient, SmartBackendAuth]:
    transport = httpx.MockTransport(server)
    auth = SmartBackendAuth("https://ehr.test/fhir", "c1", pem(key), transport=transport, **options)
    client = FhirClient("https://ehr.test/fhir", auth=auth, transport=transport, retry=NO_RETRY)
    return client, auth


def test_the_token_request_is_a_client_credentials_grant_with_an_assertion(rsa_key):
    server = Scripted([])
    client, _ = scripted_client(server, rsa_key)

    async def read() -> None:
        async with client:
            await client.read("Patient", "p")

    asyncio.run(read())
    (form,) = server.token_forms
    assert form["grant_type"] == "client_credentials"
    assert form["client_assertion_type"] == ASSERTION_TYPE
    assert form["scope"] == DEFAULT_SCOPE
    claims = jwt.decode(
        form["client_assertion"],
        rsa_key.public_key(),
        algorithms=["RS384"],
        audience="https://ehr.test/token",
    )
    assert claims["iss"] == "c1"
    assert server.fhir_authorizations == ["Bearer tok-0"]


def test_a_401_is_retried_once_with_a_fresh_token_and_no_more(rsa_key):
    server = Scripted([401, 401])
    client, auth = scripted_client(server, rsa_key)

    async def read() -> None:
        async with client:
            await client.read("Patient", "p")

    error = failure_of(read())
    assert error.server_status == 401
    assert server.fhir_authorizations == ["Bearer tok-0", "Bearer tok-1"]
    assert auth.token_requests == 2


def test_a_post_refused_with_401_is_sent_again_with_its_body(rsa_key):
    server = Scripted([401])
    bodies: list[bytes] = []

    def spy(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/fhir/Patient":
            bodies.append(request.content)
        return server(request)

    transport = httpx.MockTransport(spy)
    client = FhirClient(
        "https://ehr.test/fhir",
        auth=SmartBackendAuth("https://ehr.test/fhir", "c1", pem(rsa_key), transport=transport),
        transport=transport,
        retry=NO_RETRY,
    )

    async def post() -> httpx.Response:
        async with client:
            return await client._request("POST", "Patient", json={"resourceType": "Patient"})

    assert asyncio.run(post()).status_code == 200
    assert len(bodies) == 2 and bodies[0] == bodies[1] and b"Patient" in bodies[0]


def test_a_token_endpoint_that_echoes_the_assertion_does_not_leak_it(rsa_key):
    class Echo(Scripted):
        def __call__(self, request: httpx.Request) -> httpx.Response:
            if request.url.path == "/token":
                assertion = dict(httpx.QueryParams(request.content.decode()))["client_assertion"]
                return httpx.Response(
                    400,
                    json={"error": "invalid_request", "error_description": f"bad {assertion}"},
                )
            return super().__call__(request)

    server = Echo([])
    client, _ = scripted_client(server, rsa_key)

    async def read() -> None:
        async with client:
            await client.read("Patient", "p")

    error = failure_of(read())
    assert "HTTP 400" in str(error) and "invalid_request" in str(error)
    assert "[redacted]" in str(error)
    assert_no_secrets(error)


def test_the_token_is_refreshed_before_it_expires(rsa_key):
    now = [0.0]
    server = Scripted([])
    client, auth = scripted_client(server, rsa_key, clock=lambda: now[0], refresh_margin=60)

    async def read() -> None:
        await client.read("Patient", "p")

    async def run() -> None:
        async with client:
            await read()
            now[0] = 239.0  # 300 s token, 60 s margin
            await read()
            now[0] = 240.0
            await read()

    asyncio.run(run())
    assert server.fhir_authorizations == ["Bearer tok-0", "Bearer tok-0", "Bearer tok-1"]
    assert auth.token_requests == 2


def test_a_given_token_url_skips_discovery(rsa_key):
    server = Scripted([])
    seen: list[str] = []
    transport = httpx.MockTransport(lambda r: (seen.append(r.url.path), server(r))[1])
    auth = SmartBackendAuth(
        "https://ehr.test/fhir",
        "c1",
        pem(rsa_key),
        token_url="https://ehr.test/token",
        transport=transport,
    )

    async def read() -> None:
        async with FhirClient(
            "https://ehr.test/fhir", auth=auth, transport=transport, retry=NO_RETRY
        ) as c:
            await c.read("Patient", "p")

    asyncio.run(read())
    assert seen == ["/token", "/fhir/Patient/p"]


# --- settings -------------------------------------------------------------------------------


def test_settings_choose_the_auth(rsa_key, tmp_path: Path):
    assert fhir_auth_from(Settings()) is None
    assert isinstance(
        fhir_auth_from(Settings(fhir_auth="bearer", fhir_bearer_token="t")), BearerAuth
    )
    with pytest.raises(ValueError, match="FHIR_DISCHARGE_FHIR_BEARER_TOKEN"):
        fhir_auth_from(Settings(fhir_auth="bearer"))
    with pytest.raises(ValueError, match="FHIR_DISCHARGE_SMART_PRIVATE_KEY_FILE"):
        fhir_auth_from(Settings(fhir_auth="smart", smart_client_id="c"))
    key_file = tmp_path / "k.pem"
    key_file.write_text(pem(rsa_key))
    auth = fhir_auth_from(
        Settings(
            fhir_auth="smart",
            fhir_base_url="https://ehr.example/fhir/",
            smart_client_id="c",
            smart_private_key_file=str(key_file),
            smart_key_id="k1",
        )
    )
    assert isinstance(auth, SmartBackendAuth)
    assert (auth.client_id, auth.key_id, auth.algorithm, auth.scope) == (
        "c",
        "k1",
        "RS384",
        DEFAULT_SCOPE,
    )
    assert auth.fhir_base_url == "https://ehr.example/fhir"
