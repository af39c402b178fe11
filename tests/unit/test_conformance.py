"""Runs last (tests/conftest.py orders it): every transaction Bundle the tests before it built,
in this process or in the test processes that ran before it (`make test-fast` runs the lanes on
two pytest-xdist workers, then this check alone: tests/support/built_bundles.py), checked by the
independent validator against base R4, the required bindings and our profiles. Each shape of
them by HAPI FHIR's own `$validate`: tests/integration/test_hapi_conformance.py."""

from __future__ import annotations

import json

from tests.support.built_bundles import BUILT_BUNDLES, built_elsewhere


def test_every_bundle_the_suite_built_is_valid_r4_and_follows_our_profiles(fhir_validator):
    bundles = BUILT_BUNDLES | built_elsewhere()
    assert bundles, "no test built a discharge: run the whole suite"
    failures = {}
    for text in sorted(bundles):
        errors = fhir_validator.errors(json.loads(text))
        if errors:
            failures[text[:120]] = errors[:3]
    print(f"\n{len(bundles)} distinct Bundles validated, {len(failures)} with errors")
    assert failures == {}


def test_the_bundles_of_every_worker_reach_the_check(tmp_path, monkeypatch):
    # `make test-fast`: each pytest-xdist worker leaves what it built when its session ends; the
    # check, run afterwards alone, reads every worker's (without this, only its own: none).
    from tests.support import built_bundles

    monkeypatch.setenv(built_bundles.FOLDER, str(tmp_path))
    for worker, built in (("gw0", {'{"id": "a"}', '{"id": "b"}'}), ("gw1", {'{"id": "b"}'})):
        monkeypatch.setenv("PYTEST_XDIST_WORKER", worker)
        monkeypatch.setattr(built_bundles, "BUILT_BUNDLES", built)
        built_bundles.leave()
    assert built_bundles.built_elsewhere() == {'{"id": "a"}', '{"id": "b"}'}
    monkeypatch.delenv(built_bundles.FOLDER)
    assert built_bundles.built_elsewhere() == set()
