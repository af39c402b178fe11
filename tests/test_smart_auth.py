"""SMART Backend Services from this service to the FHIR server (fhir_discharge/io/smart.py).

The integration tests run the sekmet-fhir sandbox as a real SMART token server that enforces
bearer tokens and their scopes on its FHIR API; the unit tests use httpx.MockTransport.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from devtools.sandbox import RunningServer, start_sandbox
from fhir_discharge import FhirServerError, build_discharge
from fhir_discharge.config import Settings
from fhir_discharge.errors import operation_outcome
from fhir_discharge.io.fhir_client import FhirClient
from fhir_discharge.io.gathering import gather_context
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
from tests.support.contexts import held_by_server
from tests.support.factories import fresh_record, resource

NO_RETRY = RetryPolicy(attempts=1)


# --- keys --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP384R1())


@pytest.fixture(scope="module")
def stranger_key() -> rsa.RSAPrivateKey:
    """A key nobody registered."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def jwks(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, kid: str, alg: str) -> dict:
    return {"keys": [{**public_jwk(key), "kid": kid, "alg": alg, "use": "sig"}]}


# --- the protected sandbox -----------------------------------------------------------------


def smart_sandbox(rsa_key, ec_key, token_lifetime: int) -> RunningServer:
    return start_sandbox(
        auth_config={
            "types": ["smart"],
            "token_lifetime": token_lifetime,
            "enforce_scopes": True,
            "smart_clients": [
                {"client_id": "discharge-rs", "jwks": jwks(rsa_key, "rs-1", "RS384")},
                {"client_id": "discharge-es", "jwks": jwks(ec_key, "es-1", "ES384")},
                # may read and search, not write
                {
                    "client_id": "discharge-ro",
                    "jwks": jwks(rsa_key, "rs-1", "RS384"),
                    "scopes": "system/*.read",
                },
            ],
        }
    )


@pytest.fixture(scope="module")
def protected(rsa_key, ec_key) -> Iterator[str]:
    server = smart_sandbox(rsa_key, ec_key, token_lifetime=3600)
    try:
        yield server.base_url
    finally:
        server.stop()


@pytest.fixture(scope="module")
def short_lived(rsa_key, ec_key) -> Iterator[str]:
    """Access tokens live 2 seconds."""
    server = smart_sandbox(rsa_key, ec_key, token_lifetime=2)
    try:
        yield server.base_url
    finally:
        server.stop()


