"""The physician app's and the CDS Hooks' FHIR servers are read over one HTTP client per app
lifespan (io/fhir_client.py FhirConnections, web/deps.py), never one per call: making an httpx
client costs ~50 ms of CPU (its TLS context), which was most of the service's own time per record
(issue 22, point 8; benchmarks/latency.py measures it). And each call's token goes with that
call's requests alone: never with another physician's, another hook's, or a call without one
(hazard-log H165), not as a header nor as a cookie the server set for it.

A real server on loopback (StubHttpServer) answers the record and records every request's
Authorization and Cookie headers; it sets a cookie on every answer, naming the token it saw.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient

from fhir_discharge.config import Settings
from fhir_discharge.io.app_sessions import AppSession
from fhir_discharge.io.fhir_client import FhirConnections
from fhir_discharge.web.app import create_app
from tests.support.factories import fresh_record, resource
from tests.support.record_fhir_server import RecordFhirServer, not_found
from tests.support.servers import AUTH, TEST_TOKEN
from tests.support.site import SITE
from tests.support.stub_http import StubReply, StubRequest, json_reply


class RecordServer(RecordFhirServer):
    """The record's resources, read and searched (as io/gathering.py asks), for any bearer
    token; a cookie named after the token on every answer."""

    def answer(self, request: StubRequest) -> StubReply:
        token = str(request.headers.get("Authorization") or "none").removeprefix("Bearer ")
        cookie = {"Set-Cookie": f"session-of={token}; Path=/"}
        path = urlsplit(request.path).path.removeprefix("/fhir/")
        reply = self.record_answer(request)
        if reply is None and path.startswith("Patient/"):  # the concurrency test's own ids
            reply = json_reply(200, {"resourceType": "Patient", "id": path.split("/")[1]})
        reply = reply or not_found()
        return StubReply(reply.status, reply.body, {**reply.headers, **cookie})

    def seen(self, since: int = 0) -> list[tuple[str, str | None, str | None]]:
        """(path, Authorization, Cookie) of each request from the `since`-th on."""
        return [
            (r.path, r.headers.get("Authorization"), r.headers.get("Cookie"))
            for r in self.requests[since:]
        ]


@pytest.fixture
def record() -> dict[str, Any]:
    return fresh_record(uuid.uuid4().hex[:10])


@pytest.fixture
def server(record: dict[str, Any]) -> Iterator[RecordServer]:
    with RecordServer(record) as running:
        yield running


@pytest.fixture
def app_and_client(server: RecordServer, tmp_path: Path) -> Iterator[tuple[Any, TestClient]]:
    settings = Settings(
        fhir_base_url=server.base_url,
        api_tokens=[TEST_TOKEN],
        outbox_path=str(tmp_path / "outbox.sqlite3"),
        fhir_bearer_token=SERVICE_TOKEN,
    )
    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield app, client


# the service's own credential for the FHIR server it writes to (Settings.fhir_bearer_token)
SERVICE_TOKEN = "token-of-the-service"


def open_session(app: Any, record: dict[str, Any], iss: str, token: str) -> dict[str, str]:
    """The app's session for the record's launch with the SMART `token`, as the code exchange
    opens one (io/smart_launch.py); the headers the page sends with it."""
    encounter = resource(record, "Encounter")
    launch = AppSession(
        iss=iss,
        patient=resource(record, "Patient")["id"],
        encounter=encounter["id"],
        practitioner=encounter["participant"][0]["individual"]["reference"].split("/")[1],
        access_token=token,
        expires=2e9,
    )
    return {"Authorization": f"Bearer {app.state.app_sessions.open(launch, 1e9)}"}


def hook(record: dict[str, Any], server: RecordServer, token: str) -> dict[str, Any]:
    encounter = resource(record, "Encounter")
    return {
        "hook": "encounter-discharge",
        "hookInstance": str(uuid.uuid4()),
        "fhirServer": server.base_url,
        "fhirAuthorization": {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "user/*.read",
            "subject": "lbp-discharge-cds-service",
        },
        "context": {
            "userId": encounter["participant"][0]["individual"]["reference"],
            "patientId": resource(record, "Patient")["id"],
            "encounterId": encounter["id"],
        },
    }


def all_clear(record: dict[str, Any], iss: str) -> dict[str, Any]:
    answers = {**{i.link_id: False for i in SITE.pathway.screening.items}, "brochure-given": True}
    return {
        "iss": iss,
        "encounter": resource(record, "Encounter")["id"],
        "answers": answers,
        "screening_id": str(uuid.uuid4()),
    }


def test_the_app_and_the_cds_hook_reuse_one_http_client_across_calls(
    app_and_client: tuple[Any, TestClient],
    server: RecordServer,
    record: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app, client = app_and_client
    shared = app.state.fhir_connections
    made: list[httpx.AsyncClient] = []
    original_init = httpx.AsyncClient.__init__

    def counted_init(self: httpx.AsyncClient, *args: Any, **kwargs: Any) -> None:
        made.append(self)
        original_init(self, *args, **kwargs)

    monkeypatch.setattr(httpx.AsyncClient, "__init__", counted_init)
    physician = open_session(app, record, server.base_url, "physician-token")
    params = {"iss": server.base_url, "encounter": resource(record, "Encounter")["id"]}
    answers = [
        client.get("/app/api/record", params=params, headers=physician),
        client.get("/app/api/record", params=params, headers=physician),
        client.post("/app/api/preview", json=all_clear(record, server.base_url), headers=physician),
        client.post(
            "/cds-services/lbp-discharge", json=hook(record, server, "hook-1"), headers=AUTH
        ),
        client.post(
            "/cds-services/lbp-discharge", json=hook(record, server, "hook-2"), headers=AUTH
        ),
    ]

    assert [a.status_code for a in answers] == [200] * 5, [a.text[:300] for a in answers]
    assert answers[2].json()["outcome"] == "on-pathway", "the preview ran to the letter"
    assert answers[3].json()["cards"], "the hook answered a card"
    assert len(server.requests) > 5 * 5  # each call read the record from the server
    assert made == [], "no HTTP client is made per call: the lifespan's is shared"
    assert isinstance(shared, FhirConnections) and not shared.http.is_closed


def test_a_token_goes_with_its_own_calls_requests_only(
    app_and_client: tuple[Any, TestClient], server: RecordServer, record: dict[str, Any]
) -> None:
    """Two physicians and two hooks, interleaved on the one shared client: each request carries
    the token of the call that made it, or the service's own where the call reads the server the
    service writes to (the app looks there for the encounter's letter), and no cookie the server
    set for another."""
    app, client = app_and_client
    params = {"iss": server.base_url, "encounter": resource(record, "Encounter")["id"]}
    alice = open_session(app, record, server.base_url, "token-of-alice")
    bob = open_session(app, record, server.base_url, "token-of-bob")
    calls = [
        ("token-of-alice", lambda: client.get("/app/api/record", params=params, headers=alice)),
        ("token-of-bob", lambda: client.get("/app/api/record", params=params, headers=bob)),
        (
            "token-of-hook",
            lambda: client.post(
                "/cds-services/lbp-discharge",
                json=hook(record, server, "token-of-hook"),
                headers=AUTH,
            ),
        ),
        (
            "token-of-bob",
            lambda: client.post(
                "/app/api/preview", json=all_clear(record, server.base_url), headers=bob
            ),
        ),
        ("token-of-alice", lambda: client.get("/app/api/record", params=params, headers=alice)),
    ]
    for token, call in calls:
        since = len(server.requests)
        answer = call()
        assert answer.status_code == 200, answer.text[:300]
        seen = server.seen(since)
        assert seen, f"the call with {token} read nothing"
        sent = {(auth, cookie) for _, auth, cookie in seen}
        assert (f"Bearer {token}", None) in sent, seen
        assert sent <= {(f"Bearer {token}", None), (f"Bearer {SERVICE_TOKEN}", None)}, seen
    assert app.state.fhir_connections.http.headers.get("Authorization") is None
    assert not list(app.state.fhir_connections.http.cookies.jar)


def test_concurrent_clients_on_the_shared_connections_each_send_their_own_token(
    server: RecordServer,
) -> None:
    async def run() -> None:
        connections = FhirConnections()
        try:
            clients = {
                name: connections.client(server.base_url, timeout=10, bearer_token=token)
                for name, token in (("a", "token-a"), ("b", "token-b"), ("n", None))
            }
            await asyncio.gather(
                *(
                    clients[name].read("Patient", f"{name}-{i}")
                    for i in range(20)
                    for name in clients
                )
            )
            await clients["a"].aclose()  # a client's close leaves the shared connections open
            assert not connections.http.is_closed
            assert await clients["b"].read("Patient", "b-after") is not None
        finally:
            await connections.aclose()

    asyncio.run(run())
    expected = {"a": "Bearer token-a", "b": "Bearer token-b", "n": None}
    seen = server.seen()
    assert len(seen) == 61
    for path, auth, cookie in seen:
        name = path.removeprefix("/fhir/Patient/").split("-")[0]
        assert (auth, cookie) == (expected[name], None), (path, auth, cookie)


def test_the_shared_client_is_made_at_start_and_closed_at_shutdown(tmp_path: Path) -> None:
    settings = Settings(
        fhir_base_url="http://127.0.0.1:9/fhir",
        api_tokens=[TEST_TOKEN],
        outbox_path=str(tmp_path / "outbox.sqlite3"),
        fhir_bearer_token=SERVICE_TOKEN,
    )
    app = create_app(settings)
    with TestClient(app):
        shared = app.state.fhir_connections
        assert not shared.http.is_closed
    assert shared.http.is_closed
