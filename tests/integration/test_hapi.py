"""HAPI FHIR for real: a HAPI FHIR JPA server (tools/hapi, R4) and its validator as the reference.

The server is started once per session (tests/support/hapi_server.py). What is proven here:
- it is up and speaks R4 (CapabilityStatement fhirVersion 4.0.1, the HAPI release of the pom);
- a transaction with a urn:uuid Patient and conditional creates: 201 first, 200 on repeat,
  nothing duplicated;
- referential integrity on write: a reference to a Patient the server does not hold is refused
  (HAPI-1094), a transaction carrying one writes nothing;
- `$validate` (the HL7 validator engine): every example file and every instance SUSHI generated
  has 0 errors against base R4 (each file's warnings are reported as pytest warnings); the
  resources of the happy-path transaction have 0 errors against our profiles; known-bad
  resources are caught (a wrong required code, a missing mandatory element, a profile
  violation, broken invariants).
"""

from __future__ import annotations

import copy
import json
import re
import sys
import uuid
import warnings
from pathlib import Path
from typing import Any

import httpx
import pytest

_ROOT = Path(__file__).resolve().parents[2]
if str(_ROOT) not in sys.path:  # lets `pytest` (not only `python -m pytest`) import tests.*
    sys.path.insert(0, str(_ROOT))

from tests.support.hapi_server import (  # noqa: E402
    CONFORMANCE_DIR,
    FHIR_JSON,
    HAPI_DIR,
    errors,
    log_hint,
    validate,
    warnings_of,
)

pytestmark = pytest.mark.slow

EXAMPLES = _ROOT / "examples"
HAPPY_PATH_TRANSACTION = EXAMPLES / "output" / "happy-path-bundle.transaction.json"
HEADERS = {"Content-Type": FHIR_JSON, "Accept": FHIR_JSON}


class HapiValidationWarning(UserWarning):
    """A warning HAPI's validator reported for a file that has no errors."""


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def _pinned_hapi_version() -> str:
    match = re.search(r"<hapi\.version>([^<]+)</hapi\.version>", (HAPI_DIR / "pom.xml").read_text())
    assert match, "tools/hapi/pom.xml has no <hapi.version>"
    return match.group(1)


def _our_profiles() -> dict[str, str]:
    """Resource type -> canonical URL of our (first, by file name) profile of it
    (profiles/fsh-generated/resources). Task has two: the follow-up (lbp-follow-up-task) and
    the one for the integration engine (lbp-gp-message-task), which its builder declares."""
    profiles: dict[str, str] = {}
    for path in sorted(CONFORMANCE_DIR.glob("StructureDefinition-*.json")):
        sd = _load(path)
        if sd.get("kind") == "resource" and sd.get("derivation") == "constraint":
            profiles.setdefault(sd["type"], sd["url"])
    return profiles


def _published_profiles() -> set[str]:
    return {_load(p)["url"] for p in CONFORMANCE_DIR.glob("StructureDefinition-*.json")}


def _without_declared_profiles(resource: Any) -> Any:
    """A copy without meta.profile anywhere (Bundle entries, contained): base R4 only."""
    if isinstance(resource, dict):
        copied = {k: _without_declared_profiles(v) for k, v in resource.items()}
        meta = copied.get("meta")
        if isinstance(meta, dict) and "resourceType" in copied:
            meta.pop("profile", None)
            if not meta:
                del copied["meta"]
        return copied
    if isinstance(resource, list):
        return [_without_declared_profiles(item) for item in resource]
    return resource


def _report_warnings(label: str, outcome: dict[str, Any]) -> None:
    found = sorted(set(warnings_of(outcome)))
    if found:
        listing = "\n  ".join(found)
        warnings.warn(
            HapiValidationWarning(
                f"{label}: {len(found)} warning(s) from HAPI $validate:\n  {listing}"
            ),
            stacklevel=2,
        )


