# ruff: noqa: F811
"""The compiled conformance artefacts in profiles/fsh-generated/resources are fresh and agree with
the Python code.

The FSH in profiles/input/fsh is compiled by `bash tools/sushi/build.sh` (pinned SUSHI, offline);
the JSON output is committed so these tests need no Node, except the `slow` one that recompiles.

- freshness: profiles/fsh-generated/.fsh-digest (written by build.sh) must match the FSH, the
  SUSHI config and the pinned tools (inputs) and the committed JSON (outputs);
- every StructureDefinition carries a snapshot;
- the ValueSets equal fhir_discharge/core/codes.py LOW_BACK_PAIN / RED_FLAGS (per screening item;
  a red flag's SNOMED CT concept as an is-a filter: itself and its descendants),
  the letter's section slices equal SECTION_CODES, the fixed types equal ED_DISCHARGE_SUMMARY /
  BROCHURE_TYPE, and the PlanDefinition / ActivityDefinitions say what the Dutch catalogue says
  (core/i18n/nl-BE.toml) for the default site;
- the red-flag screening Questionnaire has pathway.py's linkIds (required booleans, Dutch), the
  PlanDefinition requires it, its copies in fhir_discharge/core/pathway/definitions and
  examples/definitions are
  the compiled one, and the example screening follows the QuestionnaireResponse profile;
- the definitional instances carry what R4 requires of them.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from fhir_discharge.core.codes import (
    BROCHURE_TYPE,
    ED_DISCHARGE_SUMMARY,
    ICD_RANGE_CATEGORIES,
    LOW_BACK_PAIN,
    RED_FLAG_LABELS,
    RED_FLAGS,
    SECTION_CODES,
    SNOMED,
    Code,
)
from fhir_discharge.core.i18n.catalogue import LANGUAGES, catalogue
from fhir_discharge.core.pathway.content import MEDICATION_KEYS
from tests.support.site import SITE

# The session fixture (one validator worker per session; test arguments named like it: F811).
from tests.support.validator_fixture import fhir_validator  # noqa: F401

NL_BE = catalogue("nl-BE").letter
ADVICE_KEYS = SITE.pathway.advice
BROCHURE_URL = SITE.brochure("nl-BE")[0]
# The spine programme's page the PlanDefinition links (pathway.fsh); the letter gives its phone.
SPINE_PROGRAMME_URL = "https://www.uzleuven.be/zorgprogramma-wervelkolomaandoeningen"

REPO = Path(__file__).resolve().parents[2]
PROJECT = REPO / "profiles"
RESOURCES = PROJECT / "fsh-generated" / "resources"
DIGEST = PROJECT / "fsh-generated" / ".fsh-digest"
SUSHI_DIR = REPO / "tools" / "sushi"
CANONICAL = "https://fhir.uzleuven.be/discharge"

PROFILES = {
    "Composition": "lbp-gp-letter",
    "DocumentReference": "lbp-brochure-reference",
    "CarePlan": "lbp-follow-up-care-plan",
    "Task": "lbp-follow-up-task",
    # The letter sent to the GP, its parties typed to HL7 Belgium's core profiles (be-core.fsh).
    "Communication": "lbp-gp-letter-communication",
}
# The profile of the physician's documented red-flag screening (an input of the discharge, not
# part of its transaction).
SCREENING_PROFILE = "lbp-red-flag-screening-response"
# The Task for the hospital's integration engine (send the letter to the GP's eHealthBox): a
# second profile of Task, claimed by the builder itself (core/gp_message/ehealthbox.py).
GP_MESSAGE_TASK_PROFILE = "lbp-gp-message-task"
# The alert of a discharge that did not reach the record, for the ED secretariat: a third
# profile of Task, claimed by its builder (core/dead_letter.py), written by the deliverer.
DEAD_LETTER_TASK_PROFILE = "lbp-dead-letter-task"
# The attested document, its Provenance and the service as a Device (core/stored_document.py,
# core/provenance.py)
STORED_DOCUMENT_PROFILES = (
    "lbp-gp-letter-document",
    "lbp-discharge-provenance",
    "lbp-discharge-service",
)
SCREENING_URL = f"{CANONICAL}/Questionnaire/lbp-red-flag-screening"
EXAMPLES = REPO / "examples"
FOLLOW_UPS = {
    # ActivityDefinition id (= "lbp-" + PlanDefinition action id) -> (phrase, days after discharge)
    "lbp-follow-up-gp-1-week": ("task-week", 7),
    "lbp-follow-up-spine-programme-6-weeks": ("task-six-weeks", 42),
}


# -- helpers ----------------------------------------------------------------------------------


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _manifest(entries: list[tuple[str, Path]]) -> str:
    return "".join(
        f"{_sha256(path.read_bytes())}  {name}\n"
        for name, path in sorted(entries, key=lambda e: e[0])
    )


def expected_digest(project: Path = PROJECT) -> str:
    """What tools/sushi/fsh-digest.mjs writes: keep the two in step."""
    inputs = [
        (p.relative_to(project).as_posix(), p)
        for p in (project / "input").rglob("*")
        if p.is_file()
    ]
    inputs += [
        (p.name, p)
        for p in project.iterdir()
        if p.is_file()
        and (p.name == "sushi-config.yaml" or re.fullmatch(r"sushi-ignore.*\.txt", p.name))
    ]
    inputs.append(("tools/sushi/package-lock.json", SUSHI_DIR / "package-lock.json"))
    resources = project / "fsh-generated" / "resources"
    outputs = [
        (p.relative_to(project).as_posix(), p) for p in resources.rglob("*.json") if p.is_file()
    ]
    # The stamp's own words, as tools/sushi/fsh-digest.mjs writes them (this file was
    # tests/unit/test_profiles_compiled.py then; a new stamp may name tests/unit/).
    return (
        "# fsh-digest v1: written by tools/sushi/build.sh, "
        "checked by tests/unit/test_profiles_compiled.py\n"
        f"inputs {_sha256(_manifest(inputs).encode())}\n"
        f"outputs {_sha256(_manifest(outputs).encode())}\n"
    )


def load(kind: str, resource_id: str) -> dict[str, Any]:
    path = RESOURCES / f"{kind}-{resource_id}.json"
    assert path.exists(), f"{path.relative_to(REPO)} missing: run bash tools/sushi/build.sh"
    return json.loads(path.read_text(encoding="utf-8"))


def all_resources() -> dict[str, dict[str, Any]]:
    return {
        p.name: json.loads(p.read_text(encoding="utf-8")) for p in sorted(RESOURCES.glob("*.json"))
    }


def vs_codes(valueset: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {
        (include["system"], concept["code"], concept.get("display", ""))
        for include in valueset["compose"]["include"]
        if "system" in include
        for concept in include.get("concept", [])
    }


def vs_is_a_filters(valueset: dict[str, Any]) -> set[tuple[str, str]]:
    """(system, concept) of each include that is one `concept is-a` filter: a concept and all
    its descendants."""
    found = set()
    for include in valueset["compose"]["include"]:
        filters = include.get("filter", [])
        if filters:
            assert len(filters) == 1 and "concept" not in include, include
            assert (filters[0]["property"], filters[0]["op"]) == ("concept", "is-a"), include
            found.add((include["system"], filters[0]["value"]))
    return found


def as_set(codes: tuple[Code, ...]) -> set[tuple[str, str, str]]:
    return {(c.system, c.code, c.display) for c in codes}


def advice_text(key: str) -> str:
    """The wording of fhir_discharge/core/letter/careplan.py's activity for an advice key."""
    if key == "medication":
        return " ".join(NL_BE[k] for k in MEDICATION_KEYS)
    return NL_BE[f"advice-{key}"]


