"""The hook's prefetch, read as the service reads any record it is sent: every prefetched
resource's FHIR JSON and structure checked, each key's resources (a resource, or a searchset
Bundle's entries), and the Patient and Encounter those of the hook's context."""

from __future__ import annotations

from typing import Any

from ...core.record.context import check_structure
from ...errors import InvalidInput
from ...io.hook_gathering import Prefetched
from ..body import check_fhir_json
from .models import CdsRequest, EncounterDischargeContext, parse_request
from .service import PREFETCH


def read_hook(body: dict[str, Any]) -> tuple[CdsRequest, Prefetched]:
    """The request and its prefetch, checked (every prefetched resource's structure)."""
    hook = parse_request(body)
    return hook, read_prefetch(hook)


def read_prefetch(hook: CdsRequest) -> Prefetched:
    prefetched = Prefetched()
    given = hook.prefetch or {}
    for key in PREFETCH:
        if key not in given:
            prefetched.values[key] = None
            continue
        value = given[key]
        if value is None:  # the client has no data for this template
            prefetched.values[key] = []
            continue
        check_fhir_json(value, f"prefetch.{key}")
        check_structure(value, f"prefetch.{key}")
        if value["resourceType"] == "OperationOutcome":  # the client failed to prefetch it
            prefetched.values[key] = None
        elif value["resourceType"] == "Bundle":
            prefetched.values[key] = [
                e["resource"]
                for e in value.get("entry") or []
                if isinstance(e.get("resource"), dict)
                and e["resource"].get("resourceType") != "OperationOutcome"
            ]
            if any(link.get("relation") == "next" for link in value.get("link") or []):
                prefetched.paginated.add(key)
        else:
            prefetched.values[key] = [value]
    _check_prefetched_identity(prefetched, hook.context)
    return prefetched


def _check_prefetched_identity(prefetched: Prefetched, context: EncounterDischargeContext) -> None:
    for key, rtype, wanted in (
        ("patient", "Patient", context.patientId),
        ("encounter", "Encounter", context.encounterId),
    ):
        for resource in prefetched.values.get(key) or []:
            if resource.get("resourceType") != rtype or resource.get("id") != wanted:
                raise InvalidInput(
                    f"prefetch.{key} is not the {rtype} of context.{rtype.lower()}Id"
                )
