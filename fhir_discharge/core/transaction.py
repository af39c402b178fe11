"""The pathway core's front door: a discharge context in, one transaction Bundle out.

Pure: no network, no clock, no settings. The same context gives the same Bundle, byte for byte,
because every fullUrl and identifier derives from the encounter's identity.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import DischargeWarning
from ..types import Resource
from .gate import check_eligibility
from .gp_message.ehealthbox import (
    GpMessage,
    GpRoute,
    build_gp_message,
    ehealthbox_task,
    gp_route,
    unreachable_warning,
    with_gp_message,
)
from .letter.brochure import build_brochure_reference
from .letter.careplan import build_care_plan, follow_up_tasks
from .letter.communication import build_letter_communication
from .letter.composition import build_letter
from .letter.facts import DischargeFacts, discharge_facts, language_warnings
from .record.carry import CarriedEntry, carry_record
from .record.context import DischargeContext
from .record.identity import if_none_exist
from .site import Site


@dataclass(frozen=True)
class Discharge:
    """A built discharge: the transaction to post, and what the caller should be warned of."""

    bundle: Resource
    warnings: tuple[DischargeWarning, ...]
    facts: DischargeFacts
    # The letter's way to the GP's eHealthBox (core/gp_message/ehealthbox.py): who it names or why
    # not, and the KMEHR message when one was built (in the Communication, with a Task for the
    # engine).
    gp_route: GpRoute | None = None
    gp_message: GpMessage | None = None
    # The record carried with the letter (a context Bundle's), each with what it is matched on:
    # what the I/O layer reads back from the server before posting (core/record/matching.py).
    carried: tuple[CarriedEntry, ...] = ()

    @property
    def letter(self) -> Resource:
        return dict(self.bundle["entry"][0]["resource"])


def build_discharge(ctx: DischargeContext, site: Site, *, gp_message: bool = True) -> Discharge:
    """Gate the encounter, then build letter, brochure reference, care plan and follow-up tasks,
    and the Communication to the GP with the letter as a KMEHR message (and its PDF) and the
    Task that has the hospital's integration engine send it to the GP's eHealthBox. `site`: the
    hospital the letter is from (sites/*.toml); the letter speaks the GP's language.

    `gp_message=False` leaves the KMEHR message and its Task out (no PDF is rendered: ~0.3 s of
    CPU); the warnings stay the same. For previews only (the CDS Hooks card, the physician's
    app), never for a transaction that is posted.

    Raises NotOnPathway / IncompleteRecord (422) when the encounter is not for this pathway.
    """
    eligibility = check_eligibility(ctx, site.pathway)
    facts = discharge_facts(ctx, eligibility, site)
    route = gp_route(facts)
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
    warnings = list(eligibility.warnings)
    # Where the GP's language has no catalogue or no brochure, the physician is told (H100).
    warnings.extend(language_warnings(facts))
    # A letter the GP cannot receive electronically says why (the physician hands it over).
    warnings.extend(route.warnings())
    message = None
    communication = build_letter_communication(facts)
    if communication is not None and route.reachable and gp_message:
        message = build_gp_message(facts, route, new_resources)
        if message.fits:
            communication = with_gp_message(communication, facts, route, message)
        else:
            warnings.append(unreachable_warning("message-too-large"))
    if communication is not None:
        new_resources.append((facts.communication.literal, communication))
    if message is not None and message.fits:
        new_resources.append((message.task.literal, ehealthbox_task(facts, message)))
    # Conditional creates: a second discharge of this encounter finds these and creates nothing
    # (HAPI answers "200 OK" for an ifNoneExist match).
    entries = [(urn, resource, if_none_exist(urn)) for urn, resource in new_resources]
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
    sent = message if message is not None and message.fits else None
    return Discharge(bundle, tuple(warnings), facts, route, sent, carried)


# What each entry of the transaction is, by position (the roles of the operation's answer).
ENTRY_ROLES = (
    "letter",
    "brochure",
    "carePlan",
    "followUpOneWeek",
    "followUpSixWeeks",
    "letterToGp",
    "ehealthboxTask",
)