def follow_up_text(phrase_key: str) -> str:
    """The Task description without its per-patient date: "(vanaf {date})" dropped."""
    text = NL_BE[phrase_key].replace(" (vanaf {date})", "")
    assert "{date}" not in text, phrase_key
    return text.format_map(SITE.sentence_values("nl-BE"))


def slices(sd: dict[str, Any], path: str) -> dict[str, list[dict[str, Any]]]:
    """Slice name -> its snapshot elements, for the slicing of `path` (e.g. Composition.section)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for el in sd["snapshot"]["element"]:
        m = re.fullmatch(re.escape(path) + r":([^.]+)(\..*)?", el["id"])
        if m:
            out.setdefault(m.group(1), []).append(el)
    return out


def element(sd: dict[str, Any], element_id: str) -> dict[str, Any]:
    for el in sd["snapshot"]["element"]:
        if el["id"] == element_id:
            return el
    raise AssertionError(f"{sd['id']}: no snapshot element {element_id}")


# -- freshness --------------------------------------------------------------------------------


def test_compiled_profiles_are_fresh() -> None:
    assert DIGEST.exists(), (
        "profiles/fsh-generated/.fsh-digest missing: run bash tools/sushi/build.sh"
    )
    assert DIGEST.read_text(encoding="utf-8") == expected_digest(), (
        "profiles/fsh-generated is stale against profiles/input/fsh, sushi-config.yaml or "
        "tools/sushi/package-lock.json (or was edited by hand): run bash tools/sushi/build.sh "
        "and commit profiles/fsh-generated"
    )


def _sushi_unavailable_reason() -> str | None:
    if shutil.which("node") is None:
        return (
            "`node` is not on PATH: SUSHI (tools/sushi, Node >= 20) cannot recompile the profiles"
        )
    return None


@pytest.mark.slow
@pytest.mark.skipif(
    _sushi_unavailable_reason() is not None, reason=str(_sushi_unavailable_reason())
)
def test_recompiling_the_fsh_reproduces_the_committed_output(tmp_path: Path) -> None:
    """Runs tools/sushi/build.sh on a copy of profiles/ and compares every resource."""
    copy = tmp_path / "profiles"
    shutil.copytree(PROJECT, copy, ignore=shutil.ignore_patterns("fsh-generated"))
    proc = subprocess.run(
        ["bash", str(SUSHI_DIR / "build.sh"), str(copy)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, f"build.sh failed:\n{proc.stdout}\n{proc.stderr[-6000:]}"
    fresh_dir = copy / "fsh-generated" / "resources"
    fresh = {p.name: json.loads(p.read_text(encoding="utf-8")) for p in fresh_dir.glob("*.json")}
    committed = all_resources()
    assert sorted(fresh) == sorted(committed), "different files: run bash tools/sushi/build.sh"
    for name, resource in fresh.items():
        assert resource == committed[name], f"{name} differs: run bash tools/sushi/build.sh"
    # The digest of the copy equals the committed one (same inputs, same outputs).
    assert (copy / "fsh-generated" / ".fsh-digest").read_text(encoding="utf-8") == DIGEST.read_text(
        encoding="utf-8"
    )


# -- structure --------------------------------------------------------------------------------


def test_every_structure_definition_has_a_snapshot() -> None:
    sds = {n: r for n, r in all_resources().items() if r["resourceType"] == "StructureDefinition"}
    assert set(sds) == {
        f"StructureDefinition-{i}.json"
        for i in (
            *PROFILES.values(),
            SCREENING_PROFILE,
            GP_MESSAGE_TASK_PROFILE,
            DEAD_LETTER_TASK_PROFILE,
            *STORED_DOCUMENT_PROFILES,
        )
    }
    for name, sd in sds.items():
        elements = sd.get("snapshot", {}).get("element", [])
        assert elements, f"{name} has no snapshot"
        assert elements[0]["id"] == sd["type"], name
        assert sd["url"] == f"{CANONICAL}/StructureDefinition/{sd['id']}"
        assert sd["derivation"] == "constraint"
        assert sd["baseDefinition"] == f"http://hl7.org/fhir/StructureDefinition/{sd['type']}"
        assert sd["fhirVersion"] == "4.0.1"
        assert sd.get("description"), f"{name} has no description"


def test_every_resource_is_sensible_r4() -> None:
    """The elements R4 requires (1..1) of each kind, and the project's canonical/version."""
    required = {
        "StructureDefinition": ("url", "name", "status", "kind", "abstract", "type"),
        "ValueSet": ("status",),
        "PlanDefinition": ("status",),
        "ActivityDefinition": ("status",),
        "Questionnaire": ("status",),
        "CodeSystem": ("status", "content"),
    }
    for name, resource in all_resources().items():
        kind = resource["resourceType"]
        assert kind in required, f"unexpected {kind} in {name}"
        for key in required[kind]:
            assert key in resource, f"{name}: {key} missing"
        assert resource["url"] == f"{CANONICAL}/{kind}/{resource['id']}", name
        assert resource["version"] == "0.1.0", name
        assert name == f"{kind}-{resource['id']}.json"
        assert re.fullmatch(r"[A-Z][A-Za-z0-9_]{0,254}", resource["name"]), name  # inv-0
        assert resource.get("title") and resource.get("description"), name


