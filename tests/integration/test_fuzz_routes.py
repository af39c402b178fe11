"""Every route, every body and header it reads, a little mutated: a 4xx OperationOutcome or a
result, never a 5xx (issue 18, "No stall, no 5xx").

A lone surrogate (`\\ud800`, valid JSON syntax, yet no Unicode text) in any string of any body,
nesting deeper than any record, each value swapped for one of another JSON type, odd header
bytes: each route is called with the credential of the role that reaches it (tests/
test_caller_roles.py), so the mutation gets past the door and into the code that reads it. In
process, the FHIR servers stand-ins that answer "not found" (a mock transport for the service's
own, a loopback server for the app's launch). Bounded: a fixed seed and sample per route.
schemathesis (tests/integration/test_fuzz_api.py) fuzzes the OpenAPI of the running service besides.
"""

from __future__ import annotations

import copy
import json
import random
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from fhir_discharge.config import Settings
from fhir_discharge.io.app_sessions import AppSession
from fhir_discharge.web.deps import CALLER_ROLES, PHYSICIAN
from tests.support.factories import happy_bundle, resource
from tests.support.in_process import in_process_app
from tests.support.site import SITE
from tests.support.stub_http import StubHttpServer, StubReply, StubRequest, json_reply

TOKEN = "fuzz-" + uuid.uuid4().hex
SYSTEM = {"Authorization": f"Bearer {TOKEN}"}
SAMPLED_LEAVES = 30
SWAPS: list[Any] = [None, True, 0, -1.5e308, "", "x" * 3000, [], {}, [[]], {"a": {}}]
LONE = "\ud800"
SMART_CONFIGURATION = {
    "grant_types_supported": ["authorization_code"],
    "capabilities": ["launch-ehr", "client-public"],
    "code_challenge_methods_supported": ["S256"],
}


def not_found(request: httpx.Request) -> httpx.Response:
    return httpx.Response(404, json={"resourceType": "OperationOutcome", "issue": []})


def empty_fhir_server(request: StubRequest) -> StubReply:
    """A FHIR server that holds nothing: a read is 404, a search finds nothing; its
    authorization server refuses every code."""
    if request.path == "/fhir/.well-known/smart-configuration":
        origin = f"http://{request.headers['Host']}"
        return json_reply(
            200,
            SMART_CONFIGURATION
            | {
                "authorization_endpoint": f"{origin}/authorize",
                "token_endpoint": f"{origin}/token",
            },
            content_type="application/json",
        )
    if request.path == "/token":
        return json_reply(400, {"error": "invalid_grant"}, content_type="application/json")
    if "?" in request.path and request.method == "GET":
        return json_reply(200, {"resourceType": "Bundle", "type": "searchset", "total": 0})
    return json_reply(404, {"resourceType": "OperationOutcome", "issue": []})


@pytest.fixture(autouse=True)
def unrecorded(monkeypatch: pytest.MonkeyPatch) -> None:
    """The mutated records are invalid on purpose, also in ways the input check does not claim
    to catch (code bindings: README, "Decisions"): what a dry run builds from them is not the
    suite's output that tests/unit/test_conformance.py validates."""
    import fhir_discharge.core.transaction
    from tests.support.built_bundles import RecordedDischarge

    plain = RecordedDischarge.__mro__[1]
    monkeypatch.setattr(fhir_discharge.core.transaction, "Discharge", plain)


@pytest.fixture(scope="module")
def ehr() -> Iterator[StubHttpServer]:
    """The launch's FHIR server, and the hook's fhirServer."""
    with StubHttpServer(empty_fhir_server, methods=("GET", "POST")) as server:
        yield server


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def service(tmp_path: Path, ehr: StubHttpServer, key: rsa.RSAPrivateKey) -> Iterator[TestClient]:
    jwks = tmp_path / "jwks.json"
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    jwks.write_text(json.dumps({"keys": [{**public, "kid": "k"}]}))
    settings = Settings(
        fhir_base_url="http://fhir.test/fhir",
        outbox_path=str(tmp_path / "outbox.sqlite3"),
        api_tokens=[TOKEN],
        api_jwks_file=str(jwks),  # so that JWT-shaped tokens are read, not only compared
        api_jwt_audience="https://discharge.example",
        cds_fhir_servers=["http://127.0.0.1:"],
        app_fhir_servers=["http://127.0.0.1:"],
    )
    with in_process_app(settings, not_found) as client:
        yield client


