"""End to end through real HTTP: the service on loopback, posting to a real FHIR server process."""

from __future__ import annotations

import asyncio
import uuid
from urllib.parse import parse_qsl

import httpx
import pytest

from fhir_discharge import FhirServerError, build_discharge, context_from_bundle
from fhir_discharge.core.codes import SNOMED
from fhir_discharge.io.fhir_client import FhirClient
from tests.support.discharges import discharge, parts, seeded, store
from tests.support.factories import condition, fresh_record, references_in, resource
from tests.support.seeding import seed
from tests.support.servers import AUTH
from tests.support.site import SITE
from tests.support.stub_http import StubHttpServer, StubReply, StubRequest, json_reply


def search(fhir_base_url: str, resource_type: str, **params: str) -> list[dict]:
    answer = httpx.get(f"{fhir_base_url}/{resource_type}", params=params, timeout=30).json()
    return [e["resource"] for e in answer.get("entry", [])]


def test_a_discharge_lands_with_references_rewritten_to_server_ids(fhir_base_url, service_url):
    record = seeded(fhir_base_url)
    response = discharge(service_url, "/Encounter/$lbp-discharge", record)
    assert response.status_code == 201, response.text
    assert response.headers["content-type"].startswith("application/fhir+json")
    landed = parts(response.json())
    # all created, but the service's Device: written once per version, by the first discharge
    assert {p["status"] for role, p in landed.items() if role != "service"} == {"created"}
    refs = {role: p["reference"]["reference"] for role, p in landed.items()}

    letter = httpx.get(f"{fhir_base_url}/{refs['letter']}").json()
    entries = {s["title"]: [e["reference"] for e in s.get("entry", [])] for s in letter["section"]}
    assert entries["Zorgplan"] == [refs["carePlan"]]
    assert entries["Informatie voor de patiënt"] == [refs["brochure"]]
    assert entries["Opvolging"] == [refs["followUpOneWeek"], refs["followUpSixWeeks"]]
    plan = httpx.get(f"{fhir_base_url}/{refs['carePlan']}").json()
    assert [r["reference"] for r in plan["supportingInfo"]] == [refs["letter"], refs["brochure"]]
    task = httpx.get(f"{fhir_base_url}/{refs['followUpOneWeek']}").json()
    assert task["basedOn"] == [{"reference": refs["carePlan"]}]
    assert not any(r.startswith("urn:uuid:") for r in references_in([letter, plan, task]))


def test_discharging_twice_creates_nothing_twice(fhir_base_url, service_url):
    record = seeded(fhir_base_url)
    first = discharge(service_url, "/Encounter/$lbp-discharge", record)
    second = discharge(service_url, "/Encounter/$lbp-discharge", record)
    assert (first.status_code, second.status_code) == (201, 200)
    again = parts(second.json())
    assert {p["status"] for p in again.values()} == {"existing"}
    assert {r: p["reference"] for r, p in again.items()} == {
        r: p["reference"] for r, p in parts(first.json()).items()
    }
    encounter = f"Encounter/{resource(record, 'Encounter')['id']}"
    assert len(search(fhir_base_url, "Composition", encounter=encounter)) == 1
    assert len(search(fhir_base_url, "CarePlan", encounter=encounter)) == 1
    assert len(search(fhir_base_url, "DocumentReference", encounter=encounter)) == 1
    # the two follow-ups, and the one for the integration engine (the eHealthBox)
    assert len(search(fhir_base_url, "Task", encounter=encounter)) == 3


