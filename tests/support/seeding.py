"""A record put on a FHIR server by id, as the hospital's EHR holds it: the tests' and the
benchmarks' seeding. The service itself never writes so (it creates, conditionally, in one
transaction: io/fhir_client.py)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import httpx

FHIR_JSON = {"Content-Type": "application/fhir+json"}


def put_transaction(resources: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """A transaction that PUTs each resource under its own id."""
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"resource": r, "request": {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"}}
            for r in resources
        ],
    }


def seed(fhir_base_url: str, resources: Iterable[dict[str, Any]], timeout: float = 30) -> None:
    """PUT the resources by id in one transaction (synchronous: the browser tests run an event
    loop of Playwright's in this thread)."""
    bundle = put_transaction(resources)
    response = httpx.post(fhir_base_url, json=bundle, headers=FHIR_JSON, timeout=timeout)
    response.raise_for_status()


async def seed_async(
    fhir_base_url: str,
    resources: Iterable[dict[str, Any]],
    *,
    auth: httpx.Auth | None = None,
    timeout: float = 30,
) -> None:
    """As `seed`, from a running event loop; `auth` for a protected server (SMART Backend
    Services needs an async client)."""
    async with httpx.AsyncClient(auth=auth, timeout=timeout) as http:
        response = await http.post(
            fhir_base_url, json=put_transaction(resources), headers=FHIR_JSON
        )
    response.raise_for_status()