# -- agreement with fhir_discharge ------------------------------------------------------------


def test_low_back_pain_valueset_equals_codes_py() -> None:
    vs = load("ValueSet", "lbp-low-back-pain-diagnosis")
    assert vs_codes(vs) == as_set(LOW_BACK_PAIN)


def test_red_flag_valuesets_equal_codes_py_by_screening_item() -> None:
    group = load("ValueSet", "lbp-exclusion")
    included = [vs for include in group["compose"]["include"] for vs in include.get("valueSet", [])]
    assert all("system" not in include for include in group["compose"]["include"])
    assert sorted(included) == sorted(f"{CANONICAL}/ValueSet/lbp-red-flag-{i}" for i in RED_FLAGS)
    for item, codes in RED_FLAGS.items():
        vs = load("ValueSet", f"lbp-red-flag-{item}")
        assert vs["title"] == RED_FLAG_LABELS[item], "the title is the label the refusal names"
        # A SNOMED CT concept with all its descendants: one is-a filter each (pathway.md,
        # "SNOMED CT descendants"); the other codes listed, an ICD range as its categories (FSH
        # cannot express a range).
        assert vs_is_a_filters(vs) == {(c.system, c.code) for c in codes if c.system == SNOMED}
        listed = tuple(c for c in codes if c.system != SNOMED)
        expected = as_set(tuple(c for c in listed if "-" not in c.code)) | {
            (c.system, category, "")
            for c in listed
            if "-" in c.code
            for category in ICD_RANGE_CATEGORIES[(c.system, c.code)]
        }
        assert vs_codes(vs) == expected, item


