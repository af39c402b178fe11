"""Fault injection: what the FHIR client does when the FHIR server misbehaves.

A mock transport stands in for the server here only, to produce what a real one does rarely:
timeouts, 5xx, dropped connections, odd transaction-responses. What the service answers then:
tests/asgi/test_fhir_server_failures.py; the client over a real socket:
tests/integration/test_fhir_client_paging.py.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json

import httpx
import pytest

from fhir_discharge import FhirServerError, FhirServerTimeout, build_discharge
from fhir_discharge.io.fhir_client import FhirClient
from fhir_discharge.io.retry import RetryPolicy
from tests.support.contexts import held_by_server
from tests.support.factories import happy_bundle
from tests.support.site import SITE

BASE = "http://fhir.test/fhir"
# Retries in these tests wait (almost) nothing: what is tested is whether and how often.
FAST = RetryPolicy(base_delay=0.001, max_delay=0.002)


def transaction() -> dict:
    return build_discharge(held_by_server(happy_bundle()), SITE).bundle


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
        dataclasses.replace(held_by_server(happy_bundle()), letter_version=2), SITE
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


def test_the_transaction_goes_out_as_the_same_json_httpx_would_send() -> None:
    """orjson on the wire (speed) writes what httpx's `json=` writes, byte for byte, for a built
    Bundle; an integer beyond 64 bits, which orjson refuses, still goes out (standard library)."""
    from fhir_discharge.io.fhir_client import json_bytes

    bundle = build_discharge(held_by_server(happy_bundle()), SITE).bundle
    as_httpx_sends = httpx.Request("POST", "http://x", json=bundle).content
    assert json_bytes(bundle) == as_httpx_sends
    huge = {"resourceType": "Basic", "extension": [{"url": "u", "valueInteger64": 2**70}]}
    assert json.loads(json_bytes(huge)) == huge
