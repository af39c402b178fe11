"""The web layer in process (no server): the OpenAPI document (security schemes, CDS Hooks
models), /metrics, /docs without a CDN, and the settings refused at start."""

from __future__ import annotations

import base64
import hashlib
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from fhir_discharge.config import Settings
from tests.support.in_process import in_process_app

TOKEN = "web-api-" + uuid.uuid4().hex
AUTH = {"Authorization": f"Bearer {TOKEN}"}
PROTECTED = {
    ("post", "/Encounter/$lbp-discharge"),
    ("post", "/Encounter/{encounter_id}/$lbp-discharge"),
    ("get", "/discharges/{item_id}"),
    ("post", "/discharges/{item_id}/$redeliver"),
    ("get", "/Composition/{composition_id}/$document"),
}
# The physician's app: its session handle, not a caller token (web/security.py, the roles).
APP_SESSION = {
    ("get", "/app/api/record"),
    ("post", "/app/api/preview"),
    ("post", "/app/api/screening"),
    ("post", "/app/api/discharge"),
    ("get", "/app/api/discharges/{item_id}"),
}
OPEN = {
    ("get", "/health"),
    ("get", "/metadata"),
    ("get", "/OperationDefinition/lbp-discharge"),
    ("get", "/cds-services"),
    ("get", "/metrics"),
}
CDS_CALL = ("post", "/cds-services/lbp-discharge")


def no_fhir_server(request: httpx.Request) -> httpx.Response:
    return httpx.Response(404, json={"resourceType": "OperationOutcome", "issue": []})


def app_client(tmp_path: Path, **overrides: Any) -> TestClient:
    values = {
        "outbox_path": str(tmp_path / f"outbox-{uuid.uuid4().hex[:6]}.sqlite3"),
        "api_tokens": [TOKEN],
        **overrides,
    }
    return in_process_app(Settings(**values), no_fhir_server)


@pytest.fixture
def service(tmp_path: Path) -> Iterator[TestClient]:
    with app_client(tmp_path) as client:
        yield client


@pytest.fixture
def openapi(service: TestClient) -> dict[str, Any]:
    response = service.get("/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def operations(openapi: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method, path): operation
        for path, item in openapi["paths"].items()
        for method, operation in item.items()
    }


# --- caller authentication in the OpenAPI -------------------------------------------------


def test_the_openapi_names_the_bearer_schemes(openapi):
    schemes = openapi["components"]["securitySchemes"]
    assert schemes["callerToken"]["type"] == "http"
    assert schemes["callerToken"]["scheme"] == "bearer"
    assert schemes["cdsClientJwt"]["scheme"] == "bearer"
    assert "FHIR_DISCHARGE_API_TOKENS" in schemes["callerToken"]["description"]
    assert schemes["appSession"]["scheme"] == "bearer"


def test_every_patient_data_operation_requires_the_caller_token(openapi):
    ops = operations(openapi)
    assert PROTECTED | APP_SESSION | OPEN | {CDS_CALL} <= ops.keys()
    for key in PROTECTED:
        assert ops[key].get("security") == [{"callerToken": []}], key
    for key in APP_SESSION:
        assert ops[key].get("security") == [{"appSession": []}], key
    for key in OPEN:
        assert "security" not in ops[key], key
    # The EHR's JWT when CDS clients are configured, else the caller token: either.
    assert ops[CDS_CALL]["security"] == [{"cdsClientJwt": []}, {"callerToken": []}]


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer    ", f"Basic {TOKEN}", f"Token {TOKEN}", "Bearer wrong"],
    # Ids without the random token: the same in every pytest-xdist worker, and no secret shown.
    ids=["absent", "empty", "bearer-alone", "bearer-blank", "basic", "token", "wrong-token"],
)
def test_a_refused_caller_gets_401_as_an_operation_outcome(service, authorization):
    headers = {"Content-Type": "application/fhir+json"}
    if authorization is not None:
        headers["Authorization"] = authorization
    for method, path in [("GET", "/discharges/x"), ("POST", "/cds-services/lbp-discharge")]:
        response = service.request(method, path, headers=headers, content=b"{}")
        assert response.status_code == 401, (path, response.text)
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert response.headers["content-type"].startswith("application/fhir+json")
        body = response.json()
        assert body["resourceType"] == "OperationOutcome", body  # never FastAPI's {"detail"}
        assert body["issue"][0]["code"] == "login"


