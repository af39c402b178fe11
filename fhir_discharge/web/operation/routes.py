"""The $lbp-discharge operation and what stands beside it: parse, call the core and the FHIR
client, answer in FHIR (web/answers.py). `/health`, `/metadata` (the CapabilityStatement) and the
OperationDefinition are open; the rest is the EHR's as a system (web/deps.py)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from ...core.record.context import DischargeContext, context_from_bundle
from ...errors import InvalidInput
from ...io.discharging import where_landed
from ...io.gathering import gather_context
from ..answers import (
    UnknownDischarge,
    discharge_answer,
    discharge_result,
    fhir_response,
    item_response,
)
from ..body import FhirId, StrictJsonRoute, check_fhir_json, fhir_json_body
from ..deps import SYSTEM_ROLE, ClientDep, DelivererDep, SettingsDep, TerminologyDep
from ..urls import public_base_url, public_url_for
from .definition import capability_statement, operation_definition

router = APIRouter(route_class=StrictJsonRoute)
# Context Bundles of up to this many bytes are checked on the event loop (the example is ~6 kB and
# costs ~0.2 ms; a resource the compiled check does not cover costs ~0.3 ms in the R4B models,
# core/record/structure.py): by size, because one entry can be as big as the body.
CONTEXT_INLINE_MAX_BYTES = 16 * 1024


# The body is read raw (fhir_json_body): declared here so the OpenAPI says what to send.
FHIR_BODY = {
    "required": True,
    "content": {
        media: {
            "schema": {
                "type": "object",
                "required": ["resourceType"],
                "properties": {"resourceType": {"type": "string", "enum": ["Bundle", "Encounter"]}},
                "description": "A Bundle with the Encounter and its context, or a bare Encounter",
            }
        }
        for media in ("application/fhir+json", "application/json")
    },
}


@router.get("/health", tags=["service"])
async def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/metadata", tags=["service"])
async def metadata(request: Request, settings: SettingsDep) -> JSONResponse:
    return fhir_response(capability_statement(public_base_url(request, settings), settings))


@router.get("/OperationDefinition/lbp-discharge", tags=["service"])
async def lbp_discharge_definition(settings: SettingsDep) -> JSONResponse:
    return fhir_response(operation_definition(settings.site))


@router.post(
    "/Encounter/$lbp-discharge",
    tags=["discharge"],
    dependencies=[SYSTEM_ROLE],
    openapi_extra={"requestBody": FHIR_BODY},
)
async def discharge_from_body(
    request: Request,
    settings: SettingsDep,
    client: ClientDep,
    deliverer: DelivererDep,
    terminology: TerminologyDep,
) -> JSONResponse:
    """Body: a Bundle with the Encounter and its context, or a bare Encounter (context read from
    the FHIR server). `?_dry-run=true` returns the transaction Bundle without posting it."""
    body = await fhir_json_body(request, settings.max_body_bytes)
    if body.get("resourceType") == "Bundle":
        # A structure check of every entry: ~0.2 ms for the usual record, less than a thread hop;
        # a big record (hundreds of entries) is checked off the event loop.
        if request.state.body_bytes <= CONTEXT_INLINE_MAX_BYTES:
            ctx = checked_context(body)
        else:
            ctx = await asyncio.to_thread(checked_context, body)
    elif body.get("resourceType") == "Encounter":
        check_fhir_json(body, "request body")
        ctx = await gather_context(client, body)
    else:
        raise InvalidInput(
            f"expected a Bundle or an Encounter, got {str(body.get('resourceType'))[:40]!r}"
        )
    return await discharge_answer(ctx, request, settings, client, deliverer, terminology)


def checked_context(bundle: dict[str, Any]) -> DischargeContext:
    """The context of a context Bundle: its FHIR JSON, then its structure checked."""
    check_fhir_json(bundle, "request body")
    return context_from_bundle(bundle)


@router.post(
    "/Encounter/{encounter_id}/$lbp-discharge",
    tags=["discharge"],
    dependencies=[SYSTEM_ROLE],
)
async def discharge_by_id(
    encounter_id: FhirId,
    request: Request,
    settings: SettingsDep,
    client: ClientDep,
    deliverer: DelivererDep,
    terminology: TerminologyDep,
) -> JSONResponse:
    """Reads the Encounter and its context from the FHIR server, then discharges it."""
    ctx = await gather_context(client, encounter_id)
    return await discharge_answer(ctx, request, settings, client, deliverer, terminology)


@router.get(
    "/discharges/{item_id}",
    name="discharge_status",
    tags=["discharge"],
    dependencies=[SYSTEM_ROLE],
)
async def discharge_status(
    item_id: FhirId, deliverer: DelivererDep, request: Request
) -> JSONResponse:
    """Where an accepted discharge stands: queued, delivering, delivered (with the server
    references), failed or dead (with the FHIR server's OperationOutcome)."""
    item = await asyncio.to_thread(deliverer.outbox.get, item_id)
    if item is None:
        raise UnknownDischarge(f"no discharge {item_id[:64]!r} was accepted here")
    answer = discharge_result(item, where_landed(item), deliverer.canonical_base)
    return fhir_response(answer)


@router.post("/discharges/{item_id}/$redeliver", tags=["discharge"], dependencies=[SYSTEM_ROLE])
async def redeliver(
    item_id: FhirId, deliverer: DelivererDep, request: Request, settings: SettingsDep
) -> JSONResponse:
    """Put a failed or dead discharge back in the queue, after its cause was fixed."""
    if not await asyncio.to_thread(deliverer.outbox.redrive, item_id, time.time()):
        raise UnknownDischarge(f"no failed or dead discharge {item_id[:64]!r} here")
    deliverer.wake()
    item = await deliverer.wait_for(item_id, 0)
    assert item is not None
    status_url = public_url_for(request, settings, "discharge_status", item_id=item_id)
    return item_response(item, status_url, deliverer.canonical_base)
