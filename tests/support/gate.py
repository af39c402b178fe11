"""The pathway gate's refusal of a record, for tests that read its findings."""

from __future__ import annotations

from typing import Any

import pytest

from fhir_discharge import IncompleteRecord, NotOnPathway, context_from_bundle
from fhir_discharge.core.eligibility import check_eligibility


def gate_refusal(bundle: dict[str, Any]) -> NotOnPathway | IncompleteRecord:
    """The refusal the gate raises for `bundle` (the test fails if the gate passes it)."""
    with pytest.raises((NotOnPathway, IncompleteRecord)) as raised:
        check_eligibility(context_from_bundle(bundle))
    assert isinstance(raised.value, NotOnPathway | IncompleteRecord)
    return raised.value
