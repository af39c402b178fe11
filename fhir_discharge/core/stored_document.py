"""The letter as it is stored: the attested FHIR document, written by the discharge's transaction.

The physician attests the letter at discharge (Composition.attester, legal). What a GP system
reads must be that letter, as it was attested: not a document a server assembles later from
resources that may have changed since (HAPI's own `Composition/$document` also gives an invalid
one: no identifier, no timestamp). So the transaction stores the letter as a `document` Bundle
(type `document`, `identifier`, `timestamp`, the Composition first, then everything it
references, directly or not), written once (a conditional create on its identifier), and the
Communication to the GP points to it.

A document nested in a transaction meets the server's transaction processing, which looks for
references anywhere in the resources it is given:
- `urn:uuid` fullUrls and references inside the document are what a server rewrites or refuses:
  HAPI FHIR 8.8.0 rewrites the entries' fullUrls that equal a fullUrl of the transaction (and
  not the references to them), and drops each entry's `id` when its fullUrl is a urn:uuid; the
  sandbox (sekmet-fhir 0.1.1) refuses the transaction ("unresolved reference") for a urn:uuid
  reference it cannot match (tests/integration/test_stored_document_servers.py shows both);
- so the document's entries carry RESTful identities under a base of our own
  (`{document_base}/{Type}/{id}`: ids derived from the discharge, never a transaction's fullUrl)
  and reference each other relatively (`Type/id`), which resolves inside the document (R4
  Bundle, "Resolving references in Bundles": against the entry's fullUrl base). Neither server
  touches those, and nothing outside the document is referenced: a reference the document cannot
  resolve is left out of its copy (as carry.py does), so it is self-contained.

What is attested, and compared on every read (`document_digest`): the document's content, that
is everything but the `id` and `meta` the server gives the Bundle, with each narrative's XHTML
in one canonical serialisation of its tree (as XML C14N: a server may write `'` where we wrote
`&#x27;`, or `<p/>` for `<p></p>`, which is the same XHTML), as canonical JSON
(identity.content_digest).

Pure: no network, no clock.
"""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from ..types import Resource
from .letter.document import build_document, copy_resolving
from .pathway.canonicals import Canonicals, claims
from .record.context import DischargeContext
from .record.identity import business_identifier, content_digest, derived_uuid


def document_base(canonicals: Canonicals) -> str:
    """The base of the document's own entry identities (`{base}/Patient/{id}`): the site's, so
    no server takes them for its own resources, and the same for every document of the site
    (the ids are unique)."""
    return f"{canonicals.base}/document"


@dataclass(frozen=True)
class StoredDocument:
    """The letter's document as the transaction stores it."""

    urn: str  # its fullUrl in the transaction, and its identifier's value
    bundle: Resource

    @cached_property
    def digest(self) -> str:
        """document_digest(bundle): what `$document` compares the stored one with (computed
        when asked: the deliverer computes it from the transaction it posts)."""
        return document_digest(self.bundle)


def stored_document(
    ctx: DischargeContext,
    key: str,
    urn: str,
    entries: Sequence[tuple[str, Resource]],
    canonicals: Canonicals,
) -> StoredDocument:
    """The document of the letter: `entries` are the transaction's (fullUrl, resource) pairs,
    the letter first, with their references as posted (to each other's fullUrls, or, for a
    record read from the FHIR server itself, to its `Type/id` there). `urn` is the document's
    own fullUrl and identifier (facts.document); `key` the discharge's (facts.key); `canonicals`
    the site's (its profile and the base of the document's entries)."""
    posted: dict[str, Resource] = {}
    for full_url, resource in entries:
        posted.setdefault(full_url, resource)
    # What the document may hold, by what the transaction knows it by: its fullUrl, or (a record
    # read from the server itself, referenced there by its ids) its `Type/id`.
    by_key: dict[str, Resource] = dict(posted)
    if not ctx.carry_record:
        for resource in ctx.index.resources():
            if isinstance(resource.get("id"), str):
                by_key.setdefault(f"{resource['resourceType']}/{resource['id']}", resource)
    ids = {found: _entry_id(key, found) for found in by_key}

    def local(literal: str) -> str | None:
        """`Type/id` of the document's entry `literal` points to; None: not in the document."""
        found: str | None = literal if literal in by_key else None
        if found is None and (target := ctx.resolve(literal)) is not None:
            found = f"{target.get('resourceType')}/{target.get('id')}"
        if found is None or found not in by_key:
            return None
        return f"{by_key[found]['resourceType']}/{ids[found]}"

    resources = []
    for found, resource in by_key.items():
        copy = copy_resolving(resource, local)
        copy.pop("id", None)
        if found not in posted:
            copy.pop("meta", None)  # the record's content; its meta is the server's
        resources.append({"resourceType": copy.pop("resourceType"), "id": ids[found], **copy})
    letter = resources[0]  # the transaction's first entry
    built = build_document(
        letter,
        resources,
        identifier=business_identifier(urn),
        timestamp=str(letter["date"]),
        base_url=document_base(canonicals),
    ).bundle
    bundle: Resource = {
        "resourceType": "Bundle",
        "meta": claims(canonicals.letter_document_profile),
        **{k: v for k, v in built.items() if k != "resourceType"},
    }
    return StoredDocument(urn, bundle)