def _files_to_validate() -> list[Path]:
    files = sorted(EXAMPLES.glob("input/*.json")) + sorted(EXAMPLES.glob("output/*.json"))
    # SUSHI's instances (the StructureDefinitions are what the others are validated against).
    files += [
        p
        for p in sorted(CONFORMANCE_DIR.glob("*.json"))
        if not p.name.startswith("StructureDefinition-")
    ]
    return files


# Errors HAPI's validator finds in example files today, each with its reason: (file name pattern,
# error pattern, reason). A file whose every error is listed here is an xfail (not a skip: it is
# validated, and the entry must go the day it passes); any other error fails the test.
KNOWN_INVALID: list[tuple[str, str, str]] = [
    (
        r"^incomplete-screening-unanswered\.json$",
        r"No response answer found for required item '[^']+'",
        "deliberately incomplete input: a *completed* screening QuestionnaireResponse with a"
        " required item unanswered (the eligibility gate must refuse it)",
    ),
]


def _known_reasons(file_name: str, found: list[str]) -> set[str] | None:
    """The reasons explaining every error found in this file, or None if one is unexplained."""
    reasons = set()
    for error in found:
        matches = [
            reason
            for file_pattern, error_pattern, reason in KNOWN_INVALID
            if re.search(file_pattern, file_name) and re.search(error_pattern, error)
        ]
        if not matches:
            return None
        reasons.update(matches)
    return reasons


# --- the server ------------------------------------------------------------------------------


def test_hapi_is_up_and_speaks_r4(hapi_base_url: str) -> None:
    response = httpx.get(f"{hapi_base_url}/metadata", headers=HEADERS, timeout=60)
    assert response.status_code == 200, log_hint()
    capabilities = response.json()
    assert capabilities["resourceType"] == "CapabilityStatement"
    assert capabilities["fhirVersion"] == "4.0.1"
    assert capabilities["software"]["name"] == "HAPI FHIR Server"
    assert capabilities["software"]["version"] == _pinned_hapi_version()
    resources = {r["type"]: r for r in capabilities["rest"][0]["resource"]}
    composition_ops = {op["name"] for op in resources["Composition"].get("operation", [])}
    assert {"document", "validate"} <= composition_ops
    interactions = {i["code"] for i in capabilities["rest"][0].get("interaction", [])}
    assert "transaction" in interactions
    assert resources["Patient"].get("conditionalCreate") is True


def test_our_definitions_are_on_the_server(hapi_base_url: str) -> None:
    """The Questionnaire/PlanDefinition/ActivityDefinitions SUSHI generated are stored (by id)."""
    for path in sorted(CONFORMANCE_DIR.glob("*.json")):
        resource = _load(path)
        if resource["resourceType"] in {"StructureDefinition", "ValueSet", "CodeSystem"}:
            continue  # in the validator's chain (see the profile tests below), not stored
        url = f"{hapi_base_url}/{resource['resourceType']}/{resource['id']}"
        response = httpx.get(url, headers=HEADERS, timeout=30)
        assert response.status_code == 200, f"{url}: {response.status_code} {log_hint()}"
        assert response.json()["url"] == resource["url"]


# --- transactions, conditional creates, referential integrity -----------------------------------


def _patient_and_encounter_transaction(ssin: str, encounter_id: str) -> dict[str, Any]:
    patient_urn = f"urn:uuid:{uuid.uuid4()}"
    ssin_system = "https://www.ehealth.fgov.be/standards/fhir/core/NamingSystem/ssin"
    encounter_system = "https://fhir.uzleuven.be/discharge/test/encounter-id"
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": patient_urn,
                "resource": {
                    "resourceType": "Patient",
                    "identifier": [{"system": ssin_system, "value": ssin}],
                    "name": [{"family": "Peeters", "given": ["Jan"]}],
                },
                "request": {
                    "method": "POST",
                    "url": "Patient",
                    "ifNoneExist": f"identifier={ssin_system}|{ssin}",
                },
            },
            {
                "fullUrl": f"urn:uuid:{uuid.uuid4()}",
                "resource": {
                    "resourceType": "Encounter",
                    "identifier": [{"system": encounter_system, "value": encounter_id}],
                    "status": "finished",
                    "class": {
                        "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                        "code": "EMER",
                    },
                    "subject": {"reference": patient_urn},
                },
                "request": {
                    "method": "POST",
                    "url": "Encounter",
                    "ifNoneExist": f"identifier={encounter_system}|{encounter_id}",
                },
            },
        ],
    }


