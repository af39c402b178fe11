"""The current record, always (pathway.md; issue 17 point 9): every read and search the FHIR client
makes asks the server for its current state (`Cache-Control: no-cache`), because HAPI FHIR reuses a
search's results for 60 s by default: a screening stored, or a red flag recorded, in the last
minute would not be seen, and the discharge refused for a missing screening, or worse, let
through with the red flag unread.

Proven on a real HAPI FHIR 8.8.0 (tools/hapi): a search repeated right after a store finds the
new resource with the header, and the same search without it does not (HAPI's cache: the test
can fail). And the physician's app's flow on HAPI: it reads the record (HAPI caches the search
for the encounter's screening, empty), stores the screening, and the discharge that follows
finds it.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from fhir_discharge.io.fhir_client import SEARCH_PAGE_SIZE, FhirClient
from fhir_discharge.io.gathering import gather_context
from tests.support import app_stack
from tests.support.app_stack import Stack, unscreened_record
from tests.support.factories import fresh_record, resource
from tests.support.hapi_server import log_hint
from tests.support.seeding import seed, seed_async
from tests.support.site import SITE

FHIR_JSON = "application/fhir+json"


class Recording(httpx.AsyncBaseTransport):
    """A real connection, every request kept."""

    def __init__(self) -> None:
        self.real = httpx.AsyncHTTPTransport()
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return await self.real.handle_async_request(request)

    async def aclose(self) -> None:
        await self.real.aclose()


def test_every_read_and_search_of_a_record_asks_for_the_current_state(fhir_base_url: str) -> None:
    record = fresh_record(uuid.uuid4().hex[:10])
    transport = Recording()

    async def run() -> None:
        await seed_async(fhir_base_url, [e["resource"] for e in record["entry"]])
        async with FhirClient(fhir_base_url, transport=transport) as client:
            await gather_context(client, resource(record, "Encounter")["id"])

    asyncio.run(run())
    gets = [r for r in transport.requests if r.method == "GET"]
    assert len(gets) >= 10  # the Encounter, its people and places, the searches of the record
    assert {r.headers.get("cache-control") for r in gets} == {"no-cache"}


# --- on HAPI FHIR --------------------------------------------------------------------------


def _search_params(patient_id: str) -> dict[str, str]:
    # As the client sends them (the same query string: HAPI caches by it).
    return {"patient": f"Patient/{patient_id}", "_count": str(SEARCH_PAGE_SIZE)}


@pytest.mark.slow
def test_on_hapi_a_condition_stored_a_moment_ago_is_found_and_without_no_cache_it_is_not(
    hapi_base_url: str,
) -> None:
    patient_id = f"fresh-{uuid.uuid4().hex[:10]}"
    headers = {"Content-Type": FHIR_JSON, "Accept": FHIR_JSON}
    put = httpx.put(
        f"{hapi_base_url}/Patient/{patient_id}",
        json={"resourceType": "Patient", "id": patient_id},
        headers=headers,
        timeout=60,
    )
    assert put.status_code in (200, 201), f"{put.text} {log_hint()}"

    def plain_search() -> list[Any]:
        found = httpx.get(
            f"{hapi_base_url}/Condition",
            params=_search_params(patient_id),
            headers={"Accept": FHIR_JSON},
            timeout=60,
        ).json()
        return list(found.get("entry") or [])

    async def client_search() -> list[Any]:
        async with FhirClient(hapi_base_url) as client:
            return await client.search("Condition", {"patient": f"Patient/{patient_id}"})

    # The discharge before: no Condition yet (and HAPI keeps that answer for 60 s).
    assert plain_search() == []
    assert asyncio.run(client_search()) == []
    # A red flag recorded just before the discharge.
    red_flag = {
        "resourceType": "Condition",
        "subject": {"reference": f"Patient/{patient_id}"},
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "363358000"}]},
    }
    stored = httpx.post(f"{hapi_base_url}/Condition", json=red_flag, headers=headers, timeout=60)
    assert stored.status_code == 201, stored.text
    # The client sees it at once; the same search without the header gets HAPI's cached answer.
    assert [c["code"] for c in asyncio.run(client_search())] == [red_flag["code"]]
    assert plain_search() == [], "HAPI no longer caches searches: this test proves nothing"


# The physician's app on HAPI (tests/support/app_stack.py).
app_on_hapi = app_stack.app_on_hapi


@pytest.mark.slow
def test_on_hapi_the_apps_flow_stores_the_screening_and_the_discharge_right_after_finds_it(
    app_on_hapi: Stack, tmp_path: Path
) -> None:
    stack = app_on_hapi
    tag = uuid.uuid4().hex[:10]
    seed(stack.fhir, unscreened_record(fresh_record(tag)))
    patient, encounter = f"t-{tag}-patient", f"t-{tag}-encounter"
    physician = f"t-{tag}-ed-physician"
    # The app's session (the service keeps the SMART token: web/physician_app/).
    session = stack.open_session(patient, encounter, physician)
    auth = {"Authorization": f"Bearer {session}"}
    launched = {"iss": stack.iss, "encounter": encounter}
    service = stack.service.url

    # The app shows the record: the screening of this encounter is searched (none yet), and
    # HAPI keeps that answer for a minute.
    shown = httpx.get(f"{service}/app/api/record", params=launched, headers=auth, timeout=60)
    assert shown.status_code == 200, f"{shown.text} {log_hint()}"
    assert shown.json()["gate"]["outcome"] == "clear"
    answers = {**{i.link_id: False for i in SITE.pathway.screening.items}, "brochure-given": True}
    screening = {**launched, "answers": answers, "screening_id": str(uuid.uuid4())}
    preview = httpx.post(f"{service}/app/api/preview", json=screening, headers=auth, timeout=60)
    assert preview.status_code == 200 and preview.json()["outcome"] == "on-pathway", preview.text
    # "Ontslag bevestigen": the screening stored, then the discharge, at once.
    stored = httpx.post(f"{service}/app/api/screening", json=screening, headers=auth, timeout=60)
    assert stored.status_code == 201, stored.text
    discharged = httpx.post(f"{service}/app/api/discharge", headers=auth, timeout=120)
    assert discharged.status_code == 201, f"{discharged.text} {log_hint()}"
    letters = httpx.get(
        f"{stack.fhir}/Composition",
        params={"encounter": f"Encounter/{encounter}"},
        headers={"Accept": FHIR_JSON, "Cache-Control": "no-cache"},
        timeout=60,
    ).json()
    assert len(letters.get("entry") or []) == 1
