"""What the discharge wrote, for whom, from what and by which version: its Provenance, and the
service itself as a Device.

One Provenance per discharge, in the same transaction:
- `target`: every resource the discharge writes as its own (the letter, the brochure reference,
  the care plan, the two follow-up Tasks, the Communication to the GP and the eHealthBox Task when
  there are, the stored document). Not the record carried with the letter (carry.py): its copies
  are the EHR's record, matched on the server by their identifiers, often already there; naming
  them would claim this activity made somebody else's Patient;
- `agent`: the physician who signs the letter (`author`), and this service (`assembler`, a Device
  of this version, on behalf of the hospital);
- `entity`: the red-flag screening and the Encounter the letter is written from (`source`);
- `recorded`: the letter's own time (Composition.date, attester.time: the encounter's end, when
  the physician discharged the patient). The core has no clock, and a repeat must build the same
  Provenance; the time the server stored it is its `meta.lastUpdated`.
- `activity`: v3-DataOperation CREATE (codes.py says where it was verified).

R4 Provenance has no identifier: a repeat finds it by a tag derived from the discharge, like
every new resource's identifier (`_tag=urn:ietf:rfc:3986|urn:uuid:...`, a search every server
indexes; HAPI resolves a urn:uuid in a conditional create's search, the sandbox does not, so
`target=` cannot be the condition). The Device is written once per version: a conditional create
on its identifier (`fhir-discharge/0.1.0`).

Pure: no network, no clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from ..types import Resource
from .brussels_time import fhir_datetime
from .codes import PROVENANCE_ACTIVITY, PROVENANCE_ASSEMBLER, PROVENANCE_AUTHOR
from .letter.facts import DischargeFacts
from .letter.narrative import generated, paragraph, text
from .pathway.canonicals import Canonicals
from .record.identifiers import identifier_condition
from .record.identity import IDENTIFIER_SYSTEM
from .record.references import ref_of

# The service, as its package names it: pyproject.toml's [project] name and version
# (tests/unit/test_provenance.py holds them equal to the installed package's).
SERVICE_NAME: Final = "fhir-discharge"
SERVICE_VERSION: Final = "0.1.0"


def service_identifier_system(canonicals: Canonicals) -> str:
    return f"{canonicals.base}/sid/service-version"


def service_identifier(canonicals: Canonicals) -> dict[str, str]:
    """The Device of this version: the same on every discharge of the site."""
    return {
        "system": service_identifier_system(canonicals),
        "value": f"{SERVICE_NAME}/{SERVICE_VERSION}",
    }


def service_condition(canonicals: Canonicals) -> str:
    return identifier_condition(
        service_identifier_system(canonicals), service_identifier(canonicals)["value"]
    )


def service_label() -> str:
    return f"{SERVICE_NAME} {SERVICE_VERSION}"


def build_service_device(facts: DischargeFacts) -> Resource:
    """The service itself, this version: what the Provenance names as the letter's assembler."""
    return {
        "resourceType": "Device",
        "meta": {"profile": [facts.site.canonicals.service_device_profile]},
        "language": facts.language,
        "text": generated(
            paragraph(text(facts.phrases["service-device"].format(service=service_label()))),
            facts.language,
        ),
        "identifier": [service_identifier(facts.site.canonicals)],
        "status": "active",
        "deviceName": [{"name": SERVICE_NAME, "type": "manufacturer-name"}],
        "version": [{"value": SERVICE_VERSION}],
    }


def provenance_tag(facts: DischargeFacts) -> dict[str, str]:
    """What a repeat finds the discharge's Provenance by (it has no identifier in R4)."""
    return {"system": IDENTIFIER_SYSTEM, "code": facts.provenance.literal}


def provenance_condition(facts: DischargeFacts) -> str:
    tag = provenance_tag(facts)
    return identifier_condition(tag["system"], tag["code"], parameter="_tag")


def build_provenance(facts: DischargeFacts, targets: Sequence[str]) -> Resource:
    """The Provenance of the discharge: `targets` are the fullUrls of what it writes."""
    screening = ref_of(facts.record.screening.response)
    return {
        "resourceType": "Provenance",
        "meta": {
            "profile": [facts.site.canonicals.provenance_profile],
            "tag": [provenance_tag(facts)],
        },
        "language": facts.language,
        "text": generated(
            paragraph(text(facts.phrases["provenance"].format(service=service_label()))),
            facts.language,
        ),
        "target": [{"reference": urn} for urn in targets],
        "recorded": fhir_datetime(facts.discharge),
        "activity": PROVENANCE_ACTIVITY.concept(),
        "agent": [
            {"type": PROVENANCE_AUTHOR.concept(), "who": facts.physician.as_reference()},
            {
                "type": PROVENANCE_ASSEMBLER.concept(),
                # The version said here as well: the Device is found by an identifier anyone
                # who writes to the server could have used first.
                "who": facts.service.as_reference(display=service_label()),
                "onBehalfOf": facts.hospital.as_reference(),
            },
        ],
        "entity": [
            {"role": "source", "what": screening.as_reference()},
            {"role": "source", "what": facts.encounter.as_reference()},
        ],
    }
