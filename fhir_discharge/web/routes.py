"""The $lbp-discharge operation: parse, call the core and the FHIR client, answer in FHIR."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from ..config import Settings
from ..core.context import DischargeContext, context_from_bundle
from ..core.transaction import entry_roles
from ..errors import IdentityConflict, InvalidInput, UnknownEncounter, warnings_outcome
from ..io.delivery import Deliverer
from ..io.discharging import (
    accept_and_deliver,
    current_discharge,
    screened_discharge,
    where_landed,
)
from ..io.fhir_client import FhirClient, Landed
from ..io.gathering import gather_context
from ..io.json_codec import json_bytes
from ..io.outbox import DEAD, DELIVERED, FAILED, OutboxItem
from ..io.terminology import TerminologyServer
from .body import FhirId, StrictJsonRoute, check_fhir_json, fhir_json_body
from .deps import ClientDep, DelivererDep, SettingsDep, TerminologyDep
from .operation import capability_statement, operation_definition
from .security import require_system
from .urls import public_base_url, public_url_for

log = logging.getLogger(__name__)
router = APIRouter(route_class=StrictJsonRoute)
# Context Bundles of up to this many bytes are checked on the event loop (the example is ~6 kB and
# costs ~0.2 ms; a resource the compiled check does not cover costs ~0.3 ms in the R4B models,
# core/structure.py): by size, because one entry can be as big as the body.
CONTEXT_INLINE_MAX_BYTES = 16 * 1024

FHIR_JSON = "application/fhir+json"


class UnknownDischarge(UnknownEncounter):
    """No discharge with that id was accepted by this service."""


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


class FhirJSONResponse(JSONResponse):
    """A resource as JSON, written by orjson as the transaction is (io/json_codec.py): a dry
    run answers with the 23 kB transaction, ~0.35 ms with json.dumps."""

    media_type = FHIR_JSON

    def render(self, content: Any) -> bytes:
        return json_bytes(content)


def fhir_response(resource: dict[str, Any], status: int = 200) -> JSONResponse:
    return FhirJSONResponse(resource, status_code=status)


def _dry_run(request: Request) -> bool:
    flags = [request.query_params.get(name) for name in ("_dry-run", "dry-run", "_dryRun")]
    return any(flag is not None and flag.lower() in ("", "true", "1") for flag in flags)


@router.get("/health", tags=["service"])
async def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/metadata", tags=["service"])
async def metadata(request: Request, settings: SettingsDep) -> JSONResponse:
    return fhir_response(capability_statement(public_base_url(request, settings), settings))


@router.get("/OperationDefinition/lbp-discharge", tags=["service"])
async def lbp_discharge_definition() -> JSONResponse:
    return fhir_response(operation_definition())


@router.post(
    "/Encounter/$lbp-discharge",
    tags=["discharge"],
    dependencies=[Depends(require_system)],
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
    dependencies=[Depends(require_system)],
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


async def discharge_answer(
    ctx: DischargeContext,
    request: Request,
    settings: Settings,
    client: FhirClient,
    deliverer: Deliverer,
    terminology: TerminologyServer | None,
    status_route: str = "discharge_status",
) -> JSONResponse:
    """The operation's answer for `ctx` (the physician's app answers with it too, its status
    URL on its own route, `status_route`). The terminology server's answers, then the gate: a
    503 there writes nothing."""
    discharge = await screened_discharge(ctx, terminology, settings.language)
    if _dry_run(request):
        log.info("dry run for Encounter/%s", ctx.encounter.get("id"))
        return fhir_response(discharge.bundle)
    # The letter already written for this encounter, if any: the same again, or a new version
    # that replaces it when the record changed since (issue 19, correction).
    discharge = await current_discharge(client, discharge)
    wait = 0.0 if _respond_async(request) else settings.sync_wait_seconds
    item = await accept_and_deliver(deliverer, discharge, wait)
    status_url = public_url_for(request, settings, status_route, item_id=item.id)
    return _item_response(item, status_url)


def _respond_async(request: Request) -> bool:
    return "respond-async" in request.headers.get("prefer", "")


def _item_response(item: OutboxItem, status_url: str) -> JSONResponse:
    headers = {"Content-Location": status_url}
    landed = where_landed(item)
    if landed is not None:
        created = any(x.created for x in landed)
        response = fhir_response(discharge_result(item, landed), 201 if created else 200)
    elif item.state in (FAILED, DEAD):
        outcome = dict(item.outcome or {"resourceType": "OperationOutcome", "issue": []})
        response = fhir_response(outcome, 409 if _identity_conflict(outcome) else 502)
    else:
        response = fhir_response(discharge_result(item, None), 202)
    response.headers.update(headers)
    return response


def _identity_conflict(outcome: dict[str, Any]) -> bool:
    """A refusal of ours (io/server_identity.py), not the FHIR server's: someone else's record
    under the record's identifiers (409, errors.IdentityConflict)."""
    return any(
        isinstance(i, dict) and i.get("code") == IdentityConflict.issue_code
        for i in outcome.get("issue") or []
    )


@router.get(
    "/discharges/{item_id}",
    name="discharge_status",
    tags=["discharge"],
    dependencies=[Depends(require_system)],
)
async def discharge_status(
    item_id: FhirId, deliverer: DelivererDep, request: Request
) -> JSONResponse:
    """Where an accepted discharge stands: queued, delivering, delivered (with the server
    references), failed or dead (with the FHIR server's OperationOutcome)."""
    item = await asyncio.to_thread(deliverer.outbox.get, item_id)
    if item is None:
        raise UnknownDischarge(f"no discharge {item_id[:64]!r} was accepted here")
    return fhir_response(discharge_result(item, where_landed(item)))


@router.post(
    "/discharges/{item_id}/$redeliver", tags=["discharge"], dependencies=[Depends(require_system)]
)
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
    return _item_response(item, status_url)


def discharge_result(item: OutboxItem, landed: list[Landed] | None) -> dict[str, Any]:
    """The operation's answer as a Parameters: the discharge's state, where each resource is
    (once delivered), and the warnings."""
    parameters: list[dict[str, Any]] = [
        {"name": "outcome", "resource": warnings_outcome(list(item.warnings))},
        {"name": "discharge", "valueString": item.id},
        {"name": "state", "valueCode": item.state},
    ]
    if item.outcome and item.state != DELIVERED:
        parameters.append({"name": "lastFailure", "resource": item.outcome})
    landed = landed or []
    # The discharge's own resources, each by its role; what follows is the record carried along.
    for role, where in zip(entry_roles([x.resource_type for x in landed]), landed, strict=False):
        parameters.append(
            {
                "name": role,
                "part": [
                    {"name": "reference", "valueReference": {"reference": where.reference}},
                    {"name": "location", "valueUri": where.location},
                    {"name": "status", "valueCode": "created" if where.created else "existing"},
                ],
            }
        )
    return {"resourceType": "Parameters", "parameter": parameters}