def test_the_resources_are_found_by_encounter_and_by_subject(fhir_base_url, service_url):
    record = seeded(fhir_base_url)
    assert discharge(service_url, "/Encounter/$lbp-discharge", record).status_code == 201
    patient = f"Patient/{resource(record, 'Patient')['id']}"
    letters = search(fhir_base_url, "Composition", subject=patient)
    assert [c["type"]["coding"][0]["code"] for c in letters] == ["59258-4"]
    assert len(search(fhir_base_url, "CarePlan", subject=patient)) == 1
    assert len(search(fhir_base_url, "Task", patient=patient)) == 3  # 2 follow-ups, 1 to send
    identifier = letters[0]["identifier"]
    found = search(
        fhir_base_url, "Composition", identifier=f"{identifier['system']}|{identifier['value']}"
    )
    assert [c["id"] for c in found] == [letters[0]["id"]]


def test_a_bare_encounter_is_completed_from_the_server(fhir_base_url, service_url):
    record = seeded(fhir_base_url)
    encounter = resource(record, "Encounter")
    by_body = discharge(service_url, "/Encounter/$lbp-discharge", encounter)
    assert by_body.status_code == 201, by_body.text
    # The same encounter by id, and as a full Bundle: the same letter, found, not made again.
    by_id = discharge(service_url, f"/Encounter/{encounter['id']}/$lbp-discharge")
    by_bundle = discharge(service_url, "/Encounter/$lbp-discharge", record)
    assert (by_id.status_code, by_bundle.status_code) == (200, 200)
    assert parts(by_id.json())["letter"] == {
        **parts(by_body.json())["letter"],
        "status": "existing",
    }
    assert (
        parts(by_bundle.json())["letter"]["reference"]
        == parts(by_body.json())["letter"]["reference"]
    )


def test_a_red_flag_on_the_server_refuses_the_discharge_and_writes_nothing(
    fhir_base_url, service_url
):
    record = fresh_record(uuid.uuid4().hex[:10])
    patient_ref = f"Patient/{resource(record, 'Patient')['id']}"
    flag = condition(
        f"flag-{uuid.uuid4().hex[:8]}", SNOMED, "192970008", encounter=False, patient=patient_ref
    )

    seed(fhir_base_url, [e["resource"] for e in record["entry"]] + [flag])
    encounter_id = resource(record, "Encounter")["id"]
    response = discharge(service_url, f"/Encounter/{encounter_id}/$lbp-discharge")
    assert response.status_code == 422
    issue = response.json()["issue"][0]
    assert "cauda equina syndrome" in issue["diagnostics"]
    assert issue["expression"] == [f"Condition/{flag['id']}"]
    assert search(fhir_base_url, "Composition", encounter=f"Encounter/{encounter_id}") == []


def test_an_unknown_encounter_is_404(service_url):
    response = discharge(service_url, f"/Encounter/no-such-{uuid.uuid4().hex}/$lbp-discharge")
    assert response.status_code == 404
    assert response.json()["resourceType"] == "OperationOutcome"


def test_a_dry_run_returns_the_transaction_and_writes_nothing(fhir_base_url, service_url):
    record = fresh_record(uuid.uuid4().hex[:10])
    response = discharge(service_url, "/Encounter/$lbp-discharge", record, **{"_dry-run": "true"})
    assert response.status_code == 200
    assert response.json()["type"] == "transaction"
    encounter = f"Encounter/{resource(record, 'Encounter')['id']}"
    assert search(fhir_base_url, "Composition", encounter=encounter) == []


def test_a_missing_gp_is_a_warning_in_the_answer(fhir_base_url, service_url):
    record = fresh_record(uuid.uuid4().hex[:10])
    del resource(record, "Patient")["generalPractitioner"]
    response = discharge(service_url, "/Encounter/$lbp-discharge", record)
    assert response.status_code == 201
    outcome = response.json()["parameter"][0]["resource"]
    assert outcome["issue"][0]["severity"] == "warning"
    assert "general practitioner" in outcome["issue"][0]["diagnostics"]