def physician(client: TestClient, ehr: StubHttpServer) -> dict[str, str]:
    record = happy_bundle()
    session = AppSession(
        iss=f"{ehr.origin}/fhir",
        patient=resource(record, "Patient")["id"],
        encounter=resource(record, "Encounter")["id"],
        practitioner="dr",
        access_token="smart",
        expires=time.time() + 600,
    )
    handle = client.app.state.app_sessions.open(session, time.time())  # type: ignore[attr-defined]
    return {"Authorization": f"Bearer {handle}"}


def valid_bodies(ehr: StubHttpServer) -> dict[str, Any]:
    """A well-formed body for each route that reads one: what the mutations start from."""
    record = happy_bundle()

    def searchset(*types: str) -> dict[str, Any]:
        found = [e["resource"] for e in record["entry"] if e["resource"]["resourceType"] in types]
        return {
            "resourceType": "Bundle",
            "type": "searchset",
            "entry": [{"resource": r} for r in found],
        }

    # Every key the service asks for: a well-formed request reads nothing from fhirServer.
    prefetch = {
        "patient": resource(record, "Patient"),
        "encounter": resource(record, "Encounter"),
        "conditions": searchset("Condition"),
        "screenings": searchset("QuestionnaireResponse"),
        "observations": searchset("Observation"),
        "imagingStudies": searchset("ImagingStudy"),
        "diagnosticReports": searchset("DiagnosticReport"),
        "procedures": searchset("Procedure"),
        "medicationRequests": searchset("MedicationRequest"),
        "encounterParticipants": searchset("Encounter", "Practitioner", "Organization"),
        "generalPractitioner": searchset("Patient", "Practitioner", "PractitionerRole"),
    }
    screening = {
        "answers": {item.link_id: False for item in SITE.pathway.screening.items},
        "screening_id": str(uuid.uuid4()),
    }
    return {
        "/Encounter/$lbp-discharge": record,
        "/cds-services/lbp-discharge": {
            "hook": "encounter-discharge",
            "hookInstance": str(uuid.uuid4()),
            "fhirServer": f"{ehr.origin}/fhir",
            "fhirAuthorization": {
                "access_token": "t",
                "token_type": "Bearer",
                "expires_in": 300,
                "scope": "patient/*.rs",
                "subject": "ehr",
            },
            "context": {
                "userId": "Practitioner/dr",
                "patientId": prefetch["patient"]["id"],
                "encounterId": prefetch["encounter"]["id"],
            },
            "prefetch": prefetch,
        },
        "/app/api/token": {
            "iss": f"{ehr.origin}/fhir",
            "code": "c",
            "code_verifier": "v" * 43,
            "redirect_uri": "http://testserver/app/callback",
        },
        "/app/api/preview": screening,
        "/app/api/screening": screening,
    }


