"""fhir-discharge: FHIR R4 discharge of acute non-specific mechanical low back pain at a Belgian ED.

Build a discharge from a context (pure), post it to a FHIR server (one transaction), and the
errors either may raise.
"""

from .core.record.context import DischargeContext, context_from_bundle
from .core.transaction import Discharge, build_discharge
from .errors import (
    DischargeError,
    FhirServerError,
    FhirServerTimeout,
    IncompleteRecord,
    InvalidInput,
    NotOnPathway,
    UnknownEncounter,
    operation_outcome,
)

__all__ = [
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
