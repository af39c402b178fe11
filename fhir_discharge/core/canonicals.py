"""Canonical URLs of the project's conformance resources (profiles/, compiled with SUSHI)."""

from __future__ import annotations

from typing import Final

BASE: Final = "https://fhir.uzleuven.be/discharge"
# The version every conformance resource of profiles/ carries (sushi-config.yaml `version`).
VERSION: Final = "0.1.0"

GP_LETTER_PROFILE: Final = f"{BASE}/StructureDefinition/lbp-gp-letter"
BROCHURE_PROFILE: Final = f"{BASE}/StructureDefinition/lbp-brochure-reference"
CARE_PLAN_PROFILE: Final = f"{BASE}/StructureDefinition/lbp-follow-up-care-plan"
TASK_PROFILE: Final = f"{BASE}/StructureDefinition/lbp-follow-up-task"
GP_MESSAGE_TASK_PROFILE: Final = f"{BASE}/StructureDefinition/lbp-gp-message-task"
DEAD_LETTER_TASK_PROFILE: Final = f"{BASE}/StructureDefinition/lbp-dead-letter-task"
# The physician's red-flag screening as the app stores it (core/draft_screening.py).
SCREENING_RESPONSE_PROFILE: Final = f"{BASE}/StructureDefinition/lbp-red-flag-screening-response"
LETTER_DOCUMENT_PROFILE: Final = f"{BASE}/StructureDefinition/lbp-gp-letter-document"
PROVENANCE_PROFILE: Final = f"{BASE}/StructureDefinition/lbp-discharge-provenance"
SERVICE_DEVICE_PROFILE: Final = f"{BASE}/StructureDefinition/lbp-discharge-service"


def red_flag_value_set(item: str) -> str:
    """The ValueSet of a red-flag screening item (linkId): its concepts and their descendants
    (scripts/generate_fsh.py)."""
    return f"{BASE}/ValueSet/lbp-red-flag-{item}"


def claims(profile: str) -> dict[str, list[str]]:
    """`meta` claiming a profile."""
    return {"profile": [profile]}
