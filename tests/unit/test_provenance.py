"""The Provenance of a discharge and the service as a Device (core/provenance.py): what the
discharge wrote, for whom, from what, by which version, recorded when; written once."""

from __future__ import annotations

import copy
import importlib.metadata
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from fhir_discharge import build_discharge, context_from_bundle
from fhir_discharge.core.codes import V3_DATA_OPERATION
from fhir_discharge.core.provenance import SERVICE_NAME, SERVICE_VERSION
from fhir_discharge.core.transaction import Discharge
from tests.support.contexts import held_by_server
from tests.support.factories import happy_bundle, resource, with_encounter
from tests.support.fhir_validator import format_issues
from tests.support.site import SITE
from tests.support.validator_fixture import fhir_validator  # noqa: F401 (a fixture)

ROOT = Path(__file__).resolve().parents[2]
PARTICIPANT = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"


def carried(record: dict[str, Any] | None = None) -> Discharge:
    return build_discharge(context_from_bundle(record or happy_bundle()), SITE)


def entry(discharge: Discharge, resource_type: str) -> dict[str, Any]:
    (found,) = [
        e for e in discharge.bundle["entry"] if e["resource"]["resourceType"] == resource_type
    ]
    return found


def agent(provenance: dict[str, Any], code: str) -> dict[str, Any]:
    (found,) = [a for a in provenance["agent"] if a["type"]["coding"][0]["code"] == code]
    assert found["type"]["coding"][0]["system"] == PARTICIPANT
    return found


def test_its_target_is_everything_the_discharge_writes_as_its_own():
    discharge = carried()
    provenance = discharge.provenance
    own = [e["fullUrl"] for e in discharge.bundle["entry"][:8]]  # the letter ... the document
    assert [t["reference"] for t in provenance["target"]] == own
    assert discharge.letter["identifier"]["value"] in own  # the letter
    assert entry(discharge, "Bundle")["fullUrl"] in own  # the stored document
    # not the record carried with the letter (the EHR's), nor the service's Device
    carried_urns = {c.urn for c in discharge.carried}
    assert carried_urns and carried_urns.isdisjoint(own)
    assert entry(discharge, "Device")["fullUrl"] not in own


def test_without_a_gp_it_names_what_was_written_then():
    record = happy_bundle()
    del resource(record, "Patient")["generalPractitioner"]
    discharge = carried(record)
    targets = [t["reference"] for t in discharge.provenance["target"]]
    types = {e["fullUrl"]: e["resource"]["resourceType"] for e in discharge.bundle["entry"]}
    assert [types[t] for t in targets] == [
        "Composition",
        "DocumentReference",
        "CarePlan",
        "Task",
        "Task",
        "Bundle",
    ]


def test_its_agents_are_the_signing_physician_and_this_version_of_the_service():
    discharge = carried()
    provenance = discharge.provenance
    letter = discharge.letter
    assert agent(provenance, "author")["who"] == letter["author"][0]
    service = agent(provenance, "assembler")
    device = entry(discharge, "Device")
    assert service["who"] == {
        "reference": device["fullUrl"],
        "display": f"{SERVICE_NAME} {SERVICE_VERSION}",
    }
    assert service["onBehalfOf"] == letter["custodian"]  # the hospital


def test_its_sources_are_the_screening_and_the_encounter():
    discharge = carried()
    entities = discharge.provenance["entity"]
    assert [e["role"] for e in entities] == ["source", "source"]
    types = {e["fullUrl"]: e["resource"]["resourceType"] for e in discharge.bundle["entry"]}
    assert [types[e["what"]["reference"]] for e in entities] == [
        "QuestionnaireResponse",
        "Encounter",
    ]
    assert entities[1]["what"] == discharge.letter["encounter"]
    assessment = next(s for s in discharge.letter["section"] if s["title"] == "Beoordeling")
    assert entities[0]["what"] in assessment["entry"]  # the screening the letter cites
    # a record read from the FHIR server itself: by its ids there
    held = build_discharge(held_by_server(happy_bundle()), SITE).provenance
    assert [e["what"]["reference"] for e in held["entity"]] == [
        "QuestionnaireResponse/lbp-example-screening",
        "Encounter/lbp-example-encounter",
    ]


