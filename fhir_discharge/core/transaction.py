"""The pathway core's front door: a discharge context in, one transaction Bundle out.

Pure: no network, no clock, no settings. The same context gives the same Bundle, byte for byte,
because every fullUrl and identifier derives from the encounter's identity.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import DischargeWarning
from ..types import Resource
from .gate import check_eligibility
from .gp_message.ehealthbox import (
    GpMessage,
    GpRoute,
    build_gp_message,
    ehealthbox_task,
    ehealthbox_task_ref,
    gp_route,
    unreachable_warning,
    with_gp_message,
)
from .letter.brochure import build_brochure_reference
from .letter.careplan import build_care_plan, follow_up_tasks
from .letter.communication import build_letter_communication
from .letter.composition import build_letter
from .letter.facts import DischargeFacts, discharge_facts, language_warnings
from .letter_index import letter_indexes
from .provenance import (
    build_provenance,
    build_service_device,
    provenance_condition,
    service_condition,
)
from .record.carry import CarriedEntry, carry_record
from .record.context import DischargeContext
from .record.identity import if_none_exist
from .site import Site
from .stored_document import StoredDocument, stored_document


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
    # The letter as the attested document the transaction stores (core/stored_document.py).
    document: StoredDocument | None = None

    @property
    def letter(self) -> Resource:
        return dict(self.bundle["entry"][0]["resource"])

    @property
    def provenance(self) -> Resource:
        return next(
            e["resource"]
            for e in self.bundle["entry"]
            if e["resource"]["resourceType"] == "Provenance"
        )


def build_discharge(ctx: DischargeContext, site: Site, *, gp_message: bool = True) -> Discharge:
    """Gate the encounter, then build letter, brochure reference, care plan and follow-up tasks,
    the Communication to the GP with the letter as a KMEHR message (and its PDF) and the Task
    that has the hospital's integration engine send it to the GP's eHealthBox, the letter as the
    attested document the transaction stores, and the Provenance of all of it. `site`: the
    hospital the letter is from (sites/*.toml); the letter speaks the GP's language.

    `gp_message=False` leaves the KMEHR message and its Task out (no PDF is rendered: ~0.3 s of
    CPU); the warnings stay the same. For previews only (the CDS Hooks card, the physician's
    app), never for a transaction that is posted.

    Raises NotOnPathway / IncompleteRecord (422) when the encounter is not for this pathway.
    """
    eligibility = check_eligibility(ctx, site.pathway)
    facts = discharge_facts(ctx, eligibility, site)
    route = gp_route(facts)
    letter = build_letter(facts)
    new_resources = [
        (facts.letter.literal, letter),
        (facts.brochure.literal, build_brochure_reference(facts)),
        (facts.care_plan.literal, build_care_plan(facts)),
        *zip(
            (facts.task_week.literal, facts.task_six_weeks.literal),
            follow_up_tasks(facts),
            strict=True,
        ),
    ]
    warnings = list(eligibility.warnings)
    # Where the GP's language has no catalogue or no brochure, the physician is told (H103).
    warnings.extend(language_warnings(facts))
    # A letter the GP cannot receive electronically says why (the physician hands it over).
    warnings.extend(route.warnings())
    communication = build_letter_communication(facts)
    if communication is not None:
        new_resources.append((facts.communication.literal, communication))
    # The Task for the integration engine is built before the record is carried, like every
    # resource that references it; it is left out below if the message does not fit.
    task_urn = ehealthbox_task_ref(facts).literal
    if communication is not None and route.reachable and gp_message:
        new_resources.append((task_urn, ehealthbox_task(facts)))
    # A correction: the previous version's index superseded, this one's current (letter_index.py).
    indexes = letter_indexes(facts)
    provenance = build_provenance(
        facts,
        [urn for urn, _ in new_resources]
        + [urn for urn, _ in indexes[1:]]
        + [facts.document.literal],
    )
    carried: tuple[CarriedEntry, ...] = ()
    if ctx.carry_record:
        # The record the EHR sent goes along, after the new resources (carry.py): never
        # referenced by id on a server that is not its source.
        record = carry_record(
            [r for _, r in [*new_resources, *indexes]] + [provenance], ctx, facts.key
        )
        carried = record.entries
        warnings += record.warnings
    # The letter as attested, stored once: what the GP is pointed to (stored_document.py).
    document = stored_document(
        ctx,
        facts.key,
        facts.document.literal,
        [*new_resources, *((e.urn, e.resource) for e in carried)],
        site.canonicals,
    )
    message = None
    if any(urn == task_urn for urn, _ in new_resources) and communication is not None:
        # The message's PDF is the stored document's, rendered once (~0.2 s of CPU).
        message = build_gp_message(facts, route, letter, document.bundle)
        if message.fits:
            sent = with_gp_message(communication, facts, route, message)
            new_resources = [(u, sent if r is communication else r) for u, r in new_resources]
        else:
            warnings.append(unreachable_warning("message-too-large"))
            new_resources = [(u, r) for u, r in new_resources if u != task_urn]
            provenance["target"] = [t for t in provenance["target"] if t["reference"] != task_urn]
    # Conditional creates: a second discharge of this encounter finds these and creates nothing
    # (HAPI answers "200 OK" for an ifNoneExist match). The Provenance has no identifier in R4:
    # it is found by its tag; the Device once per version, by its identifier.
    entries: list[tuple[str, Resource, str | None]]
    entries = [(urn, resource, if_none_exist(urn)) for urn, resource in new_resources]
    # The previous version's index: a conditional update (its status is what changes).
    entries += [(urn, resource, None) for urn, resource in indexes[:1]]
    entries += [(urn, resource, if_none_exist(urn)) for urn, resource in indexes[1:]]
    entries += [
        (document.urn, document.bundle, if_none_exist(document.urn)),
        (facts.provenance.literal, provenance, provenance_condition(facts)),
        (facts.service.literal, build_service_device(facts), service_condition(site.canonicals)),
    ]
    entries += [(e.urn, e.resource, e.condition) for e in carried]
    bundle: Resource = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": urn,
                "resource": resource,
                "request": _request(urn, resource, condition),
            }
            for urn, resource, condition in entries
        ],
    }
    sent_message = message if message is not None and message.fits else None
    return Discharge(bundle, tuple(warnings), facts, route, sent_message, carried, document)


def _request(urn: str, resource: Resource, condition: str | None) -> Resource:
    """A conditional create on `condition`; without one, a conditional update on the
    resource's identifier (`urn`)."""
    if condition is None:
        return {"method": "PUT", "url": f"{resource['resourceType']}?{if_none_exist(urn)}"}
    return {"method": "POST", "url": resource["resourceType"], "ifNoneExist": condition}


# What each entry of the transaction is, in its order, with the resource type that plays it; an
# optional one may be absent (the letter to the GP without a GP on record; the eHealthBox Task
# when the letter cannot reach the GP electronically). The record carried with the letter follows.
ENTRY_ROLES: tuple[tuple[str, str, bool], ...] = (
    ("letter", "Composition", False),
    ("brochure", "DocumentReference", False),
    ("carePlan", "CarePlan", False),
    ("followUpOneWeek", "Task", False),
    ("followUpSixWeeks", "Task", False),
    ("letterToGp", "Communication", True),
    ("ehealthboxTask", "Task", True),
    # a correction only (letter_index.py): the replaced letter's index, then this one's
    ("replacedLetterIndex", "DocumentReference", True),
    ("letterIndex", "DocumentReference", True),
    ("document", "Bundle", False),
    ("provenance", "Provenance", False),
    ("service", "Device", False),
)


def entry_roles(resource_types: Sequence[str]) -> list[str]:
    """The role of each of the transaction's first entries, given their resource types in order
    (where they landed): as many roles as the discharge's own resources, then none (the record).
    A discharge accepted by an earlier version (no document, Provenance or Device) gets the
    roles it has."""
    roles: list[str] = []
    expected = iter(ENTRY_ROLES)
    for resource_type in resource_types:
        for role, wanted, optional in expected:
            if wanted == resource_type:
                roles.append(role)
                break
            if not optional:
                return roles
        else:
            return roles
    return roles