def _post_transaction(base_url: str, bundle: dict[str, Any]) -> httpx.Response:
    return httpx.post(base_url, json=bundle, headers=HEADERS, timeout=120)


def _search_total(base_url: str, query: str) -> tuple[int, list[dict[str, Any]]]:
    response = httpx.get(f"{base_url}/{query}", headers=HEADERS, timeout=60)
    assert response.status_code == 200, response.text
    bundle = response.json()
    return bundle.get("total", -1), [e["resource"] for e in bundle.get("entry", [])]


def test_transaction_conditional_create_201_then_200_nothing_duplicated(hapi_base_url: str) -> None:
    ssin = f"{uuid.uuid4().int % 10**11:011d}"
    encounter_id = f"enc-{uuid.uuid4()}"
    bundle = _patient_and_encounter_transaction(ssin, encounter_id)

    first = _post_transaction(hapi_base_url, bundle)
    assert first.status_code == 200, f"{first.text} {log_hint()}"
    first_entries = first.json()["entry"]
    assert [e["response"]["status"] for e in first_entries] == ["201 Created"] * 2
    patient_location = first_entries[0]["response"]["location"].split("/_history")[0]

    # The same transaction again (fresh urn:uuids, as a retry would have): everything exists.
    again = _patient_and_encounter_transaction(ssin, encounter_id)
    second = _post_transaction(hapi_base_url, again)
    assert second.status_code == 200, second.text
    second_entries = second.json()["entry"]
    assert [e["response"]["status"] for e in second_entries] == ["200 OK"] * 2
    assert second_entries[0]["response"]["location"].split("/_history")[0] == patient_location

    total, patients = _search_total(hapi_base_url, f"Patient?identifier={ssin}&_total=accurate")
    assert total == 1
    total, encounters = _search_total(
        hapi_base_url, f"Encounter?identifier={encounter_id}&_total=accurate"
    )
    assert total == 1
    # The urn:uuid reference was rewritten to the server's id of the (one) Patient.
    assert encounters[0]["subject"]["reference"] == f"Patient/{patients[0]['id']}"


def test_reference_to_a_patient_the_server_does_not_hold_is_refused(hapi_base_url: str) -> None:
    missing = f"Patient/no-such-patient-{uuid.uuid4().hex[:12]}"
    observation = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"text": "pain score"},
        "subject": {"reference": missing},
    }
    response = httpx.post(
        f"{hapi_base_url}/Observation", json=observation, headers=HEADERS, timeout=60
    )
    assert response.status_code == 400, response.text
    diagnostics = " ".join(i.get("diagnostics", "") for i in response.json()["issue"])
    assert f"HAPI-1094: Resource {missing} not found" in diagnostics


def test_transaction_with_a_dangling_reference_writes_nothing(hapi_base_url: str) -> None:
    ssin = f"{uuid.uuid4().int % 10**11:011d}"
    bundle = _patient_and_encounter_transaction(ssin, f"enc-{uuid.uuid4()}")
    missing = f"Patient/no-such-patient-{uuid.uuid4().hex[:12]}"
    bundle["entry"].append(
        {
            "fullUrl": f"urn:uuid:{uuid.uuid4()}",
            "resource": {
                "resourceType": "Observation",
                "status": "final",
                "code": {"text": "pain score"},
                "subject": {"reference": missing},
            },
            "request": {"method": "POST", "url": "Observation"},
        }
    )
    response = _post_transaction(hapi_base_url, bundle)
    assert response.status_code == 400, response.text
    diagnostics = " ".join(i.get("diagnostics", "") for i in response.json()["issue"])
    assert f"HAPI-1094: Resource {missing} not found" in diagnostics
    total, _ = _search_total(hapi_base_url, f"Patient?identifier={ssin}&_total=accurate")
    assert total == 0, "the transaction was half-written"


