"""Gathering the record (gathering.py, and context.py's Bundle path): every resource type a real
record carries is read, on both paths, and the reads are bounded.

A mock transport stands in for the FHIR server, so the reads can be counted and timed; the same
searches against a real server are in tests/integration/test_integration.py.
"""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from fhir_discharge import InvalidInput, NotOnPathway, context_from_bundle
from fhir_discharge.core.gate import check_eligibility
from fhir_discharge.errors import IdentityConflict, UnknownEncounter
from fhir_discharge.io.fhir_client import FhirClient
from fhir_discharge.io.gathering import (
    MAX_READS_IN_FLIGHT,
    MAX_REFERENCES,
    RECORD_SEARCHES,
    gather_context,
)
from tests.support.factories import add, clinical, happy_bundle, prescription, resource, temperature
from tests.support.site import SITE

BASE = "http://fhir.test/fhir"
_SEARCH_TARGET = {"patient": "subject", "encounter": "encounter"}


class FakeServer:
    """A FHIR server holding a record: reads by id, searches by patient or encounter."""

    def __init__(self, resources, delay: float = 0.0) -> None:
        self.resources = {f"{r['resourceType']}/{r['id']}": r for r in resources}
        self.delay = delay
        self.reads = 0
        self.in_flight = 0
        self.most_in_flight = 0
        self.answered = 0
        # Each request as it started: its path (a read's `Type/id`, a search's type) and how
        # many requests had been answered by then (the round it belongs to).
        self.started: list[tuple[str, int]] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.started.append((request.url.path.removeprefix("/fhir/"), self.answered))
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            path = request.url.path.removeprefix("/fhir/")
            if "/" in path:
                self.reads += 1
                found = self.resources.get(path)
                return httpx.Response(200, json=found) if found else httpx.Response(404)
            (param, value), *_ = [(k, v) for k, v in request.url.params.items() if k != "_count"]
            hits = [
                r
                for r in self.resources.values()
                if r["resourceType"] == path
                and (r.get(_SEARCH_TARGET[param]) or {}).get("reference") == value
            ]
            return httpx.Response(
                200,
                json={
                    "resourceType": "Bundle",
                    "type": "searchset",
                    "entry": [{"resource": r} for r in hits],
                },
            )
        finally:
            self.in_flight -= 1
            self.answered += 1


def gathered(server: FakeServer, encounter):
    async def run():
        transport = httpx.MockTransport(server)
        async with FhirClient(BASE, transport=transport) as client:
            return await gather_context(client, encounter)

    return asyncio.run(run())


def on_server(*extra):
    return FakeServer([e["resource"] for e in happy_bundle()["entry"]] + list(extra))


def test_a_bare_encounter_is_completed_with_imaging_prescriptions_and_the_screening():
    x_ray = clinical("DiagnosticReport", "xray", status="final", code={"text": "RX LWZ"})
    ct = clinical("ImagingStudy", "ct", status="available", description="CT lumbale wervelzuil")
    tramadol = clinical(
        "MedicationRequest",
        "tramadol",
        status="active",
        intent="order",
        medicationCodeableConcept={"text": "Tramadol 50 mg"},
    )
    server = on_server(x_ray, ct, tramadol)
    result = check_eligibility(gathered(server, "lbp-example-encounter"), SITE.pathway)
    assert result.no_imaging_shown is False
    assert sorted(t.name for t in result.tests) == ["CT lumbale wervelzuil", "RX LWZ"]
    assert [p.name for p in result.prescriptions] == ["Tramadol 50 mg"]
    assert result.screening.response["id"] == "lbp-example-screening"


def test_a_fever_read_from_the_server_is_refused():
    server = on_server(temperature("temp", 39.4))
    with pytest.raises(NotOnPathway) as raised:
        check_eligibility(gathered(server, "lbp-example-encounter"), SITE.pathway)
    assert raised.value.findings[0].expression == "Observation/temp"


def test_an_encounter_with_thousands_of_references_is_refused_without_reading_them():
    encounter = resource(happy_bundle(), "Encounter")
    encounter["participant"] = [
        {"individual": {"reference": f"Practitioner/p{i}"}} for i in range(10_000)
    ]
    server = on_server()
    started = time.monotonic()
    with pytest.raises(InvalidInput, match=f"more than {MAX_REFERENCES}"):
        gathered(server, encounter)
    assert time.monotonic() - started < 5
    assert server.reads <= 2  # the Encounter the server holds, the patient: none of the 10,000