def test_the_bearer_scheme_is_case_insensitive_and_the_token_passes(service):
    for scheme in ("Bearer", "bearer", "BEARER"):
        response = service.get("/discharges/x", headers={"Authorization": f"{scheme} {TOKEN}"})
        assert response.status_code == 404, response.text  # past authentication: no such item


def test_without_any_authentication_configured_every_caller_is_refused(tmp_path):
    with app_client(tmp_path, api_tokens=[]) as client:
        response = client.get("/discharges/x", headers=AUTH)
        assert response.status_code == 401
        assert "no authentication configured" in response.json()["issue"][0]["diagnostics"]


# --- CDS Hooks models in the OpenAPI ------------------------------------------------------


def schema(openapi: dict[str, Any], reference: dict[str, Any]) -> dict[str, Any]:
    prefix = "#/components/schemas/"
    assert reference["$ref"].startswith(prefix), reference
    found: dict[str, Any] = openapi["components"]["schemas"][reference["$ref"][len(prefix) :]]
    return found


def test_the_openapi_documents_the_cds_hooks_request_and_cards(openapi):
    hook = operations(openapi)[CDS_CALL]
    for media in ("application/json", "application/fhir+json"):
        request = schema(openapi, hook["requestBody"]["content"][media]["schema"])
        assert request["title"] == "CdsRequest"
    assert set(request["required"]) == {"hook", "hookInstance", "context"}
    fields = request["properties"]
    assert fields["hook"]["const"] == "encounter-discharge"
    assert fields["hookInstance"]["format"] == "uuid"
    for name in ("fhirServer", "fhirAuthorization", "prefetch"):
        assert name in fields
    context = schema(openapi, fields["context"])
    assert set(context["required"]) == {"userId", "patientId", "encounterId"}
    assert context["properties"]["patientId"]["pattern"]  # a FHIR id, as in the paths
    authorization = schema(openapi, fields["fhirAuthorization"]["anyOf"][0])
    assert "access_token" in authorization["required"]

    answer = schema(openapi, hook["responses"]["200"]["content"]["application/json"]["schema"])
    card = schema(openapi, answer["properties"]["cards"]["items"])
    assert set(card["required"]) == {"summary", "indicator", "source"}
    assert card["properties"]["summary"]["maxLength"] == 139
    assert card["properties"]["indicator"]["enum"] == ["info", "warning", "critical"]
    for name in ("links", "suggestions", "selectionBehavior", "detail", "uuid"):
        assert name in card["properties"]
    for status in ("400", "401", "412"):
        assert status in hook["responses"]


def test_the_openapi_documents_the_discovery_answer(openapi, service):
    answer = operations(openapi)[("get", "/cds-services")]["responses"]["200"]
    discovery = schema(openapi, answer["content"]["application/json"]["schema"])
    service_schema = schema(openapi, discovery["properties"]["services"]["items"])
    assert {"hook", "id", "description"} <= set(service_schema["required"])
    response = service.get("/cds-services")
    assert response.status_code == 200
    assert "null" not in response.text  # CDS Hooks: no element is null
    (listed,) = response.json()["services"]
    assert listed["hook"] == "encounter-discharge"
    assert listed["prefetch"]["patient"] == "Patient/{{context.patientId}}"


def test_a_malformed_hook_request_is_still_400_naming_the_field(service):
    call = {
        "hook": "encounter-discharge",
        "hookInstance": "call-42",
        "context": {"userId": "Practitioner/1", "patientId": "p1", "encounterId": "e1"},
    }
    response = service.post("/cds-services/lbp-discharge", json=call, headers=AUTH)
    assert response.status_code == 400
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert "hookInstance" in outcome["issue"][0]["diagnostics"]
    text = service.post(
        "/cds-services/lbp-discharge",
        content=b"hook=encounter-discharge",
        headers={**AUTH, "Content-Type": "text/plain"},
    )
    assert text.status_code == 415  # the body is still read by the service, not by FastAPI


# --- /metrics -----------------------------------------------------------------------------


def samples(text: str, name: str) -> dict[str, float]:
    """{'{labels}': value} of one metric's samples in the Prometheus text format."""
    found = {}
    for line in text.splitlines():
        match = re.fullmatch(rf"{re.escape(name)}(\{{.*\}})? (\S+)", line)
        if match:
            found[match.group(1) or ""] = float(match.group(2))
    return found