class Counting(httpx.AsyncBaseTransport):
    """A real transport that notes every request and the status it got."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.seen: list[tuple[str, str, int]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        self.seen.append((request.method, request.url.path, response.status_code))
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()

    @property
    def token_requests(self) -> int:
        return sum(1 for m, path, _ in self.seen if m == "POST" and path == "/auth/token")


def seeded(base_url: str, rsa_key) -> dict:
    """A fresh record on the protected server (written with an update-capable token)."""
    record = fresh_record(uuid.uuid4().hex[:10])
    writer = SmartBackendAuth(base_url, "discharge-rs", pem(rsa_key), scope="system/*.cruds")

    async def upsert() -> None:
        async with FhirClient(base_url, auth=writer, retry=NO_RETRY) as client:
            await client.upsert([e["resource"] for e in record["entry"]])

    asyncio.run(upsert())
    return record


def failure_of(coroutine) -> FhirServerError:
    with pytest.raises(FhirServerError) as caught:
        asyncio.run(coroutine)
    return caught.value


def assert_no_secrets(error: FhirServerError, *secrets: str) -> None:
    text = str(error) + json.dumps(operation_outcome(error))
    assert "eyJ" not in text  # no JWT (token or assertion)
    for secret in secrets:
        assert secret not in text


# --- (a) reads and writes with a SMART token -----------------------------------------------


@pytest.mark.integration
@pytest.mark.parametrize(
    ("client_id", "algorithm"), [("discharge-rs", "RS384"), ("discharge-es", "ES384")]
)
def test_a_smart_client_reads_and_posts_a_discharge(
    protected, rsa_key, ec_key, tmp_path, client_id, algorithm
):
    record = seeded(protected, rsa_key)
    key = rsa_key if algorithm == "RS384" else ec_key
    key_file = tmp_path / "key.pem"
    key_file.write_text(pem(key))
    key_file.chmod(0o600)
    tokens = Counting()
    auth = SmartBackendAuth(
        protected,
        client_id,
        key_file,
        key_id=f"{algorithm[:2].lower()}-1",
        algorithm=algorithm,
        transport=tokens,
    )
    encounter_id = resource(record, "Encounter")["id"]

    async def discharge() -> list:
        async with FhirClient(protected, auth=auth, retry=NO_RETRY) as client:
            context = await gather_context(client, encounter_id)
            assert context.patient["id"] == resource(record, "Patient")["id"]
            bundle = build_discharge(held_by_server(record)).bundle
            return await client.post_transaction(bundle)

    landed = asyncio.run(discharge())
    # all created, but the service's Device: written once per version, maybe by an earlier test
    assert landed and all(x.created for x in landed if x.resource_type != "Device")
    assert tokens.token_requests == 1
    assert auth.token_url == protected.removesuffix("/fhir") + "/auth/token"  # discovered


# --- (b) no token ---------------------------------------------------------------------------


@pytest.mark.integration
def test_without_a_token_the_server_answers_401(protected):
    async def read() -> None:
        async with FhirClient(protected, retry=NO_RETRY) as client:
            await client.read("Patient", "anyone")

    error = failure_of(read())
    assert error.server_status == 401


# --- (c) a key that is not registered -------------------------------------------------------


@pytest.mark.integration
def test_an_unregistered_key_is_a_clear_error_without_secrets(protected, stranger_key):
    auth = SmartBackendAuth(protected, "discharge-rs", pem(stranger_key), key_id="rs-1")

    async def read() -> None:
        async with FhirClient(protected, auth=auth, retry=NO_RETRY) as client:
            await client.read("Patient", "anyone")

    error = failure_of(read())
    message = str(error)
    assert "token endpoint" in message and "discharge-rs" in message
    assert "HTTP 401" in message and "invalid_client" in message
    assert_no_secrets(error, pem(stranger_key).splitlines()[1])


@pytest.mark.integration
def test_an_unknown_client_is_a_clear_error(protected, rsa_key):
    auth = SmartBackendAuth(protected, "nobody", pem(rsa_key))

    async def read() -> None:
        async with FhirClient(protected, auth=auth, retry=NO_RETRY) as client:
            await client.read("Patient", "anyone")

    error = failure_of(read())
    assert "invalid_client" in str(error) and "'nobody'" in str(error)
    assert_no_secrets(error)


# --- (d) a token the server no longer accepts -----------------------------------------------


@pytest.mark.integration
def test_an_expired_token_is_refreshed_once_and_the_request_succeeds(short_lived, rsa_key):
    tokens, fhir = Counting(), Counting()
    # A clock that stands still: the client believes its token is fresh, the server knows better.
    auth = SmartBackendAuth(
        short_lived,
        "discharge-rs",
        pem(rsa_key),
        refresh_margin=0,
        clock=lambda: 0.0,
        transport=tokens,
    )

    async def read_twice() -> None:
        async with FhirClient(short_lived, auth=auth, transport=fhir, retry=NO_RETRY) as client:
            assert await client.read("Patient", "nobody-here") is None
            await asyncio.sleep(3)  # the 2 s token expires
            assert await client.read("Patient", "nobody-here") is None

    asyncio.run(read_twice())
    assert tokens.token_requests == 2
    assert [status for _, _, status in fhir.seen] == [404, 401, 404]


# --- (e) scopes that do not allow writing ---------------------------------------------------


@pytest.mark.integration
def test_a_read_only_client_reads_but_its_transaction_is_refused(protected, rsa_key):
    record = seeded(protected, rsa_key)
    auth = SmartBackendAuth(protected, "discharge-ro", pem(rsa_key))  # asks for the default
    bundle = build_discharge(held_by_server(record)).bundle

    async def discharge() -> None:
        async with FhirClient(protected, auth=auth, retry=NO_RETRY) as client:
            await client.read_encounter(resource(record, "Encounter")["id"])  # granted: read
            await client.post_transaction(bundle)

    error = failure_of(discharge())
    assert error.server_status == 403
    assert "refused the transaction (HTTP 403)" in str(error)
    assert any("do not permit" in f.message for f in error.findings)  # the server's words
    assert_no_secrets(error)


@pytest.mark.integration
def test_asking_only_for_scopes_not_granted_is_a_clear_error(protected, rsa_key):
    auth = SmartBackendAuth(protected, "discharge-ro", pem(rsa_key), scope="system/*.c")

    async def read() -> None:
        async with FhirClient(protected, auth=auth, retry=NO_RETRY) as client:
            await client.read("Patient", "anyone")

    error = failure_of(read())
    assert "invalid_scope" in str(error)
    assert_no_secrets(error)


# --- (f) the token is cached ----------------------------------------------------------------


@pytest.mark.integration
def test_one_token_serves_many_requests_even_concurrent_ones(protected, ec_key):
    tokens = Counting()
    auth = SmartBackendAuth(
        protected, "discharge-es", pem(ec_key), algorithm="ES384", transport=tokens
    )

    async def many() -> None:
        async with FhirClient(protected, auth=auth, retry=NO_RETRY) as client:
            found = await asyncio.gather(*(client.read("Patient", f"p{i}") for i in range(10)))
            assert found == [None] * 10
            for i in range(5):
                await client.search("Condition", {"patient": f"Patient/p{i}"})

    asyncio.run(many())
    asyncio.run(many())  # another event loop, the same cached token
    assert tokens.token_requests == 1


# --- unit: the client assertion -------------------------------------------------------------


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


# --- unit: the flow, against a scripted server --------------------------------------------


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
            return await client._http.post("Patient", json={"resourceType": "Patient"})

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
