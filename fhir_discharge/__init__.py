"""fhir-discharge: FHIR R4 discharge of acute non-specific mechanical low back pain at a Belgian ED.

Build a discharge from a context (pure: the gate, then the transaction Bundle the service posts),
the errors it and the service raise, and their OperationOutcome. Posting is the service's
(`fhir-discharge serve`) and the CLI's (`fhir-discharge discharge`): through the outbox, with the
service's authentication and its check of what the FHIR server already holds. core/, io/ and
web/ are not a public API.
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