def test_the_low_back_pain_diagnosis_is_not_widened_to_descendants() -> None:
    """pathway.md: hierarchies widen red flags, never the diagnosis."""
    assert vs_is_a_filters(load("ValueSet", "lbp-low-back-pain-diagnosis")) == set()


def test_gp_letter_profile_equals_codes_py() -> None:
    sd = load("StructureDefinition", PROFILES["Composition"])
    type_pattern = element(sd, "Composition.type")["patternCodeableConcept"]
    assert type_pattern == {
        "coding": [{"code": ED_DISCHARGE_SUMMARY.code, "system": ED_DISCHARGE_SUMMARY.system}]
    }
    section_slices = slices(sd, "Composition.section")
    assert set(section_slices) == set(SECTION_CODES)
    for key, code in SECTION_CODES.items():
        els = {el["id"]: el for el in section_slices[key]}
        root = els[f"Composition.section:{key}"]
        assert (root["min"], root["max"]) == (1, "1"), key
        assert els[f"Composition.section:{key}.code"]["patternCodeableConcept"] == {
            "coding": [{"code": code.code, "system": code.system}]
        }, key
        assert els[f"Composition.section:{key}.text"]["min"] == 1, key
        title = els.get(f"Composition.section:{key}.title", {})
        if "fixedString" in title or "patternString" in title:
            # Sections sharing a code are told apart by title (see profiles.fsh): the Dutch one.
            assert title.get("fixedString", title.get("patternString")) == NL_BE[f"section-{key}"]
    slicing = element(sd, "Composition.section")["slicing"]
    codes = [(c.system, c.code) for c in SECTION_CODES.values()]
    discriminators = {(d["type"], d["path"]) for d in slicing["discriminator"]}
    assert ("pattern", "code") in discriminators
    if len(codes) != len(set(codes)):
        assert ("value", "title") in discriminators, (
            "shared section codes need another discriminator"
        )


def test_brochure_profile_equals_codes_py_and_phrases() -> None:
    sd = load("StructureDefinition", PROFILES["DocumentReference"])
    assert element(sd, "DocumentReference.type")["patternCodeableConcept"] == {
        "coding": [{"code": BROCHURE_TYPE.code, "system": BROCHURE_TYPE.system}]
    }
    assert element(sd, "DocumentReference.content.attachment.url")["fixedUrl"] == BROCHURE_URL
    assert element(sd, "DocumentReference.status")["patternCode"] == "current"


def test_care_plan_profile_counts_the_pathway() -> None:
    sd = load("StructureDefinition", PROFILES["CarePlan"])
    # the advice items and the two safety-net instructions (GP, ED) are details
    details = len(ADVICE_KEYS) + 2
    assert element(sd, "CarePlan.activity")["min"] == details + len(FOLLOW_UPS)
    expressions = {c["key"]: c["expression"] for c in element(sd, "CarePlan")["constraint"]}
    assert f".count() = {details}" in expressions["lbp-care-plan-advice"]
    assert f".count() = {len(FOLLOW_UPS)}" in expressions["lbp-care-plan-follow-ups"]


def test_plan_definition_is_the_pathway_of_phrases_py() -> None:
    pd = load("PlanDefinition", "lbp-ed-discharge-pathway")
    assert pd["status"] == "active"
    assert pd["type"]["coding"][0]["system"] == (
        "http://terminology.hl7.org/CodeSystem/plan-definition-type"
    )
    assert pd["type"]["coding"][0]["code"] == "clinical-protocol"
    documentation = [a for a in pd["relatedArtifact"] if a["type"] == "documentation"]
    assert {a["url"] for a in documentation} == {BROCHURE_URL, SPINE_PROGRAMME_URL}
    assert pd["action"][0]["id"] == "red-flag-screening"  # test_plan_definition_requires_...
    actions = pd["action"][1:]
    assert [a["id"] for a in actions] == [
        *ADVICE_KEYS,
        *(k.removeprefix("lbp-") for k in FOLLOW_UPS),
    ]
    for action, key in zip(actions, ADVICE_KEYS, strict=False):
        assert action["description"] == advice_text(key), key
        assert action.get("title"), key
    for action, (ad_id, (phrase, days)) in zip(
        actions[len(ADVICE_KEYS) :], FOLLOW_UPS.items(), strict=True
    ):
        assert action["description"] == follow_up_text(phrase), ad_id
        assert action["timingDuration"] == {
            "value": days,
            "code": "d",
            "system": "http://unitsofmeasure.org",
            "unit": "days",
        }
        assert action["definitionCanonical"] == f"{CANONICAL}/ActivityDefinition/{ad_id}"
        ad = load("ActivityDefinition", ad_id)
        assert ad["status"] == "active"
        assert ad["kind"] == "Task"
        assert ad["description"] == follow_up_text(phrase)
        assert ad["timingDuration"] == action["timingDuration"]
        assert [p["type"] for p in ad["participant"]] == ["practitioner"]
    assert (
        SITE.spine_programme.phone
        in load("ActivityDefinition", "lbp-follow-up-spine-programme-6-weeks")["description"]
    )


