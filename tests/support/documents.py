"""The example letter as if its transaction had landed on a server, and its FHIR document."""

from __future__ import annotations

from fhir_discharge import build_discharge
from fhir_discharge.core.letter.document import (
    build_document,
    document_identifier,
    landed_resources,
)
from tests.support.contexts import held_by_server
from tests.support.factories import happy_bundle
from tests.support.site import SITE

BASE = "https://fhir.example.org/fhir"


def land(discharge_bundle: dict, prefix: str = "srv") -> list[dict]:
    """The discharge's new resources as if the transaction had landed on a server: each gets an
    id, and every urn:uuid reference to one of them becomes `Type/id`."""
    locations = {
        entry["fullUrl"]: f"{entry['resource']['resourceType']}/{prefix}-{n}/_history/1"
        for n, entry in enumerate(discharge_bundle["entry"], start=1)
    }
    return landed_resources(discharge_bundle, locations)


def landed_example(record: dict | None = None) -> tuple[dict, list[dict]]:
    """(the landed Composition, every resource on the 'server': the record and the new ones)."""
    record = record or happy_bundle()
    discharge = build_discharge(held_by_server(record), SITE)
    new = land(discharge.bundle)
    return new[0], [e["resource"] for e in record["entry"]] + new


def example_document(record: dict | None = None):
    composition, resources = landed_example(record)
    return build_document(
        composition,
        resources,
        identifier=document_identifier(composition),
        timestamp=composition["date"],
        base_url=BASE,
    )
