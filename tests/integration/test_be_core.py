"""HL7 Belgium's core profiles (hl7.fhir.be.core 2.1.2, profiles/dependencies.json).

Our profiles type the letter's subject, author and custodian, and the GP's Communication's
subject, recipient and sender, to be-core's BePatient, BePractitioner, BePractitionerRole and
BeOrganization (profiles/input/fsh/be-core.fsh). Proven everywhere:
- the compiled profiles carry those targets, and only pinned be-core profiles are targeted;
- where be-core is absent, the HAPI test server's copy of our profiles differs from ours only in
  those targets, each replaced by the base type it constrains (tests/support/fhir_packages.py);
- the HAPI test server's validator knows the profiles of a FHIR package it is given (our test
  package), the way it is given be-core.
Proven where a FHIR package cache holds be-core 2.1.2 (skipped elsewhere, saying why: it is on
no registry this machine reaches):
- the SSIN and NIHDI systems the module reads and writes are be-core's NamingSystems;
- every carried Patient, Practitioner and Organization, and every generated resource be-core has
  a profile for, has 0 errors against it on HAPI; every example transaction has 0 errors as
  declared, with the be-core targets resolved across the Bundle;
- a carried patient whose SSIN is not 11 digits makes the letter's subject fail BePatient.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

import pytest

_ROOT = Path(__file__).resolve().parents[2]
if str(_ROOT) not in sys.path:  # lets `pytest` (not only `python -m pytest`) import tests.*
    sys.path.insert(0, str(_ROOT))

from tests.support import fhir_packages  # noqa: E402
from tests.support.fhir_packages import (  # noqa: E402
    BE_CORE,
    CONFORMANCE_DIR,
    REPO,
    TEST_PACKAGE_PATIENT,
    FhirPackage,
    be_core,
    be_core_absent_reason,
    be_core_targets,
    conformance_without_be_core,
    pinned,
    targets_under,
)
from tests.support.hapi_server import errors, log_hint, validate  # noqa: E402

EXAMPLE_TRANSACTIONS = sorted((_ROOT / "examples" / "output").glob("*.transaction.json"))
BE_CANONICAL = pinned(BE_CORE)["canonical"]
OUR_CANONICAL = "https://fhir.uzleuven.be/discharge/StructureDefinition/"

# Our profile -> element -> the be-core profiles its reference targets, in order.
TYPED_TO_BE_CORE = {
    "lbp-gp-letter": {
        "Composition.subject": ["be-patient"],
        "Composition.author": ["be-practitioner"],
        "Composition.custodian": ["be-organization"],
    },
    "lbp-gp-letter-communication": {
        "Communication.subject": ["be-patient"],
        "Communication.recipient": ["be-practitioner", "be-practitionerrole", "be-organization"],
        "Communication.sender": ["be-organization"],
    },
}
# What the module carries (copies of the EHR's) and what it generates, by be-core's profile of
# each type (be-core 2.1.2 profiles no Composition, CarePlan, Task or Encounter).
CARRIED = {
    "Patient": "be-patient",
    "Practitioner": "be-practitioner",
    "PractitionerRole": "be-practitionerrole",
    "Organization": "be-organization",
}
GENERATED = {
    "Communication": "be-communication",
    "DocumentReference": "be-documentreference",
    "Provenance": "be-provenance",
}


def requires_be_core(unverified: str) -> pytest.MarkDecorator:
    """Skipped where be-core is absent (CI), the reason naming what then goes unverified."""
    return pytest.mark.skipif(be_core() is None, reason=be_core_absent_reason(unverified))


on_hapi = [pytest.mark.integration, pytest.mark.slow]


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def _be_core() -> FhirPackage:
    package = be_core()
    assert package is not None, be_core_absent_reason()
    return package


def _targets(structure_definition: dict[str, Any], view: str, element_id: str) -> list[str]:
    (element,) = [e for e in structure_definition[view]["element"] if e["id"] == element_id]
    (reference,) = element["type"]
    assert reference["code"] == "Reference"
    return list(reference["targetProfile"])


def _entries_by_profile(types: dict[str, str]) -> list[Any]:
    """One pytest param per distinct resource of these types in the example transactions."""
    params, seen = [], set()
    for path in EXAMPLE_TRANSACTIONS:
        for index, entry in enumerate(_load(path)["entry"]):
            resource = entry["resource"]
            profile = types.get(resource["resourceType"])
            key = json.dumps(resource, sort_keys=True)
            if profile is None or key in seen:
                continue
            seen.add(key)
            label = f"{path.name.removesuffix('.transaction.json')}-entry{index}-{profile}"
            params.append(pytest.param(path.name, index, profile, id=label))
    return params


# --- the typing, as compiled ---------------------------------------------------------------------


@pytest.mark.parametrize("profile", sorted(TYPED_TO_BE_CORE))
def test_the_letters_parties_are_typed_to_be_core(profile: str) -> None:
    sd = _load(CONFORMANCE_DIR / f"StructureDefinition-{profile}.json")
    for element_id, be_profiles in TYPED_TO_BE_CORE[profile].items():
        expected = [f"{BE_CANONICAL}/StructureDefinition/{p}" for p in be_profiles]
        for view in ("differential", "snapshot"):
            assert _targets(sd, view, element_id) == expected, f"{profile} {view} {element_id}"


def test_only_pinned_be_core_profiles_are_targeted() -> None:
    targeted: set[str] = set()
    for path in CONFORMANCE_DIR.glob("StructureDefinition-*.json"):
        targeted |= targets_under(BE_CANONICAL + "/", _load(path))
    assert targeted == set(be_core_targets()), "pin each be-core target in dependencies.json"


def test_without_be_core_only_its_targets_become_base_types(tmp_path: Path) -> None:
    relaxed_dir = conformance_without_be_core(tmp_path / "relaxed")
    replacements = be_core_targets()
    originals = sorted(CONFORMANCE_DIR.glob("*.json"))
    assert sorted(p.name for p in relaxed_dir.iterdir()) == [p.name for p in originals]
    changed = set()
    for original_path in originals:
        original, relaxed = _load(original_path), _load(relaxed_dir / original_path.name)
        expected = json.dumps(original)
        for url, base in replacements.items():
            expected = expected.replace(json.dumps(url), json.dumps(base))
        expected = json.loads(expected)
        assert relaxed == expected, original_path.name
        if relaxed != original:
            changed.add(original_path.name)
        assert not targets_under(BE_CANONICAL + "/", relaxed)
    assert changed == {f"StructureDefinition-{profile}.json" for profile in TYPED_TO_BE_CORE}


def test_a_be_core_target_that_is_not_pinned_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    sd = _load(CONFORMANCE_DIR / "StructureDefinition-lbp-gp-letter.json")
    unpinned = f"{BE_CANONICAL}/StructureDefinition/be-location"
    for element in sd["snapshot"]["element"]:
        if element["id"] == "Composition.subject":
            element["type"][0]["targetProfile"] = [unpinned]
    (source / "StructureDefinition-lbp-gp-letter.json").write_text(json.dumps(sd))
    with pytest.raises(ValueError, match="be-location"):
        conformance_without_be_core(tmp_path / "relaxed", source=source)


def test_where_be_core_is_absent_the_skip_says_what_goes_unverified(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FHIR_HOME", str(tmp_path))  # an empty FHIR package cache
    monkeypatch.setattr(fhir_packages, "vendored", lambda name: None)  # and none in the repo
    assert be_core() is None
    reason = be_core_absent_reason("the carried Patient conforms to be-core")
    assert reason.startswith(
        "be-core ABSENT, NOT VERIFIED in this run: the carried Patient conforms to be-core. "
    )
    assert f"{BE_CORE}#{pinned(BE_CORE)['version']}" in reason
    assert str(tmp_path / ".fhir" / "packages") in reason


def test_the_repository_holds_the_pinned_be_core_so_ci_validates_against_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FHIR_HOME", str(tmp_path))  # no package cache: CI's case
    package = be_core()
    assert package is not None, be_core_absent_reason()
    assert package.version == pinned(BE_CORE)["version"]
    assert package.folder == REPO / pinned(BE_CORE)["vendored"]
    assert "CC0" in (package.folder / "LICENSE").read_text(encoding="utf-8")
    profiles = {sd["id"] for sd in package.resources("StructureDefinition")}
    assert set(pinned(BE_CORE)["referenced"]) <= profiles


# --- the HAPI test server loads FHIR packages -----------------------------------------------------


@pytest.mark.integration
@pytest.mark.slow
def test_hapis_validator_knows_the_profiles_of_a_package_it_is_given(hapi_base_url: str) -> None:
    status, outcome = validate(
        hapi_base_url, {"resourceType": "Patient"}, profile=TEST_PACKAGE_PATIENT
    )
    found = errors(outcome)
    assert any(
        "Patient.birthDate: minimum required = 1" in e and TEST_PACKAGE_PATIENT in e for e in found
    ), f"{found} {log_hint()}"
    status, outcome = validate(
        hapi_base_url,
        {"resourceType": "Patient", "birthDate": "1981-03-14"},
        profile=TEST_PACKAGE_PATIENT,
    )
    assert errors(outcome) == [], log_hint()
    assert status == 200


# --- be-core itself (the package cache's or the repository's) ----------------------------------


@requires_be_core("the SSIN and NIHDI systems are be-core's NamingSystems")
def test_the_identifier_systems_are_be_cores_naming_systems() -> None:
    from fhir_discharge.core.record import identifiers

    # Each NamingSystem's uniqueIds as the URIs an Identifier.system holds (an OID as urn:oid:).
    systems: dict[str, set[str]] = {}
    for naming_system in _be_core().resources("NamingSystem"):
        systems[naming_system["id"]] = {
            u["value"] if u["type"] == "uri" else f"urn:{u['type']}:{u['value']}"
            for u in naming_system["uniqueId"]
        }
    assert identifiers.SSIN in systems["be-ssin"]
    assert identifiers.NIHDI in systems["be-nihdi"]
    assert systems["be-ssin"] == identifiers.SSIN_SYSTEMS
    assert (
        systems["be-nihdi"]
        | systems["be-ns-nihdi-professional"]
        | systems["be-ns-nihdi-organization"]
    ) == identifiers.NIHDI_SYSTEMS
    # The slices be-core's profiles match national numbers on use the same systems.
    for profile, slice_name, system in [
        ("be-patient", "SSIN", identifiers.SSIN),
        ("be-practitioner", "NIHDI", identifiers.NIHDI),
        ("be-practitioner", "SSIN", identifiers.SSIN),
        ("be-organization", "NIHDI", identifiers.NIHDI),
    ]:
        (sd,) = [s for s in _be_core().resources("StructureDefinition") if s["id"] == profile]
        fixed = {
            e.get("fixedUri")
            for e in sd["snapshot"]["element"]
            if e["id"] == f"{sd['type']}.identifier:{slice_name}.system"
        }
        assert fixed == {system}, (profile, slice_name, fixed)


@requires_be_core("the be-core profiles we target exist and constrain the types we name")
def test_the_pinned_be_core_profiles_constrain_the_types_we_name() -> None:
    by_url = {sd["url"]: sd for sd in _be_core().resources("StructureDefinition")}
    for url, base in be_core_targets().items():
        assert url in by_url, f"{url} is not in {BE_CORE}#{_be_core().version}"
        assert by_url[url]["baseDefinition"] == base
        assert by_url[url]["derivation"] == "constraint"


def _assert_example_entry_conforms(
    hapi_base_url: str, file_name: str, index: int, profile: str
) -> None:
    """Entry `index` of the example output `file_name` is valid against be-core's `profile`,
    as HAPI FHIR's $validate says."""
    resource = _load(_ROOT / "examples" / "output" / file_name)["entry"][index]["resource"]
    url = _be_core().profile(profile)
    status, outcome = validate(hapi_base_url, resource, profile=url)
    found = errors(outcome)
    assert not found, f"{file_name} entry {index} vs {url}:\n" + "\n".join(found)
    assert status == 200


