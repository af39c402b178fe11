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
    sorted(EXAMPLES.glob("output/off-pathway-*.outcome.json")),
    ids=lambda p: p.name.removesuffix(".outcome.json"),
)
def test_every_refusal_names_the_offending_data(path):
    outcome = json.loads(path.read_text(encoding="utf-8"))
    issue = outcome["issue"][0]
    assert issue["severity"] == "error" and issue["code"] == "business-rule"
    assert issue["expression"][0].startswith(("Condition/", "Encounter."))


def test_there_is_an_example_for_every_kind_of_refusal():
    from fhir_discharge.codes import EXCLUSIONS

    names = {p.name for p in EXAMPLES.glob("output/*.outcome.json")}
    for kind in EXCLUSIONS:
        assert f"off-pathway-{kind.replace(' ', '-')}.outcome.json" in names
    assert "off-pathway-not-ed.outcome.json" in names
