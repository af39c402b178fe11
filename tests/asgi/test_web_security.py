"""The web layer's security findings (issue 10), each closed with a test that failed before.

In-process (Starlette's TestClient runs the app with its lifespan) against a FHIR server made
of an httpx.MockTransport. Where a real socket is the point (the SSRF checks, a JWKS named by
`jku`, the app's SMART discovery): tests/integration/test_trusted_servers.py.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from fhir_discharge import build_discharge
from fhir_discharge.config import Settings
from fhir_discharge.core.record.references import is_fhir_id, parse_reference, ref_of
from fhir_discharge.errors import InvalidInput
from fhir_discharge.io.outbox import WrittenLetter
from fhir_discharge.io.outbox.sqlite import SqliteOutbox
from fhir_discharge.web.cds_hooks.models import parse_request
from fhir_discharge.web.physician_app.models import Launched
from fhir_discharge.web.urls import trusted_server
from tests.support.contexts import held_by_server
from tests.support.factories import happy_bundle, resource
from tests.support.site import SITE
from tests.support.web_security import (
    AUTH,
    CDS,
    EHR,
    EHR_B,
    FHIR_BASE,
    PUBLIC,
    FakeFhir,
    app_client,
    hook,
    jwks,
    settings,
    signed,
    signing_keys,
)

FHIR_JSON = {"Content-Type": "application/fhir+json"}
EVIL = "evil.example"


# --- an in-memory FHIR server, and the app in-process (tests/support/web_security.py) ---


@pytest.fixture
def fhir() -> FakeFhir:
    return FakeFhir()


@pytest.fixture
def service(tmp_path: Path, fhir: FakeFhir) -> Iterator[TestClient]:
    with app_client(settings(tmp_path), fhir) as client:
        yield client


# --- 1. SSRF: fhirServer and iss compared parsed, never as string prefixes ------------------


@pytest.mark.parametrize(
    ("url", "trusted", "expected"),
    [
        ("http://127.0.0.1:8090/fhir", ["http://127.0.0.1:"], True),
        ("http://127.0.0.1/fhir", ["http://127.0.0.1:"], True),
        ("http://127.0.0.1:1@localhost:18099/fhir", ["http://127.0.0.1:"], False),
        ("http://user@127.0.0.1:8090/fhir", ["http://127.0.0.1:"], False),
        ("http://127.0.0.1.evil.example/fhir", ["http://127.0.0.1:"], False),
        ("https://127.0.0.1/fhir", ["http://127.0.0.1:"], False),
        ("https://ehr.example/fhir", ["https://ehr.example/fhir"], True),
        ("https://EHR.example:443/fhir/", ["https://ehr.example/fhir"], True),
        ("https://ehr.example/fhir/tenant-1", ["https://ehr.example/fhir"], True),
        ("https://ehr.example/fhirx", ["https://ehr.example/fhir"], False),
        ("https://ehr.example/fhir/../admin", ["https://ehr.example/fhir"], False),
        ("https://ehr.example/fhir/%2e%2e/admin", ["https://ehr.example/fhir"], False),
        ("https://ehr.example:8443/fhir", ["https://ehr.example/fhir"], False),
        ("https://ehr.example.evil/fhir", ["https://ehr.example"], False),
        ("https://ehr.example@evil.example/fhir", ["https://ehr.example"], False),
        ("https://ehr.example/fhir?x=1", ["https://ehr.example/fhir"], False),
        ("https://ehr.example\\@evil.example/fhir", ["https://ehr.example"], False),
        ("file:///etc/passwd", ["http://127.0.0.1:"], False),
    ],
)
def test_trusted_servers_are_compared_by_scheme_host_port_and_path(url, trusted, expected):
    assert trusted_server(url, trusted) is expected


# --- 2. $document serves only the letters this service wrote --------------------------------


def landed_letter() -> list[dict[str, Any]]:
    """The discharge of the example record as a server would hold it once posted: the record,
    and the new resources under ids of their own with `Type/id` references between them."""
    record = happy_bundle()
    transaction = build_discharge(held_by_server(record), SITE).bundle
    ids = {
        e["fullUrl"]: f"{e['resource']['resourceType']}/letter-{n}"
        for n, e in enumerate(transaction["entry"])
        if str(e["fullUrl"]).startswith("urn:uuid:")
    }

    def relink(node: Any) -> Any:
        if isinstance(node, list):
            return [relink(v) for v in node]
        if not isinstance(node, dict):
            return node
        out = {k: relink(v) for k, v in node.items()}
        if isinstance(out.get("reference"), str) and out["reference"] in ids:
            out["reference"] = ids[out["reference"]]
        return out

    landed = [
        {**relink(e["resource"]), "id": ids[e["fullUrl"]].split("/")[1]}
        for e in transaction["entry"]
        if e["fullUrl"] in ids
    ]
    return [e["resource"] for e in record["entry"]] + landed


def written_by_this_service(config: Settings, composition: dict[str, Any]) -> None:
    """Record `composition` in the service's outbox as a letter it wrote, as the deliverer does
    when its transaction creates one (tests/integration/test_document_authorship.py proves that
    part)."""
    outbox = SqliteOutbox(config.outbox_path)
    try:
        outbox.accept("d1", "Encounter/e1", {}, (), time.time())
        letter = WrittenLetter(config.fhir_base_url, composition["id"], None)
        outbox.mark_delivered("d1", [], time.time(), [letter])
    finally:
        outbox.close()


def test_document_serves_only_letters_this_service_wrote(tmp_path):
    resources = landed_letter()
    ours = next(r for r in resources if r["resourceType"] == "Composition")
    foreign = {**copy.deepcopy(ours), "id": "foreign"}
    del foreign["meta"]  # another system's letter about the same patient
    other_identifier = {**copy.deepcopy(ours), "id": "other-identifier"}
    other_identifier["identifier"] = {"system": "https://other.example/id", "value": "x-1"}
    # Written straight to the FHIR server with our profile and a urn:uuid identifier: claims
    # are not proof (issue 18).
    forged = {**copy.deepcopy(ours), "id": "forged"}
    fhir = FakeFhir([*resources, foreign, other_identifier, forged])
    config = settings(tmp_path)
    written_by_this_service(config, ours)
    with app_client(config, fhir) as service:
        mine = service.get(f"/Composition/{ours['id']}/$document", headers=AUTH)
        assert mine.status_code == 200, mine.text
        assert mine.json()["entry"][0]["resource"]["id"] == ours["id"]

        unknown = service.get("/Composition/nope/$document", headers=AUTH)
        assert unknown.status_code == 404
        for other in ("foreign", "other-identifier", "forged"):
            fhir.requests.clear()
            response = service.get(f"/Composition/{other}/$document", headers=AUTH)
            assert response.status_code == 404, response.text
            # Told apart from an unknown id by nothing but the id itself.
            assert response.text.replace(other, "nope") == unknown.text
            # Not read at all on the service's credentials, nor anything it references.
            assert fhir.requests == []


# --- 3. ids of dots only are no FHIR ids ----------------------------------------------------


@pytest.mark.parametrize("value", [".", "..", "...", "", "a" * 65, "a/b", None, 7])
def test_ids_of_dots_only_are_not_fhir_ids(value):
    assert not is_fhir_id(value)
    if isinstance(value, str):
        assert parse_reference(f"Patient/{value}") is None
        assert parse_reference(f"https://ehr.example/fhir/Patient/{value}") is None
        with pytest.raises(InvalidInput):
            ref_of({"resourceType": "Patient", "id": value})


@pytest.mark.parametrize("value", ["a", "a.b", ".a", "a..", "-", "A-1.2", "a" * 64])
def test_fhir_ids_still_pass(value):
    assert is_fhir_id(value)
    assert parse_reference(f"Patient/{value}") is not None


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/Composition/%2E%2E/$document"),
        ("GET", "/Composition/%2E/$document"),
        ("POST", "/Encounter/%2E%2E/$lbp-discharge"),
        ("GET", "/discharges/%2E%2E"),
        ("POST", "/discharges/%2E/$redeliver"),
    ],
)
def test_a_dot_id_in_a_path_is_400_and_reaches_no_server(service, fhir, method, path):
    response = service.request(method, path, headers={**AUTH, **FHIR_JSON})
    assert response.status_code == 400, response.text
    assert fhir.requests == []


@pytest.mark.parametrize("dots", [".", ".."])
def test_a_dot_id_in_a_cds_context_or_an_app_request_is_refused(dots):
    body = hook()
    body["context"]["encounterId"] = dots
    with pytest.raises(InvalidInput):
        parse_request(body)
    with pytest.raises(ValueError):
        Launched(iss="http://127.0.0.1:8090/fhir", encounter=dots)


def test_a_bundle_with_patient_id_dot_is_refused_not_written_as_patient_dot(service, fhir):
    text = json.dumps(happy_bundle())
    patient_id = resource(happy_bundle(), "Patient")["id"]
    bundle = json.loads(text.replace(f'"{patient_id}"', '"."').replace(f"/{patient_id}", "/."))
    assert resource(bundle, "Patient")["id"] == "."
    response = service.post(
        "/Encounter/$lbp-discharge?_dry-run=true", json=bundle, headers={**AUTH, **FHIR_JSON}
    )
    assert response.status_code in (400, 422), response.text
    assert "Patient/." not in response.text
    assert fhir.requests == []


# --- 4. the Host header is never reflected ---------------------------------------------------


def prefetch_without_screening(record: dict[str, Any]) -> dict[str, Any]:
    def of(*types: str) -> dict[str, Any]:
        entries = [{"resource": e["resource"]} for e in record["entry"]]
        found = [e for e in entries if e["resource"]["resourceType"] in types]
        return {"resourceType": "Bundle", "type": "searchset", "entry": found}

    return {
        "patient": resource(record, "Patient"),
        "encounter": resource(record, "Encounter"),
        "conditions": of("Condition"),
        "screenings": None,
        "observations": of("Observation"),
        "observationsOfVisit": of("Observation"),
        "imagingStudies": None,
        "diagnosticReports": None,
        "procedures": None,
        "medicationRequests": None,
        "medicationStatements": None,
        "encounterParticipants": of("Encounter", "Practitioner", "Organization"),
        "generalPractitioner": of("Patient", "Practitioner"),
    }


def everything_answered(service: TestClient, host: str) -> list[httpx.Response]:
    forged = {"Host": host}
    record = happy_bundle()
    card = service.post(
        CDS,
        json=hook(record, prefetch=prefetch_without_screening(record)),
        headers={**AUTH, **forged},
    )
    assert card.status_code == 200 and card.json()["cards"][0].get("links"), card.text
    discharged = service.post(
        "/Encounter/$lbp-discharge",
        json=happy_bundle(),
        headers={**AUTH, **FHIR_JSON, **forged, "Prefer": "respond-async"},
    )
    assert "content-location" in discharged.headers, discharged.text
    return [
        card,
        discharged,
        service.get("/metadata", headers=forged),
        service.get("/app", headers=forged, follow_redirects=False),
        service.get("/app/launch", params={"iss": FHIR_BASE}, headers=forged),
        service.get("/app/", headers=forged),
        service.get("/health/", headers=forged, follow_redirects=False),
        service.get("/cds-services/", headers=forged, follow_redirects=False),
    ]


def test_a_forged_host_header_is_never_reflected(service):
    for response in everything_answered(service, EVIL):
        headers = " ".join(f"{k}: {v}" for k, v in response.headers.items())
        assert EVIL not in headers, (response.request.url, headers)
        assert EVIL not in response.text, (response.request.url, response.text[:300])


def test_a_forged_host_hiding_behind_loopback_is_not_reflected(service):
    for response in everything_answered(service, f"{EVIL}@127.0.0.1"):
        assert EVIL not in " ".join(response.headers.values()) + response.text


def test_the_configured_public_base_url_names_the_service(tmp_path, fhir):
    public = "https://discharge.uzleuven.example/api"
    with app_client(settings(tmp_path, public_base_url=public), fhir) as service:
        responses = everything_answered(service, EVIL)
    card, discharged, metadata, root = responses[:4]
    assert discharged.headers["content-location"].startswith(f"{public}/discharges/")
    assert metadata.json()["implementation"]["url"] == public
    assert root.headers["location"] == f"{public}/app/"
    assert card.json()["cards"][0]["links"][0]["url"] == f"{public}/app/launch"


def test_a_loopback_host_is_used_when_nothing_is_configured(service):
    metadata = service.get("/metadata", headers={"Host": "127.0.0.1:8000"})
    assert metadata.json()["implementation"]["url"] == "http://127.0.0.1:8000"


# --- 5. JWT lifetime, CSP as a header, nosniff ----------------------------------------------


@pytest.fixture(scope="module")
def keys() -> dict[str, Any]:
    return signing_keys()


def test_a_jwt_may_not_live_longer_than_the_maximum(tmp_path, fhir, keys):
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(jwks((keys["rsa"], "rsa-1"))))
    config = settings(tmp_path, api_tokens=[], api_jwks_file=str(path), api_jwt_audience="svc")
    now = int(time.time())

    def status(token: str) -> int:
        with_token = {"Authorization": f"Bearer {token}"}
        return service.get("/discharges/none", headers=with_token).status_code

    with app_client(config, fhir) as service:
        assert status(signed(keys["rsa"], "rsa-1", aud="svc")) == 404  # through, then unknown
        assert status(signed(keys["rsa"], "rsa-1", aud="svc", iat=now, exp=now + 3600)) == 404
        ten_years = now + 10 * 365 * 24 * 3600
        assert status(signed(keys["rsa"], "rsa-1", aud="svc", iat=now, exp=ten_years)) == 401
        assert status(signed(keys["rsa"], "rsa-1", aud="svc", iat=now, exp=now + 3601)) == 401
        assert status(signed(keys["rsa"], "rsa-1", aud="svc", iat=None)) == 401
        assert status(signed(keys["rsa"], "rsa-1", aud="svc", exp=None)) == 401


def test_every_answer_says_nosniff_and_html_carries_its_csp_as_a_header(tmp_path):
    resources = landed_letter()
    letter = next(r for r in resources if r["resourceType"] == "Composition")
    config = settings(tmp_path)
    written_by_this_service(config, letter)
    with app_client(config, FakeFhir(resources)) as service:
        answers = [
            service.get("/health"),
            service.get("/metadata"),
            service.get("/no-such-path"),
            service.get("/discharges/x"),  # 401
            service.get("/app/launch"),
            service.get(f"/Composition/{letter['id']}/$document", headers=AUTH),
        ]
        html = service.get(f"/Composition/{letter['id']}/$document?_format=html", headers=AUTH)
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    for response in [*answers, html]:
        assert response.headers.get("x-content-type-options") == "nosniff", response.request.url
    for page in (html, answers[4]):
        policy = page.headers["content-security-policy"]
        assert "default-src 'none'" in policy and "script-src" not in policy.replace(
            "script-src 'self'", ""
        )


# --- 6. CDS Hooks 2.0: each EHR by its iss, its own keys, aud, jti ---------------------------


def test_without_cds_clients_the_cds_call_takes_the_api_tokens_as_before(service):
    assert service.post(CDS, json=hook(), headers=AUTH).status_code == 412
    assert service.post(CDS, json=hook()).status_code == 401


# --- 7. Framing: who may frame each page (issue 18) ------------------------------------------


def _frame_ancestors(response: httpx.Response) -> list[str]:
    policy = response.headers.get("content-security-policy", "")
    return [d.strip() for d in policy.split(";") if d.strip().startswith("frame-ancestors")]


def test_nothing_the_service_serves_may_be_framed_by_default(tmp_path):
    resources = landed_letter()
    letter = next(r for r in resources if r["resourceType"] == "Composition")
    with app_client(settings(tmp_path), FakeFhir(resources)) as service:
        answers = [
            service.get(path, headers=AUTH)
            for path in (
                "/app/",
                "/app/launch",
                "/app/callback",
                "/app/static/app.js",
                "/docs",
                "/health",
                "/metadata",
                "/no-such-path",
                f"/Composition/{letter['id']}/$document?_format=html",
            )
        ]
    for response in answers:
        assert _frame_ancestors(response) == ["frame-ancestors 'none'"], response.request.url
        assert response.headers["x-frame-options"] == "DENY", response.request.url


def test_the_app_may_be_framed_by_the_configured_ehr_origins_only(tmp_path):
    origins = ["https://ehr.uzleuven.example", "https://ehr-test.uzleuven.example:8443"]
    resources = landed_letter()
    letter = next(r for r in resources if r["resourceType"] == "Composition")
    config = settings(tmp_path, app_frame_ancestors=origins)
    with app_client(config, FakeFhir(resources)) as service:
        app_pages = [service.get(path) for path in ("/app/", "/app/launch", "/app/callback")]
        others = [
            service.get("/docs"),
            service.get(f"/Composition/{letter['id']}/$document?_format=html", headers=AUTH),
        ]
    for page in app_pages:
        assert _frame_ancestors(page) == [f"frame-ancestors {' '.join(origins)}"]
        # X-Frame-Options cannot name origins: SAMEORIGIN, which frame-ancestors overrides in
        # any browser that knows it (tests/browser/test_physician_app.py frames the app in
        # Chromium).
        assert page.headers["x-frame-options"] == "SAMEORIGIN"
        assert "script-src 'self'" in page.headers["content-security-policy"]  # its own kept
    for page in others:
        assert _frame_ancestors(page) == ["frame-ancestors 'none'"]
        assert page.headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize(
    "origin",
    [
        "https://ehr.example/app",
        "https://ehr.example; script-src *",
        "https://ehr.example https://evil.example",
        "'self'",
        "*",
        "javascript:alert(1)",
        "https://",
    ],
)
def test_a_frame_ancestor_must_be_an_origin(tmp_path, origin):
    with pytest.raises(ValueError, match="app_frame_ancestors"):
        settings(tmp_path, app_frame_ancestors=[origin])


# --- 8. CDS Hooks: each EHR its own FHIR servers (issue 18) ----------------------------------


def test_several_cds_clients_each_name_their_fhir_servers_one_inherits(tmp_path):
    keys = {"jku_allowed": ["https://ehr.example/jwks"]}
    with pytest.raises(ValueError, match="each names its own fhir_servers"):
        settings(tmp_path, cds_clients={EHR: keys, EHR_B: {**keys, "fhir_servers": []}})
    # One client, as before per-client lists existed: the configured servers are its own.
    one = settings(tmp_path, cds_clients={EHR: keys}, cds_fhir_servers=["https://ehr.example/fhir"])
    from fhir_discharge.web.security import CdsClientAuthenticator

    servers = CdsClientAuthenticator(one)._fhir_servers[EHR]
    assert servers == (FHIR_BASE, "https://ehr.example/fhir")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("userId", "nobody"),
        ("userId", "Patient/x"),
        ("userId", "Practitioner/"),
        ("userId", "Practitioner/a b"),
        ("userId", "RelatedPerson/x"),
        ("userId", "https://ehr.example/fhir/Practitioner/x"),
        ("userId", "Practitioner/x/_history/1"),
        ("token_type", "bearer"),
        ("token_type", "BEARER"),
        ("token_type", "MAC"),
    ],
)
def test_cds_hooks_user_and_token_type_are_as_the_specification_says(service, field, value):
    body = hook(
        fhirServer="http://127.0.0.1:1/fhir",
        fhirAuthorization={
            "access_token": "t",
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "patient/*.rs",
            "subject": "ehr",
        },
    )
    target = body["context"] if field == "userId" else body["fhirAuthorization"]
    target[field] = value
    refused = service.post(CDS, json=body, headers=AUTH)
    assert refused.status_code == 400, refused.text
    assert field in refused.json()["issue"][0]["diagnostics"]


@pytest.mark.parametrize("user", ["Practitioner/dr-1", "PractitionerRole/role.1"])
def test_a_practitioner_or_practitioner_role_is_a_cds_user(user):
    body = hook()
    body["context"]["userId"] = user
    assert parse_request(body).context.userId == user


# --- 9. /metadata declares its security (issue 23) -------------------------------------------


def test_metadata_declares_bearer_tokens_and_smart(tmp_path, fhir):
    with app_client(settings(tmp_path), fhir) as service:
        (rest,) = service.get("/metadata").json()["rest"]
    security = rest["security"]
    (coding,) = security["service"][0]["coding"]
    assert coding == {
        "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
        "code": "SMART-on-FHIR",
        "display": "SMART-on-FHIR",
    }
    assert "Bearer" in security["description"] and security["cors"] is False
    assert "extension" not in security  # no authorization server configured: none declared


def test_metadata_names_the_authorization_server_when_configured(tmp_path, fhir, keys):
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(jwks((keys["rsa"], "rsa-1"))))
    config = settings(
        tmp_path,
        api_jwks_file=str(path),
        api_jwt_audience=PUBLIC,
        api_oauth_authorize_url="https://auth.uzleuven.example/authorize",
        api_oauth_token_url="https://auth.uzleuven.example/token",
    )
    with app_client(config, fhir) as service:
        (rest,) = service.get("/metadata").json()["rest"]
    (oauth,) = rest["security"]["extension"]
    assert oauth == {
        "url": "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris",
        "extension": [
            {"url": "authorize", "valueUri": "https://auth.uzleuven.example/authorize"},
            {"url": "token", "valueUri": "https://auth.uzleuven.example/token"},
        ],
    }
    with pytest.raises(ValueError, match="declared together"):
        settings(
            tmp_path,
            api_jwks_file=str(path),
            api_jwt_audience=PUBLIC,
            api_oauth_token_url="https://auth.uzleuven.example/token",
        )