def test_metrics_count_requests_by_route_template_never_by_raw_path(service):
    item_id = "abc-" + uuid.uuid4().hex
    for _ in range(3):
        assert service.get(f"/discharges/{item_id}", headers=AUTH).status_code == 404
    assert service.get(f"/no/such/{item_id}").status_code == 404
    assert service.get("/health").status_code == 200
    response = service.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    text = response.text
    assert item_id not in text  # neither as a label nor anywhere else
    counts = samples(text, "fhir_discharge_http_request_duration_seconds_count")
    assert counts['{method="GET",route="/discharges/{item_id}",status="404"}'] == 3
    assert counts['{method="GET",route="unmatched",status="404"}'] == 1
    assert counts['{method="GET",route="/health",status="200"}'] == 1
    buckets = samples(text, "fhir_discharge_http_request_duration_seconds_bucket")
    assert buckets['{le="+Inf",method="GET",route="/health",status="200"}'] == 1


def test_metrics_read_the_outbox_and_the_deliverer_at_scrape_time(service):
    text = service.get("/metrics").text
    items = samples(text, "fhir_discharge_outbox_items")
    assert items['{state="queued"}'] == 0
    assert items['{state="dead"}'] == 0
    # The names the hand-written /metrics had: dashboards keep working.
    for name in ("delivered", "dead_lettered", "fhir_requests"):
        assert samples(text, f"fhir_discharge_{name}_total") == {"": 0}, name
    # and the alerts of discharges given up (io/delivery.py), for the hospital to watch
    for name in ("refused", "dead_letter_alerts_written", "dead_letter_alert_failures"):
        assert samples(text, f"fhir_discharge_{name}_total") == {"": 0}, name
    assert "# TYPE fhir_discharge_outbox_items gauge" in text
    assert "# TYPE fhir_discharge_delivered_total counter" in text


def test_each_app_has_its_own_registry(tmp_path):
    with app_client(tmp_path) as first, app_client(tmp_path) as second:
        first.get("/health")
        first.get("/health")
        second.get("/health")
        route = '{method="GET",route="/health",status="200"}'
        count = "fhir_discharge_http_request_duration_seconds_count"
        assert samples(first.get("/metrics").text, count)[route] == 2
        assert samples(second.get("/metrics").text, count)[route] == 1


def test_metrics_speak_openmetrics_when_asked(service):
    response = service.get("/metrics", headers={"Accept": "application/openmetrics-text"})
    assert response.headers["content-type"].startswith("application/openmetrics-text")
    assert response.text.rstrip().endswith("# EOF")


# --- /docs without a CDN ------------------------------------------------------------------


