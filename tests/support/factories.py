"""Discharge contexts for the tests: the example record, and ways to change one thing in it."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
HAPPY_PATH = EXAMPLES / "input" / "happy-path-bundle.json"

Resource = dict[str, Any]
# The EHR's business identifiers of the record's resources the tests add (carry.py needs one).
RECORD_IDENTIFIER = "https://example.uzleuven.be/sid/record"

# The letter's sections, in reading order, as a Dutch-reading GP sees their titles.
SECTION_TITLES = [
    "Reden van komst",
    "Beoordeling",
    "Beeldvorming en onderzoeken",
    "Gegeven adviezen",
    "Voorgeschreven medicatie",
    "Opvolging",
    "Wanneer opnieuw een arts raadplegen",
    "Informatie voor de patiënt",
    "Zorgplan",
]


def happy_bundle() -> Resource:
    return json.loads(HAPPY_PATH.read_text(encoding="utf-8"))


def resource(bundle: Resource, resource_type: str, resource_id: str | None = None) -> Resource:
    for entry in bundle["entry"]:
        r = entry["resource"]
        if r["resourceType"] == resource_type and (resource_id is None or r["id"] == resource_id):
            return r
    raise KeyError(resource_type)


def remove(bundle: Resource, resource_type: str, resource_id: str | None = None) -> Resource:
    target = resource(bundle, resource_type, resource_id)
    bundle["entry"] = [e for e in bundle["entry"] if e["resource"] is not target]
    return bundle


def add(bundle: Resource, new: Resource) -> Resource:
    bundle["entry"].append({"fullUrl": f"{new['resourceType']}/{new['id']}", "resource": new})
    return bundle


def condition(
    condition_id: str,
    system: str,
    code: str,
    *,
    encounter: bool = True,
    clinical: str | None = "active",
    verification: str | None = "confirmed",
    patient: str = "Patient/lbp-example-patient",
) -> Resource:
    cond: Resource = {
        "resourceType": "Condition",
        "id": condition_id,
        "identifier": [{"system": RECORD_IDENTIFIER, "value": f"Condition-{condition_id}"}],
        "code": {"coding": [{"system": system, "code": code}]},
        "subject": {"reference": patient},
    }
    if clinical:
        cond["clinicalStatus"] = {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                    "code": clinical,
                }
            ]
        }
    if verification:
        cond["verificationStatus"] = {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                    "code": verification,
                }
            ]
        }
    if encounter:
        cond["encounter"] = {"reference": "Encounter/lbp-example-encounter"}
    return cond


def with_encounter(bundle: Resource, encounter_id: str, identifier_value: str) -> Resource:
    """The same record as another encounter (another identity, so other letters)."""
    bundle = copy.deepcopy(bundle)
    enc = resource(bundle, "Encounter")
    old = f"Encounter/{enc['id']}"
    enc["id"] = encounter_id
    enc["identifier"][0]["value"] = identifier_value
    for entry in bundle["entry"]:
        r = entry["resource"]
        if (r.get("encounter") or {}).get("reference") == old:
            r["encounter"] = {"reference": f"Encounter/{encounter_id}"}
        if r is enc:
            entry["fullUrl"] = f"Encounter/{encounter_id}"
    return bundle


# The SSIN and NIHDI numbers of the example's patient, ED physician, GP and hospital.
EXAMPLE_SSIN = "81031412414"
EXAMPLE_PHYSICIAN_NIHDI = "16543250000"
EXAMPLE_GP_NIHDI = "12345625003"
EXAMPLE_HOSPITAL_NIHDI = "71000436000"


def valid_ssin(seed: int) -> str:
    """An SSIN that passes its check (11 digits, mod 97), different for each seed: a birth date
    in 1950-1999 and a day counter, then the check number."""
    year, rest = 50 + seed % 50, seed // 50
    month, rest = 1 + rest % 12, rest // 12
    day, rest = 1 + rest % 28, rest // 28
    counter = 1 + rest % 997
    base = int(f"{year:02d}{month:02d}{day:02d}{counter:03d}")
    return f"{base:09d}{97 - base % 97:02d}"


def valid_nihdi(first_six: int, qualification: str = "000") -> str:
    """A NIHDI number that passes its check (modulo 97) from its first six digits."""
    return f"{first_six:06d}{97 - first_six % 97:02d}{qualification}"


def fresh_record(tag: str) -> Resource:
    """The example record under ids and identifiers of its own, so tests sharing one FHIR
    server never see each other's data. Its SSIN and NIHDI numbers are well formed (check
    digits), so the letter can still go to the GP as a KMEHR message."""
    text = HAPPY_PATH.read_text(encoding="utf-8")
    text = text.replace("lbp-example-", f"t-{tag}-").replace("SPO-2026-004711", f"SPO-{tag}")
    numbers = {
        EXAMPLE_SSIN: tagged_ssin(tag),
        EXAMPLE_PHYSICIAN_NIHDI: tagged_nihdi(tag, "physician", "1"),
        EXAMPLE_GP_NIHDI: tagged_nihdi(tag, "gp", "1"),
        EXAMPLE_HOSPITAL_NIHDI: tagged_nihdi(tag, "hospital", "7"),
    }
    for number, fresh in numbers.items():
        text = text.replace(f'"{number}"', f'"{fresh}"')
    return json.loads(text.replace("P-0000042", f"P-{tag}"))


def _tag_number(*parts: str) -> int:
    return int.from_bytes(hashlib.sha256("|".join(parts).encode()).digest()[:8], "big")


def tagged_ssin(tag: str) -> str:
    """A well-formed SSIN of its own for `tag`: a BIS-style month (+ 40), so it is no one's
    national register number; year, month, day and sequence from the tag (33 million of them)."""
    number = _tag_number(tag, "ssin")
    year, month = number % 100, number // 100 % 12 + 41
    day, sequence = number // 1200 % 28 + 1, number // 33600 % 998 + 1
    body = f"{year:02d}{month:02d}{day:02d}{sequence:03d}"
    return f"{body}{97 - int(body) % 97:02d}"


def tagged_nihdi(tag: str, role: str, first_digit: str) -> str:
    """A well-formed 11-digit NIHDI number of its own for `tag` and `role` (check digits
    modulo 97; the number and the qualification from the tag: 100 million of them)."""
    number = _tag_number(tag, role)
    base = f"{first_digit}{number % 100_000:05d}"
    return f"{base}{97 - int(base) % 97:02d}{number // 100_000 % 1000:03d}"


def record_with_ids_only() -> Resource:
    """The example record as an integrator on a shared sandbox sends it: ids such as
    `Patient/1` and `Encounter/1`, and no business identifier on any resource."""
    text = HAPPY_PATH.read_text(encoding="utf-8")
    text = text.replace("lbp-example-patient", "1").replace("lbp-example-encounter", "1")
    bundle = json.loads(text)
    for entry in bundle["entry"]:
        entry["resource"].pop("identifier", None)
    return bundle


def references_in(node: object):
    """Every literal reference anywhere in a resource or bundle."""
    if isinstance(node, dict):
        if isinstance(node.get("reference"), str):
            yield node["reference"]
        for value in node.values():
            yield from references_in(value)
    elif isinstance(node, list):
        for value in node:
            yield from references_in(value)


def screening(bundle: Resource) -> Resource:
    """The physician's red-flag screening (QuestionnaireResponse) of the record."""
    return resource(bundle, "QuestionnaireResponse")