def test_it_is_recorded_at_the_letters_own_time_as_a_creation():
    discharge = carried()
    provenance = discharge.provenance
    # the core has no clock: the letter's time, when the physician attests it (the encounter's
    # end), the same on every repeat
    assert provenance["recorded"] == discharge.letter["date"] == "2026-11-25T12:40:00+01:00"
    assert provenance["recorded"] == discharge.letter["attester"][0]["time"]
    assert resource(happy_bundle(), "Encounter")["period"]["end"] == "2026-11-25T12:40:00+01:00"
    assert provenance["activity"] == {
        "coding": [{"system": V3_DATA_OPERATION, "code": "CREATE", "display": "create"}]
    }


def test_a_repeat_finds_it_by_its_tag_and_writes_nothing_twice():
    discharge = carried()
    found = entry(discharge, "Provenance")
    (tag,) = found["resource"]["meta"]["tag"]
    assert tag == {"system": "urn:ietf:rfc:3986", "code": found["fullUrl"]}
    # R4 Provenance has no identifier: the conditional create searches the tag it carries
    assert parse_qsl(found["request"]["ifNoneExist"]) == [
        ("_tag", f"urn:ietf:rfc:3986|{found['fullUrl']}")
    ]
    assert carried().provenance == discharge.provenance
    other = carried(with_encounter(happy_bundle(), "other-enc", "SPO-2026-000002")).provenance
    assert other["meta"]["tag"] != found["resource"]["meta"]["tag"]


def test_the_service_is_a_device_of_the_package_version_written_once_per_version():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert (SERVICE_NAME, SERVICE_VERSION) == (
        pyproject["project"]["name"],
        pyproject["project"]["version"],
    )
    assert importlib.metadata.version(SERVICE_NAME) == SERVICE_VERSION
    found = entry(carried(), "Device")
    device = found["resource"]
    assert device["version"] == [{"value": SERVICE_VERSION}]
    assert device["deviceName"] == [{"name": SERVICE_NAME, "type": "manufacturer-name"}]
    (identifier,) = device["identifier"]
    assert identifier["value"] == f"{SERVICE_NAME}/{SERVICE_VERSION}"
    assert parse_qsl(found["request"]["ifNoneExist"]) == [
        ("identifier", f"{identifier['system']}|{identifier['value']}")
    ]
    # the same Device for every discharge of this version
    other = entry(carried(with_encounter(happy_bundle(), "other-enc", "SPO-2026-000002")), "Device")
    assert other["request"] == found["request"] and other["resource"] == device


def test_they_follow_r4_and_our_profiles(fhir_validator):  # noqa: F811
    discharge = carried()
    for resource_type in ("Provenance", "Device"):
        errors = fhir_validator.errors(entry(discharge, resource_type)["resource"])
        assert errors == [], format_issues(errors)


def test_our_profile_refuses_a_provenance_without_the_service(fhir_validator):  # noqa: F811
    provenance = copy.deepcopy(carried().provenance)
    provenance["agent"] = [a for a in provenance["agent"] if "display" not in a["who"]]
    messages = [e["message"] for e in fhir_validator.errors(provenance)]
    assert any("lbp-provenance-service" in m for m in messages), messages


def test_a_task_left_out_is_not_named(monkeypatch):
    # A KMEHR message over the eHealthBox's limit: no message, no Task for the engine; the
    # Provenance names only what the transaction writes.
    monkeypatch.setattr("fhir_discharge.core.gp_message.ehealthbox.EHEALTHBOX_MAX_BYTES", 100)
    discharge = carried()
    written = {e["fullUrl"] for e in discharge.bundle["entry"]}
    targets = [t["reference"] for t in discharge.provenance["target"]]
    assert len(targets) == 7 and set(targets) <= written
