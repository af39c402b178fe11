"""How the service answers in FHIR: a resource as FHIR JSON, and a discharge's answer (the
`$lbp-discharge` operation's, and the physician app's discharge of its launch): a dry run's
transaction, or the outbox item as a Parameters with its status code (201, 200, 202 with a
status URL, 409, 502).
"""

from __future__ import annotations

import logging
from typing import Any, Final

from fastapi import Request
from fastapi.responses import JSONResponse

from ..config import Settings
from ..core.record.context import DischargeContext
from ..core.transaction import entry_roles
from ..errors import IdentityConflict, UnknownEncounter, warnings_outcome
from ..io.delivery import Deliverer
from ..io.discharging import (
    accept_and_deliver,
    current_discharge,
    screened_discharge,
    where_landed,
)
from ..io.fhir_client import FhirClient, Landed
from ..io.json_codec import json_bytes
from ..io.outbox import DEAD, DELIVERED, FAILED, OutboxItem
from ..io.terminology import TerminologyServer
from .urls import public_url_for

log = logging.getLogger(__name__)

FHIR_JSON: Final = "application/fhir+json"


class UnknownDischarge(UnknownEncounter):
    """No discharge with that id was accepted by this service."""


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
    discharge = await screened_discharge(ctx, terminology, settings.site)
    if _dry_run(request):
        log.info("dry run for Encounter/%s", ctx.encounter.get("id"))
        return fhir_response(discharge.bundle)
    # The letter already written for this encounter, if any: the same again, or a new version
    # that replaces it when the record changed since (issue 19, correction).
    discharge = await current_discharge(client, discharge)
    wait = 0.0 if _respond_async(request) else settings.sync_wait_seconds
    item = await accept_and_deliver(deliverer, discharge, wait)
    status_url = public_url_for(request, settings, status_route, item_id=item.id)
    return item_response(item, status_url, settings.site.canonical_base)


def _respond_async(request: Request) -> bool:
    return "respond-async" in request.headers.get("prefer", "")


def item_response(item: OutboxItem, status_url: str, canonical_base: str) -> JSONResponse:
    headers = {"Content-Location": status_url}
    landed = where_landed(item)
    if landed is not None:
        created = any(x.created for x in landed)
        answer = discharge_result(item, landed, canonical_base)
        response = fhir_response(answer, 201 if created else 200)
    elif item.state in (FAILED, DEAD):
        outcome = dict(item.outcome or {"resourceType": "OperationOutcome", "issue": []})
        response = fhir_response(outcome, 409 if _identity_conflict(outcome) else 502)
    else:
        response = fhir_response(discharge_result(item, None, canonical_base), 202)
    response.headers.update(headers)
    return response


def _identity_conflict(outcome: dict[str, Any]) -> bool:
    """A refusal of ours (io/server_identity.py), not the FHIR server's: someone else's record
    under the record's identifiers (409, errors.IdentityConflict)."""
    return any(
        isinstance(i, dict) and i.get("code") == IdentityConflict.issue_code
        for i in outcome.get("issue") or []
    )


def discharge_result(
    item: OutboxItem, landed: list[Landed] | None, canonical_base: str
) -> dict[str, Any]:
    """The operation's answer as a Parameters: the discharge's state, where each resource is
    (once delivered), and the warnings (with their codes, under the site's `canonical_base`)."""
    parameters: list[dict[str, Any]] = [
        {"name": "outcome", "resource": warnings_outcome(item.warnings, canonical_base)},
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
