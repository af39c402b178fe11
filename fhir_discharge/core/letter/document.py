"""The letter as a FHIR document: a `document` Bundle of the Composition and what it references.

Pure: no network, no clock. What a server's `Composition/[id]/$document` returns, built from the
resources as they landed on the server, so a receiver without access to that server (a GP
system, a mailbox, an archive) gets the whole letter in one signed-off, self-contained unit.

R4 rules kept (Bundle invariants and "Documents", 3.3):
- bdl-9: `identifier` with system and value; bdl-10: `timestamp`; bdl-11: the Composition first;
- every entry has an absolute `fullUrl` (`{base_url}/{Type}/{id}`), each resource appears once;
- references inside the resources stay as they are (`Type/id`): a relative reference in a
  Bundle entry resolves against the entry's fullUrl base (R4 Bundle, "Resolving references in
  Bundles"), so `Patient/1` in `{base}/Composition/9` finds `{base}/Patient/1`.

The other entries follow the order in which a walk of references finds them, breadth first:
the Composition's subject, encounter, author, attester, custodian and section entries, then
its other references, then what those resources reference (their elements in name order, so the
order does not depend on the key order a server serialised them in). A reference that points
nowhere among `resources` (another server, an unresolved urn:uuid, a resource not supplied) is
left out of the Bundle and reported in `missing_references`.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ...types import Resource
from ..record.identity import IDENTIFIER_SYSTEM, derived_uuid
from ..record.references import parse_reference

# FHIR R4 `instant`: a full date and time with seconds and a time zone.
_INSTANT = re.compile(
    r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)"
    r"(\.\d{1,9})?(Z|[+-]((0\d|1[0-3]):[0-5]\d|14:00))$"
)


@dataclass(frozen=True)
class DocumentBundle:
    """A built document: the Bundle, and the references that could not be put in it."""

    bundle: Resource
    missing_references: tuple[str, ...]


def document_identifier(composition: Resource) -> dict[str, str]:
    """A Bundle.identifier derived from the Composition's identifier: the same letter always
    gives the same document identifier (and a different one from the Composition's own)."""
    ident = composition.get("identifier")
    if isinstance(ident, list):  # R5 and some servers: a list; R4 has one Identifier
        ident = ident[0] if ident else None
    if not isinstance(ident, dict) or not ident.get("system") or not ident.get("value"):
        raise ValueError("the Composition has no identifier with a system and a value")
    key = f"identifier:{ident['system']}|{ident['value']}"
    return {"system": IDENTIFIER_SYSTEM, "value": derived_uuid(key, "document")}


def build_document(
    composition: Resource,
    resources: list[Resource],
    *,
    identifier: dict[str, Any],
    timestamp: str,
    base_url: str,
) -> DocumentBundle:
    """The `document` Bundle of `composition` and every resource in `resources` it references,
    directly or through other resources. Raises ValueError when the result could not be a valid
    document (no Composition id, an identifier without system or value, a timestamp that is not
    an instant, a base URL that is not absolute)."""
    if composition.get("resourceType") != "Composition":
        raise ValueError("a document starts with a Composition")
    comp_id = composition.get("id")
    if not isinstance(comp_id, str) or not comp_id:
        raise ValueError("the Composition has no id: build the document from landed resources")
    if not (
        isinstance(identifier, dict)
        and isinstance(identifier.get("system"), str)
        and isinstance(identifier.get("value"), str)
        and identifier["system"]
        and identifier["value"]
    ):
        raise ValueError("a document Bundle needs an identifier with a system and a value (bdl-9)")
    if not isinstance(timestamp, str) or not _INSTANT.match(timestamp):
        raise ValueError("a document Bundle needs a timestamp that is a FHIR instant (bdl-10)")
    base = base_url.rstrip("/")
    if not re.match(r"^https?://[^/\s]+", base):
        raise ValueError("base_url must be an absolute http(s) URL")

    index: dict[str, Resource] = {}
    for resource in resources:
        key = _key_of(resource)
        if key is not None:
            index.setdefault(key, resource)  # first wins: the caller's order decides

    root = f"Composition/{comp_id}"
    included: list[tuple[str, Resource]] = [(root, composition)]
    seen = {root}
    missing: list[str] = []
    queue: deque[str] = deque(_composition_references(composition))
    while queue:
        literal = queue.popleft()
        key = _local_key(literal, base)
        if key is None:
            if literal not in missing:
                missing.append(literal)
            continue
        if key in seen:
            continue
        target = index.get(key)
        if target is None:
            if literal not in missing:
                missing.append(literal)
            continue
        seen.add(key)
        included.append((key, target))
        queue.extend(references_of(target))

    bundle: Resource = {
        "resourceType": "Bundle",
        "identifier": dict(identifier),
        "type": "document",
        "timestamp": timestamp,
        "entry": [
            {"fullUrl": f"{base}/{key}", "resource": copy_resource(resource)}
            for key, resource in included
        ],
    }
    return DocumentBundle(bundle, tuple(missing))


def landed_resources(transaction: Resource, locations: Mapping[str, str]) -> list[Resource]:
    """The transaction's new resources as the server holds them after it landed.

    `locations` maps each entry's fullUrl (`urn:uuid:...`) to where the server put it: the
    transaction-response's `entry.response.location` (`Type/id`, `Type/id/_history/v`, or an
    absolute URL). Each resource gets its id, and every reference to a fullUrl of the
    transaction becomes `Type/id`, as the server rewrites them (R4 transaction processing).
    """
    targets: dict[str, str] = {}
    for full_url, location in locations.items():
        parsed = parse_reference(location)
        if parsed is None or parsed.resource_type is None:
            raise ValueError(f"not a resource location: {location!r}")
        targets[full_url] = f"{parsed.resource_type}/{parsed.id}"
    landed: list[Resource] = []
    for entry in _list(transaction.get("entry")):
        full_url, resource = entry.get("fullUrl"), entry.get("resource")
        if not isinstance(resource, dict):
            continue
        resource = rewrite_references(copy_resource(resource), targets)
        if full_url in targets:
            resource["id"] = targets[full_url].split("/", 1)[1]
        landed.append(resource)
    return landed


def rewrite_references(node: Any, targets: Mapping[str, str]) -> Any:
    """`node` (changed in place, and returned) with every `reference` found in `targets` replaced
    by its target: copy it first (copy_resource) where the original must stay."""
    stack: list[Any] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            literal = current.get("reference")
            if isinstance(literal, str) and literal in targets:
                current["reference"] = targets[literal]
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)
    return node


