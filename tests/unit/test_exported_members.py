"""The package's public face is what __init__.py lists, and each listed name exists.

A library user (a script, a notebook, another service) imports from `fhir_discharge` only; the
folders below it (core/, io/, web/) may move. This pins the list so a change to it is deliberate.
"""

from __future__ import annotations

import fhir_discharge


def test_the_public_names_are_exactly_these() -> None:
    assert sorted(fhir_discharge.__all__) == [
        "Discharge",
        "DischargeContext",
        "DischargeError",
        "FhirServerError",
        "FhirServerTimeout",
        "IncompleteRecord",
        "InvalidInput",
        "NotOnPathway",
        "UnknownEncounter",
        "build_discharge",
        "context_from_bundle",
        "operation_outcome",
    ]


def test_every_public_name_is_importable_and_documented() -> None:
    for name in fhir_discharge.__all__:
        member = getattr(fhir_discharge, name)
        assert member.__module__.startswith("fhir_discharge."), name
        assert (member.__doc__ or "").strip(), f"{name} has no docstring"
