"""The pathway core's front door: a discharge context in, one transaction Bundle out.

Pure: no network, no clock, no settings. The same context gives the same Bundle, byte for byte,
because every fullUrl and identifier derives from the encounter's identity.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..types import Resource
from .brochure import build_brochure_reference
from .careplan import build_care_plan, follow_up_tasks
from .carry import CarriedEntry, carry_record
from .communication import build_letter_communication
from .context import DischargeContext
from .eligibility import check_eligibility
from .facts import DischargeFacts, discharge_facts
from .identity import if_none_exist
from .letter import build_letter


@dataclass(frozen=True)
class Discharge:
    """A built discharge: the transaction to post, and what the caller should be warned of."""

    bundle: Resource
    warnings: tuple[str, ...]
    facts: DischargeFacts
    # The record carried with the letter (a context Bundle's), each with what it is matched on:
    # what the I/O layer reads back from the server before posting (core/matching.py).
    carried: tuple[CarriedEntry, ...] = ()

    @property
    def letter(self) -> Resource:
        return dict(self.bundle["entry"][0]["resource"])


def build_discharge(ctx: DischargeContext, language: str = "nl-BE") -> Discharge:
    """Gate the encounter, then build letter, brochure reference, care plan and follow-up tasks.

    Raises NotOnPathway / IncompleteRecord (422) when the encounter is not for this pathway.
    """
    eligibility = check_eligibility(ctx)
    facts = discharge_facts(ctx, eligibility, language)
    new_resources = [
        (facts.letter.literal, build_letter(facts)),
        (facts.brochure.literal, build_brochure_reference(facts)),
        (facts.care_plan.literal, build_care_plan(facts)),
        *zip(
            (facts.task_week.literal, facts.task_six_weeks.literal),
            follow_up_tasks(facts),
            strict=True,
        ),
    ]
    communication = build_letter_communication(facts)
    if communication is not None:
        new_resources.append((facts.communication.literal, communication))
    # Conditional creates: a second discharge of this encounter finds these and creates nothing
    # (HAPI answers "200 OK" for an ifNoneExist match).
    entries = [(urn, resource, if_none_exist(urn)) for urn, resource in new_resources]
    warnings = list(eligibility.warnings)
    carried: tuple[CarriedEntry, ...] = ()
    if ctx.carry_record:
        # The record the EHR sent goes along, after the new resources (carry.py): never
        # referenced by id on a server that is not its source.
        record = carry_record([r for _, r in new_resources], ctx, facts.key)
        carried = record.entries
        entries += [(e.urn, e.resource, e.condition) for e in carried]
        warnings += record.warnings
    bundle: Resource = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": urn,
                "resource": resource,
                "request": {
                    "method": "POST",
                    "url": resource["resourceType"],
                    "ifNoneExist": condition,
                },
            }
            for urn, resource, condition in entries
        ],
    }
    return Discharge(bundle, tuple(warnings), facts, carried)


# What each entry of the transaction is, by position (the roles of the operation's answer).
ENTRY_ROLES = (
    "letter",
    "brochure",
    "carePlan",
    "followUpOneWeek",
    "followUpSixWeeks",
    "letterToGp",
)