def _key_of(resource: Any) -> str | None:
    if not isinstance(resource, dict):
        return None
    rtype, rid = resource.get("resourceType"), resource.get("id")
    if isinstance(rtype, str) and isinstance(rid, str) and rtype and rid:
        return f"{rtype}/{rid}"
    return None


def _local_key(literal: str, base: str) -> str | None:
    """`Type/id` for a reference to a resource on this server; None for anything else."""
    if literal.startswith(("http://", "https://")):
        if not literal.startswith(base + "/"):
            return None  # another server: not ours to include
        literal = literal[len(base) + 1 :]
    parsed = parse_reference(literal)
    if parsed is None or parsed.resource_type is None:
        return None  # urn:uuid / urn:oid never resolved, or not a reference at all
    return f"{parsed.resource_type}/{parsed.id}"


def _literal(reference: Any) -> list[str]:
    if isinstance(reference, dict) and isinstance(reference.get("reference"), str):
        literal: str = reference["reference"]
        return [] if literal.startswith("#") else [literal]  # "#x": a contained resource
    return []


def _composition_references(composition: Resource) -> list[str]:
    """The Composition's references in document reading order, then all the others."""
    ordered: list[str] = []
    ordered += _literal(composition.get("subject"))
    ordered += _literal(composition.get("encounter"))
    for author in _list(composition.get("author")):
        ordered += _literal(author)
    for attester in _list(composition.get("attester")):
        if isinstance(attester, dict):
            ordered += _literal(attester.get("party"))
    ordered += _literal(composition.get("custodian"))
    ordered += _section_entries(composition.get("section"))
    rest = [r for r in references_of(composition) if r not in ordered]
    return ordered + rest