@requires_be_core("the carried Patient, Practitioners and Organization conform to be-core")
@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.parametrize(("file_name", "index", "profile"), _entries_by_profile(CARRIED))
def test_a_carried_party_conforms_to_be_core(
    hapi_base_url: str, file_name: str, index: int, profile: str
) -> None:
    _assert_example_entry_conforms(hapi_base_url, file_name, index, profile)


@requires_be_core(
    "the generated Communication, DocumentReference and Provenance conform to be-core"
)
@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.parametrize(("file_name", "index", "profile"), _entries_by_profile(GENERATED))
def test_a_generated_resource_conforms_to_be_core(
    hapi_base_url: str, file_name: str, index: int, profile: str
) -> None:
    _assert_example_entry_conforms(hapi_base_url, file_name, index, profile)


@requires_be_core("the letter's parties conform to the be-core profiles our profiles type them to")
@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.parametrize("path", EXAMPLE_TRANSACTIONS, ids=lambda p: p.name)
def test_a_transaction_conforms_as_declared_with_be_core(hapi_base_url: str, path: Path) -> None:
    """Each entry against the profile it declares, the Communication against ours, the references
    between entries resolved: the letter's parties are checked against be-core."""
    bundle = _load(path)
    for entry in bundle["entry"]:
        resource = entry["resource"]
        if resource["resourceType"] == "Communication" and not resource.get("meta"):
            resource["meta"] = {"profile": [OUR_CANONICAL + "lbp-gp-letter-communication"]}
    status, outcome = validate(hapi_base_url, bundle)
    found = errors(outcome)
    assert not found, f"{path.name} as declared, with be-core:\n" + "\n".join(found)
    assert status == 200


@requires_be_core("a bad SSIN fails the letter's subject against BePatient")
@pytest.mark.integration
@pytest.mark.slow
def test_a_patient_whose_ssin_is_not_11_digits_fails_the_letters_subject(
    hapi_base_url: str,
) -> None:
    bundle = copy.deepcopy(
        _load(_ROOT / "examples" / "output" / "happy-path-bundle.transaction.json")
    )
    for entry in bundle["entry"]:
        if entry["resource"]["resourceType"] == "Patient":
            for identifier in entry["resource"]["identifier"]:
                if identifier["system"].endswith("/NamingSystem/ssin"):
                    identifier["value"] = identifier["value"][:10]
    _, outcome = validate(hapi_base_url, bundle)
    found = errors(outcome)
    assert any(".subject" in e and _be_core().profile("be-patient") in e for e in found), (
        "\n".join(found) or f"no error {log_hint()}"
    )
