"""The discharge use case, once for the HTTP operation (web/operation/) and the CLI (cli.py):
build it (`screened_discharge`: the terminology server's answers, then the gate), accept it into
the durable outbox, deliver it now, wait up to N seconds.

And its wiring from the settings: which outbox (`open_outbox`), which deliverer.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from typing import Final
from urllib.parse import parse_qsl

from ..config import Settings
from ..core.letter.document import document_identifier
from ..core.letter_versions import latest_letter, letter_identifier, letter_versions
from ..core.record.context import DischargeContext
from ..core.record.identity import derived_uuid, discharge_key
from ..core.record.matching import correction_conflicts
from ..core.replaced_plan import replaced_plan_searches
from ..core.site import Site
from ..core.stored_document import letter_digest
from ..core.transaction import Discharge, build_discharge
from ..errors import (
    DischargeWarning,
    FhirServerError,
    Finding,
    IdentityConflict,
    TooManyLetterVersions,
)
from ..types import Resource
from .delivery import Deliverer
from .fhir_client import FhirClient, Landed
from .outbox import DELIVERED, Outbox, OutboxItem
from .outbox.sqlite import SqliteOutbox
from .terminology import TerminologyServer, with_red_flags_by_terminology_server

log = logging.getLogger(__name__)


def open_outbox(settings: Settings) -> Outbox:
    """The outbox the settings name: PostgreSQL at `outbox_url` when set (shared by several
    service replicas; io/outbox/postgres.py), else the SQLite file at `outbox_path` (one
    service process)."""
    if settings.outbox_url is not None:
        from .outbox.postgres import PostgresOutbox  # psycopg: the optional [postgres] extra

        return PostgresOutbox(settings.outbox_url.get_secret_value())
    return SqliteOutbox(settings.outbox_path)


async def screened_discharge(
    ctx: DischargeContext,
    terminology: TerminologyServer | None,
    site: Site,
    *,
    gp_message: bool = True,
) -> Discharge:
    """The gate, then the transaction, for `ctx` as the service and the CLI see it: with what the
    configured terminology server says of its SNOMED CT codes (io/terminology.py) filled in
    first. The one way the operation, the CDS hook, the physician's app and the CLI run the gate
    (tests/unit/test_terminology.py holds that no other module calls build_discharge).

    `gp_message=False` (previews: the CDS card, the app) leaves out the KMEHR message and its PDF;
    with it the build runs off the event loop (the letter's PDF costs CPU: benchmarks/README.md).
    `site`: the hospital the letter is from (Settings.site)."""
    ctx = await with_red_flags_by_terminology_server(ctx, terminology)
    if not gp_message:
        return build_discharge(ctx, site, gp_message=False)
    return await asyncio.to_thread(build_discharge, ctx, site)


# Versions of one encounter's letter looked for on the server; a record corrected more often
# than this is refused to be written again (an ordinary correction is 1 or 2).
MAX_LETTER_VERSIONS: Final = 20

LOOKUP_FAILED_WARNING: Final = DischargeWarning(
    "the FHIR server could not be asked whether this encounter's letter was written before: "
    "if the record was corrected since, no corrected letter is written (discharge again once "
    "the server answers)",
    "letter-versions-not-looked-up",
)


async def current_discharge(client: FhirClient, discharge: Discharge) -> Discharge:
    """The discharge to post for the record as it is now, given the letters of its encounter
    already on the server (issue 19, correction; hazard H140):
    - none: `discharge` (the first letter);
    - version n, and the letter built now from the record says what the stored one says
      (stored_document.letter_digest): version n again, whose conditional creates find
      everything, so nothing is written twice;
    - version n, and the record changed since (the letter built now says something else):
      version n+1, which replaces it (core: Composition.relatesTo `replaces`, the KMEHR message
      a new version of the earlier one, a new Communication to the GP).
    Versions are found by the business identifiers each derives (core/letter/facts.py), one search
    each. The server not answering leaves `discharge` as it is, with a warning: it is accepted
    and delivered as before, and a correction waits for the next discharge.

    A correction is refused, nothing written: past MAX_LETTER_VERSIONS (TooManyLetterVersions,
    409), and when an earlier version's letter, or the index it would supersede, is another
    patient's on the server (IdentityConflict, 409: its identifiers were taken first)."""
    try:
        latest, stored_letters, every_letter = await _latest_letter(client, discharge)
    except FhirServerError as error:
        log.warning("letter versions of %s not looked up: %s", discharge.facts.key, error)
        return dataclasses.replace(discharge, warnings=(*discharge.warnings, LOOKUP_FAILED_WARNING))
    if latest == 0:
        return discharge
    current = await _build_version(discharge, latest)
    if any(letter_digest(s) == letter_digest(current.letter) for s in stored_letters):
        return current
    if latest >= MAX_LETTER_VERSIONS:
        finding = letter_versions_exhausted(latest)
        raise TooManyLetterVersions(finding.message, [finding])
    log.info("record changed since letter version %d: writing version %d", latest, latest + 1)
    correction = await _build_version(discharge, latest + 1)
    await _refuse_replacing_another_patients(client, correction, every_letter)
    return correction


def letter_versions_exhausted(latest: int) -> Finding:
    """The refusal of a correction past MAX_LETTER_VERSIONS, saying what to do instead."""
    return Finding(
        f"the letter of this encounter has {latest} versions already, the most this service "
        "writes: no corrected letter was written; bring the correction to the GP another way "
        "(a letter or a call) and tell the ICT service that the record keeps changing",
        "Composition.relatesTo",
        "letter-versions-exhausted",
        {"versions": latest},
    )


async def _latest_letter(
    client: FhirClient, discharge: Discharge
) -> tuple[int, list[Resource], list[Resource]]:
    """The highest version of the encounter's letter on the server (0: none; a withdrawn one
    counts: its identifier is taken), the Composition(s) of that version, and those of every
    version found."""
    versions = letter_versions(await _our_letters(client, discharge.facts.key), discharge.facts.key)
    every = [letter for found in versions for letter in found]
    return len(versions), versions[-1] if versions else [], every


async def _our_letters(client: FhirClient, key: str) -> list[Resource]:
    """The Compositions the server holds under the identifiers of the letter of discharge key
    `key`, version after version (one search each) until one is not there; which of them is
    our latest letter is core/letter_versions.py's to say."""
    found: list[Resource] = []
    for version in range(1, MAX_LETTER_VERSIONS + 1):
        identifier = letter_identifier(key, version)
        letters = await client.search(
            "Composition", {"identifier": f"{identifier['system']}|{identifier['value']}"}
        )
        if not letters:
            break
        found += letters
    return found


async def _refuse_replacing_another_patients(
    client: FhirClient, correction: Discharge, earlier_letters: list[Resource]
) -> None:
    """Raise IdentityConflict when what `correction` replaces is not this patient's on the
    server: an earlier version's letter (found by identifiers anyone can use first), the plan
    it replaces (which its delivery revokes), or the index its conditional update would
    supersede (H171). Read just before the correction is accepted; the transaction is all or
    nothing, so a refusal writes nothing."""
    replaced = list(earlier_letters)
    # the plan it replaces, which the delivery revokes (io/replaced_plan.py)
    for search in replaced_plan_searches(correction.bundle):
        replaced += await client.search("CarePlan", search)
    for entry in correction.bundle.get("entry") or []:
        request = entry.get("request") or {}
        if request.get("method") == "PUT" and "?" in str(request.get("url")):
            resource_type, condition = str(request["url"]).split("?", 1)
            replaced += await client.search(resource_type, dict(parse_qsl(condition)))
    conflicts = correction_conflicts(replaced, await _patient_on_server(client, correction))
    if conflicts:
        log.warning("correction of %s refused: %s", correction.facts.key, conflicts[0].code)
        raise IdentityConflict(conflicts[0].message, conflicts)


async def _patient_on_server(client: FhirClient, discharge: Discharge) -> str | None:
    """The reference of the letter's patient on the server: the record's own where it was read
    from the server; for a record carried with the letter, the one Patient the server holds
    under its conditional create's identifier (None: none, or several)."""
    subject = str((discharge.letter.get("subject") or {}).get("reference", ""))
    if subject.startswith("Patient/"):
        return subject
    for entry in discharge.bundle.get("entry") or []:
        if entry.get("fullUrl") == subject:
            condition = str((entry.get("request") or {}).get("ifNoneExist", ""))
            found = await client.search("Patient", dict(parse_qsl(condition))) if condition else []
            return f"Patient/{found[0].get('id')}" if len(found) == 1 else None
    return None


@dataclasses.dataclass(frozen=True)
class StoredLetter:
    """The letter this service wrote for an encounter, as the FHIR server holds it now."""

    composition: Resource
    document: Resource | None  # the attested document Bundle; None for a letter written before


async def stored_letter(client: FhirClient, encounter: Resource) -> StoredLetter | None:
    """The latest letter of `encounter` (read from `client`'s server, the one the service writes
    to) that a discharge by this service wrote there, with its stored document; None when the
    encounter was not discharged by this service (issue 22, point 2). Which letter that is, the
    CDS hook's rule says (core/letter_versions.py: by the identifiers the encounter's discharge
    derives, a withdrawn one passed over), over the versions current_discharge finds."""
    key = discharge_key(encounter, None, carried=False)
    composition = latest_letter(await _our_letters(client, key), key)
    if composition is None:
        return None
    try:
        identifier = document_identifier(composition)
    except ValueError:
        return StoredLetter(composition, None)
    found = await client.search(
        "Bundle", {"identifier": f"{identifier['system']}|{identifier['value']}"}
    )
    return StoredLetter(composition, found[0] if found else None)


def encounter_already_discharged(letter: StoredLetter) -> Finding:
    """The physician's app's refusal of a screening for an encounter this service discharged
    already (409, AlreadyDischarged): the letter stands on the screening it was written from."""
    return Finding(
        "this encounter was already discharged by this service "
        f"(Composition/{letter.composition.get('id')}): no screening is stored for it",
        "Encounter",
        "encounter-already-discharged",
    )


async def _build_version(discharge: Discharge, version: int) -> Discharge:
    if version == discharge.facts.version:
        return discharge
    ctx = dataclasses.replace(discharge.facts.context, letter_version=version)
    return await asyncio.to_thread(build_discharge, ctx, discharge.facts.site)


def deliverer_for(
    outbox: Outbox, client: FhirClient, settings: Settings, *, alerts: bool = True
) -> Deliverer:
    """The deliverer the settings describe (not started). `alerts=False`: a discharge given up
    alerts no one (the CLI: its outbox ends with it, and its caller reads the failure)."""
    return Deliverer(
        outbox,
        client,
        canonical_base=settings.site.canonical_base,
        max_attempts=settings.max_delivery_attempts,
        base_delay=settings.delivery_base_delay_seconds,
        retention_seconds=settings.outbox_retention_days * 86400,
        alert_owner=settings.dead_letter_alert_owner if alerts else None,
        language=settings.site.default_language,
    )


def log_dead_letter_mode(settings: Settings) -> None:
    """Say at start-up, once, when a discharge that does not reach the record alerts no one."""
    if settings.dead_letter_alert_owner is None:
        log.warning(
            "FHIR_DISCHARGE_DEAD_LETTER_ALERT_OWNER is not set: a discharge the FHIR server "
            "refuses or never takes alerts no one (it is logged at ERROR and counted in "
            "/metrics only); name the ED secretariat's Organization or PractitionerRole"
        )


async def accept_and_deliver(
    deliverer: Deliverer, discharge: Discharge, wait_seconds: float
) -> OutboxItem:
    """Accept `discharge` into the outbox, durably, and deliver it now; the item once
    delivered, failed or dead, or as it stands after `wait_seconds` (delivery goes on in the
    background: still queued or delivering)."""
    # one item per version of the letter: a correction is a discharge of its own
    item_id = derived_uuid(discharge.facts.version_key, "discharge").removeprefix("urn:uuid:")
    encounter = f"Encounter/{discharge.facts.encounter.id}"
    # Accepted and, normally, claimed for delivery by this process in the same commit. On disk
    # (fsynced) before we answer: from here on the discharge is ours to deliver.
    claim = deliverer.lease_seconds if deliverer.can_deliver_now() else None
    accepted = await asyncio.to_thread(
        deliverer.outbox.accept,
        item_id,
        encounter,
        discharge.bundle,
        discharge.warnings,
        time.time(),
        claim,
    )
    log.info("accepted %s for %s (%s)", item_id, encounter, accepted.state)
    if accepted.claimed:  # posted now, in this event loop, with the bundle still in memory
        return await deliverer.deliver_now(accepted, wait_seconds)
    # In flight already (a repeat), or too many inline: the background loop's.
    deliverer.wake()
    return await deliverer.wait_for(item_id, wait_seconds) or accepted


def where_landed(item: OutboxItem) -> list[Landed] | None:
    """Where each entry of a delivered item landed; None until it is delivered."""
    if item.state != DELIVERED or item.result is None:
        return None
    return [Landed(**x) for x in item.result]
