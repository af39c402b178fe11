"""The gate's findings as codes in the OperationOutcome (errors.FINDING_DISPLAYS), and the
CodeSystem published with the profiles (profiles/input/fsh/findings.fsh, generated)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fhir_discharge import IncompleteRecord
from fhir_discharge.core.i18n.catalogue import catalogue
from fhir_discharge.errors import FINDING_DISPLAYS, Finding, operation_outcome
from tests.support.factories import happy_bundle, remove, resource
from tests.support.gate import gate_refusal
from tests.support.site import SITE

ROOT = Path(__file__).resolve().parents[2]
COMPILED = ROOT / "profiles" / "fsh-generated" / "resources" / "CodeSystem-lbp-gate-finding.json"


def test_every_finding_the_gate_makes_has_a_code_of_the_table() -> None:
    # tests/asgi/test_catalogues.py proves every catalogue has exactly these codes.
    assert set(FINDING_DISPLAYS) == set(catalogue("nl-BE").findings)


def test_the_published_code_system_is_the_table() -> None:
    from scripts.generate_fsh import FINDINGS, findings_fsh

    assert FINDINGS.read_text(encoding="utf-8") == findings_fsh(), (
        "run: .venv/bin/python scripts/generate_fsh.py, then bash tools/sushi/build.sh"
    )
    compiled = json.loads(COMPILED.read_text(encoding="utf-8"))
    assert compiled["url"] == SITE.canonicals.finding_system
    assert compiled["content"] == "complete" and compiled["caseSensitive"] is True
    assert [(c["code"], c["display"]) for c in compiled["concept"]] == list(
        FINDING_DISPLAYS.items()
    )


def test_each_issue_of_a_refusal_carries_its_finding_code_and_display() -> None:
    bundle = remove(happy_bundle(), "QuestionnaireResponse")
    resource(bundle, "Encounter")["period"].pop("end")
    refusal = gate_refusal(bundle)
    outcome = operation_outcome(refusal, SITE.canonical_base)
    codings = [i["details"]["coding"] for i in outcome["issue"]]
    assert [c["code"] for [c] in codings] == [f.code for f in refusal.findings]
    assert {"encounter-no-end", "screening-missing"} <= {c["code"] for [c] in codings}
    for [coding] in codings:
        assert coding == {
            "system": SITE.canonicals.finding_system,
            "code": coding["code"],
            "display": FINDING_DISPLAYS[coding["code"]],
        }
    # The English diagnostics stay as they were, beside the code.
    assert [i["diagnostics"] for i in outcome["issue"]] == [f.message for f in refusal.findings]


def test_a_finding_without_a_code_gets_no_details() -> None:
    outcome = operation_outcome(
        IncompleteRecord("the record is silent", [Finding("silent")]), SITE.canonical_base
    )
    assert "details" not in outcome["issue"][0]


def test_the_operation_outcome_of_a_refusal_is_valid_fhir(fhir_validator: Any) -> None:
    bundle = happy_bundle()
    resource(bundle, "Condition")["modifierExtension"] = [
        {"url": "http://example.org/of-a-relative", "valueBoolean": True}
    ]
    outcome = operation_outcome(gate_refusal(bundle), SITE.canonical_base)
    assert outcome["issue"][0]["details"]["coding"][0]["code"] == "modifier-extension"
    assert fhir_validator.errors(outcome) == []
