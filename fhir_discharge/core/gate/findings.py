"""The one collector every check of the gate adds its findings to.

Each finding has a stable code and the values its English message is built from, so the
physician's app can say it in Dutch (phrases.FINDING_PHRASES; tests/unit/test_findings_nl.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ...errors import Finding, FindingValue, IncompleteRecord, NotOnPathway


@dataclass
class Findings:
    """What the gate found: the record shows the patient is off the pathway (`off`), or it is
    silent or unreadable where the letter needs it (`missing`); and what the caller is warned of."""

    off_pathway: list[Finding] = field(default_factory=list)
    incomplete: list[Finding] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def off(self, message: str, where: str | None, code: str, **params: FindingValue) -> None:
        self.off_pathway.append(Finding(message, where, code, params))

    def missing(self, message: str, where: str | None, code: str, **params: FindingValue) -> None:
        self.incomplete.append(Finding(message, where, code, params))

    def raise_refusal(self) -> None:
        """Refuse when anything was found: off the pathway first (a red flag outweighs a gap)."""
        if self.off_pathway:
            raise NotOnPathway(
                "off the low back pain pathway: " + "; ".join(f.message for f in self.off_pathway),
                self.off_pathway,
            )
        if self.incomplete:
            raise IncompleteRecord(
                "the record does not show what the letter needs: "
                + "; ".join(f.message for f in self.incomplete),
                self.incomplete,
            )