def _entry_id(key: str, source: str) -> str:
    """The id of one entry of the document: derived from the discharge and what the entry is
    (a fullUrl of the transaction or `Type/id` of the record), a uuid no server has given."""
    return str(uuid.UUID(derived_uuid(key, f"document-entry:{source}").removeprefix("urn:uuid:")))


def document_digest(document: Resource) -> str:
    """The attested content of a document Bundle as a SHA-256: everything but the Bundle's `id`
    and `meta` (the server's), each narrative in canonical XHTML, as canonical JSON. A stored
    document whose digest is the one recorded when it was written says what was attested."""
    content = {k: v for k, v in document.items() if k not in ("id", "meta")}
    return content_digest(_canonical_narratives(content))


def letter_digest(composition: Resource) -> str:
    """What a letter says, as a SHA-256, whichever server holds it and however the record was
    read: the Composition without what identifies this copy or version (`id`, `meta`,
    `identifier`, `relatesTo`) and without the literal `reference` of each Reference (a
    server's ids, or the transaction's urn:uuids), each narrative in canonical XHTML. Two
    letters of one encounter with the same digest say the same (io/discharging.py: a record
    changed since its letter is one whose letter built now has another digest)."""
    content = {
        k: v for k, v in composition.items() if k not in ("id", "meta", "identifier", "relatesTo")
    }
    return content_digest(_canonical_narratives(_without_literal_references(content)))


def _without_literal_references(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            key: _without_literal_references(value)
            for key, value in node.items()
            if not (key == "reference" and isinstance(value, str))
        }
    if isinstance(node, list):
        return [_without_literal_references(v) for v in node]
    return node


def _canonical_narratives(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            key: _canonical_xhtml(value)
            if key == "div" and isinstance(value, str)
            else _canonical_narratives(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_canonical_narratives(v) for v in node]
    return node


def _canonical_xhtml(div: str) -> str:
    """The XHTML as one serialisation of its tree: character references resolved, attributes in
    one order and quoting, empty elements written alike (what XML C14N normalises, by the C
    parser and serialiser: ET.canonicalize's pure-Python writer costs ~1 ms a narrative)."""
    if "<!" in div:  # a DTD, entity declarations, CDATA: no FHIR narrative has any (xhtml-1)
        return div  # compared as it is written; never parsed, so no entity is ever expanded
    try:
        root = ET.fromstring(div)  # noqa: S314 (no DTD: nothing for an XML attack to declare)
    except ET.ParseError:
        return div  # not XML: compared as it is written
    for element in root.iter():
        if len(element.attrib) > 1:
            ordered = sorted(element.attrib.items())
            element.attrib.clear()
            element.attrib.update(ordered)
    return ET.tostring(root, encoding="unicode")


def document_entry(transaction: Resource) -> tuple[int, Resource] | None:
    """Where the letter's document is in a discharge's transaction (its position and resource);
    None in a transaction built before documents were stored."""
    for index, entry in enumerate(transaction.get("entry") or []):
        resource = entry.get("resource") if isinstance(entry, Mapping) else None
        if (
            isinstance(resource, dict)
            and resource.get("resourceType") == "Bundle"
            and resource.get("type") == "document"
        ):
            return index, resource
    return None