def test_hapi_composition_document(hapi_base_url: str) -> None:
    """HAPI's own Composition/$document: a document Bundle, the Composition first, with what it
    references (here its subject and author)."""
    patient, author, composition = (f"urn:uuid:{uuid.uuid4()}" for _ in range(3))
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": patient,
                "resource": {"resourceType": "Patient", "name": [{"family": "Janssens"}]},
                "request": {"method": "POST", "url": "Patient"},
            },
            {
                "fullUrl": author,
                "resource": {"resourceType": "Practitioner", "name": [{"family": "Maes"}]},
                "request": {"method": "POST", "url": "Practitioner"},
            },
            {
                "fullUrl": composition,
                "resource": {
                    "resourceType": "Composition",
                    "status": "final",
                    "type": {"coding": [{"system": "http://loinc.org", "code": "59258-4"}]},
                    "subject": {"reference": patient},
                    "date": "2025-03-01T10:00:00+01:00",
                    "author": [{"reference": author}],
                    "title": "Ontslagbrief",
                },
                "request": {"method": "POST", "url": "Composition"},
            },
        ],
    }
    response = _post_transaction(hapi_base_url, bundle)
    assert response.status_code == 200, f"{response.text} {log_hint()}"
    locations = [e["response"]["location"].split("/_history")[0] for e in response.json()["entry"]]
    document = httpx.get(f"{hapi_base_url}/{locations[2]}/$document", headers=HEADERS, timeout=60)
    assert document.status_code == 200, document.text
    doc = document.json()
    assert doc["resourceType"] == "Bundle"
    assert doc["type"] == "document"
    types = [e["resource"]["resourceType"] for e in doc["entry"]]
    assert types[0] == "Composition"
    assert {"Patient", "Practitioner"} <= set(types)


# --- $validate: the examples and SUSHI's instances against base R4 -----------------------------


@pytest.mark.parametrize("path", _files_to_validate(), ids=lambda p: str(p.relative_to(_ROOT)))
def test_file_is_valid_r4(hapi_base_url: str, path: Path) -> None:
    if not path.exists():
        pytest.skip(f"{path} was removed during the session")
    resource = _without_declared_profiles(_load(path))
    status, outcome = validate(hapi_base_url, resource)
    assert outcome.get("resourceType") == "OperationOutcome", f"{status} {outcome} {log_hint()}"
    found = errors(outcome)
    reasons = _known_reasons(path.name, found) if found else None
    if reasons:
        pytest.xfail(f"{len(found)} known error(s): " + " | ".join(sorted(reasons)))
    assert not found, f"{path.name}: HAPI $validate (base R4) errors:\n" + "\n".join(found)
    assert status == 200
    _report_warnings(str(path.relative_to(_ROOT)), outcome)


# --- $validate against our profiles ------------------------------------------------------------


def _happy_path_resources() -> list[Any]:
    params = []
    profiles = _our_profiles()
    for index, entry in enumerate(_load(HAPPY_PATH_TRANSACTION)["entry"]):
        resource = entry["resource"]
        declared = resource.get("meta", {}).get("profile", [])
        profile = declared[0] if declared else profiles.get(resource["resourceType"])
        if profile:
            params.append(
                pytest.param(index, profile, id=f"entry{index}-{resource['resourceType']}")
            )
    return params


def test_our_profiles_are_known_to_the_validator() -> None:
    profiles = _our_profiles()
    assert {"Composition", "CarePlan", "Task", "DocumentReference"} <= set(profiles)
    declared = {
        p
        for e in _load(HAPPY_PATH_TRANSACTION)["entry"]
        for p in e["resource"].get("meta", {}).get("profile", [])
    }
    assert declared <= _published_profiles(), "a resource declares a profile we do not publish"