def test_reads_in_flight_are_bounded_and_duplicates_read_once():
    encounter = resource(happy_bundle(), "Encounter")
    people = [f"Practitioner/p{i}" for i in range(MAX_REFERENCES // 2)]
    encounter["participant"] = [{"individual": {"reference": r}} for r in people * 3]
    server = on_server()
    server.delay = 0.01
    gathered(server, encounter)
    # the reads share MAX_READS_IN_FLIGHT; the record's searches run beside them
    assert server.most_in_flight <= MAX_READS_IN_FLIGHT + len(RECORD_SEARCHES)
    assert server.most_in_flight > 1  # still in parallel
    assert server.reads <= len(people) + 10  # each reference once, not three times


def test_a_context_bundle_carries_every_clinical_type_and_ignores_others_with_a_warning():
    bundle = happy_bundle()
    for extra in (
        temperature("temp", 37.0),
        clinical("ImagingStudy", "ct", status="available", description="CT"),
        clinical("DiagnosticReport", "xray", status="final", code={"text": "RX"}),
        clinical("Procedure", "proc", status="completed", code={"text": "Infiltratie"}),
        prescription("rx", "Tramadol"),
        {"resourceType": "AllergyIntolerance", "id": "a1", "patient": {"reference": "Patient/x"}},
    ):
        add(bundle, extra)
    context = context_from_bundle(bundle)
    assert [len(getattr(context, t)) for t in ("observations", "imaging_studies")] == [1, 1]
    assert [len(getattr(context, t)) for t in ("diagnostic_reports", "procedures")] == [1, 1]
    assert len(context.medication_requests) == 1 and len(context.screenings) == 1
    assert [str(note) for note in context.notes] == [
        "Bundle entries ignored: 1 AllergyIntolerance (not part of a discharge context)",
    ]


def test_a_bare_encounter_the_server_holds_for_another_patient_is_refused():
    # The letter would reference Encounter/lbp-example-encounter on the server: somebody else's.
    encounter = resource(happy_bundle(), "Encounter")
    encounter["subject"] = {"reference": "Patient/someone-else"}
    with pytest.raises(IdentityConflict) as raised:
        gathered(on_server(), encounter)
    assert raised.value.http_status == 409
    assert [f.code for f in raised.value.findings] == ["encounter-of-another-patient"]


def test_a_bare_encounter_the_server_does_not_hold_is_unknown():
    # Its id would reference nothing there (or whatever is created under it later).
    encounter = {**resource(happy_bundle(), "Encounter"), "id": "not-on-the-server"}
    with pytest.raises(UnknownEncounter):
        gathered(on_server(), encounter)


def test_the_patient_the_encounters_references_and_every_search_are_read_in_one_round():
    """The physician waits for the FHIR server once per round: after the Encounter, its Patient,
    its references and the record's searches go out together (the searches by patient take the
    id in Encounter.subject); only the GP waits for the Patient."""
    server = on_server()
    server.delay = 0.01
    gathered(server, "lbp-example-encounter")
    encounter = resource(happy_bundle(), "Encounter")
    patient = resource(happy_bundle(), "Patient")
    first_round = {
        f"Patient/{patient['id']}",
        encounter["participant"][0]["individual"]["reference"],
        encounter["serviceProvider"]["reference"],
        *(resource_type for resource_type, _ in RECORD_SEARCHES.values()),
    }
    rounds = {path: answered for path, answered in server.started}
    assert rounds[f"Encounter/{encounter['id']}"] == 0
    assert {path: rounds[path] for path in first_round} == dict.fromkeys(first_round, 1)
    gp = patient["generalPractitioner"][0]["reference"]
    assert rounds[gp] > 1  # it is the Patient's to name


def test_a_resource_named_by_the_encounter_and_by_the_patient_is_read_once():
    """The GP is also the encounter's physician: read once, though the Encounter's references
    and the Patient's are resolved at the same time."""
    bundle = happy_bundle()
    physician = resource(bundle, "Encounter")["participant"][0]["individual"]["reference"]
    resource(bundle, "Patient")["generalPractitioner"] = [{"reference": physician}]
    server = FakeServer([e["resource"] for e in bundle["entry"]])
    server.delay = 0.01
    gathered(server, "lbp-example-encounter")
    assert [path for path, _ in server.started].count(physician) == 1
