"""Discharge contexts as the service makes them from a record, for tests of the pure core."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fhir_discharge import DischargeContext, context_from_bundle


def held_by_server(bundle: dict[str, Any]) -> DischargeContext:
    """The record of `bundle` as the FHIR server the letter goes to holds it itself (what the
    bare-Encounter and by-id forms read): referenced there by its ids, nothing carried. A
    context Bundle's own record travels with the letter instead (context_from_bundle)."""
    return replace(context_from_bundle(bundle), carry_record=False)
