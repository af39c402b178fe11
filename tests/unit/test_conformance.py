"""Runs last (tests/conftest.py orders it): every transaction Bundle the tests before it built
in this process, checked by the independent validator against base R4, the required bindings and
our profiles. Each shape of them by HAPI FHIR's own `$validate`:
tests/integration/test_hapi_conformance.py."""

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