@pytest.mark.parametrize(("index", "profile"), _happy_path_resources())
def test_happy_path_resource_conforms_to_our_profile(
    hapi_base_url: str, index: int, profile: str
) -> None:
    resource = _load(HAPPY_PATH_TRANSACTION)["entry"][index]["resource"]
    status, outcome = validate(hapi_base_url, resource, profile=profile)
    found = errors(outcome)
    assert not found, f"{resource['resourceType']} vs {profile}:\n" + "\n".join(found)
    assert status == 200
    _report_warnings(f"happy-path entry {index} {resource['resourceType']} vs {profile}", outcome)


def test_happy_path_transaction_as_declared(hapi_base_url: str) -> None:
    """The whole Bundle with its meta.profile: each entry against the profile it declares, with
    the references between entries resolved (slices on reference targets are checked)."""
    status, outcome = validate(hapi_base_url, _load(HAPPY_PATH_TRANSACTION))
    found = errors(outcome)
    assert not found, "happy-path transaction, as declared:\n" + "\n".join(found)
    assert status == 200


# --- known-bad resources are caught ------------------------------------------------------------


def _happy(resource_type: str) -> dict[str, Any]:
    for entry in _load(HAPPY_PATH_TRANSACTION)["entry"]:
        if entry["resource"]["resourceType"] == resource_type:
            return _without_declared_profiles(copy.deepcopy(entry["resource"]))
    raise AssertionError(f"no {resource_type} in {HAPPY_PATH_TRANSACTION.name}")


def _bogus_composition_status() -> dict[str, Any]:
    composition = _happy("Composition")
    composition["status"] = "bogus"
    return composition


def _bogus_condition_clinical_status() -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "clinicalStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                    "code": "bogus",
                }
            ]
        },
        "code": {"text": "low back pain"},
        "subject": {"reference": "Patient/example"},
    }


def _composition_without_title() -> dict[str, Any]:
    composition = _happy("Composition")
    del composition["title"]
    return composition


def _letter_without_its_first_section() -> dict[str, Any]:
    composition = _happy("Composition")
    composition["section"] = composition["section"][1:]
    return composition


def _narrative_div_not_xhtml() -> dict[str, Any]:
    composition = _happy("Composition")
    composition["text"] = {"status": "generated", "div": "<div>no XHTML namespace</div>"}
    return composition


def _period_ending_before_it_starts() -> dict[str, Any]:
    care_plan = _happy("CarePlan")
    care_plan["period"] = {"start": "2025-03-10", "end": "2025-03-01"}
    return care_plan


GP_LETTER = "https://fhir.uzleuven.be/discharge/StructureDefinition/lbp-gp-letter"

KNOWN_BAD = [
    # (id, build, profile, a fragment one of the error issues must contain)
    # HAPI refuses an unknown code of a `code` element already when parsing the request body
    # (HAPI-0450 wrapping HAPI-1821), before its validator runs: still a 400 with an error issue.
    ("wrong-required-code-Composition.status", _bogus_composition_status, None, "HAPI-1821"),
    (
        "wrong-required-code-Condition.clinicalStatus",
        _bogus_condition_clinical_status,
        None,
        "condition-clinical#bogus",
    ),
    (
        "missing-mandatory-Composition.title",
        _composition_without_title,
        None,
        "Composition.title: minimum required = 1",
    ),
    (
        "profile-violation-letter-without-a-section",
        _letter_without_its_first_section,
        GP_LETTER,
        f"(from {GP_LETTER}|",
    ),
    (
        "invariant-narrative-div-not-xhtml",
        _narrative_div_not_xhtml,
        None,
        "Wrong namespace on the XHTML",
    ),
    ("invariant-per-1-period-end-before-start", _period_ending_before_it_starts, None, "per-1"),
]


@pytest.mark.parametrize(
    ("build", "profile", "fragment"),
    [pytest.param(b, p, f, id=i) for i, b, p, f in KNOWN_BAD],
)
def test_known_bad_resource_is_caught(
    hapi_base_url: str, build: Any, profile: str | None, fragment: str
) -> None:
    status, outcome = validate(hapi_base_url, build(), profile=profile)
    found = errors(outcome)
    assert found, f"HAPI $validate found no error (status {status}): {outcome} {log_hint()}"
    assert any(fragment in issue for issue in found), "\n".join(found)
