"""Runs last (see conftest.py): every transaction Bundle the suite built, checked by the
independent validator against base R4, the required bindings and our profiles."""

from __future__ import annotations

import json

from tests.support.built_bundles import BUILT_BUNDLES


def test_every_bundle_the_suite_built_is_valid_r4_and_follows_our_profiles(fhir_validator):
    assert BUILT_BUNDLES, "no test built a discharge: run the whole suite"
    failures = {}
    for text in sorted(BUILT_BUNDLES):
        errors = fhir_validator.errors(json.loads(text))
        if errors:
            failures[text[:120]] = errors[:3]
    print(f"\n{len(BUILT_BUNDLES)} distinct Bundles validated, {len(failures)} with errors")
    assert failures == {}