def test_a_failing_transaction_leaves_nothing_behind(fhir_base_url):
    record = fresh_record(uuid.uuid4().hex[:10])
    bundle = build_discharge(context_from_bundle(record), SITE).bundle
    bundle["entry"][4]["resource"]["restriction"]["period"]["start"] = "not a date"

    async def post() -> None:
        async with FhirClient(fhir_base_url) as client:
            await client.post_transaction(bundle)

    with pytest.raises(FhirServerError) as failure:
        asyncio.run(post())
    assert failure.value.server_status is not None and 400 <= failure.value.server_status < 500
    for entry in bundle["entry"]:
        rtype = entry["resource"]["resourceType"]
        if rtype == "Device":
            continue  # the service, this version: other tests' discharges may have written it
        # each found by the search of its own conditional create (the Provenance by its tag)
        condition = dict(parse_qsl(entry["request"]["ifNoneExist"]))
        found = search(fhir_base_url, rtype, **condition)
        assert found == [], f"{rtype} was written by a failed transaction"


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b'{"resourceType": "Bundle"', "application/fhir+json", 400),
        (b"\xff\xfe{}", "application/fhir+json", 400),
        (b"[1, 2]", "application/fhir+json", 400),
        (b'{"resourceType": "Patient", "id": "p"}', "application/fhir+json", 400),
        (b'{"resourceType": "Bundle", "type": "collection"}', "application/fhir+json", 400),
        (b"[" * 100_000 + b"]" * 100_000, "application/json", 400),
        (b"{}", "text/plain", 415),
        (b'{"a": "' + b"x" * 2_000_000 + b'"}', "application/fhir+json", 413),
    ],
    ids=["truncated", "not-utf8", "array", "wrong-type", "no-encounter", "deep", "text", "huge"],
)
def test_bad_input_gets_an_operation_outcome_with_the_right_status(
    service_url, body, content_type, status
):
    response = httpx.post(
        f"{service_url}/Encounter/$lbp-discharge",
        content=body,
        headers={"Content-Type": content_type, **AUTH},
        timeout=60,
    )
    assert response.status_code == status
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["severity"] == "error"
    assert "Traceback" not in response.text


def test_the_service_describes_its_operation(service_url):
    capability = httpx.get(f"{service_url}/metadata").json()
    operation = capability["rest"][0]["resource"][0]["operation"][0]
    definition = httpx.get(f"{service_url}/OperationDefinition/lbp-discharge").json()
    assert operation["definition"] == definition["url"]
    assert httpx.get(f"{service_url}/openapi.json").json()["paths"]


# --- the record read from the server: everything the letter must take into account -------------


def _of(record: dict, resource_type: str, suffix: str, **fields: object) -> dict:
    patient, encounter = resource(record, "Patient")["id"], resource(record, "Encounter")["id"]
    return {
        "resourceType": resource_type,
        "id": f"{encounter}-{suffix}",
        "subject": {"reference": f"Patient/{patient}"},
        "encounter": {"reference": f"Encounter/{encounter}"},
        **fields,
    }


def test_imaging_and_prescriptions_on_the_server_reach_the_letter(fhir_base_url, service_url):
    record = fresh_record(uuid.uuid4().hex[:10])
    x_ray = _of(
        record,
        "DiagnosticReport",
        "xray",
        status="final",
        code={"text": "RX lumbale wervelzuil"},
        conclusion="Geen fractuur.",
    )
    tramadol = _of(
        record,
        "MedicationRequest",
        "tramadol",
        status="active",
        intent="order",
        medicationCodeableConcept={"text": "Tramadol 50 mg"},
    )
    store(fhir_base_url, record, x_ray, tramadol)
    encounter_id = resource(record, "Encounter")["id"]
    response = discharge(service_url, f"/Encounter/{encounter_id}/$lbp-discharge", _dryRun="true")
    assert response.status_code == 200, response.text
    letter = response.json()["entry"][0]["resource"]
    text = letter["text"]["div"]
    assert "RX lumbale wervelzuil, besluit van het verslag: “Geen fractuur.”" in text
    assert "Tramadol 50 mg" in text
    assert "geen beeldvorming" not in text.lower()


