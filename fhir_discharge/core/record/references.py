"""References as values: parse a FHIR reference once, resolve it against a set of resources."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

from ...errors import InvalidInput
from ...types import Resource

# A FHIR logical id (R4 datatypes, "id": 1 to 64 of [A-Za-z0-9\-.]), the one definition every
# id check uses (references, request paths and bodies, CDS Hooks context). An id of dots only is
# refused: "." and ".." are URL dot segments, which httpx removes, so `Patient/..` would read
# another URL. No look-ahead (pydantic's regex engine has none): pair it with the max length.
FHIR_ID_MAX_LENGTH: Final = 64
_ID = r"[A-Za-z0-9\-.]*[A-Za-z0-9\-][A-Za-z0-9\-.]*"
FHIR_ID_PATTERN: Final = f"^{_ID}$"
_FHIR_ID = re.compile(FHIR_ID_PATTERN)

# [base/]Type/id[/_history/vid]: FHIR's RESTful reference form (R4 3.2.0.x, "Literal references").
_LITERAL = re.compile(
    rf"^(?:(?P<base>https?://.+?)/)?(?P<type>[A-Z][A-Za-z]+)/(?P<id>{_ID})"
    rf"(?:/_history/(?P<version>{_ID}))?$"
)


def is_fhir_id(value: object) -> bool:
    """Whether `value` is a FHIR logical id this service will put in a URL or a reference."""
    return (
        isinstance(value, str)
        and len(value) <= FHIR_ID_MAX_LENGTH
        and _FHIR_ID.match(value) is not None
    )


@dataclass(frozen=True)
class Ref:
    """A literal reference to a resource on a server (`Type/id`) or in a bundle (`urn:uuid:...`)."""

    resource_type: str | None
    id: str | None
    urn: str | None = None

    @property
    def literal(self) -> str:
        if self.urn:
            return self.urn
        return f"{self.resource_type}/{self.id}"

    def as_reference(self, display: str | None = None) -> Resource:
        reference: Resource = {"reference": self.literal}
        if display:
            reference["display"] = display
        return reference


def parse_reference(reference: str) -> Ref | None:
    """Parse `Type/id`, an absolute URL to it (with or without `_history`), or `urn:uuid:`."""
    if reference.startswith(("urn:uuid:", "urn:oid:")):
        return Ref(None, None, urn=reference)
    match = _LITERAL.match(reference)
    if not match or not is_fhir_id(match["id"]):
        return None
    if match["version"] is not None and not is_fhir_id(match["version"]):
        return None
    return Ref(match["type"], match["id"])


def ref_of(resource: Resource) -> Ref:
    """The server reference of a resource of the record (which must have its server id)."""
    rtype, rid = resource.get("resourceType"), resource.get("id")
    if not isinstance(rtype, str) or not isinstance(rid, str) or not rid:
        raise InvalidInput(f"a {str(rtype)[:40]} of the record has no id to refer to it by")
    if not is_fhir_id(rid):
        raise InvalidInput(f"a {str(rtype)[:40]} of the record has an id that is not a FHIR id")
    return Ref(rtype, rid)


class ResourceIndex:
    """Resources by `Type/id` and by fullUrl, so a reference in one resolves to another."""

    def __init__(self, entries: Iterable[tuple[str | None, Resource]]) -> None:
        self._by_key: dict[str, Resource] = {}
        for full_url, resource in entries:
            rtype, rid = resource.get("resourceType"), resource.get("id")
            if isinstance(rtype, str) and isinstance(rid, str):
                self._by_key[f"{rtype}/{rid}"] = resource
            if full_url:
                self._by_key[full_url] = resource
                parsed = parse_reference(full_url)
                if parsed and parsed.resource_type and parsed.id:
                    self._by_key.setdefault(f"{parsed.resource_type}/{parsed.id}", resource)

    def resources(self) -> list[Resource]:
        """Every resource of the index once, in the order it came."""
        return list({id(r): r for r in self._by_key.values()}.values())

    def resolve(self, reference: Any) -> Resource | None:
        """The resource a Reference element (or a reference string) points to, if present."""
        literal = reference.get("reference") if isinstance(reference, dict) else reference
        if not isinstance(literal, str):
            return None
        if literal in self._by_key:
            return self._by_key[literal]
        parsed = parse_reference(literal)
        if parsed and parsed.resource_type:
            return self._by_key.get(f"{parsed.resource_type}/{parsed.id}")
        return None


def same_target(a: Any, b: Ref) -> bool:
    """Whether the Reference element `a` points at `b` (any base URL, any version)."""
    literal = a.get("reference") if isinstance(a, dict) else a
    if not isinstance(literal, str):
        return False
    parsed = parse_reference(literal)
    return parsed is not None and parsed.literal == b.literal
