"""Fault injection: what the client and the service do when the FHIR server misbehaves.

A mock transport stands in for the server here only, to produce what a real one does rarely:
timeouts, 5xx, dropped connections, odd transaction-responses.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json

import httpx
import pytest

from fhir_discharge import FhirServerError, FhirServerTimeout, build_discharge
from fhir_discharge.config import Settings
from fhir_discharge.io.fhir_client import FhirClient
from fhir_discharge.io.retry import RetryPolicy
from fhir_discharge.web.app import create_app
from tests.support.contexts import held_by_server
from tests.support.factories import happy_bundle
from tests.support.stub_http import StubHttpServer, json_reply

BASE = "http://fhir.test/fhir"
# Retries in these tests wait (almost) nothing: what is tested is whether and how often.
FAST = RetryPolicy(base_delay=0.001, max_delay=0.002)


def transaction() -> dict:
    return build_discharge(held_by_server(happy_bundle())).bundle


def post_with(handler) -> list:
    async def run():
        async with FhirClient(BASE, transport=httpx.MockTransport(handler), retry=FAST) as client:
            return await client.post_transaction(transaction())

    return asyncio.run(run())


def answer_entries(statuses, locations):
    return {
        "resourceType": "Bundle",
        "type": "transaction-response",
        "entry": [
            {"response": {"status": s, "location": loc, "etag": 'W/"1"'}}
            for s, loc in zip(statuses, locations, strict=True)
        ],
    }


TYPES = [
    *("Composition", "DocumentReference", "CarePlan", "Task", "Task", "Communication", "Task"),
    *("Bundle", "Provenance", "Device"),
]


def test_hapi_style_answers_are_understood_in_every_location_form():
    locations = [
        f"{BASE}/Composition/c1/_history/1",
        "DocumentReference/d1/_history/3",
        "CarePlan/p1",
        f"{BASE}/Task/t1",
        "Task/t2/_history/1",
        "Communication/m1",
        "Task/t3",
        "Bundle/b1/_history/1",
        f"{BASE}/Provenance/v1",
        "Device/s1",
    ]
    statuses = ["201 Created", "200 OK", "201", "200 OK", "201 Created", "201 Created", "201"]
    statuses += ["201 Created", "201", "200 OK"]
    landed = post_with(lambda r: httpx.Response(200, json=answer_entries(statuses, locations)))
    assert [x.reference for x in landed] == [
        "Composition/c1",
        "DocumentReference/d1",
        "CarePlan/p1",
        "Task/t1",
        "Task/t2",
        "Communication/m1",
        "Task/t3",
        "Bundle/b1",
        "Provenance/v1",
        "Device/s1",
    ]
    created = [True, False, True, False, True, True, True, True, True, False]
    assert [x.created for x in landed] == created


def test_a_conditional_updates_answer_is_understood():
    """A correction's transaction updates the previous letter's index by its identifier
    (`PUT DocumentReference?identifier=...`): the answer names a DocumentReference."""
    bundle = build_discharge(
        dataclasses.replace(held_by_server(happy_bundle()), letter_version=2)
    ).bundle
    types = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert any(e["request"]["method"] == "PUT" for e in bundle["entry"])
    answer = answer_entries(["200 OK"] * len(types), [f"{t}/x{i}" for i, t in enumerate(types)])

    async def run():
        transport = httpx.MockTransport(lambda r: httpx.Response(200, json=answer))
        async with FhirClient(BASE, transport=transport, retry=FAST) as client:
            return await client.post_transaction(bundle)

    landed = asyncio.run(run())
    assert [x.resource_type for x in landed] == types


def test_the_transaction_is_posted_as_fhir_json_to_the_base():
    seen = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen["url"], seen["type"] = str(request.url), request.headers["content-type"]
        seen["body"] = json.loads(request.content)
        return httpx.Response(
            200,
            json=answer_entries(["201"] * len(TYPES), [f"{t}/x{i}" for i, t in enumerate(TYPES)]),
        )

    post_with(handler)
    assert seen["url"] == f"{BASE}/"
    assert seen["type"] == "application/fhir+json"
    assert seen["body"]["type"] == "transaction"


def test_a_timeout_is_a_timeout_error():
    def handler(request):
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(FhirServerTimeout):
        post_with(handler)


def test_a_dropped_connection_is_a_server_error():
    def handler(request):
        raise httpx.RemoteProtocolError("peer closed connection", request=request)

    with pytest.raises(FhirServerError, match="could not reach"):
        post_with(handler)


def test_a_hapi_operation_outcome_reaches_the_caller():
    outcome = {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": "error",
                "code": "processing",
                "diagnostics": "HAPI-0550: HAPI-0549: Multiple resources match this search",
            }
        ],
    }
    with pytest.raises(FhirServerError) as failure:
        post_with(lambda r: httpx.Response(412, json=outcome))
    assert failure.value.server_status == 412
    assert "FHIR server: HAPI-0550: HAPI-0549: Multiple resources match this search" in [
        f.message for f in failure.value.findings
    ]


@pytest.mark.parametrize(
    "body",
    [
        {"resourceType": "Bundle", "type": "transaction-response", "entry": []},
        {"resourceType": "Bundle", "type": "batch-response", "entry": []},
        answer_entries(["201"] * 6, ["Patient/x"] * 6),
        answer_entries(["400 Bad Request"] * len(TYPES), [f"{t}/x" for t in TYPES]),
    ],
    ids=["no-entries", "batch", "wrong-type", "entry-failed"],
)
def test_a_transaction_response_that_does_not_match_is_an_error(body):
    with pytest.raises(FhirServerError):
        post_with(lambda r: httpx.Response(200, json=body))


def test_a_non_json_answer_is_an_error():
    with pytest.raises(FhirServerError, match="not JSON"):
        post_with(lambda r: httpx.Response(200, text="<html>proxy</html>"))


def call_service(fault, body, tmp_path):
    """The service in process (ASGI), its FHIR server replaced by `fault`."""

    async def run():
        client = FhirClient(BASE, transport=httpx.MockTransport(fault), retry=FAST)
        settings = Settings(
            outbox_path=str(tmp_path / "outbox.sqlite3"),
            sync_wait_seconds=0.5,
            api_tokens=["in-process-token"],
            public_base_url="http://service",  # status URLs name it, never the request's Host
        )
        app = create_app(settings, fhir_client=client)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://service"
        ) as http:
            async with app.router.lifespan_context(app):
                return await http.post(
                    "/Encounter/$lbp-discharge",
                    json=body,
                    headers={
                        "Content-Type": "application/fhir+json",
                        "Authorization": "Bearer in-process-token",
                    },
                )

    return asyncio.run(run())


def test_a_transaction_the_server_refuses_is_502_with_its_outcome(tmp_path):
    outcome = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "invalid", "diagnostics": "HAPI-1094: bad"}],
    }
    response = call_service(lambda r: httpx.Response(400, json=outcome), happy_bundle(), tmp_path)
    assert response.status_code == 502
    diagnostics = [i["diagnostics"] for i in response.json()["issue"]]
    assert "FHIR server: HAPI-1094: bad" in diagnostics
    assert response.headers["content-location"].startswith("http://service/discharges/")


def test_a_transaction_the_server_cannot_take_now_is_accepted_and_queued(tmp_path):
    def timeout(request):
        raise httpx.ConnectTimeout("t", request=request)

    response = call_service(timeout, happy_bundle(), tmp_path)
    assert response.status_code == 202
    answer = {p["name"]: p for p in response.json()["parameter"]}
    assert answer["state"]["valueCode"] in ("queued", "delivering")
    assert answer["lastFailure"]["resource"]["issue"][0]["code"] == "timeout"


@pytest.mark.parametrize(
    ("fault", "status"),
    [
        (lambda r: (_ for _ in ()).throw(httpx.ConnectTimeout("t", request=r)), 504),
        (lambda r: httpx.Response(503, text="down"), 502),
        (lambda r: (_ for _ in ()).throw(httpx.ConnectError("refused", request=r)), 502),
    ],
    ids=["timeout", "503", "refused"],
)
def test_reading_the_context_from_a_failing_server_is_502_or_504(fault, status, tmp_path):
    encounter = next(
        e["resource"]
        for e in happy_bundle()["entry"]
        if e["resource"]["resourceType"] == "Encounter"
    )
    response = call_service(fault, encounter, tmp_path)
    assert response.status_code == status
    assert response.json()["resourceType"] == "OperationOutcome"


def test_the_transaction_goes_out_as_the_same_json_httpx_would_send() -> None:
    """orjson on the wire (speed) writes what httpx's `json=` writes, byte for byte, for a built
    Bundle; an integer beyond 64 bits, which orjson refuses, still goes out (standard library)."""
    from fhir_discharge.io.fhir_client import json_bytes

    bundle = build_discharge(held_by_server(happy_bundle())).bundle
    as_httpx_sends = httpx.Request("POST", "http://x", json=bundle).content
    assert json_bytes(bundle) == as_httpx_sends
    huge = {"resourceType": "Basic", "extension": [{"url": "u", "valueInteger64": 2**70}]}
    assert json.loads(json_bytes(huge)) == huge


def test_a_request_to_the_fhir_server_imports_nothing() -> None:
    """httpcore looks for sniffio on every request (an import); when it is missing, each request
    repeats the failed import, a stat of every sys.path entry: ~2 ms CPU a discharge. With
    sniffio installed (a dependency), requests after the first import nothing."""
    import sys

    capabilities = json_reply(200, {"resourceType": "CapabilityStatement"})

    class ImportRecorder:
        def __init__(self) -> None:
            self.looked_up: list[str] = []

        def find_spec(self, name: str, path: object = None, target: object = None) -> None:
            self.looked_up.append(name)
            return None  # let the real finders answer

    recorder = ImportRecorder()

    async def requests(base_url: str) -> None:
        async with FhirClient(base_url) as client:
            await client._request("GET", "metadata")  # first: imports whatever it imports
            sys.meta_path.insert(0, recorder)
            try:
                for _ in range(5):
                    assert (await client._request("GET", "metadata")).status_code == 200
            finally:
                sys.meta_path.remove(recorder)

    with StubHttpServer(lambda request: capabilities) as server:
        asyncio.run(requests(f"{server.origin}/fhir"))
    assert recorder.looked_up == []


# --- a search's next page: followed on the server's own base URL only (issue 18) --------------


def _searchset(*resources: dict, next_url: str | None = None) -> dict:
    bundle: dict = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": r} for r in resources],
    }
    if next_url is not None:
        bundle["link"] = [{"relation": "next", "url": next_url}]
    return bundle


CONDITION = {"resourceType": "Condition", "id": "c1"}


@pytest.mark.parametrize("auth", ["bearer", "hook"])
def test_a_next_link_to_another_server_is_not_followed_and_no_token_leaves(auth) -> None:
    """Two real servers on loopback: the FHIR server answers a search with a `next` page on the
    other, which records any Authorization it receives. It receives nothing."""
    with StubHttpServer(lambda request: json_reply(200, _searchset(CONDITION))) as elsewhere:
        first_page = _searchset(CONDITION, next_url=f"{elsewhere.origin}/fhir/Condition?page=2")
        with StubHttpServer(lambda request: json_reply(200, first_page)) as server:
            token = "service-or-hook-token-" + auth

            async def search() -> list[dict]:
                # The service's own static token, or a CDS hook's access token: both are a
                # bearer token on the client (web/cds_hooks.py makes the hook's client so).
                async with FhirClient(f"{server.origin}/fhir", bearer_token=token) as client:
                    return await client.search("Condition", {"patient": "Patient/p1"})

            with pytest.raises(FhirServerError, match="not on its own base URL"):
                asyncio.run(search())
            assert [r.headers.get("Authorization") for r in server.requests] == [f"Bearer {token}"]
    assert elsewhere.requests == []


@pytest.mark.parametrize(
    "next_url",
    [
        "http://127.0.0.1:{other_port}/fhir?page=2",  # another port
        "https://127.0.0.1:{port}/fhir?page=2",  # another scheme
        "http://localhost:{port}/fhir?page=2",  # another host name for the same machine
        "http://127.0.0.1:{port}/other?page=2",  # another path
        "http://127.0.0.1:{port}/fhirx?page=2",
        "http://127.0.0.1:{port}/fhir/../admin?page=2",
        "http://127.0.0.1:{port}/fhir/%2e%2e/admin?page=2",
        "http://user:pw@127.0.0.1:{port}/fhir?page=2",
        "//127.0.0.1:{other_port}/fhir?page=2",
        7,
    ],
)
def test_a_next_link_off_the_base_url_is_refused(next_url) -> None:
    def answer(request):
        link = (
            next_url
            if not isinstance(next_url, str)
            else next_url.format(port=server.port, other_port=server.port + 1)
        )
        return json_reply(200, _searchset(CONDITION, next_url=link))

    with StubHttpServer(answer) as server:

        async def search() -> list[dict]:
            async with FhirClient(f"{server.origin}/fhir", bearer_token="t") as client:
                return await client.search("Condition", {"patient": "Patient/p1"})

        with pytest.raises(FhirServerError):
            asyncio.run(search())
        assert len(server.requests) == 1


@pytest.mark.parametrize(
    "next_url",
    [
        "{origin}/fhir?_getpages=abc&_getpagesoffset=1",  # HAPI's form: the base itself
        "{origin}/fhir/Condition?page=2",
        "Condition?page=2",  # relative to the base
        "{upper}/fhir/Condition?page=2",  # the scheme and host in capitals: the same server
    ],
)
def test_a_next_link_on_the_same_base_url_is_followed_with_the_token(next_url) -> None:
    pages: list[str] = []

    def answer(request):
        pages.append(request.path)
        if len(pages) == 1:
            link = next_url.format(origin=server.origin, upper=server.origin.upper())
            return json_reply(200, _searchset(CONDITION, next_url=link))
        return json_reply(200, _searchset({"resourceType": "Condition", "id": "c2"}))

    with StubHttpServer(answer) as server:

        async def search() -> list[dict]:
            async with FhirClient(f"{server.origin}/fhir", bearer_token="t") as client:
                return await client.search("Condition", {"patient": "Patient/p1"})

        found = asyncio.run(search())
    assert [c["id"] for c in found] == ["c1", "c2"]
    assert [r.headers.get("Authorization") for r in server.requests] == ["Bearer t", "Bearer t"]
