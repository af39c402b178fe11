"""examples/: up to date with the code, valid FHIR, and each refusal naming its reason."""

from __future__ import annotations

import json

import pytest

from scripts.generate_examples import EXAMPLES, example_files


def test_examples_are_regenerated_when_the_output_changes():
    stale = [
        str(path.relative_to(EXAMPLES))
        for path, content in example_files().items()
        if not path.exists() or path.read_text(encoding="utf-8") != content
    ]
    assert stale == [], "run: .venv/bin/python scripts/generate_examples.py"


EXAMPLE_JSON = sorted(EXAMPLES.glob("*/*.json"))


@pytest.mark.parametrize("path", EXAMPLE_JSON, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_example_is_valid_fhir(path, fhir_validator):
    assert fhir_validator.errors(json.loads(path.read_text(encoding="utf-8"))) == []


@pytest.mark.parametrize(
    "path",
    sorted(EXAMPLES.glob("output/*.outcome.json")),
    ids=lambda p: p.name.removesuffix(".outcome.json"),
)
def test_every_refusal_names_the_offending_data(path):
    outcome = json.loads(path.read_text(encoding="utf-8"))
    issue = outcome["issue"][0]
    off = path.name.startswith("off-pathway-")
    assert issue["severity"] == "error"
    assert issue["code"] == ("business-rule" if off else "required")
    assert issue["expression"][0].startswith(
        (
            "Condition/",
            "Encounter.",
            "Patient.",
            "Observation/",
            "QuestionnaireResponse",
            "DiagnosticReport/",
            "MedicationStatement/",
        )
    )


def test_there_is_an_example_for_every_kind_of_refusal():
    from fhir_discharge.core.codes import RED_FLAGS
    from fhir_discharge.core.pathway.definition import SCREENING_RED_FLAG_ITEMS

    names = {p.name.removesuffix(".outcome.json") for p in EXAMPLES.glob("output/*.outcome.json")}
    expected = {f"off-pathway-coded-{item}" for item in RED_FLAGS}
    expected |= {f"off-pathway-screened-{item}" for item in SCREENING_RED_FLAG_ITEMS}
    expected |= {
        "off-pathway-cancer-in-remission",
        "off-pathway-fever-observation",
        "off-pathway-evidence-urinary-retention",
        "off-pathway-other-diagnosis",
        "off-pathway-reason-code-only",
        "off-pathway-refuted-diagnosis",
        "off-pathway-deceased",
        "off-pathway-transferred",
        "off-pathway-not-ended",
        "off-pathway-not-ed",
        "incomplete-no-screening",
        "incomplete-screening-unanswered",
        "incomplete-screening-in-progress",
        "incomplete-screening-of-another-encounter",
        "incomplete-screening-not-by-a-practitioner",
        "incomplete-uncoded-diagnosis",
        "incomplete-no-discharge-disposition",
        # issue 17: the whole record, and who, when, what is given
        "off-pathway-pregnancy",
        "off-pathway-not-acute",
        "off-pathway-home-corticosteroid",
        "off-pathway-fall-from-a-ladder",
        "off-pathway-report-vertebral-fracture",
        "off-pathway-urinary-retention-observed",
        "incomplete-screened-by-a-nurse",
        "incomplete-unreadable-code-system",
        "off-pathway-home-corticosteroid-by-name",
    }
    assert names == expected
