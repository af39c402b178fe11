"""The letter for the GP's systems: a FHIR document Bundle, or HTML/PDF for those without FHIR.

`GET /Composition/{id}/$document` as on a FHIR server (HAPI has it; the local sandbox does not):
the letter as the attested document the discharge's transaction stored (core/stored_document.py),
read from the FHIR server and served as the server sent it, byte for byte, once it is shown to be
what was attested (the version and the digest the outbox recorded when it was written). A GP
system that reads `Bundle/{id}` (the Communication's payload) on the FHIR server gets the same
bytes. `?_format=html` or `?_format=pdf` (or the Accept header) renders that same document for
people.

A letter written by an earlier version of this service has no stored document: its document is
assembled from the resources as they are on the FHIR server, as it was then.
"""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from ..core.letter.document import build_document, document_identifier
from ..core.record.identity import IDENTIFIER_SYSTEM
from ..core.site import Site
from ..core.stored_document import document_digest
from ..errors import AlteredDocument, InvalidInput, UnknownResource
from ..io.fhir_client import FhirClient
from ..io.outbox import WrittenLetter
from ..types import Resource
from .body import FhirId
from .deps import ClientDep, DelivererDep, SettingsDep

log = logging.getLogger(__name__)
router = APIRouter()

# The letter page's policy as a header, not only its <meta> (which governs only what follows it
# and is lost when the page is saved or proxied without it): no script, no fetch, no form; the
# letter's own inline stylesheet only.
LETTER_HTML_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
    ),
    "Referrer-Policy": "no-referrer",
}
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
    composition_id: FhirId,
    request: Request,
    client: ClientDep,
    deliverer: DelivererDep,
    settings: SettingsDep,
) -> Response:
    """The letter as a `document` Bundle (Composition first, then all it references)."""
    media = _wanted_format(request)
    # Read with the service's credentials: only a letter this service wrote, as the outbox
    # recorded when it wrote it (io/outbox: `written_letter`, shared by the replicas of a
    # PostgreSQL outbox), never taken from what the Composition claims (a profile, an
    # identifier: anyone who can write to the FHIR server can write those). Any other is "not
    # found", as one that does not exist, so a caller learns nothing of what else the server
    # holds; and it is not read at all.
    written = await asyncio.to_thread(
        deliverer.outbox.written_letter, client.base_url, composition_id
    )
    if written is None:
        raise _not_ours(composition_id)
    body: bytes | None = None
    if written.document_id is not None:
        body, document = await _stored_document(
            client, composition_id, written, written.document_id, settings.site
        )
    else:
        document = await _assembled_document(client, composition_id, written, settings.site)
    if media == "text/html":
        from ..core.rendering import render_letter_html

        html = render_letter_html(document, settings.site)
        return HTMLResponse(html, headers=LETTER_HTML_HEADERS)
    if media == "application/pdf":
        from ..core.rendering import render_letter_pdf

        pdf = await asyncio.to_thread(render_letter_pdf, document, settings.site)
        return Response(pdf, media_type="application/pdf")
    if body is not None:  # the stored document, as the FHIR server sent it
        return Response(body, media_type="application/fhir+json")
    return JSONResponse(document, media_type="application/fhir+json")


async def _stored_document(
    client: FhirClient,
    composition_id: str,
    written: WrittenLetter,
    document_id: str,
    site: Site,
) -> tuple[bytes, Resource]:
    """The letter's stored document, as the FHIR server sends it and parsed, once it is shown to
    be the one this service attested: the letter still ours and unchanged, the document in the
    version written then, its content the one attested (the digest recorded then)."""
    composition = await client.read("Composition", composition_id)
    if composition is None or not _as_written(composition, written, site):
        raise _not_ours(composition_id)
    read = await client.read_as_sent("Bundle", document_id)
    if read is None:
        raise _altered(composition_id, "is no longer on the FHIR server")
    body, document = read
    version = (document.get("meta") or {}).get("versionId")
    if written.document_version is not None and version is not None:
        if str(version) != written.document_version:
            raise _altered(composition_id, "was changed on the FHIR server since it was written")
    if document.get("resourceType") != "Bundle" or document.get("type") != "document":
        raise _altered(composition_id, "is not a document on the FHIR server")
    if written.document_digest is not None and document_digest(document) != written.document_digest:
        raise _altered(composition_id, "on the FHIR server is not the one attested")
    return body, document


async def _assembled_document(
    client: FhirClient, composition_id: str, written: WrittenLetter, site: Site
) -> Resource:
    """The document of a letter written before documents were stored: the Composition and all
    it references, as they are on the FHIR server now."""
    try:
        composition, resources = await client.read_with_references(
            "Composition", composition_id, accept=lambda found: _as_written(found, written, site)
        )
    except UnknownResource:
        raise _not_ours(composition_id) from None
    if not composition.get("date"):
        raise InvalidInput(f"Composition/{composition_id} is not a dated Composition")
    try:
        return build_document(
            composition,
            resources,
            identifier=document_identifier(composition),
            timestamp=_as_instant(str(composition["date"])),
            base_url=client.base_url,
        ).bundle
    except ValueError as error:
        raise InvalidInput(f"Composition/{composition_id}: {error}") from None


def _altered(composition_id: str, how: str) -> AlteredDocument:
    log.error("$document: the stored document of Composition/%s %s", composition_id, how)
    return AlteredDocument(
        f"the document of the letter Composition/{composition_id} {how}: it is not served "
        "(ask the hospital for the letter)"
    )


def _as_written(composition: Resource, written: WrittenLetter, site: Site) -> bool:
    """The letter as this service wrote it: a GP letter of ours, in the version the server gave
    it then (a letter changed on the server since is no longer the one this service wrote)."""
    version = (composition.get("meta") or {}).get("versionId")
    unchanged = written.version is None or version is None or str(version) == written.version
    return unchanged and _written_here(composition, site.canonicals.gp_letter_profile)


def _written_here(composition: Resource, profile: str) -> bool:
    """A GP letter of this service: our `profile` (the site's), and our business identifier (a
    urn:uuid)."""
    if composition.get("resourceType") != "Composition":
        return False
    profiles = (composition.get("meta") or {}).get("profile") or []
    ours = any(isinstance(p, str) and p.split("|", 1)[0] == profile for p in profiles)
    identifier = composition.get("identifier")
    return (
        ours
        and isinstance(identifier, dict)
        and identifier.get("system") == IDENTIFIER_SYSTEM
        and isinstance(identifier.get("value"), str)
        and identifier["value"].startswith("urn:uuid:")
    )


def _not_ours(composition_id: str) -> UnknownResource:
    return UnknownResource(f"no letter Composition/{composition_id} written by this service")


def _as_instant(date: str) -> str:
    # Composition.date is a dateTime; Bundle.timestamp an instant (seconds and zone required).
    if "T" not in date:
        raise InvalidInput("the Composition's date has no time: it cannot time-stamp a document")
    return date
