"""A record stored on the FHIR server as the EHR holds it, a discharge posted to the running
service, and the parts of its answer: shared by the end-to-end tests."""

from __future__ import annotations

import contextlib
import uuid

import httpx

from fhir_discharge import DischargeError, build_discharge, context_from_bundle
from tests.support.factories import fresh_record
from tests.support.seeding import seed
from tests.support.servers import AUTH
from tests.support.site import SITE

FHIR_JSON = {"Content-Type": "application/fhir+json", **AUTH}


def store(fhir_base_url: str, record: dict, *extra: dict) -> dict:
    """Store a record (and more resources) on the FHIR server as the hospital EHR would hold it."""

    seed(fhir_base_url, [e["resource"] for e in record["entry"]] + list(extra))
    return record


def seeded(fhir_base_url: str, *extra: dict) -> dict:
    """A fresh record, stored on the FHIR server."""
    return store(fhir_base_url, fresh_record(uuid.uuid4().hex[:10]), *extra)


def discharge(
    service_url: str, path: str, body: dict | None = None, **params: str
) -> httpx.Response:
    if body is not None and body.get("resourceType") == "Bundle":
        # The same pure build the service runs, so its output joins the suite's conformance check.
        with contextlib.suppress(DischargeError):
            build_discharge(context_from_bundle(body), SITE)
    return httpx.post(
        f"{service_url}{path}", json=body, headers=FHIR_JSON, params=params, timeout=60
    )


def parts(answer: dict) -> dict[str, dict[str, object]]:
    out = {}
    for parameter in answer["parameter"]:
        if "part" in parameter:
            out[parameter["name"]] = {
                p["name"]: p.get("valueReference", p.get("valueUri", p.get("valueCode")))
                for p in parameter["part"]
            }
    return out


def roles(answer: dict) -> dict[str, dict[str, str]]:
    """Each role of the operation's answer (`letter`, `carePlan`, ...): where it landed on the
    FHIR server and whether it was `created` or found `existing`."""
    out = {}
    for parameter in answer["parameter"]:
        if "part" in parameter:
            by_name = {p["name"]: p for p in parameter["part"]}
            out[parameter["name"]] = {
                "reference": by_name["reference"]["valueReference"]["reference"],
                "status": by_name["status"]["valueCode"],
            }
    return out


def search(base: str, resource_type: str, **params: str) -> list[dict]:
    """What the FHIR server at `base` finds for a search (one page), asked as FHIR JSON."""
    response = httpx.get(
        f"{base}/{resource_type}",
        params=params,
        headers={"Accept": "application/fhir+json"},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    return [e["resource"] for e in response.json().get("entry", [])]