def answer(bundle: Resource, link_id: str, value: object) -> Resource:
    """Set (or, with None, remove) the answer to one item of the screening."""
    for item in screening(bundle)["item"]:
        if item["linkId"] == link_id:
            if value is None:
                item.pop("answer", None)
            else:
                item["answer"] = [{"valueBoolean": value}]
            return bundle
    raise KeyError(link_id)


def clinical(resource_type: str, resource_id: str, **fields: Any) -> Resource:
    """A resource of the example patient and encounter (Observation, ImagingStudy, ...)."""
    return {
        "resourceType": resource_type,
        "id": resource_id,
        "identifier": [{"system": RECORD_IDENTIFIER, "value": f"{resource_type}-{resource_id}"}],
        "subject": {"reference": "Patient/lbp-example-patient"},
        "encounter": {"reference": "Encounter/lbp-example-encounter"},
        **fields,
    }


def temperature(resource_id: str, value: float, unit: str = "Cel", **fields: Any) -> Resource:
    quantity = {"value": value, "system": "http://unitsofmeasure.org", "code": unit}
    fields = {
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "8310-5"}]},
        "valueQuantity": quantity,
        **fields,
    }
    return clinical("Observation", resource_id, **fields)


def prescription(resource_id: str, medication: str, dosage: str | None = None, **fields: Any):
    """A MedicationRequest of the encounter (an order) naming its medication by text."""
    request = {
        "status": "active",
        "intent": "order",
        "medicationCodeableConcept": {"text": medication},
        **({"dosageInstruction": [{"text": dosage}]} if dosage else {}),
        **fields,
    }
    return clinical("MedicationRequest", resource_id, **request)