# -- the module's output conforms --------------------------------------------------------------


def _profile_url(resource_type: str) -> str:
    return f"{CANONICAL}/StructureDefinition/{PROFILES[resource_type]}"


def _claiming_profiles() -> list[dict[str, Any]]:
    """The happy-path discharge's resources, each claiming its profile (as the builders will)."""
    from fhir_discharge.core.record.context import context_from_bundle
    from fhir_discharge.core.transaction import build_discharge
    from tests.support.factories import happy_bundle

    bundle = build_discharge(context_from_bundle(happy_bundle()), SITE).bundle
    resources = []
    for entry in bundle["entry"]:
        resource = json.loads(json.dumps(entry["resource"]))
        if resource["resourceType"] not in PROFILES:
            continue  # other resources of the transaction have no profile of ours
        url = _profile_url(resource["resourceType"])
        claimed = resource.setdefault("meta", {}).setdefault("profile", [])
        if not claimed:  # a resource claiming another profile of its type keeps it
            claimed.append(url)
        resources.append(resource)
    assert sorted(r["resourceType"] for r in resources) == sorted(
        ["Composition", "DocumentReference", "CarePlan", "Task", "Task", "Task", "Communication"]
    )
    gp_message = f"{CANONICAL}/StructureDefinition/{GP_MESSAGE_TASK_PROFILE}"
    assert [r["meta"]["profile"] for r in resources].count([gp_message]) == 1
    return resources


def test_the_discharge_conforms_to_the_profiles(fhir_validator: Any) -> None:
    from tests.support.fhir_validator import format_issues

    for resource in _claiming_profiles():
        errors = fhir_validator.errors(resource)
        assert errors == [], f"{resource['resourceType']}:\n{format_issues(errors)}"


def test_the_integration_engines_states_of_the_task_conform(fhir_validator: Any) -> None:
    """README, "The GP's eHealthBox": what the engine writes back is valid for the profile."""
    from fhir_discharge.core.gp_message.ehealthbox import gp_message_coding
    from tests.support.fhir_validator import format_issues

    gp_message = f"{CANONICAL}/StructureDefinition/{GP_MESSAGE_TASK_PROFILE}"
    (send,) = [r for r in _claiming_profiles() if r["meta"]["profile"] == [gp_message]]
    engine = {"reference": "Device/integration-engine"}
    states = [
        {**send, "status": "in-progress", "owner": engine},
        {
            **send,
            "status": "completed",
            "businessStatus": {"coding": [gp_message_coding("sent", SITE.canonicals)]},
        },
        {
            **send,
            "status": "failed",
            "businessStatus": {"coding": [gp_message_coding("failed", SITE.canonicals)]},
            "statusReason": {"text": "eHealthBox: recipient has no eHealthBox (code 102)"},
        },
    ]
    for state in states:
        errors = fhir_validator.errors(state)
        assert errors == [], f"{state['status']}:\n{format_issues(errors)}"


