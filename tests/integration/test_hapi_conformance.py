"""Runs last (tests/conftest.py orders it): each shape of transaction Bundle the suite built, by
HAPI FHIR's own `$validate` (the HL7 validator engine, our profiles loaded), the server our
integration testers run. The independent validator checks every one:
tests/unit/test_conformance.py."""

from __future__ import annotations

import json
from typing import Any

from tests.support.built_bundles import BUILT_BUNDLES
from tests.support.hapi_server import errors, validate
from tests.support.site import SITE

# Values that decide which profile, slice or binding applies; every other value is the patient's
# and does not change what the validator checks.
_DECIDING_KEYS = frozenset({"resourceType", "system", "code", "url", "profile", "status", "method"})


def _shape(node: Any, key: str = "") -> Any:
    """The Bundle with the patient's values blanked out: its elements, their nesting and the
    values that select profiles, slices and bindings (the rest of each value: its JSON type)."""
    if isinstance(node, dict):
        return tuple(sorted((k, _shape(v, k)) for k, v in node.items()))
    if isinstance(node, list):
        return tuple(sorted({_shape(v, key) for v in node}, key=repr))
    return node if key in _DECIDING_KEYS else type(node).__name__


def test_every_shape_of_bundle_the_suite_built_passes_hapi_validate(hapi_base_url: str) -> None:
    assert BUILT_BUNDLES, "no test built a discharge: run the whole suite"
    by_shape: dict[Any, dict[str, Any]] = {}
    for text in sorted(BUILT_BUNDLES):
        # A Bundle of another hospital's site (tests/asgi/test_site.py) names profiles under that
        # site's canonical base, which this HAPI FHIR does not hold: ours only.
        if f'"{SITE.canonical_base}/StructureDefinition/' not in text:
            continue
        bundle = json.loads(text)
        by_shape.setdefault(_shape(bundle), bundle)
    failures = {}
    for bundle in by_shape.values():
        status, outcome = validate(hapi_base_url, bundle)
        found = errors(outcome)
        if found or status != 200:
            failures[bundle["entry"][0]["fullUrl"]] = (status, found[:3])
    print(f"\n{len(by_shape)} shapes of {len(BUILT_BUNDLES)} Bundles validated by HAPI FHIR")
    assert failures == {}
