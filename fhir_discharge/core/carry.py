"""The record travels with the letter: the context's resources as conditional creates.

A context Bundle comes from the EHR; the FHIR server the letter goes to may not hold the Patient,
the physicians, the hospital, the Encounter or the diagnosis it references (an empty HAPI sandbox,
a regional server). HAPI refuses a transaction whose references dangle. So the resources the new
ones reference, and those they reference in turn, go into the same transaction, each as a
conditional create on its business identifier: on a server that holds them already (same
identifier) nothing new is created and the references resolve to what is there; on one that does
not, they are created once. A resource without a business identifier cannot be written without
risking a copy per discharge: it is referenced by its id, as the EHR's own server holds it, and the
caller is warned that another server must hold it too (HAPI refuses the transaction otherwise,
and nothing is written).

Copies carry no `id` or `meta` (the server gives its own). A reference in a copy points to the
carried resource's urn, or by id to a resource of the context that is not carried; a reference to
something outside the context (a ward, a nurse not in the Bundle) is left out of the copy rather
than written dangling.

Pure: no network, no clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..types import Resource
from .context import DischargeContext
from .document import copy_resource, references_of
from .identity import derived_uuid
from .references import parse_reference

# National identifiers first where the type has one (Belgian core naming systems), so the match
# is the one a regional server indexes by.
SSIN = "https://www.ehealth.fgov.be/standards/fhir/core/NamingSystem/ssin"
NIHDI = "https://www.ehealth.fgov.be/standards/fhir/core/NamingSystem/nihdi"
_PREFERRED_SYSTEMS = {
    "Patient": SSIN,
    "Practitioner": NIHDI,
    "Organization": NIHDI,
}


def carried_entries(
    new_resources: Iterable[Resource], ctx: DischargeContext, key: str
) -> tuple[list[tuple[str, Resource, str]], dict[str, str], list[str]]:
    """(urn, copy, ifNoneExist) of every context resource with a business identifier that the
    new resources reach; the map from each one's `Type/id` to its urn, for rewriting references;
    and the `Type/id` of those reached that have no identifier (referenced by id: the server
    must hold them, and the caller is warned)."""
    order: list[str] = []
    found: dict[str, Resource] = {}
    by_id: list[str] = []
    frontier = list(new_resources)
    while frontier:
        reached = []
        for resource in frontier:
            for reference in references_of(resource):
                target = ctx.resolve({"reference": reference})
                if target is None or "id" not in target:
                    continue
                literal = f"{target['resourceType']}/{target['id']}"
                if literal in found or literal in by_id:
                    continue
                if _identifier(target) is None:
                    by_id.append(literal)
                    continue
                found[literal] = target
                order.append(literal)
                reached.append(target)
        frontier = reached
    urns = {literal: derived_uuid(key, f"carried:{literal}") for literal in order}
    entries = []
    for literal in order:
        original = found[literal]
        carried = {k: copy_resource(v) for k, v in original.items() if k not in ("id", "meta")}
        _keep_resolvable(carried, ctx, urns)
        entries.append((urns[literal], carried, _if_none_exist(original)))
    return entries, urns, by_id


def rewrite_references(node: Any, ctx: DischargeContext, urns: dict[str, str]) -> None:
    """Point every reference to a carried resource at its urn (in place)."""
    if isinstance(node, dict):
        reference = node.get("reference")
        if isinstance(reference, str):
            literal = _literal(reference, ctx)
            if literal in urns:
                node["reference"] = urns[literal]
        for value in node.values():
            rewrite_references(value, ctx, urns)
    elif isinstance(node, list):
        for value in node:
            rewrite_references(value, ctx, urns)


def _literal(reference: str, ctx: DischargeContext) -> str | None:
    target = ctx.resolve({"reference": reference})
    if target is not None and "id" in target:
        return f"{target['resourceType']}/{target['id']}"
    parsed = parse_reference(reference)
    return parsed.literal if parsed and parsed.resource_type else None


def _keep_resolvable(node: Any, ctx: DischargeContext, urns: dict[str, str]) -> None:
    """Point references to carried resources at their urns; leave the others out. An element
    of a list that holds such a reference (Encounter.participant, Encounter.diagnosis) is left out
    whole, so no element is written without the reference that made it."""
    if not isinstance(node, dict):
        return
    for name, value in list(node.items()):
        if _is_reference(value):
            kept = _resolved(value, ctx, urns)
            if kept is None:
                del node[name]
            else:
                node[name] = kept
        elif isinstance(value, list):
            items = []
            for item in value:
                if _is_reference(item):
                    item = _resolved(item, ctx, urns)
                elif isinstance(item, dict):
                    if any(
                        _is_reference(v) and _resolved(v, ctx, urns) is None for v in item.values()
                    ):
                        item = None
                    else:
                        _keep_resolvable(item, ctx, urns)
                if item is not None:
                    items.append(item)
            if items:
                node[name] = items
            else:
                del node[name]
        else:
            _keep_resolvable(value, ctx, urns)


def _is_reference(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("reference"), str)


def _resolved(reference: Resource, ctx: DischargeContext, urns: dict[str, str]) -> Resource | None:
    """The reference as the copy keeps it: to a carried resource's urn, to a resource of the
    context that is not carried by its `Type/id`, and to anything else not at all."""
    literal = _literal(reference["reference"], ctx)
    if literal in urns:
        return {**reference, "reference": urns[literal]}
    if ctx.resolve(reference) is not None and literal is not None:
        return {**reference, "reference": literal}
    return None


def _identifier(resource: Resource) -> dict[str, str] | None:
    identifiers = resource.get("identifier")
    if isinstance(identifiers, dict):  # Composition-like single identifier
        identifiers = [identifiers]
    usable = [
        i
        for i in identifiers or []
        if isinstance(i, dict) and isinstance(i.get("system"), str) and i.get("value")
    ]
    preferred = _PREFERRED_SYSTEMS.get(str(resource.get("resourceType")))
    usable.sort(key=lambda i: (i["system"] != preferred, i.get("use") != "official"))
    return usable[0] if usable else None


def _if_none_exist(resource: Resource) -> str:
    identifier = _identifier(resource)
    assert identifier is not None
    return f"identifier={_escape(identifier['system'])}|{_escape(str(identifier['value']))}"


def _escape(value: str) -> str:
    # FHIR search escaping (R4 3.1.1.5.7): \ , $ | are escaped with a backslash.
    for special in ("\\", ",", "$", "|"):
        value = value.replace(special, "\\" + special)
    return value
