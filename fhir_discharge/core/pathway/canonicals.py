"""Canonical URLs of the conformance resources a site publishes (profiles/, compiled with SUSHI),
under the site's canonical base (sites/*.toml `canonical_base`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from ...errors import FINDING_CODE_SYSTEM, WARNING_CODE_SYSTEM

# The version every conformance resource of profiles/ carries (sushi-config.yaml `version`).
VERSION: Final = "0.1.0"


@dataclass(frozen=True)
class Canonicals:
    base: str  # no trailing slash

    def _of(self, kind: str, resource_id: str) -> str:
        return f"{self.base}/{kind}/{resource_id}"

    @property
    def gp_letter_profile(self) -> str:
        return self._of("StructureDefinition", "lbp-gp-letter")

    @property
    def brochure_profile(self) -> str:
        return self._of("StructureDefinition", "lbp-brochure-reference")

    @property
    def care_plan_profile(self) -> str:
        return self._of("StructureDefinition", "lbp-follow-up-care-plan")

    @property
    def task_profile(self) -> str:
        return self._of("StructureDefinition", "lbp-follow-up-task")

    @property
    def gp_message_task_profile(self) -> str:
        return self._of("StructureDefinition", "lbp-gp-message-task")

    @property
    def dead_letter_task_profile(self) -> str:
        """The alert of a discharge that did not reach the record (core/dead_letter.py)."""
        return self._of("StructureDefinition", "lbp-dead-letter-task")

    @property
    def screening_response_profile(self) -> str:
        return self._of("StructureDefinition", "lbp-red-flag-screening-response")

    @property
    def letter_document_profile(self) -> str:
        """The letter as the attested document the transaction stores (core/stored_document.py)."""
        return self._of("StructureDefinition", "lbp-gp-letter-document")

    @property
    def provenance_profile(self) -> str:
        return self._of("StructureDefinition", "lbp-discharge-provenance")

    @property
    def service_device_profile(self) -> str:
        return self._of("StructureDefinition", "lbp-discharge-service")

    @property
    def operation_definition(self) -> str:
        return self._of("OperationDefinition", "lbp-discharge")

    @property
    def finding_system(self) -> str:
        return self._of("CodeSystem", FINDING_CODE_SYSTEM)

    @property
    def warning_system(self) -> str:
        return self._of("CodeSystem", WARNING_CODE_SYSTEM)

    @property
    def alert_system(self) -> str:
        """What the dead-letter alert asks, and why (core/dead_letter.py)."""
        return self._of("CodeSystem", "lbp-discharge-alert")

    @property
    def gp_message_system(self) -> str:
        return self._of("CodeSystem", "lbp-gp-message")

    @property
    def publication_id_system(self) -> str:
        """The eHealthBox PublicationIds this site's letters carry (core/gp_message/)."""
        return self._of("sid", "ehealthbox-publication-id")

    def red_flag_value_set(self, item: str) -> str:
        """The ValueSet of a red-flag screening item (linkId): its concepts and their
        descendants (scripts/generate_fsh.py)."""
        return self._of("ValueSet", f"lbp-red-flag-{item}")


def claims(profile: str) -> dict[str, list[str]]:
    """`meta` claiming a profile."""
    return {"profile": [profile]}