def test_the_profiles_reject_what_the_pathway_forbids(fhir_validator: Any) -> None:
    """The profiles bite: one broken copy per profile, each with the error it must raise."""
    from tests.support.fhir_validator import format_issues

    by_type: dict[str, dict[str, Any]] = {}
    for resource in _claiming_profiles():
        by_type.setdefault(resource["resourceType"], resource)
    broken: list[tuple[dict[str, Any], str]] = []

    letter = json.loads(json.dumps(by_type["Composition"]))
    letter["section"] = [s for s in letter["section"] if s["title"] != NL_BE["section-care-plan"]]
    broken.append((letter, "care-plan"))
    letter = json.loads(json.dumps(by_type["Composition"]))
    letter["status"] = "preliminary"
    broken.append((letter, "Composition.status"))
    brochure = json.loads(json.dumps(by_type["DocumentReference"]))
    brochure["content"][0]["attachment"]["url"] = "https://example.org/other-brochure"
    broken.append((brochure, "700457"))
    plan = json.loads(json.dumps(by_type["CarePlan"]))
    plan["activity"] = plan["activity"][1:]  # an advice item lost
    broken.append((plan, "lbp-care-plan-advice"))
    task = json.loads(json.dumps(by_type["Task"]))
    del task["restriction"]
    broken.append((task, "Task.restriction"))
    gp_message = f"{CANONICAL}/StructureDefinition/{GP_MESSAGE_TASK_PROFILE}"
    (send,) = [r for r in _claiming_profiles() if r["meta"]["profile"] == [gp_message]]
    failed = {**send, "status": "failed"}  # failed without saying why
    broken.append((failed, "lbp-gp-message-failed-reason"))
    broken.append(({**send, "intent": "plan"}, "Task.intent"))
    without_focus = {k: v for k, v in send.items() if k != "focus"}
    broken.append((without_focus, "Task.focus"))
    sent = by_type["Communication"]
    broken.append(({k: v for k, v in sent.items() if k != "recipient"}, "Communication.recipient"))
    broken.append(({**sent, "status": "in-progress"}, "Communication.status"))

    for resource, fragment in broken:
        errors = fhir_validator.errors(resource)
        assert any(fragment in json.dumps(e) for e in errors), (
            f"{resource['resourceType']}: expected an error mentioning {fragment!r}; got:\n"
            f"{format_issues(errors)}"
        )


def test_the_valueset_fsh_is_generated_from_codes_py():
    """codes.py is the one place for the pathway's codes; the FSH ValueSets derive from it."""
    from scripts.generate_fsh import VALUESETS, valueset_fsh

    assert VALUESETS.read_text(encoding="utf-8") == valueset_fsh(), (
        "run: .venv/bin/python scripts/generate_fsh.py && bash tools/sushi/build.sh"
    )


def test_the_package_ships_the_compiled_pathway_definition():
    """fhir_discharge/core/pathway/definitions/ is what build.sh copied from the compiled
    profiles/."""
    from fhir_discharge.core.pathway.definition import DEFINITIONS

    shipped = sorted(p.name for p in DEFINITIONS.glob("*.json"))
    assert shipped, "no pathway definition in the package"
    for name in shipped:
        compiled = REPO / "profiles" / "fsh-generated" / "resources" / name
        assert (DEFINITIONS / name).read_bytes() == compiled.read_bytes(), name


def test_the_pathway_definition_drives_the_care_plan():
    from fhir_discharge.core.pathway.definition import ONE_WEEK, SIX_WEEKS

    plan = SITE.pathway
    assert (plan.follow_ups[ONE_WEEK].days, plan.follow_ups[SIX_WEEKS].days) == (7, 42)
    assert len(plan.advice) == 8
    for language in LANGUAGES:
        for key in plan.advice:
            assert catalogue(language).letter[f"advice-{key}"], (language, key)


# -- the red-flag screening -------------------------------------------------------------------


def test_the_screening_questionnaire_has_the_linkids_pathway_py_reads() -> None:
    from fhir_discharge.core.pathway.definition import BROCHURE_GIVEN, SCREENING_RED_FLAG_ITEMS

    q = load("Questionnaire", "lbp-red-flag-screening")
    assert q["url"] == SCREENING_URL
    assert (q["version"], q["status"], q["language"]) == ("0.1.0", "active", "nl-BE")
    assert q["subjectType"] == ["Patient"]
    assert q["publisher"] == "UZ Leuven"
    assert q["title"].startswith("Screening alarmsignalen acute lage rugpijn (spoedgevallen)")
    sources = q["description"] + q.get("purpose", "")
    for source in ("NICE", "NG59", "1.1.1", "KCE", "287", "2017", "Verhagen", "2016"):
        assert source in sources, source
    # the linkIds themselves are pinned to pathway.md's table in tests/unit/test_codes.py
    assert BROCHURE_GIVEN == "brochure-given"
    items = q["item"]
    assert [i["linkId"] for i in items] == [*SCREENING_RED_FLAG_ITEMS, BROCHURE_GIVEN]
    dutch = re.compile(r"\b(een|van|of|de|het|in|wanneer|op)\b")
    for item in items:
        assert item["type"] == "boolean", item["linkId"]
        assert item["required"] is True, item["linkId"]
        assert item["text"].endswith("?"), item["linkId"]
        # The explanation: one nested display item (R4 que-1/que-6 allow it under a question;
        # a QuestionnaireResponse does not answer it).
        children = item.get("item", [])
        assert [c["type"] for c in children] == ["display"], item["linkId"]
        assert children[0]["linkId"] == f"{item['linkId']}-explanation"
        assert "required" not in children[0]
        explanation = children[0]["text"]
        assert dutch.search(explanation), item["linkId"]
        if item["linkId"] != BROCHURE_GIVEN:
            assert explanation.startswith("Aanwezig wanneer: "), item["linkId"]
    # Never the brochure's own text: no explanation shares a run of six words with it.
    brochure = REPO.parent / "shared" / "clinical" / "brochure-700457-nl.txt"  # not in the repo
    if brochure.exists():
        words = re.findall(r"\w+", brochure.read_text(encoding="utf-8").lower())
        runs = {tuple(words[i : i + 6]) for i in range(len(words) - 5)}
        for text in (q["description"], q["purpose"], *(json.dumps(i) for i in items)):
            own = re.findall(r"\w+", text.lower())
            shared = [run for run in zip(*(own[i:] for i in range(6))) if run in runs]
            assert shared == [], shared


