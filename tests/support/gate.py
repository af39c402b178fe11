"""The pathway gate for tests: its refusal of a record, and the modules it is made of."""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType
from typing import Any

import pytest

from fhir_discharge import IncompleteRecord, NotOnPathway, context_from_bundle
from fhir_discharge.core import gate
from fhir_discharge.core.gate import check_eligibility
from tests.support.site import SITE


def gate_refusal(bundle: dict[str, Any]) -> NotOnPathway | IncompleteRecord:
    """The refusal the gate raises for `bundle` (the test fails if the gate passes it)."""
    with pytest.raises((NotOnPathway, IncompleteRecord)) as raised:
        check_eligibility(context_from_bundle(bundle), SITE.pathway)
    assert isinstance(raised.value, NotOnPathway | IncompleteRecord)
    return raised.value


def gate_modules() -> list[ModuleType]:
    """The package `core/gate/` and each of its modules (the tests read their source)."""
    names = [f"{gate.__name__}.{m.name}" for m in pkgutil.iter_modules(gate.__path__)]
    return [gate, *(importlib.import_module(name) for name in sorted(names))]
