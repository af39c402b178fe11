"""The letter for the GP's systems: a FHIR document Bundle, or HTML/PDF for those without FHIR.

`GET /Composition/{id}/$document` as on a FHIR server (HAPI has it; the local sandbox does not),
built from the resources as they are on the FHIR server. `?_format=html` or `?_format=pdf` (or
the Accept header) gives the same letter rendered for people.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from ..document import build_document, document_identifier
from ..errors import InvalidInput
from ..fhir_client import FhirClient
from .body import FhirId
from .deps import get_fhir_client

router = APIRouter()
ClientDep = Annotated[FhirClient, Depends(get_fhir_client)]

_FORMATS = {"html": "text/html", "text/html": "text/html", "pdf": "application/pdf"}


def _wanted_format(request: Request) -> str:
    asked = request.query_params.get("_format")
    if asked is not None:
        media = _FORMATS.get(asked.lower(), "application/fhir+json" if "json" in asked else None)
        if media is None:
            raise InvalidInput("_format must be json, html or pdf")
        return media
    accept = request.headers.get("accept", "")
    for media in ("application/pdf", "text/html"):
        if media in accept:
            return media
    return "application/fhir+json"


@router.get("/Composition/{composition_id}/$document", tags=["letter"])
async def composition_document(
    composition_id: FhirId, request: Request, client: ClientDep
) -> Response:
    """The letter as a `document` Bundle (Composition first, then all it references)."""
    media = _wanted_format(request)
    composition, resources = await client.read_with_references("Composition", composition_id)
    if composition.get("resourceType") != "Composition" or not composition.get("date"):
        raise InvalidInput(f"Composition/{composition_id} is not a dated Composition")
    try:
        document = build_document(
            composition,
            resources,
            identifier=document_identifier(composition),
            timestamp=_as_instant(str(composition["date"])),
            base_url=client.base_url,
        ).bundle
    except ValueError as error:
        raise InvalidInput(f"Composition/{composition_id}: {error}") from None
    if media == "text/html":
        from ..rendering import render_letter_html

        return HTMLResponse(render_letter_html(document))
    if media == "application/pdf":
        from ..rendering import render_letter_pdf

        pdf = await asyncio.to_thread(render_letter_pdf, document)
        return Response(pdf, media_type="application/pdf")
    return JSONResponse(document, media_type="application/fhir+json")


def _as_instant(date: str) -> str:
    # Composition.date is a dateTime; Bundle.timestamp an instant (seconds and zone required).
    if "T" not in date:
        raise InvalidInput("the Composition's date has no time: it cannot time-stamp a document")
    return date
