"""The record travels with the letter: the context's resources as conditional creates.

A context Bundle comes from the EHR; the FHIR server the letter goes to is not that record's
source, and may not hold the Patient, the physicians, the hospital, the Encounter or the
diagnosis it references (an empty HAPI sandbox, a regional server), or may hold other resources
under the same ids (`Patient/1` on a shared sandbox is somebody's). So nothing of the record is
ever referenced there by its id: every resource the new ones reference, and those they reference
in turn, goes into the same transaction, as a conditional create on a business identifier. On a
server that holds it already (same identifier) nothing new is created and the references resolve
to what is there; on one that does not, it is created once.

The business identifier is the resource's own (identity.match_identifier: a national number that
passes its check first), or, where it has none, one derived here:
- the Encounter: from the discharge's key (identity.discharge_key), like the letter;
- the Patient: from the discharge's key and who they are (names, birth date, gender), so a
  patient without any identifier is never merged with another person: at worst, the same person
  is written once per encounter;
- anything else: from the patient's identity, its resource type and its canonical content, so
  the same record gives the same identifier on every repeat, and another patient's never does.

Copies carry no `id` or `meta` (the server gives its own). A reference in a copy points to a
carried resource's urn; a reference to anything outside the context (a ward, a nurse not in the
Bundle) is left out of the copy rather than written dangling. A national number that fails its
check is neither matched on nor written: the caller is warned.

Pure: no network, no clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ...errors import DischargeWarning, InvalidInput
from ...types import Resource
from ..letter.document import copy_resolving, reference_holders
from .context import DischargeContext
from .identifiers import NIHDI, SSIN, SSIN_SYSTEMS, identifier_condition, identifier_problem
from .identity import (
    business_identifier,
    content_digest,
    derived_uuid,
    match_identifier,
    patient_basis,
)
from .references import parse_reference

__all__ = ["NIHDI", "SSIN", "CarriedEntry", "CarriedRecord", "carry_record"]

# Resource types whose `identifier` is a single Identifier, not a list (FHIR R4).
_SINGLE_IDENTIFIER = {"QuestionnaireResponse", "Composition", "Bundle"}


@dataclass(frozen=True)
class CarriedEntry:
    """One resource of the record in the transaction."""

    urn: str
    resource: Resource  # the copy, as posted
    identifier: dict[str, str]  # what it is matched on
    derived: bool  # the identifier is one the service derived (the record gave none)
    source: str  # `Type/id` in the EHR's record

    @property
    def condition(self) -> str:
        return identifier_condition(self.identifier["system"], self.identifier["value"])


@dataclass(frozen=True)
class CarriedRecord:
    entries: tuple[CarriedEntry, ...]
    warnings: tuple[DischargeWarning, ...]


def carry_record(
    new_resources: Iterable[Resource], ctx: DischargeContext, key: str
) -> CarriedRecord:
    """The record the new resources reach, to travel with them; the new resources' references
    to it are pointed at its urns, in place. Every context resource the new resources reach,
    directly or through each other, is carried."""
    order: list[str] = []
    found: dict[str, Resource] = {}
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
                if literal in found:
                    continue
                found[literal] = target
                order.append(literal)
                reached.append(target)
        frontier = reached
        first = False
    urns = {literal: derived_uuid(key, f"carried:{literal}") for literal in order}
    links = _Links(ctx, urns)
    for holder in new_holders:
        if str(holder["reference"]).startswith("urn:uuid:"):
            continue  # one new resource to another, in the same transaction
        points_to = links.literal(holder["reference"])
        if points_to not in urns:
            # Never a bare id on a server that is not the record's source (it may be anyone's).
            raise InvalidInput(
                f"the letter would reference {str(holder['reference'])[:80]}, which the record "
                "does not hold: include it in the Bundle"
            )
        holder["reference"] = urns[points_to]
    identity = _patient_identity(ctx, key)
    entries: list[CarriedEntry] = []
    warnings: list[DischargeWarning] = []
    for literal in order:
        original = found[literal]
        copy = links.resolvable_copy({k: v for k, v in original.items() if k not in ("id", "meta")})
        warnings += _drop_failing_national_numbers(copy, literal)
        identifier = match_identifier(original)
        derived = identifier is None
        if identifier is None:
            identifier = business_identifier(_derived_value(copy, ctx, key, identity))
            _add_identifier(copy, identifier)
        else:
            identifier = {"system": identifier["system"], "value": identifier["value"]}
            if not _holds(copy, identifier):  # left out with a reference it held (an assigner)
                _add_identifier(copy, identifier)
        entries.append(CarriedEntry(urns[literal], copy, identifier, derived, literal))
    return CarriedRecord(tuple(entries), tuple(warnings))


def _patient_identity(ctx: DischargeContext, key: str) -> str:
    """Whose record this is, as the derived identifiers are bound to it: the patient's business
    identifier, else (a patient the record does not identify) this discharge and who they are."""
    basis = patient_basis(ctx.patient)
    return basis if not basis.startswith("unidentified:") else f"{key}|{basis}"


def _derived_value(copy: Resource, ctx: DischargeContext, key: str, identity: str) -> str:
    resource_type = str(copy.get("resourceType"))
    if resource_type == "Encounter":  # the visit: its identity is the discharge's
        return derived_uuid(key, "encounter")
    if resource_type == "Patient":  # never merged with anyone: bound to this encounter
        return derived_uuid(key, "patient:" + patient_basis(ctx.patient))
    return derived_uuid(identity, f"{resource_type}:{content_digest(copy)}")


def _holds(copy: Resource, identifier: dict[str, str]) -> bool:
    """Whether the copy carries the identifier it is matched on (the server checks that a
    conditional create's resource satisfies its own search)."""
    held = copy.get("identifier")
    for candidate in held if isinstance(held, list) else [held]:
        if isinstance(candidate, dict) and all(
            candidate.get(k) == identifier[k] for k in ("system", "value")
        ):
            return True
    return False


def _add_identifier(copy: Resource, identifier: dict[str, str]) -> None:
    if copy.get("resourceType") in _SINGLE_IDENTIFIER:
        copy["identifier"] = dict(identifier)
    else:
        copy["identifier"] = [*(copy.get("identifier") or []), dict(identifier)]


def _drop_failing_national_numbers(copy: Resource, literal: str) -> list[DischargeWarning]:
    """Leave out of the copy the national numbers that fail their check (so the FHIR server
    never holds a malformed one that a later search would match), and say which."""
    identifiers = copy.get("identifier")
    if not isinstance(identifiers, list):
        return []
    kept, warnings = [], []
    for identifier in identifiers:
        problem = (
            identifier_problem(identifier.get("system"), identifier.get("value"))
            if isinstance(identifier, dict)
            else None
        )
        if problem is None:
            kept.append(identifier)
            continue
        label = "SSIN" if identifier.get("system") in SSIN_SYSTEMS else "NIHDI"
        warnings.append(
            DischargeWarning(
                f"the {label} number of {literal} {problem}: it is not matched on the FHIR "
                "server nor written with the letter; correct it in the EHR",
                "national-number-not-matched",
                {"label": label, "reference": literal},
            )
        )
    if kept:
        copy["identifier"] = kept
    else:
        copy.pop("identifier", None)
    return warnings


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
        others (by id they could be anyone's on a server that is not the record's source);
        document.copy_resolving says what goes with them."""
        return copy_resolving(node, self.resolved)

    def resolved(self, reference: str) -> str | None:
        """The urn of the carried resource `reference` points to; None for anything else."""
        return self.urns.get(self.literal(reference) or "")
