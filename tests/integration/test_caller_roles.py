"""Who may call which route (issue 18, "Caller roles"): three roles, each one dependency
(web/deps.py), and every route of the app declares the one it needs, or none.

- the EHR as a system (static token, or a JWT whose audience names this service):
  `$lbp-discharge`, `/discharges`, `$document`, and the CDS Hooks call without CDS clients;
- the physician: the app's session handle (web/physician_app/: the service exchanged the
  launch's code and kept the SMART token), through `/app/api/...` only, on the launch's patient
  and encounter only;
- open: health, metadata, discovery, docs, metrics, the app's pages and its launch.

The service runs in-process against the FHIR sandbox (a real server on loopback), with the
sessions of the physician's app put into its session store as the code exchange puts them there
(tests/browser/test_physician_app.py opens them through the real exchange, with the test EHR).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from fastapi.testclient import TestClient
from starlette.routing import BaseRoute

from fhir_discharge.config import Settings, settings_problems
from fhir_discharge.io.app_sessions import AppSession, AppSessions
from fhir_discharge.web.app import create_app
from fhir_discharge.web.body import StrictJsonRoute
from fhir_discharge.web.deps import CALLER_ROLES, CDS_CLIENT, PHYSICIAN, SYSTEM
from tests.support.app_stack import seed
from tests.support.factories import fresh_record, resource
from tests.support.in_process import service_on
from tests.support.sessions import ALL_CLEAR, open_session

TOKEN = "roles-" + uuid.uuid4().hex
SYSTEM_AUTH = {"Authorization": f"Bearer {TOKEN}"}
OPEN = "open"

# Every route of the app, and who may call it. A new route must be added here, with its role.
ROLES: dict[tuple[str, str], str] = {
    ("GET", "/health"): OPEN,
    ("GET", "/metadata"): OPEN,
    ("GET", "/OperationDefinition/lbp-discharge"): OPEN,
    ("GET", "/metrics"): OPEN,
    ("GET", "/docs"): OPEN,
    ("GET", "/docs/assets/{name}"): OPEN,
    ("GET", "/openapi.json"): OPEN,
    ("GET", "/cds-services"): OPEN,
    ("GET", "/app"): OPEN,
    ("GET", "/app/"): OPEN,
    ("GET", "/app/launch"): OPEN,
    ("GET", "/app/callback"): OPEN,
    ("GET", "/app/static/{name}"): OPEN,
    ("GET", "/app/api/discover"): OPEN,  # a trusted iss's SMART discovery, before a session
    ("POST", "/app/api/token"): OPEN,  # the code exchange that opens the session
    ("POST", "/Encounter/$lbp-discharge"): SYSTEM,
    ("POST", "/Encounter/{encounter_id}/$lbp-discharge"): SYSTEM,
    ("GET", "/discharges/{item_id}"): SYSTEM,
    ("POST", "/discharges/{item_id}/$redeliver"): SYSTEM,
    ("GET", "/Composition/{composition_id}/$document"): SYSTEM,
    ("POST", "/cds-services/lbp-discharge"): CDS_CLIENT,
    ("POST", "/cds-services/lbp-discharge/feedback"): CDS_CLIENT,
    ("GET", "/app/api/record"): PHYSICIAN,
    ("POST", "/app/api/preview"): PHYSICIAN,
    ("POST", "/app/api/screening"): PHYSICIAN,
    ("POST", "/app/api/discharge"): PHYSICIAN,
    ("GET", "/app/api/discharges/{item_id}"): PHYSICIAN,
}


def _roles_declared(route: RouteContext) -> set[str]:
    """The roles of the dependencies a route runs (its own and its router's include)."""
    found: set[str] = set()
    dependant = getattr(route, "dependant", None)
    pending = list(dependant.dependencies) if dependant is not None else []
    while pending:
        dependency = pending.pop()
        if dependency.call in CALLER_ROLES:
            found.add(CALLER_ROLES[dependency.call])
        pending += dependency.dependencies
    return found


def _routes(routes: list[BaseRoute]) -> Iterator[tuple[str, str, RouteContext]]:
    """Every route the app serves, as it serves it (FastAPI's view of included routers)."""
    for route in iter_route_contexts(routes):
        for method in sorted(route.methods or ()):
            if method != "HEAD":
                yield method, str(route.path), route


def test_every_route_declares_the_role_it_needs_and_no_other(tmp_path: Path) -> None:
    app = create_app(Settings(outbox_path=str(tmp_path / "o.sqlite3"), api_tokens=[TOKEN]))
    declared: dict[tuple[str, str], str] = {}
    for method, path, route in _routes(app.routes):
        roles = _roles_declared(route)
        assert len(roles) <= 1, (method, path, roles)
        declared[(method, path)] = roles.pop() if roles else OPEN
        if isinstance(route.original_route, APIRoute) and method != "GET":
            # Every body the service reads as a model is parsed as the raw ones are (no lone
            # surrogate, no NaN): web/body.py.
            assert isinstance(route.original_route, StrictJsonRoute), (method, path)
    assert declared == ROLES


# --- who gets through: each route, with no credential, a system's, a physician's session --------


@pytest.fixture(scope="module")
def records(fhir_base_url: str) -> dict[str, dict[str, Any]]:
    """Two patients' records on the sandbox, A and B, each with its encounter and screening."""
    made = {}
    for name in ("a", "b"):
        record = fresh_record(f"roles-{name}-{uuid.uuid4().hex[:8]}")
        seed(fhir_base_url, [e["resource"] for e in record["entry"]])
        made[name] = record
    return made


def ids(record: dict[str, Any]) -> dict[str, str]:
    return {
        "patient": resource(record, "Patient")["id"],
        "encounter": resource(record, "Encounter")["id"],
        "physician": resource(record, "Practitioner")["id"],
    }


@pytest.fixture
def service(fhir_base_url: str, tmp_path: Path) -> Iterator[TestClient]:
    with service_on(fhir_base_url, tmp_path, TOKEN) as client:
        yield client


def requests_for(record: dict[str, Any], fhir_base_url: str) -> dict[tuple[str, str], Any]:
    """One request per route: (method, url, keyword arguments)."""
    a = ids(record)
    hook = {
        "hook": "encounter-discharge",
        "hookInstance": str(uuid.uuid4()),
        "fhirServer": fhir_base_url,
        "context": {
            "userId": f"Practitioner/{a['physician']}",
            "patientId": a["patient"],
            "encounterId": a["encounter"],
        },
    }
    screening = {"answers": ALL_CLEAR, "screening_id": str(uuid.uuid4())}
    dry = {"_dry-run": "true"}
    return {
        ("GET", "/health"): ("/health", {}),
        ("GET", "/metadata"): ("/metadata", {}),
        ("GET", "/OperationDefinition/lbp-discharge"): ("/OperationDefinition/lbp-discharge", {}),
        ("GET", "/metrics"): ("/metrics", {}),
        ("GET", "/docs"): ("/docs", {}),
        ("GET", "/docs/assets/{name}"): ("/docs/assets/swagger-ui.css", {}),
        ("GET", "/openapi.json"): ("/openapi.json", {}),
        ("GET", "/cds-services"): ("/cds-services", {}),
        ("GET", "/app"): ("/app", {"follow_redirects": False}),
        ("GET", "/app/"): ("/app/", {}),
        ("GET", "/app/launch"): ("/app/launch", {}),
        ("GET", "/app/callback"): ("/app/callback", {}),
        ("GET", "/app/static/{name}"): ("/app/static/app.js", {}),
        ("GET", "/app/api/discover"): ("/app/api/discover", {"params": {"iss": fhir_base_url}}),
        ("POST", "/app/api/token"): ("/app/api/token", {"json": {}}),
        ("POST", "/Encounter/$lbp-discharge"): (
            "/Encounter/$lbp-discharge",
            {"params": dry, "json": record, "headers": {"Content-Type": "application/fhir+json"}},
        ),
        ("POST", "/Encounter/{encounter_id}/$lbp-discharge"): (
            f"/Encounter/{a['encounter']}/$lbp-discharge",
            {"params": dry},
        ),
        ("GET", "/discharges/{item_id}"): ("/discharges/unknown", {}),
        ("POST", "/discharges/{item_id}/$redeliver"): ("/discharges/unknown/$redeliver", {}),
        ("GET", "/Composition/{composition_id}/$document"): ("/Composition/x/$document", {}),
        ("POST", "/cds-services/lbp-discharge"): ("/cds-services/lbp-discharge", {"json": hook}),
        ("POST", "/cds-services/lbp-discharge/feedback"): (
            "/cds-services/lbp-discharge/feedback",
            {"json": {"feedback": []}},
        ),
        ("GET", "/app/api/record"): ("/app/api/record", {}),
        ("POST", "/app/api/preview"): ("/app/api/preview", {"json": screening}),
        ("POST", "/app/api/screening"): ("/app/api/screening", {"json": screening}),
        ("POST", "/app/api/discharge"): ("/app/api/discharge", {"params": dry}),
        ("GET", "/app/api/discharges/{item_id}"): ("/app/api/discharges/unknown", {}),
    }


@pytest.mark.integration
def test_each_route_lets_in_its_role_only(service, records, fhir_base_url):
    physician = open_session(service, fhir_base_url, records["a"])
    requests = requests_for(records["a"], fhir_base_url)
    assert set(requests) == set(ROLES)
    outcomes: dict[tuple[str, str], dict[str, int]] = {}

    for (method, path), (url, kwargs) in requests.items():
        given = kwargs.pop("headers", {})

        def status(auth: dict[str, str]) -> int:
            answer = service.request(method, url, headers={**given, **auth}, **kwargs)
            if answer.status_code in (401, 403):
                assert answer.json()["resourceType"] == "OperationOutcome"
            return answer.status_code

        outcomes[(method, path)] = {
            "none": status({}),
            "system": status(SYSTEM_AUTH),
            "physician": status(physician),
        }

    refused = {401, 403}
    for key, got in outcomes.items():
        role = ROLES[key]
        if role == OPEN:
            assert refused.isdisjoint(got.values()), (key, got)
        elif role in (SYSTEM, CDS_CLIENT):  # without CDS clients, the hook is the system's
            assert (got["none"], got["physician"]) == (401, 403), (key, got)
            assert got["system"] not in refused and got["system"] < 500, (key, got)
        else:
            assert (got["none"], got["system"]) == (401, 403), (key, got)
            assert got["physician"] not in refused and got["physician"] < 500, (key, got)


@pytest.mark.integration
def test_a_session_acts_on_its_launch_only(service, records, fhir_base_url):
    a, b = ids(records["a"]), ids(records["b"])
    session_a = open_session(service, fhir_base_url, records["a"])
    # B's letter, written by the EHR as a system.
    landed = service.post(f"/Encounter/{b['encounter']}/$lbp-discharge", headers=SYSTEM_AUTH)
    assert landed.status_code == 201, landed.text
    letter = next(p for p in landed.json()["parameter"] if p["name"] == "letter")
    b_letter = letter["part"][0]["valueReference"]["reference"]
    invented = fresh_record("invented-" + uuid.uuid4().hex[:8])
    fhir_json = {"Content-Type": "application/fhir+json"}

    def refused(answer: httpx.Response) -> None:
        assert answer.status_code == 403, answer.text
        assert answer.json()["resourceType"] == "OperationOutcome"

    # The routes of the system: none, whatever the encounter (the app's session is not a
    # system's token, not even for its own encounter).
    for encounter in (b["encounter"], a["encounter"]):
        refused(service.post(f"/Encounter/{encounter}/$lbp-discharge", headers=session_a))
    refused(
        service.post("/Encounter/$lbp-discharge", json=invented, headers={**session_a, **fhir_json})
    )
    refused(service.get(f"/{b_letter}/$document", headers=session_a))
    refused(service.get(f"/{b_letter}/$document?_format=html", headers=session_a))
    assert service.get(f"/{b_letter}/$document", headers=SYSTEM_AUTH).status_code == 200

    # The app's routes: the launch's encounter and server only.
    screening = {"answers": ALL_CLEAR, "screening_id": str(uuid.uuid4())}
    refused(service.get("/app/api/record", params={"encounter": b["encounter"]}, headers=session_a))
    refused(
        service.get("/app/api/record", params={"iss": "http://127.0.0.1:1/fhir"}, headers=session_a)
    )
    for step in ("preview", "screening"):
        other = {**screening, "encounter": b["encounter"]}
        refused(service.post(f"/app/api/{step}", json=other, headers=session_a))
    assert service.get("/app/api/record", headers=session_a).status_code == 200
    # Its own discharge's status only.
    b_item = next(p for p in landed.json()["parameter"] if p["name"] == "discharge")
    unknown = service.get(f"/app/api/discharges/{b_item['valueString']}", headers=session_a)
    assert unknown.status_code == 404
    assert (
        service.get(f"/discharges/{b_item['valueString']}", headers=SYSTEM_AUTH).status_code == 200
    )

    # Nothing of B's was written by A's session.
    screenings = httpx.get(
        f"{fhir_base_url}/QuestionnaireResponse",
        params={"encounter": f"Encounter/{b['encounter']}"},
    ).json()
    assert len(screenings.get("entry") or []) == 1  # B's own, seeded


@pytest.mark.integration
def test_a_session_whose_encounter_is_another_patients_is_refused(service, records, fhir_base_url):
    # A session claiming B's patient with A's encounter: the record says the encounter is A's.
    crossed = open_session(
        service, fhir_base_url, records["a"], patient=ids(records["b"])["patient"]
    )
    for method, url in (("GET", "/app/api/record"), ("POST", "/app/api/discharge")):
        answer = service.request(method, url, headers=crossed)
        assert answer.status_code == 403, answer.text


@pytest.mark.integration
def test_an_expired_or_forged_session_is_no_caller(service, records, fhir_base_url):
    expired = open_session(service, fhir_base_url, records["a"], lifetime=-1)
    forged = {"Authorization": "Bearer " + "A" * 43}
    for headers in (expired, forged, {"Authorization": "Bearer x"}):
        answer = service.get("/app/api/record", headers=headers)
        assert answer.status_code == 401, answer.text
        assert answer.headers["www-authenticate"].startswith("Bearer")


def test_the_session_store_keeps_neither_the_handle_nor_the_token_readable() -> None:
    from fhir_discharge.io.app_sessions import MemoryStore

    store = MemoryStore()
    sessions = AppSessions(store)
    secret = "smart-token-" + uuid.uuid4().hex
    session = AppSession("https://ehr.example/fhir", "p-1", "e-1", "dr-1", secret, 2e9)
    handle = sessions.open(session, 1e9)
    assert sessions.find(handle, 1e9) == session
    assert secret not in repr(session)
    kept = repr(store._sessions)  # what a dump of the store shows
    for readable in (handle, secret, "p-1", "e-1", "ehr.example"):
        assert readable not in kept
    assert sessions.find(handle[:-1] + ("A" if handle[-1] != "A" else "B"), 1e9) is None
    assert sessions.find(handle, 2e9 + 1) is None  # expired
    sessions.end(handle)
    assert sessions.find(handle, 1e9) is None


# --- the EHR's tokens for its own FHIR server, and user tokens, are no system caller ------------


def _jwks_settings(tmp_path: Path, key: Any, **overrides: Any) -> Settings:
    path = tmp_path / "jwks.json"
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    path.write_text(json.dumps({"keys": [{**public, "kid": "k"}]}))
    values: dict[str, Any] = {
        "outbox_path": str(tmp_path / "outbox.sqlite3"),
        "api_jwks_file": str(path),
        "api_jwt_audience": "https://discharge.example",
        "fhir_base_url": "https://ehr.example/fhir",
        "app_fhir_servers": ["https://ehr.example/fhir-app"],
        **overrides,
    }
    return Settings(**values)


def test_an_audience_naming_a_fhir_server_is_refused_at_start(tmp_path: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    for fhir_server in ("https://ehr.example/fhir", "https://ehr.example/fhir-app/"):
        with pytest.raises(ValueError, match="API_JWT_AUDIENCE names a FHIR server"):
            _jwks_settings(tmp_path, key, api_jwt_audience=fhir_server)
    assert settings_problems(_jwks_settings(tmp_path, key)) == []


def test_a_fhir_servers_or_a_users_token_is_no_system_caller(tmp_path: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())

    def token(**claims: Any) -> dict[str, str]:
        body = {"iss": "https://ehr.example", "aud": "https://discharge.example", "iat": now}
        body = {**body, "exp": now + 300, **claims}
        signed = jwt.encode(body, key, algorithm="RS256", headers={"kid": "k"})
        return {"Authorization": f"Bearer {signed}"}

    with TestClient(create_app(_jwks_settings(tmp_path, key))) as service:

        def status(headers: dict[str, str]) -> int:
            return service.get("/discharges/none", headers=headers).status_code

        assert status(token()) == 404  # a system's token for this service: through, then unknown
        assert status(token(aud="https://ehr.example/fhir")) == 401  # the FHIR server's
        assert status(token(aud=["https://discharge.example", "https://ehr.example/fhir"])) == 401
        assert (
            status(token(aud=["https://discharge.example", "https://ehr.example/fhir-app"])) == 401
        )
        for claim in ("fhirUser", "patient", "encounter"):  # a launch's token: a physician's
            assert status(token(**{claim: "Practitioner/x"})) == 403, claim


def test_an_app_session_is_no_cds_client(tmp_path: Path) -> None:
    clients = {"https://ehr.example": {"jku_allowed": ["https://ehr.example/jwks"]}}
    settings = Settings(outbox_path=str(tmp_path / "o.sqlite3"), cds_clients=clients)
    with TestClient(create_app(settings)) as service:
        record = fresh_record("cds-" + uuid.uuid4().hex[:8])
        session = open_session(service, "https://ehr.example/fhir", record)
        answer = service.post("/cds-services/lbp-discharge", json={}, headers=session)
        assert answer.status_code == 403, answer.text
        assert service.post("/cds-services/lbp-discharge", json={}).status_code == 401


@pytest.mark.integration
def test_replicas_sharing_postgresql_share_the_apps_sessions(postgres_url: str) -> None:
    import psycopg
    from pydantic import SecretStr

    from fhir_discharge.io.app_sessions import PostgresStore, app_sessions_for
    from tests.support.postgres import fresh_database

    url = fresh_database(postgres_url)
    first, second = AppSessions(PostgresStore(url)), AppSessions(PostgresStore(url))
    secret = "smart-" + uuid.uuid4().hex
    try:
        session = AppSession("https://ehr.example/fhir", "p-1", "e-1", "dr-1", secret, 2e9)
        handle = first.open(session, 1e9)
        assert second.find(handle, 1e9) == session  # another replica knows it
        assert second.find(handle, 2e9 + 1) is None  # expired
        with psycopg.connect(url) as db:
            rows = db.execute("SELECT key, sealed FROM app_session").fetchall()
        assert len(rows) == 1
        stored = repr(rows)
        for readable in (handle, secret, "p-1", "e-1", "ehr.example"):
            assert readable not in stored
        first.end(handle)
        assert second.find(handle, 1e9) is None
    finally:
        first.close()
        second.close()
    shared = app_sessions_for(Settings(outbox_url=SecretStr(url)))
    try:
        assert isinstance(shared._store, PostgresStore)
    finally:
        shared.close()
