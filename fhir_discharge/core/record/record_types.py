"""Which resource types make up a discharge context: what the context keeps (context.py), what
the gatherer reads (io/gathering.py) and what the input check's fast path covers (structure.py).
"""

from __future__ import annotations

# Who the record's references point to (the encounter's people and places, the screening's author,
# a prescription's Medication).
REFERENCED_TYPES = ("Patient", "Practitioner", "PractitionerRole", "Organization", "Medication")
# The clinical record of the patient and the encounter: every type the gate screens and the letter
# may cite. A discharge context carries all of them; none is ever dropped.
CLINICAL_TYPES = (
    "Condition",
    "QuestionnaireResponse",
    "Observation",
    "ImagingStudy",
    "DiagnosticReport",
    "Procedure",
    "MedicationRequest",
    "MedicationStatement",
)
CONTEXT_TYPES = ("Encounter", *REFERENCED_TYPES, *CLINICAL_TYPES)
