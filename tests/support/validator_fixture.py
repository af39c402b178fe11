"""pytest fixture ``fhir_validator``: one independent FHIR validator worker per test session.

Import it where fixtures are collected, e.g. in tests/conftest.py::

    from tests.support.validator_fixture import fhir_validator  # noqa: F401

The validator object is shared process-wide (``shared_validator()``), so importing the fixture
in several places still starts a single ``node`` worker.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.fhir_validator import (
    IndependentValidator,
    ValidatorUnavailable,
    ensure_node_modules,
)

_SHARED: IndependentValidator | None = None


def shared_validator() -> IndependentValidator:
    """The process-wide validator (created on first use; its worker starts lazily)."""
    global _SHARED
    if _SHARED is None:
        _SHARED = IndependentValidator()
    return _SHARED


def last_summary() -> str | None:
    """Counts and timing of the shared validator, for a pytest_terminal_summary hook."""
    return _SHARED.summary() if _SHARED is not None and _SHARED.resources_validated else None


@pytest.fixture(scope="session")
def fhir_validator() -> Iterator[IndependentValidator]:
    try:
        ensure_node_modules()
    except ValidatorUnavailable as exc:
        pytest.fail(f"independent FHIR validator unavailable: {exc}", pytrace=False)
    validator = shared_validator()
    yield validator
    validator.close()