def _section_entries(sections: Any) -> list[str]:
    found: list[str] = []
    for section in _list(sections):
        if isinstance(section, dict):
            for entry in _list(section.get("entry")):
                found += _literal(entry)
            found += _section_entries(section.get("section"))
    return found


def references_of(resource: Resource) -> list[str]:
    """Every literal reference in a resource (contained `#x` references left out)."""
    return [holder["reference"] for holder in reference_holders(resource)]


def reference_holders(node: Any) -> list[dict[str, Any]]:
    """Every element of a resource that holds a literal reference (contained `#x` ones left
    out), elements in name order, lists in their order: the dicts themselves, so a caller can
    rewrite them without walking the resource again."""
    found: list[dict[str, Any]] = []
    stack: list[Any] = [node]
    while stack:  # iterative: a hostile, deeply nested resource cannot exhaust the stack
        current = stack.pop()
        if isinstance(current, dict):
            literal = current.get("reference")
            if isinstance(literal, str) and not literal.startswith("#"):  # "#x": contained
                found.append(current)
            # Only elements that can hold a reference are visited (most values are scalars).
            children = [
                value
                for key in sorted(current)
                if key not in ("reference", "text")
                and isinstance(value := current[key], (dict, list))
            ]
            stack.extend(reversed(children))
        else:
            stack.extend([v for v in reversed(current) if isinstance(v, (dict, list))])
    return found


def copy_resolving(node: dict[str, Any], resolve: Callable[[str], str | None]) -> dict[str, Any]:
    """A copy of `node` whose literal references are what `resolve` makes of them, without the
    ones it resolves to None. An element of a list that holds such a reference directly
    (Encounter.participant, Encounter.diagnosis) is left out whole, so no element is written
    without the reference that made it; an element left empty (or given empty, or null) is left
    out too (FHIR JSON has neither). One walk: the copy and the pruning together."""
    copy: dict[str, Any] = {}
    for name, value in node.items():
        if _is_reference(value):
            kept = _resolved(value, resolve)
            if kept is not None:
                copy[name] = copy_resource(kept)  # nothing shared with the original
        elif isinstance(value, list):
            items = []
            for item in value:
                if _is_reference(item):
                    item = _resolved(item, resolve)
                    item = copy_resource(item) if item is not None else None
                elif isinstance(item, dict):
                    if any(_is_reference(v) and not _resolved(v, resolve) for v in item.values()):
                        item = None
                    else:
                        item = copy_resolving(item, resolve) or None
                else:
                    item = copy_resource(item)
                if item is not None:
                    items.append(item)
            if items:
                copy[name] = items
        elif isinstance(value, dict):
            if kept := copy_resolving(value, resolve):
                copy[name] = kept
        elif value is None:  # FHIR JSON has no null element: the record's is left out
            continue
        else:
            copy[name] = value
    return copy


def _is_reference(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("reference"), str)


def _resolved(reference: dict[str, Any], resolve: Callable[[str], str | None]) -> Any:
    literal = resolve(reference["reference"])
    return None if literal is None else {**reference, "reference": literal}


def copy_resource(node: Any) -> Any:
    """A copy of a JSON tree (dicts, lists, scalars): what copy.deepcopy gives for parsed JSON,
    about four times faster (no memo of shared objects, which parsed JSON does not have)."""
    if isinstance(node, dict):
        return {key: copy_resource(value) for key, value in node.items()}
    if isinstance(node, list):
        return [copy_resource(value) for value in node]
    return node


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
