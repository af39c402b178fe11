"""SMART Backend Services from this service to the FHIR server (fhir_discharge/io/smart.py).

The sekmet-fhir sandbox runs as a real SMART token server that enforces bearer tokens and their
scopes on its FHIR API. The flow against a scripted server: tests/unit/test_smart_backend_auth.py.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from devtools.sandbox import RunningServer, start_sandbox
from fhir_discharge import build_discharge
from fhir_discharge.io.fhir_client import FhirClient
from fhir_discharge.io.gathering import gather_context
from fhir_discharge.io.retry import RetryPolicy
from fhir_discharge.io.smart import (
    SmartBackendAuth,
    public_jwk,
)
from tests.support.contexts import held_by_server
from tests.support.factories import fresh_record, resource
from tests.support.seeding import seed_async
from tests.support.site import SITE
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


@pytest.fixture(scope="module")
def stranger_key() -> rsa.RSAPrivateKey:
    """A key nobody registered."""
    return rsa_private_key()


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

    asyncio.run(seed_async(base_url, [e["resource"] for e in record["entry"]], auth=writer))
    return record


# --- (a) reads and writes with a SMART token -----------------------------------------------
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
            bundle = build_discharge(held_by_server(record), SITE).bundle
            return await client.post_transaction(bundle)

    landed = asyncio.run(discharge())
    # all created, but the service's Device: written once per version, maybe by an earlier test
    assert landed and all(x.created for x in landed if x.resource_type != "Device")
    assert tokens.token_requests == 1
    assert auth.token_url == protected.removesuffix("/fhir") + "/auth/token"  # discovered


# --- (b) no token ---------------------------------------------------------------------------
def test_without_a_token_the_server_answers_401(protected):
    async def read() -> None:
        async with FhirClient(protected, retry=NO_RETRY) as client:
            await client.read("Patient", "anyone")

    error = failure_of(read())
    assert error.server_status == 401


# --- (c) a key that is not registered -------------------------------------------------------
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


def test_an_unknown_client_is_a_clear_error(protected, rsa_key):
    auth = SmartBackendAuth(protected, "nobody", pem(rsa_key))

    async def read() -> None:
        async with FhirClient(protected, auth=auth, retry=NO_RETRY) as client:
            await client.read("Patient", "anyone")

    error = failure_of(read())
    assert "invalid_client" in str(error) and "'nobody'" in str(error)
    assert_no_secrets(error)


# --- (d) a token the server no longer accepts -----------------------------------------------
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
def test_a_read_only_client_reads_but_its_transaction_is_refused(protected, rsa_key):
    record = seeded(protected, rsa_key)
    auth = SmartBackendAuth(protected, "discharge-ro", pem(rsa_key))  # asks for the default
    bundle = build_discharge(held_by_server(record), SITE).bundle

    async def discharge() -> None:
        async with FhirClient(protected, auth=auth, retry=NO_RETRY) as client:
            await client.read_encounter(resource(record, "Encounter")["id"])  # granted: read
            await client.post_transaction(bundle)

    error = failure_of(discharge())
    assert error.server_status == 403
    assert "refused the transaction (HTTP 403)" in str(error)
    assert any("do not permit" in f.message for f in error.findings)  # the server's words
    assert_no_secrets(error)


def test_asking_only_for_scopes_not_granted_is_a_clear_error(protected, rsa_key):
    auth = SmartBackendAuth(protected, "discharge-ro", pem(rsa_key), scope="system/*.c")

    async def read() -> None:
        async with FhirClient(protected, auth=auth, retry=NO_RETRY) as client:
            await client.read("Patient", "anyone")

    error = failure_of(read())
    assert "invalid_scope" in str(error)
    assert_no_secrets(error)


# --- (f) the token is cached ----------------------------------------------------------------
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


# --- (g) the CLI authenticates as the service does ---------------------------------------------
def test_the_cli_posts_to_a_protected_server_with_the_services_smart_settings(
    protected, rsa_key, tmp_path, monkeypatch, capsys
):
    """`fhir-discharge discharge --server` builds its client from the service's settings
    (io/smart.fhir_client_from, issue 21): without the SMART settings the protected server
    refuses the letter; with them it lands, every resource created."""
    from fhir_discharge.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FHIR_DISCHARGE_MAX_DELIVERY_ATTEMPTS", "1")
    path = tmp_path / "record.json"
    path.write_text(json.dumps(fresh_record(uuid.uuid4().hex[:10])), encoding="utf-8")
    command = ["discharge", str(path), "--server", protected, "--wait", "30"]

    assert main(command) == 1  # unauthenticated: refused
    assert "401" in capsys.readouterr().err

    key_file = tmp_path / "key.pem"
    key_file.write_text(pem(rsa_key))
    key_file.chmod(0o600)
    monkeypatch.setenv("FHIR_DISCHARGE_FHIR_AUTH", "smart")
    monkeypatch.setenv("FHIR_DISCHARGE_SMART_CLIENT_ID", "discharge-rs")
    monkeypatch.setenv("FHIR_DISCHARGE_SMART_PRIVATE_KEY_FILE", str(key_file))
    monkeypatch.setenv("FHIR_DISCHARGE_SMART_KEY_ID", "rs-1")
    assert main(command) == 0
    landed = [line.split() for line in capsys.readouterr().out.splitlines()]
    # every resource created, but the service's Device: one per version of the service, maybe
    # written by an earlier test on this server
    mine = [(status, where) for status, where in landed if "/Device/" not in where]
    assert len(mine) > 6 and {status for status, _ in mine} == {"created"}