def test_the_docs_page_loads_only_files_of_this_service(service):
    page = service.get("/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "SwaggerUIBundle" in html
    assert "//" not in re.sub(r"<!--.*?-->", "", html, flags=re.DOTALL)  # no URL with a host
    urls = re.findall(r'(?:src|href)="([^"]*)"', html) + re.findall(r"url: '([^']*)'", html)
    assert urls and all(u.startswith("/") and not u.startswith("//") for u in urls), urls
    types = {
        ".js": "text/javascript",
        ".css": "text/css",
        ".png": "image/png",
        ".json": "application/json",
    }
    for url in urls:
        asset = service.get(url)
        assert asset.status_code == 200, url
        assert asset.headers["content-type"].startswith(types[Path(url).suffix]), url
        assert asset.headers["x-content-type-options"] == "nosniff"
    assert service.get("/docs/assets/swagger-ui-bundle.js").content.startswith(b"/*!")


def test_the_docs_page_works_under_its_content_security_policy(service):
    page = service.get("/docs")
    policy = dict(
        directive.strip().split(" ", 1)
        for directive in page.headers["content-security-policy"].split(";")
    )
    assert policy["default-src"] == "'none'"
    assert policy["connect-src"] == "'self'"  # the OpenAPI document, from here
    # The one inline script (FastAPI's SwaggerUIBundle call) is allowed by its hash, no other.
    (inline,) = re.findall(r"<script>(.*?)</script>", page.text, flags=re.DOTALL)
    digest = base64.b64encode(hashlib.sha256(inline.encode()).digest()).decode()
    assert policy["script-src"] == f"'self' 'sha256-{digest}'"
    assert "unsafe" not in page.headers["content-security-policy"]


def test_only_the_swagger_ui_files_are_served(service):
    for name in ("index.html", "..%2F__init__.py", "swagger-ui.js", "oauth2-redirect.html"):
        response = service.get(f"/docs/assets/{name}")
        assert response.status_code == 404, name
        assert response.json()["resourceType"] == "OperationOutcome"
    assert service.get("/redoc").status_code == 404  # ReDoc would load from a CDN


# --- settings refused at start ------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"fhir_auth": "bearer"}, ["FHIR_DISCHARGE_FHIR_BEARER_TOKEN"]),
        (
            {"fhir_auth": "smart"},
            ["FHIR_DISCHARGE_SMART_CLIENT_ID", "FHIR_DISCHARGE_SMART_PRIVATE_KEY_FILE"],
        ),
        ({"fhir_auth": "smart", "smart_client_id": "c"}, ["FHIR_DISCHARGE_SMART_PRIVATE_KEY_FILE"]),
        (
            {"smart_client_id": "c", "smart_token_url": "https://ehr.example/token"},
            ["FHIR_DISCHARGE_FHIR_AUTH=smart", "FHIR_DISCHARGE_SMART_PRIVATE_KEY_FILE"],
        ),
        (
            {"api_jwks_url": "https://idp.example/jwks", "api_jwks_file": "jwks.json"},
            ["FHIR_DISCHARGE_API_JWKS_URL", "FHIR_DISCHARGE_API_JWKS_FILE", "not both"],
        ),
        ({"api_jwks_url": "https://idp.example/jwks"}, ["FHIR_DISCHARGE_API_JWT_AUDIENCE"]),
        (
            {"api_required_scope": "discharge/write", "api_jwt_issuer": "https://idp.example"},
            ["FHIR_DISCHARGE_API_REQUIRED_SCOPE", "FHIR_DISCHARGE_API_JWKS_URL"],
        ),
    ],
)
def test_incomplete_settings_fail_at_start_naming_what_to_set(settings, named):
    secret = "s3cr3t-" + uuid.uuid4().hex
    with pytest.raises(ValidationError) as refused:
        Settings(api_tokens=[secret], fhir_bearer_token=None, **settings)
    message = str(refused.value)
    for name in named:
        assert name in message, message
    assert secret not in message  # a settings error never prints the values


def test_incomplete_settings_from_the_environment_fail_too(monkeypatch):
    monkeypatch.setenv("FHIR_DISCHARGE_SMART_CLIENT_ID", "discharge")
    with pytest.raises(ValidationError, match="FHIR_DISCHARGE_FHIR_AUTH=smart"):
        Settings()


def test_complete_settings_start(tmp_path):
    key = tmp_path / "key.pem"
    Settings(fhir_auth="smart", smart_client_id="c", smart_private_key_file=str(key))
    Settings(fhir_auth="bearer", fhir_bearer_token="t")
    Settings(
        api_jwks_url="https://idp.example/jwks",
        api_jwt_audience="fhir-discharge",
        api_jwt_issuer="https://idp.example",
        api_required_scope="discharge/write",
    )
    Settings(fhir_auth="none", fhir_bearer_token="t")  # sent as before FHIR_AUTH existed


def test_a_record_with_a_modifier_extension_is_422_naming_it_and_nothing_is_accepted(service):
    from tests.support.factories import happy_bundle, resource

    bundle = happy_bundle()
    resource(bundle, "Condition")["modifierExtension"] = [
        {"url": "http://example.org/of-a-relative", "valueBoolean": True}
    ]
    response = service.post(
        "/Encounter/$lbp-discharge",
        json=bundle,
        headers={**AUTH, "Content-Type": "application/fhir+json"},
    )
    assert response.status_code == 422, response.text
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    text = " ".join(i.get("diagnostics", "") for i in outcome["issue"])
    assert "modifier extension" in text and "http://example.org/of-a-relative" in text
    assert {"Condition/lbp-example-diagnosis"} <= {
        x for i in outcome["issue"] for x in i.get("expression", [])
    }
    codes = {c["code"] for i in outcome["issue"] for c in i.get("details", {}).get("coding", [])}
    assert "modifier-extension" in codes
    items = samples(service.get("/metrics").text, "fhir_discharge_outbox_items")
    assert sum(items.values()) == 0  # nothing accepted into the outbox, in any state
