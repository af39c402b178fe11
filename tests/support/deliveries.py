"""Posting discharges to a running service and counting what reached the FHIR server: the
checks of the crash and replica tests (each accepted discharge on the server exactly once)."""

from __future__ import annotations

import time
import uuid

import httpx

from fhir_discharge import build_discharge, context_from_bundle
from tests.support.factories import fresh_record
from tests.support.servers import AUTH
from tests.support.site import SITE

# Short waits so the tests see retries and redeliveries within seconds.
QUICK = {
    "sync_wait_seconds": "0.3",
    "delivery_base_delay_seconds": "0.2",
    "max_delivery_attempts": "60",
    "fhir_timeout_seconds": "5",
}


FHIR_JSON = {"Content-Type": "application/fhir+json", **AUTH}


def records(n: int) -> list[dict]:
    return [fresh_record(uuid.uuid4().hex[:10]) for _ in range(n)]


def post(service_url: str, record: dict) -> httpx.Response:
    return httpx.post(
        f"{service_url}/Encounter/$lbp-discharge", json=record, headers=FHIR_JSON, timeout=60
    )


def wait_delivered(service_url: str, status_urls: list[str], seconds: float = 90) -> list[dict]:
    deadline = time.monotonic() + seconds
    answers: dict[str, dict] = {}
    while time.monotonic() < deadline and len(answers) < len(status_urls):
        for url in status_urls:
            if url in answers:
                continue
            path = url.split("/discharges/", 1)[1]
            answer = httpx.get(f"{service_url}/discharges/{path}", headers=AUTH, timeout=30).json()
            state = next(p["valueCode"] for p in answer["parameter"] if p["name"] == "state")
            assert state not in ("failed", "dead"), answer
            if state == "delivered":
                answers[url] = answer
        time.sleep(0.2)
    assert len(answers) == len(status_urls), "not every accepted discharge was delivered"
    return [answers[url] for url in status_urls]


def copies_on_server(fhir_base_url: str, recs: list[dict]) -> dict[str, int]:
    """How many resources on the server carry each business identifier of these records'
    discharges (one search per resource type and 25 identifiers, OR-ed)."""
    wanted: dict[str, list[str]] = {}
    for record in recs:
        discharge = build_discharge(context_from_bundle(record), SITE)
        carried = {c.urn for c in discharge.carried}  # the record's copies: matched, not made
        for entry in discharge.bundle["entry"]:
            # each by its derived identifier (the Provenance is found by its tag, the service's
            # Device by its version: once per version, not per discharge)
            derived = entry["request"]["ifNoneExist"].startswith("identifier=urn:ietf:rfc:3986")
            if entry["fullUrl"] not in carried and derived:
                wanted.setdefault(entry["resource"]["resourceType"], []).append(entry["fullUrl"])
    counts: dict[str, int] = {}
    for resource_type, values in wanted.items():
        for start in range(0, len(values), 25):
            chunk = values[start : start + 25]
            answer = httpx.get(
                f"{fhir_base_url}/{resource_type}",
                params={
                    "identifier": ",".join(f"urn:ietf:rfc:3986|{v}" for v in chunk),
                    "_count": "500",
                },
                timeout=30,
            ).json()
            counts.update(dict.fromkeys(chunk, 0))
            for found in answer.get("entry", []):
                identifier = found["resource"]["identifier"]
                identifier = identifier if isinstance(identifier, dict) else identifier[0]
                if identifier["value"] in counts:
                    counts[identifier["value"]] += 1
    return counts


def derived_letter(record: dict) -> str:
    return build_discharge(context_from_bundle(record), SITE).bundle["entry"][0]["fullUrl"]


# The new resources of a discharge with a derived identifier: the letter, the brochure
# reference, the care plan, the two follow-up Tasks, the Communication to the GP, the Task to
# send it to the eHealthBox and the stored document.
NEW_RESOURCES = 8


def assert_exactly_once(fhir_base_url: str, recs: list[dict]) -> dict[str, int]:
    """Each new resource of each record's discharge is on the server once; the counts."""
    counts = copies_on_server(fhir_base_url, recs)
    assert len(counts) == NEW_RESOURCES * len(recs)
    assert set(counts.values()) == {1}, {k: v for k, v in counts.items() if v != 1}
    return counts