def leaves(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """The path of every value in `node`, containers included."""
    yield path
    if isinstance(node, dict):
        for k, v in node.items():
            yield from leaves(v, (*path, k))
    elif isinstance(node, list):
        for n, v in enumerate(node):
            yield from leaves(v, (*path, n))


def replaced(node: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    out = copy.deepcopy(node)
    target = out
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return out


def mutations(body: Any, rng: random.Random) -> Iterator[tuple[str, bytes]]:
    """A lone surrogate in strings and keys, every JSON type in place of sampled values, deep
    nesting, and bodies that are not an object."""
    paths = list(leaves(body))
    strings = [p for p in paths if p and isinstance(replaced_get(body, p), str)]
    for path in rng.sample(strings, min(SAMPLED_LEAVES, len(strings))):
        value = replaced_get(body, path)
        for lone in (LONE, value + LONE, LONE + "\udc00" + value):
            yield f"surrogate at {path}", _ascii_json(replaced(body, path, lone))
    for path in rng.sample(paths, min(SAMPLED_LEAVES, len(paths))):
        for swap in rng.sample(SWAPS, 3):
            yield f"{swap!r:.20} at {path}", _ascii_json(replaced(body, path, swap))
    if isinstance(body, dict):
        yield "surrogate key", _ascii_json({**body, LONE: 1})
        first = next(iter(body))
        yield "deep", _ascii_json(replaced(body, (first,), _nested(900)))
    yield "very deep", b"[" * 200_000 + b"]" * 200_000
    for top in ([], "x", 1, None, [body]):
        yield f"top {top!r:.10}", _ascii_json(top)
    yield "truncated", _ascii_json(body)[:-7]
    yield "utf-16", json.dumps(body).encode("utf-16")


def replaced_get(node: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        node = node[step]
    return node


def _nested(depth: int) -> Any:
    value: Any = "leaf"
    for n in range(depth):
        value = [value] if n % 2 else {"a": value}
    return value


def _ascii_json(value: Any) -> bytes:
    # ensure_ascii: a lone surrogate travels as the escape \ud800, as a client would send it.
    return json.dumps(value, ensure_ascii=True).encode("ascii")


def assert_no_server_error(answer: httpx.Response, what: str) -> None:
    assert answer.status_code < 500, f"{what}: {answer.status_code} {answer.text[:300]}"
    if answer.status_code >= 400:
        assert answer.json()["resourceType"] == "OperationOutcome", what


BODIED = ["/Encounter/$lbp-discharge", "/cds-services/lbp-discharge"]
APP_BODIED = ["/app/api/token", "/app/api/preview", "/app/api/screening"]


@pytest.mark.parametrize("path", BODIED + APP_BODIED)
def test_a_mutated_body_is_refused_with_a_4xx(service, ehr, path):
    body = valid_bodies(ehr)[path]
    headers = physician(service, ehr) if path.startswith("/app/api/") else SYSTEM
    rng = random.Random(f"fuzz {path}")
    sent = 0
    for what, raw in mutations(body, rng):
        for content_type in ("application/fhir+json", "application/json"):
            answer = service.post(
                path,
                params={"_dry-run": "true"} if "Encounter" in path else None,
                content=raw,
                headers={**headers, "Content-Type": content_type},
            )
            assert_no_server_error(answer, f"{path} {what}")
            sent += 1
    assert sent >= 50


@pytest.mark.parametrize("where", ["resourceType", "id", "subject"])
def test_a_lone_surrogate_in_a_prefetch_is_400_not_500(service, ehr, where):
    hook = valid_bodies(ehr)["/cds-services/lbp-discharge"]
    hook["prefetch"]["patient"][where] = LONE if where != "subject" else {"reference": LONE}
    answer = service.post(
        "/cds-services/lbp-discharge",
        content=_ascii_json(hook),
        headers={**SYSTEM, "Content-Type": "application/json"},
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["resourceType"] == "OperationOutcome"


ODD_HEADERS: list[dict[str, Any]] = [
    {"Authorization": b"Bearer \xff\xfe\x80"},
    {"Authorization": "Bearer " + "a" * 20_000},
    {"Authorization": "Bearer a.b.c"},
    {"Authorization": "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."},  # alg none
    {"Authorization": "Bearer eyJ\x7f.eyJ.sig"},
    {"Authorization": "Basic " + "x" * 10},
    {"Authorization": "Bearer"},
    {"X-Request-Id": b"\xff" * 70},
    {"Content-Type": "application/fhir+json; charset=utf-16"},
    {"Content-Type": b"application/json\xff"},
    {"Content-Length": "abc"},
    {"Prefer": b"respond-async\xff"},
    {"Accept": b"application/pdf;q=\xff, text/html"},
    {"Host": "evil.example:99999"},
]


def test_every_route_answers_odd_headers_without_a_server_error(service, ehr):
    session = physician(service, ehr)
    bodies = valid_bodies(ehr)
    for route in iter_route_contexts(service.app.routes):  # type: ignore[attr-defined]
        dependant = getattr(route, "dependant", None)
        roles = {
            CALLER_ROLES[d.call]
            for d in (dependant.dependencies if dependant else [])
            if d.call in CALLER_ROLES
        }
        credential = session if PHYSICIAN in roles else SYSTEM
        path = str(route.path).replace("{name}", "app.js")
        path = path.replace("{encounter_id}", "e").replace("{item_id}", "d")
        path = path.replace("{composition_id}", "c")
        for method in sorted((route.methods or set()) - {"HEAD"}):
            body = bodies.get(path)
            for odd in ODD_HEADERS:
                headers = {**credential, "Content-Type": "application/fhir+json", **odd}
                if "Content-Length" in odd:
                    headers.pop("Content-Length")
                answer = service.request(
                    method,
                    path,
                    params={"_dry-run": "true"} if "lbp-discharge" in path else None,
                    content=_ascii_json(body) if body is not None else None,
                    headers=headers,
                )
                assert_no_server_error(answer, f"{method} {path} {odd!r:.60}")


def test_odd_query_values_are_answered_without_a_server_error(service, ehr):
    session = physician(service, ehr)
    odd = ["%ED%A0%80", "%FF", "%00", "a" * 5000, "..", "http://127.0.0.1:1@evil/fhir"]
    for value in odd:
        for path, headers in (
            (f"/app/api/discover?iss={value}", {}),
            (f"/app/api/record?encounter={value}&iss={value}", session),
            (f"/Composition/c/$document?_format={value}", SYSTEM),
            (f"/Encounter/e/$lbp-discharge?_dry-run={value}", SYSTEM),
            (f"/app/launch?iss={value}&launch={value}", {}),
        ):
            method = "POST" if "lbp-discharge" in path else "GET"
            answer = service.request(method, path, headers=headers)
            assert_no_server_error(answer, path)


@pytest.mark.parametrize("token", ["\U00010000t", "t\u00e9", "a b", "t\r\nX-Injected: 1", "\ud800"])
def test_a_hook_access_token_that_cannot_be_a_bearer_header_is_400(service, ehr, token):
    # Sent on to fhirServer as `Authorization: Bearer ...`: only RFC 6750's token characters.
    hook = valid_bodies(ehr)["/cds-services/lbp-discharge"]
    hook["fhirAuthorization"]["access_token"] = token
    answer = service.post(
        "/cds-services/lbp-discharge",
        content=_ascii_json(hook),
        headers={**SYSTEM, "Content-Type": "application/json"},
    )
    assert answer.status_code == 400, answer.text
    said = answer.json()["issue"][0]["diagnostics"]
    assert "access_token" in said or "lone surrogate" in said  # \ud800: not even JSON text


@pytest.mark.parametrize(
    ("resource_type", "path", "value"),
    [
        ("Organization", ("address", 0, "postalCode"), None),
        ("Patient", ("name", 0, "family"), None),
        ("Patient", ("gender",), None),
        ("Encounter", ("hospitalization",), None),
        ("Condition", ("category", 0, "coding", 0), {}),
        ("Patient", ("name", 0), {}),
        ("Encounter", ("hospitalization",), {}),
    ],
)
def test_a_null_or_empty_value_in_a_record_is_400_and_never_carried(
    service, resource_type, path, value
):
    # FHIR JSON has no null member and no empty object: the structure check took them as valid
    # (the compiled subset an empty object, the R4B models both), and the record carried with
    # the letter kept them, an invalid transaction (found by the mutation test above).
    record = happy_bundle()
    target = resource(record, resource_type)
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    answer = service.post(
        "/Encounter/$lbp-discharge",
        params={"_dry-run": "true"},
        content=_ascii_json(record),
        headers={**SYSTEM, "Content-Type": "application/fhir+json"},
    )
    assert answer.status_code == 400, answer.text
    assert "null or empty is not a value" in answer.json()["issue"][0]["diagnostics"]