def test_a_fever_on_the_server_refuses_the_discharge(fhir_base_url, service_url):
    record = fresh_record(uuid.uuid4().hex[:10])
    fever = _of(
        record,
        "Observation",
        "temp",
        status="final",
        code={"coding": [{"system": "http://loinc.org", "code": "8310-5"}]},
        valueQuantity={"value": 39.4, "system": "http://unitsofmeasure.org", "code": "Cel"},
    )
    store(fhir_base_url, record, fever)
    encounter_id = resource(record, "Encounter")["id"]
    response = discharge(service_url, f"/Encounter/{encounter_id}/$lbp-discharge")
    assert response.status_code == 422, response.text
    issues = response.json()["issue"]
    assert any(i.get("expression") == [f"Observation/{fever['id']}"] for i in issues)


def test_a_screening_stored_on_the_server_for_another_encounter_does_not_count(
    fhir_base_url, service_url
):
    record = fresh_record(uuid.uuid4().hex[:10])
    screening = resource(record, "QuestionnaireResponse")
    screening["encounter"] = {"reference": "Encounter/some-earlier-visit"}
    store(fhir_base_url, record)
    encounter_id = resource(record, "Encounter")["id"]
    response = discharge(service_url, f"/Encounter/{encounter_id}/$lbp-discharge")
    assert response.status_code == 422, response.text
    assert "screening of this encounter is not documented" in response.text


def test_an_encounter_with_thousands_of_references_is_refused_quickly(fhir_base_url, service_url):
    record = seeded(fhir_base_url)  # a bare Encounter is the one the server holds
    encounter = resource(record, "Encounter")
    encounter["participant"] = [
        {"individual": {"reference": f"Practitioner/p{i}"}} for i in range(10_000)
    ]
    response = discharge(service_url, "/Encounter/$lbp-discharge", encounter)
    assert response.status_code == 400, response.text
    assert "references more than" in response.text
    assert httpx.get(f"{service_url}/health", timeout=5).status_code == 200


def test_a_bare_encounter_is_the_one_the_server_holds_for_its_patient(fhir_base_url, service_url):
    record = seeded(fhir_base_url)
    someone = seeded(fhir_base_url)
    # Named by its id, given with another patient: the letter would reference a stranger's
    # encounter on the server.
    encounter = {
        **resource(record, "Encounter"),
        "subject": {"reference": f"Patient/{resource(someone, 'Patient')['id']}"},
    }
    response = discharge(service_url, "/Encounter/$lbp-discharge", encounter)
    assert response.status_code == 409, response.text
    assert "encounter-of-another-patient" in response.text
    # An id the server does not hold: nothing there to reference.
    unknown = {**resource(record, "Encounter"), "id": f"nowhere-{uuid.uuid4().hex[:8]}"}
    assert discharge(service_url, "/Encounter/$lbp-discharge", unknown).status_code == 404


def test_a_context_bundle_with_other_resource_types_is_discharged_with_a_warning(
    service_url,
):
    record = fresh_record(uuid.uuid4().hex[:10])
    record["entry"].append(
        {
            "resource": {
                "resourceType": "AllergyIntolerance",
                "id": "a1",
                "patient": {"reference": f"Patient/{resource(record, 'Patient')['id']}"},
            }
        }
    )
    response = discharge(service_url, "/Encounter/$lbp-discharge", record)
    assert response.status_code == 201, response.text
    outcome = response.json()["parameter"][0]["resource"]
    assert outcome["issue"][0]["severity"] == "warning"
    assert "1 AllergyIntolerance" in outcome["issue"][0]["diagnostics"]


