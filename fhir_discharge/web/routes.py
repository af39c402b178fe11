"""The $lbp-discharge operation: parse, call the core and the FHIR client, answer in FHIR."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from ..config import Settings
from ..context import DischargeContext, context_from_bundle
from ..errors import InvalidInput, warnings_outcome
from ..fhir_client import FhirClient, Landed
from ..transaction import Discharge, build_discharge
from .body import fhir_json_body
from .deps import get_fhir_client, get_settings
from .operation import RESULT_ROLES, capability_statement, operation_definition

log = logging.getLogger(__name__)
router = APIRouter()

FHIR_JSON = "application/fhir+json"
SettingsDep = Annotated[Settings, Depends(get_settings)]
ClientDep = Annotated[FhirClient, Depends(get_fhir_client)]


def fhir_response(resource: dict[str, Any], status: int = 200) -> JSONResponse:
    return JSONResponse(resource, status_code=status, media_type=FHIR_JSON)


def _dry_run(request: Request) -> bool:
    flags = [request.query_params.get(name) for name in ("_dry-run", "dry-run", "_dryRun")]
    return any(flag is not None and flag.lower() in ("", "true", "1") for flag in flags)


@router.get("/health", tags=["service"])
async def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/metadata", tags=["service"])
async def metadata(request: Request) -> JSONResponse:
    return fhir_response(capability_statement(str(request.base_url).rstrip("/")))


@router.get("/OperationDefinition/lbp-discharge", tags=["service"])
async def lbp_discharge_definition() -> JSONResponse:
    return fhir_response(operation_definition())


@router.post("/Encounter/$lbp-discharge", tags=["discharge"])
async def discharge_from_body(
    request: Request, settings: SettingsDep, client: ClientDep
) -> JSONResponse:
    """Body: a Bundle with the Encounter and its context, or a bare Encounter (context read from
    the FHIR server). `?_dry-run=true` returns the transaction Bundle without posting it."""
    body = await fhir_json_body(request, settings.max_body_bytes)
    if body.get("resourceType") == "Bundle":
        ctx = context_from_bundle(body)
    elif body.get("resourceType") == "Encounter":
        ctx = await client.gather_context(body)
    else:
        raise InvalidInput(
            f"expected a Bundle or an Encounter, got {str(body.get('resourceType'))[:40]!r}"
        )
    return await _discharge(ctx, request, settings, client)


@router.post("/Encounter/{encounter_id}/$lbp-discharge", tags=["discharge"])
async def discharge_by_id(
    encounter_id: str, request: Request, settings: SettingsDep, client: ClientDep
) -> JSONResponse:
    """Reads the Encounter and its context from the FHIR server, then discharges it."""
    encounter = await client.read_encounter(encounter_id)
    ctx = await client.gather_context(encounter)
    return await _discharge(ctx, request, settings, client)


async def _discharge(
    ctx: DischargeContext, request: Request, settings: Settings, client: FhirClient
) -> JSONResponse:
    discharge = build_discharge(ctx, settings.language)
    encounter_id = ctx.encounter.get("id")
    if _dry_run(request):
        log.info("dry run for Encounter/%s", encounter_id)
        return fhir_response(discharge.bundle)
    landed = await client.post_transaction(discharge.bundle)
    log.info(
        "discharged Encounter/%s: %s",
        encounter_id,
        ", ".join(f"{x.reference} {'created' if x.created else 'existing'}" for x in landed),
    )
    status = 201 if any(x.created for x in landed) else 200
    return fhir_response(discharge_result(discharge, landed), status)


def discharge_result(discharge: Discharge, landed: list[Landed]) -> dict[str, Any]:
    """The operation's answer: where each resource is, and the warnings, as a Parameters."""
    parameters: list[dict[str, Any]] = [
        {"name": "outcome", "resource": warnings_outcome(list(discharge.warnings))}
    ]
    for (role, _), where in zip(RESULT_ROLES, landed, strict=True):
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
