"""CDS Hooks 2.0 (https://cds-hooks.hl7.org/2.0/): the `encounter-discharge` hook.

The EHR calls `POST /cds-services/lbp-discharge` when the ED physician discharges an encounter.
On the pathway the answer is one `info` card whose one suggestion creates the letter, brochure
reference, care plan and both follow-up tasks in the EHR; off the pathway (or with a record the
letter cannot be written from) it is one card naming why, without suggestions: `critical` for a
red flag, `info` for another reason, `warning` for a record that lacks something. An encounter
whose reason and diagnoses show nothing of low back pain gets no card (core/cds_cards.py).

Data comes from the prefetch first (a resource or a searchset Bundle per key, prefetch.py), then,
for what the prefetch lacks, from the EHR's `fhirServer` with `fhirAuthorization.access_token` as
bearer token (io/hook_gathering.py), when that server is one of the calling EHR's own. When
neither has it, the answer is 412 Precondition Failed, as the specification says.

Nothing is posted from here: the EHR applies the actions (or not). What the physician did with
a card comes back at `POST /cds-services/lbp-discharge/feedback` (CDS Hooks 2.0, "Feedback"),
from the same client, trusted as for the hook: kept with the outbox (io/card_feedback.py) and
counted in /metrics by outcome and override reason. The hook itself keeps nothing.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Final

from fastapi import APIRouter, Request, Response

from ...config import Settings
from ...core.cds_cards import (
    OVERRIDE_REASON_CODES,
    about_low_back_pain,
    discharge_card,
    discharged_card,
    is_red_flag,
    override_reason_system,
    refusal_card,
    terminology_unavailable_card,
)
from ...core.letter_versions import latest_letter
from ...core.record.context import DischargeContext
from ...core.record.identity import discharge_key
from ...core.site import Site
from ...errors import Forbidden, IncompleteRecord, NotOnPathway, TerminologyServerUnavailable
from ...io.card_feedback import NO_REASON, OTHER_REASON, CardOutcome
from ...io.discharging import screened_discharge
from ...io.hook_gathering import gather_hook_context
from ...io.terminology import TerminologyServer
from ..body import StrictJsonRoute, fhir_json_body
from ..deps import (
    CardFeedbackDep,
    CdsClientDep,
    CdsFeedbackClientDep,
    ConnectionsDep,
    SettingsDep,
    TerminologyDep,
)
from ..urls import public_url_for, trusted_server
from .models import CdsDiscovery, CdsResponse, FeedbackEntry, parse_feedback
from .prefetch import read_hook
from .service import FEEDBACK_PATH, HOOK_PATH, discovery

log = logging.getLogger(__name__)
cds_router = APIRouter(tags=["cds-hooks"], route_class=StrictJsonRoute)
# Hook requests of up to this many bytes are read on the event loop (the usual prefetch is a few
# kB); a bigger one is checked in a worker thread, as a big context Bundle is (operation/): a
# ~1 MB prefetch takes seconds of structure checks, and /health must answer meanwhile.
HOOK_INLINE_MAX_BYTES: Final = 16 * 1024

# Errors are OperationOutcomes (app.py), as everywhere in this service.
_HOOK_ERRORS: Final[dict[int | str, dict[str, Any]]] = {
    400: {"description": "Not a valid encounter-discharge request (an OperationOutcome)"},
    401: {"description": "No valid bearer token (an OperationOutcome)"},
    403: {"description": "fhirServer is not one this service reads from (an OperationOutcome)"},
    412: {"description": "The data is neither prefetched nor readable from fhirServer"},
    502: {"description": "fhirServer failed"},
    504: {"description": "fhirServer did not answer in time"},
}
# The body is read raw (fhir_json_body: size limit, media type, then CdsRequest, after the
# caller is authenticated): declared here so the OpenAPI says what to send (app.py adds the
# CdsRequest schema to the document's components).
_HOOK_REQUEST_BODY: Final = {
    "required": True,
    "content": {
        media: {"schema": {"$ref": "#/components/schemas/CdsRequest"}}
        for media in ("application/json", "application/fhir+json")
    },
}


@cds_router.get("/cds-services", response_model_exclude_none=True)
async def cds_discovery(settings: SettingsDep) -> CdsDiscovery:
    return CdsDiscovery.model_validate(discovery(settings.site))


@cds_router.post(
    HOOK_PATH,
    response_model_exclude_none=True,
    responses=_HOOK_ERRORS,
    openapi_extra={"requestBody": _HOOK_REQUEST_BODY},
)
async def lbp_discharge_hook(
    request: Request,
    settings: SettingsDep,
    caller: CdsClientDep,
    terminology: TerminologyDep,
    connections: ConnectionsDep,
) -> CdsResponse:
    """A CDS Hooks 2.0 `encounter-discharge` call: 200 with cards (none for an encounter not
    about low back pain; an info card without suggestion for one this service discharged
    already), 400 for a malformed request,
    403 for a fhirServer not the caller's, 412 when the data is neither prefetched nor
    readable, 502/504 when fhirServer fails. When the configured terminology server cannot
    answer: 200 with a warning card saying so (no letter suggested)."""
    body = await fhir_json_body(request, settings.max_body_bytes)
    if request.state.body_bytes <= HOOK_INLINE_MAX_BYTES:
        hook, prefetched = read_hook(body)
    else:
        hook, prefetched = await asyncio.to_thread(read_hook, body)
    server = hook.fhir_server
    # The request names the server we read, with a token it gives: only the calling EHR's own
    # servers, or a caller could make it fetch from anywhere, or from another EHR.
    servers = (
        caller.fhir_servers
        if caller.fhir_servers is not None
        else (settings.fhir_base_url, *settings.cds_fhir_servers)
    )
    if server is not None and not trusted_server(server, servers):
        raise Forbidden("fhirServer is not one this service reads from for this CDS client")
    token = hook.fhirAuthorization.access_token if hook.fhirAuthorization else None
    launch_url = settings.app_launch_url or public_url_for(request, settings, "app_launch")
    try:
        record = await gather_hook_context(
            hook.context.encounterId,
            hook.context.patientId,
            prefetched,
            server,
            token,
            settings.fhir_timeout_seconds,
            connections,
        )
        ctx = record.context
        if not about_low_back_pain(ctx, settings.site):
            # Not this pathway's encounter: silence, not a card on every ED discharge.
            log.info("hook %s: not about low back pain, no card", hook.hookInstance)
            return CdsResponse(cards=[])
        # Ours by its identifiers, as the app finds it (core/letter_versions.py).
        key = discharge_key(ctx.encounter, ctx.patient, carried=ctx.carry_record)
        letter = latest_letter(record.letters or [], key)
        if letter is not None:
            return await _discharged_answer(
                hook.hookInstance, letter, ctx, terminology, settings, launch_url
            )
        # The operation's own build, KMEHR message included: the suggestion writes what the
        # operation's transaction writes (the message's PDF costs CPU: off the event loop).
        discharge = await screened_discharge(ctx, terminology, settings.site)
    except (NotOnPathway, IncompleteRecord) as refusal:
        log.info("hook %s: %s", hook.hookInstance, type(refusal).__name__)
        card = refusal_card(refusal, hook.hookInstance, settings.site, launch_url)
        return CdsResponse.model_validate({"cards": [card]})
    except TerminologyServerUnavailable:
        # A card, not the operation's 503: an EHR shows a CDS service's error to no one, and the
        # physician would read no card as no objection. Said in the site's language; nothing
        # was written.
        log.warning("hook %s: the terminology server did not answer", hook.hookInstance)
        card = terminology_unavailable_card(hook.hookInstance, settings.site)
        return CdsResponse.model_validate({"cards": [card]})
    log.info("hook %s: on pathway", hook.hookInstance)
    card = discharge_card(discharge, hook.hookInstance, settings.site)
    return CdsResponse.model_validate({"cards": [card]})


async def _discharged_answer(
    hook_instance: str,
    letter: dict[str, Any],
    ctx: DischargeContext,
    terminology: TerminologyServer | None,
    settings: Settings,
    launch_url: str,
) -> CdsResponse:
    """An encounter this service discharged already: its info card, and nothing to make again.
    The gate still runs (no message, no PDF): a red flag the record shows now comes first, on
    its own critical card, so a letter written earlier never hides it."""
    cards = [discharged_card(letter, ctx, hook_instance, settings.site, launch_url)]
    try:
        await screened_discharge(ctx, terminology, settings.site, gp_message=False)
    except NotOnPathway as refusal:
        if any(is_red_flag(f) for f in refusal.findings):
            cards.insert(0, refusal_card(refusal, hook_instance, settings.site, launch_url))
    except (IncompleteRecord, TerminologyServerUnavailable):
        pass  # the letter stands; what the record lacks now is the next discharge's concern
    log.info("hook %s: discharged already", hook_instance)
    return CdsResponse.model_validate({"cards": cards})


_FEEDBACK_ERRORS: Final[dict[int | str, dict[str, Any]]] = {
    400: {"description": "Not valid CDS Hooks feedback (an OperationOutcome)"},
    401: {"description": "No valid bearer token (an OperationOutcome)"},
    403: {"description": "A credential of another role (an OperationOutcome)"},
}
_FEEDBACK_REQUEST_BODY: Final = {
    "required": True,
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/FeedbackRequest"}}},
}


@cds_router.post(
    FEEDBACK_PATH,
    status_code=200,
    response_class=Response,
    responses={200: {"description": "Kept"}, **_FEEDBACK_ERRORS},
    openapi_extra={"requestBody": _FEEDBACK_REQUEST_BODY},
)
async def lbp_discharge_feedback(
    request: Request,
    settings: SettingsDep,
    caller: CdsFeedbackClientDep,
    store: CardFeedbackDep,
) -> Response:
    """CDS Hooks 2.0 feedback: what the physician did with a card (accepted with its
    suggestions, or overridden with a reason), kept before the 200 (io/card_feedback.py) and
    counted in /metrics. The same feedback sent again is kept once."""
    body = await fhir_json_body(request, settings.max_body_bytes)
    feedback = parse_feedback(body)
    outcomes = [card_outcome(entry, settings.site) for entry in feedback.feedback]
    added = await asyncio.to_thread(store.record, outcomes, caller.subject, time.time())
    log.info("feedback: %d outcomes, %d new", len(outcomes), added)
    return Response(status_code=200)


def card_outcome(entry: FeedbackEntry, site: Site) -> CardOutcome:
    """An entry as kept: its override reason labelled by its code when the reason is one of the
    service's own (core/cds_cards.py), `other` when it is the EHR's, `none` without one."""
    reason = entry.overrideReason.reason if entry.overrideReason else None
    if reason is None:
        label = NO_REASON
    elif reason.system == override_reason_system(site) and reason.code in OVERRIDE_REASON_CODES:
        label = reason.code
    else:
        label = OTHER_REASON
    return CardOutcome(
        card=entry.card,
        outcome=entry.outcome,
        outcome_timestamp=entry.outcomeTimestamp.isoformat(),
        accepted_suggestions=tuple(s.id for s in entry.acceptedSuggestions or ()),
        reason_system=reason.system if reason else None,
        reason_code=reason.code if reason else None,
        reason_label=label,
    )