def test_a_context_bundle_reaches_a_server_that_does_not_hold_the_record(
    fhir_base_url, service_url
):
    # Nothing seeded: the Patient, physicians, hospital, Encounter, diagnosis and screening travel
    # with the letter (carry.py), so the letter is whole on this server, and only once.
    record = fresh_record(uuid.uuid4().hex[:10])
    first = discharge(service_url, "/Encounter/$lbp-discharge", record)
    assert first.status_code == 201, first.text
    second = discharge(service_url, "/Encounter/$lbp-discharge", record)
    assert second.status_code == 200, second.text
    letter = parts(first.json())["letter"]["reference"]["reference"]
    document = httpx.get(f"{service_url}/{letter}/$document", headers=AUTH, timeout=30).json()
    held = sorted(e["resource"]["resourceType"] for e in document["entry"])
    for resource_type in ("Patient", "Encounter", "Practitioner", "Organization", "Condition"):
        assert resource_type in held, held
    ssin = next(i for i in resource(record, "Patient")["identifier"] if "ssin" in i["system"])
    patients = search(fhir_base_url, "Patient", identifier=f"{ssin['system']}|{ssin['value']}")
    assert len(patients) == 1


# --- the CLI: the same use case, in process -----------------------------------------------------


def refusing_fhir_server(status: int) -> StubHttpServer:
    """A FHIR server on loopback that answers every POST with `status` and an OperationOutcome;
    its `requests` are the POSTs it received."""
    outcome = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "invalid", "diagnostics": "stub"}],
    }
    empty = {"resourceType": "Bundle", "type": "searchset", "entry": []}

    def answer(request: StubRequest) -> StubReply:
        # It holds nothing under the record's identifiers (the reads before the transaction).
        return json_reply(200, empty) if request.method == "GET" else json_reply(status, outcome)

    return StubHttpServer(answer, methods=("GET", "POST"))


def run_cli(*argv: str) -> int:
    from fhir_discharge.cli import main

    return main(["discharge", *argv])


@pytest.fixture
def cli_file(tmp_path, monkeypatch):
    """A context Bundle in a file; the CLI runs in an empty folder (its outbox is temporary:
    nothing is left there)."""
    import json

    monkeypatch.chdir(tmp_path)
    record = fresh_record(uuid.uuid4().hex[:10])
    path = tmp_path / "record.json"
    path.write_text(json.dumps(record), encoding="utf-8")
    return path, record


def test_the_cli_delivers_through_the_outbox_and_prints_where_each_resource_landed(
    fhir_base_url, cli_file, capsys
):
    path, _ = cli_file
    assert run_cli(str(path), "--server", fhir_base_url) == 0
    first = [line.split() for line in capsys.readouterr().out.splitlines()]
    assert len(first) > 6  # the letter's six, and the record carried along
    # all created but the service's Device, written once per version (by an earlier test here)
    assert {status for status, location in first if "/Device/" not in location} == {"created"}
    assert run_cli(str(path), "--server", fhir_base_url) == 0  # again: nothing made twice
    second = [line.split() for line in capsys.readouterr().out.splitlines()]
    assert second == [["existing", location] for _, location in first]
    assert sorted(p.name for p in path.parent.iterdir()) == ["record.json"]  # no outbox left


@pytest.mark.parametrize(("status", "posts"), [(422, 1), (503, 3)], ids=["refused", "dead"])
def test_the_cli_exits_non_zero_with_the_outcome_when_refused_or_dead(
    status, posts, cli_file, capsys, monkeypatch
):
    monkeypatch.setenv("FHIR_DISCHARGE_MAX_DELIVERY_ATTEMPTS", "3")
    monkeypatch.setenv("FHIR_DISCHARGE_DELIVERY_BASE_DELAY_SECONDS", "0.01")
    path, _ = cli_file
    with refusing_fhir_server(status) as server:
        assert run_cli(str(path), "--server", f"{server.origin}/fhir") == 1
    posted = [r for r in server.requests if r.method == "POST"]
    assert len(posted) == posts  # a refusal once; a transient failure once per attempt
    err = capsys.readouterr().err
    assert '"resourceType": "OperationOutcome"' in err and "FHIR server: stub" in err