def test_the_plan_definition_requires_the_screening() -> None:
    pd = load("PlanDefinition", "lbp-ed-discharge-pathway")
    q = load("Questionnaire", "lbp-red-flag-screening")
    versioned = f"{q['url']}|{q['version']}"
    screening = pd["action"][0]
    assert screening["id"] == "red-flag-screening"
    assert screening["definitionCanonical"] == versioned
    assert screening["requiredBehavior"] == "must"
    assert [p["type"] for p in screening["participant"]] == ["practitioner"]
    assert screening["input"] == [
        {
            "type": "QuestionnaireResponse",
            "profile": [f"{CANONICAL}/StructureDefinition/{SCREENING_PROFILE}"],
        }
    ]
    depends_on = [a for a in pd["relatedArtifact"] if a["type"] == "depends-on"]
    assert [a["resource"] for a in depends_on] == [versioned]
    assert "completed red-flag screening of the encounter by a practitioner" in pd["description"]
    assert "every red-flag item false" in pd["description"]


def test_the_screening_response_profile() -> None:
    from fhir_discharge.core.pathway.definition import BROCHURE_GIVEN, SCREENING_RED_FLAG_ITEMS

    sd = load("StructureDefinition", SCREENING_PROFILE)
    assert sd["type"] == "QuestionnaireResponse"
    assert element(sd, "QuestionnaireResponse.status")["patternCode"] == "completed"
    for path in ("questionnaire", "subject", "encounter", "author", "authored"):
        assert element(sd, f"QuestionnaireResponse.{path}")["min"] == 1, path
    author_types = element(sd, "QuestionnaireResponse.author")["type"][0]["targetProfile"]
    assert author_types == [
        "http://hl7.org/fhir/StructureDefinition/Practitioner",
        "http://hl7.org/fhir/StructureDefinition/PractitionerRole",
    ]
    item_slices = slices(sd, "QuestionnaireResponse.item")
    assert list(item_slices) == [*SCREENING_RED_FLAG_ITEMS, BROCHURE_GIVEN]
    for link_id in item_slices:
        els = {el["id"]: el for el in item_slices[link_id]}
        assert els[f"QuestionnaireResponse.item:{link_id}.linkId"]["fixedString"] == link_id
        value = els[f"QuestionnaireResponse.item:{link_id}.answer.value[x]"]
        assert [t["code"] for t in value["type"]] == ["boolean"]
    constraints = {
        c["key"]: c["expression"] for c in element(sd, "QuestionnaireResponse")["constraint"]
    }
    assert SCREENING_URL in constraints["lbp-screening-questionnaire"]


def test_the_copies_of_the_questionnaire_are_the_compiled_one() -> None:
    from fhir_discharge.core.pathway.definition import DEFINITIONS

    name = "Questionnaire-lbp-red-flag-screening.json"
    compiled = (RESOURCES / name).read_bytes()
    assert (DEFINITIONS / name).read_bytes() == compiled, "run bash tools/sushi/build.sh"
    assert (EXAMPLES / "definitions" / name).read_bytes() == compiled, (
        f"cp profiles/fsh-generated/resources/{name} examples/definitions/"
    )


def test_pathway_exposes_the_screening() -> None:
    from fhir_discharge.core.pathway.definition import BROCHURE_GIVEN, SCREENING_RED_FLAG_ITEMS

    q = load("Questionnaire", "lbp-red-flag-screening")
    screening = SITE.pathway.screening
    assert screening.canonical == SCREENING_URL
    assert screening.version == "0.1.0"
    assert [i.link_id for i in screening.items] == [*SCREENING_RED_FLAG_ITEMS, BROCHURE_GIVEN]
    for item, definition in zip(screening.items, q["item"], strict=True):
        assert item.text == definition["text"]
        assert item.explanation == definition["item"][0]["text"]
    # The screening is no activity of the care plan.
    assert "red-flag-screening" not in SITE.pathway.advice
    assert "red-flag-screening" not in SITE.pathway.follow_ups


