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
from .document import copy_resource, reference_holders
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


def carry_record(
    new_resources: Iterable[Resource], ctx: DischargeContext, key: str
) -> tuple[list[tuple[str, Resource, str]], list[str]]:
    """The record the new resources reach, to travel with them; the new resources' references
    to it are pointed at its urns, in place.

    Returns (urn, copy, ifNoneExist) of every context resource with a business identifier that
    the new resources reach, directly or through each other, and the `Type/id` of those reached
    that have no identifier (referenced by id: the server must hold them, and the caller is
    warned)."""
    order: list[str] = []
    found: dict[str, Resource] = {}
    by_id: list[str] = []
    new_holders: list[dict[str, Any]] = []
    frontier = list(new_resources)
    first = True
    while frontier:
        reached = []
        for resource in frontier:
            holders = reference_holders(resource)
            if first:
                new_holders += holders  # rewritten below, without walking them again
            for holder in holders:
                target = ctx.resolve(holder["reference"])
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
        first = False
    urns = {literal: derived_uuid(key, f"carried:{literal}") for literal in order}
    links = _Links(ctx, urns)
    for holder in new_holders:
        points_to = links.literal(holder["reference"])
        if points_to in urns:
            holder["reference"] = urns[points_to]
    entries = []
    for literal in order:
        original = found[literal]
        carried = links.resolvable_copy(
            {k: v for k, v in original.items() if k not in ("id", "meta")}
        )
        entries.append((urns[literal], carried, _if_none_exist(original)))
    return entries, by_id


class _Links:
    """What each reference of one build becomes: resolved once per reference string (a record
    names the same Patient and physicians many times)."""

    def __init__(self, ctx: DischargeContext, urns: dict[str, str]) -> None:
        self.ctx = ctx
        self.urns = urns
        self._literals: dict[str, str | None] = {}

    def literal(self, reference: str) -> str | None:
        """`Type/id` of what the reference points to: the context's resource, else as written."""
        if reference not in self._literals:
            target = self.ctx.resolve(reference)
            if target is not None and "id" in target:
                self._literals[reference] = f"{target['resourceType']}/{target['id']}"
            else:
                parsed = parse_reference(reference)
                self._literals[reference] = (
                    parsed.literal if parsed and parsed.resource_type else None
                )
        return self._literals[reference]

    def resolvable_copy(self, node: dict[str, Any]) -> dict[str, Any]:
        """A copy of `node` whose references point to carried resources' urns, and without the
        others. An element of a list that holds such a reference (Encounter.participant,
        Encounter.diagnosis) is left out whole, so no element is written without the reference
        that made it. One walk: the copy and the pruning together."""
        copy: dict[str, Any] = {}
        for name, value in node.items():
            if _is_reference(value):
                kept = self.resolved(value)
                if kept is not None:
                    copy[name] = copy_resource(kept)  # nothing shared with the context
            elif isinstance(value, list):
                items = []
                for item in value:
                    if _is_reference(item):
                        item = self.resolved(item)
                        item = copy_resource(item) if item is not None else None
                    elif isinstance(item, dict):
                        if any(_is_reference(v) and not self.resolved(v) for v in item.values()):
                            item = None
                        else:
                            item = self.resolvable_copy(item)
                    else:
                        item = copy_resource(item)
                    if item is not None:
                        items.append(item)
                if items:
                    copy[name] = items
            elif isinstance(value, dict):
                copy[name] = self.resolvable_copy(value)
            else:
                copy[name] = value
        return copy

    def resolved(self, reference: Resource) -> Resource | None:
        """The reference as the copy keeps it: to a carried resource's urn, to a resource of the
        context that is not carried by its `Type/id`, and to anything else not at all."""
        literal = self.literal(reference["reference"])
        if literal in self.urns:
            return {**reference, "reference": self.urns[literal]}
        if literal is not None and self.ctx.resolve(reference) is not None:
            return {**reference, "reference": literal}
        return None


def _is_reference(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("reference"), str)


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