def test_the_cli_exits_3_when_the_discharge_did_not_land_in_time(cli_file, capsys):
    from devtools.sandbox import free_port

    path, _ = cli_file
    nobody = f"http://127.0.0.1:{free_port()}/fhir"
    assert run_cli(str(path), "--server", nobody, "--wait", "0.5") == 3
    assert "not delivered within 0.5 s" in capsys.readouterr().err


# --- the whole record, read from the server (issue 17) ------------------------------------------


def _gathered_from_the_server(fhir_base_url, record, *extra):
    """The context of `record`'s encounter as the gatherer reads it from the real server, after
    the record and `extra` were put there."""
    from fhir_discharge.io.gathering import gather_context

    seed(fhir_base_url, [e["resource"] for e in record["entry"]] + list(extra))

    async def run():
        async with FhirClient(fhir_base_url) as client:
            return await gather_context(client, resource(record, "Encounter")["id"])

    return asyncio.run(run())


def test_an_observation_timed_in_the_visit_without_a_link_is_read_and_screened(fhir_base_url):
    from fhir_discharge import NotOnPathway
    from fhir_discharge.core.gate import check_eligibility

    record = fresh_record(uuid.uuid4().hex[:10])
    patient = f"Patient/{resource(record, 'Patient')['id']}"
    fever = {
        "resourceType": "Observation",
        "id": f"fever-{uuid.uuid4().hex[:8]}",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "8310-5"}]},
        "subject": {"reference": patient},
        "effectiveDateTime": "2026-11-25T10:41:00+01:00",  # during the visit; no encounter
        "valueString": "39,1 °C",
    }
    earlier = {
        **fever,
        "id": f"earlier-{uuid.uuid4().hex[:8]}",
        "effectiveDateTime": "2024-02-02T10:00:00+01:00",
    }
    ctx = _gathered_from_the_server(fhir_base_url, record, fever, earlier)
    assert {o["id"] for o in ctx.observations} >= {fever["id"]}
    with pytest.raises(NotOnPathway) as refused:
        check_eligibility(ctx, SITE.pathway)
    [finding] = refused.value.findings
    assert (finding.code, finding.expression) == ("fever", f"Observation/{fever['id']}")


def test_home_medication_on_the_server_is_read_and_screened(fhir_base_url):
    from fhir_discharge import NotOnPathway
    from fhir_discharge.core.gate import check_eligibility

    record = fresh_record(uuid.uuid4().hex[:10])
    patient = {"reference": f"Patient/{resource(record, 'Patient')['id']}"}
    tag = uuid.uuid4().hex[:8]
    medication = {
        "resourceType": "Medication",
        "id": f"pred-{tag}",
        "code": {"coding": [{"system": "http://www.whocc.no/atc", "code": "H02AB06"}]},
    }
    statement = {
        "resourceType": "MedicationStatement",
        "id": f"home-{tag}",
        "status": "active",
        "medicationReference": {"reference": f"Medication/{medication['id']}"},
        "subject": patient,
    }
    statin = {
        "resourceType": "MedicationRequest",
        "id": f"statin-{tag}",
        "status": "active",
        "intent": "order",
        "medicationCodeableConcept": {
            "coding": [{"system": "http://www.whocc.no/atc", "code": "C10AA05"}]
        },
        "subject": patient,
        "encounter": {"reference": "Encounter/chronic-care"},
    }
    ctx = _gathered_from_the_server(fhir_base_url, record, medication, statement, statin)
    assert [s["id"] for s in ctx.medication_statements] == [statement["id"]]
    assert [r["id"] for r in ctx.medication_requests] == [statin["id"]]
    with pytest.raises(NotOnPathway) as refused:
        check_eligibility(ctx, SITE.pathway)
    found = {(f.code, f.params["red_flag"]) for f in refused.value.findings}
    assert found == {("red-flag-medication", "fracture"), ("red-flag-medication", "infection")}