def test_pathway_refuses_a_questionnaire_with_other_linkids() -> None:
    from fhir_discharge.core.pathway.definition import PathwayDefinitionError, _screening

    q = load("Questionnaire", "lbp-red-flag-screening")
    assert _screening(q, "0.1.0").canonical == SCREENING_URL
    for broken_items in (
        q["item"][:-1],  # brochure-given lost
        [q["item"][1], q["item"][0], *q["item"][2:]],  # order changed
        [{**q["item"][0], "linkId": "cancer"}, *q["item"][1:]],  # renamed
        [*q["item"], {**q["item"][0], "linkId": "extra"}],  # one more
    ):
        with pytest.raises(PathwayDefinitionError, match="expected exactly"):
            _screening({**q, "item": broken_items}, "0.1.0")
    with pytest.raises(PathwayDefinitionError, match="required boolean"):
        _screening({**q, "item": [{**q["item"][0], "type": "string"}, *q["item"][1:]]}, "")
    with pytest.raises(PathwayDefinitionError, match="version"):
        _screening(q, "9.9.9")


def _example_screening() -> dict[str, Any]:
    path = EXAMPLES / "screening" / "questionnaire-response-all-clear.json"
    return json.loads(path.read_text(encoding="utf-8"))


def test_the_example_screening_is_an_all_clear_of_the_happy_path_encounter() -> None:
    from datetime import datetime

    from fhir_discharge.core.pathway.definition import BROCHURE_GIVEN, SCREENING_RED_FLAG_ITEMS

    qr = _example_screening()
    record = json.loads((EXAMPLES / "input" / "happy-path-bundle.json").read_text("utf-8"))
    by_id = {(e["resource"]["resourceType"], e["resource"]["id"]) for e in record["entry"]}
    encounter = next(
        e["resource"] for e in record["entry"] if e["resource"]["resourceType"] == "Encounter"
    )
    assert qr["id"] == "lbp-example-screening"
    assert qr["questionnaire"] == f"{SCREENING_URL}|0.1.0"
    assert qr["status"] == "completed"
    assert qr["subject"] == {"reference": "Patient/lbp-example-patient"}
    assert qr["encounter"] == {"reference": f"Encounter/{encounter['id']}"}
    assert ("Patient", "lbp-example-patient") in by_id
    author_type, author_id = qr["author"]["reference"].split("/")
    assert (author_type, author_id) == ("Practitioner", "lbp-example-ed-physician")
    assert (author_type, author_id) in by_id
    authored = datetime.fromisoformat(qr["authored"])
    period = encounter["period"]
    assert (
        datetime.fromisoformat(period["start"]) <= authored <= datetime.fromisoformat(period["end"])
    )
    answers = {i["linkId"]: [a["valueBoolean"] for a in i["answer"]] for i in qr["item"]}
    assert [i["linkId"] for i in qr["item"]] == [*SCREENING_RED_FLAG_ITEMS, BROCHURE_GIVEN]
    assert answers == {**{k: [False] for k in SCREENING_RED_FLAG_ITEMS}, BROCHURE_GIVEN: [True]}


def test_the_example_screening_conforms_and_the_profile_bites(fhir_validator: Any) -> None:
    from tests.support.fhir_validator import format_issues

    qr = _example_screening()
    assert qr["meta"]["profile"] == [f"{CANONICAL}/StructureDefinition/{SCREENING_PROFILE}"]
    errors = fhir_validator.errors(qr)
    assert errors == [], format_issues(errors)
    # An unversioned canonical is as good.
    errors = fhir_validator.errors({**qr, "questionnaire": SCREENING_URL})
    assert errors == [], format_issues(errors)

    def broken(**changes: Any) -> dict[str, Any]:
        copy = json.loads(json.dumps(qr))
        for key, value in changes.items():
            if value is None:
                del copy[key]
            else:
                copy[key] = value
        return copy

    cases: list[tuple[dict[str, Any], str]] = [
        (broken(status="in-progress"), "QuestionnaireResponse.status"),
        (broken(authored=None), "QuestionnaireResponse.authored"),
        (broken(encounter=None), "QuestionnaireResponse.encounter"),
        (broken(author=None), "QuestionnaireResponse.author"),
        (broken(questionnaire=f"{CANONICAL}/Questionnaire/other"), "lbp-screening-questionnaire"),
        (broken(item=qr["item"][:-1]), "brochure-given"),
    ]
    value_string = json.loads(json.dumps(qr))
    value_string["item"][0]["answer"] = [{"valueString": "nee"}]
    cases.append((value_string, "allowed valueBoolean"))
    for resource, fragment in cases:
        errors = fhir_validator.errors(resource)
        assert any(fragment in json.dumps(e) for e in errors), (
            f"expected an error mentioning {fragment!r}; got:\n{format_issues(errors)}"
        )
