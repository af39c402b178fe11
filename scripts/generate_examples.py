"""Regenerate examples/: the input records and, for each, what the service makes of it.

    .venv/bin/python scripts/generate_examples.py          # write
    .venv/bin/python scripts/generate_examples.py --check  # exit 1 if anything would change

Inputs are derived from examples/input/happy-path-bundle.json (the one hand-written record).
Outputs: the transaction Bundle and the letter as plain text for each on-pathway input, the
OperationOutcome for each refused one. tests/test_examples.py fails while they are stale.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from pathlib import Path
from typing import Any

from fhir_discharge import DischargeError, build_discharge, context_from_bundle, operation_outcome
from fhir_discharge.codes import EXCLUSIONS
from fhir_discharge.letter import plain_text

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
HAPPY = "happy-path-bundle"
Resource = dict[str, Any]


def _dump(resource: Any) -> str:
    return json.dumps(resource, indent=2, ensure_ascii=False) + "\n"


def _find(bundle: Resource, resource_type: str) -> Resource:
    return next(
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == resource_type
    )


def _with_condition(happy: Resource, slug: str, code: Any) -> Resource:
    bundle = copy.deepcopy(happy)
    condition = {
        "resourceType": "Condition",
        "id": f"lbp-example-{slug}",
        "clinicalStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                    "code": "active",
                }
            ]
        },
        "verificationStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                    "code": "provisional",
                }
            ]
        },
        "code": {"coding": [code.coding()]},
        "subject": {"reference": "Patient/lbp-example-patient"},
        "encounter": {"reference": "Encounter/lbp-example-encounter"},
    }
    bundle["entry"].append({"fullUrl": f"Condition/{condition['id']}", "resource": condition})
    return bundle


def example_inputs() -> dict[str, Resource]:
    happy = json.loads((EXAMPLES / "input" / f"{HAPPY}.json").read_text(encoding="utf-8"))
    inputs: dict[str, Resource] = {HAPPY: happy}
    no_gp = copy.deepcopy(happy)
    del _find(no_gp, "Patient")["generalPractitioner"]
    no_gp["entry"] = [e for e in no_gp["entry"] if e["resource"].get("id") != "lbp-example-gp"]
    inputs["no-gp-bundle"] = no_gp
    # The bare Encounter: the service reads the rest from the FHIR server.
    inputs["bare-encounter"] = copy.deepcopy(_find(happy, "Encounter"))
    for kind, codes in EXCLUSIONS.items():
        slug = kind.replace(" ", "-")
        inputs[f"off-pathway-{slug}"] = _with_condition(happy, slug, codes[0])
    not_ed = copy.deepcopy(happy)
    _find(not_ed, "Encounter")["class"] = {
        "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
        "code": "AMB",
        "display": "ambulatory",
    }
    inputs["off-pathway-not-ed"] = not_ed
    return inputs


def example_files() -> dict[Path, str]:
    """Every file of examples/ (but the hand-written record) and its content."""
    inputs = example_inputs()
    files: dict[Path, str] = {}
    for name, record in inputs.items():
        if name != HAPPY:
            files[EXAMPLES / "input" / f"{name}.json"] = _dump(record)
        # A bare Encounter discharges from the same record on the server as the happy path.
        context_record = inputs[HAPPY] if record["resourceType"] == "Encounter" else record
        try:
            discharge = build_discharge(context_from_bundle(context_record))
        except DischargeError as error:
            files[EXAMPLES / "output" / f"{name}.outcome.json"] = _dump(operation_outcome(error))
            continue
        files[EXAMPLES / "output" / f"{name}.transaction.json"] = _dump(discharge.bundle)
        files[EXAMPLES / "output" / f"{name}.letter.txt"] = (
            plain_text(discharge.letter["text"]["div"]) + "\n"
        )
    return files


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    stale = []
    for path, content in example_files().items():
        if not path.exists() or path.read_text(encoding="utf-8") != content:
            stale.append(path)
            if not args.check:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(content, encoding="utf-8")
    for path in stale:
        print(f"{'stale' if args.check else 'wrote'}: {path.relative_to(EXAMPLES.parent)}")
    return 1 if stale and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
