"""What the outbox tests share (tests/integration/test_outbox.py, both backends;
tests/unit/test_outbox_sqlite.py, the SQLite file): the tests' clock, the items they put in and
the bundles those hold."""

from __future__ import annotations

from typing import Any

from fhir_discharge.io.outbox import Outbox

T0 = 1_000_000.0  # the tests' clock: times are passed in, never read
LEASE = 60.0
PATIENT_NAME = "Janssens-Purgeable"


def bundle(n: int = 1) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [{"fullUrl": f"urn:uuid:{n}", "resource": {"resourceType": "Basic", "n": n}}],
        "note": "rugpijn — ‘lage rug’ ✓",  # not ASCII: stored and read back as is
    }


def claim_accept(box: Outbox, item_id: str, at: float = T0, n: int = 1) -> Any:
    """Accepted and claimed at once (a lease of LEASE), as the service's inline delivery does."""
    return box.accept(item_id, f"Encounter/{item_id}", bundle(n), ("w1",), at, LEASE)


def patient_bundle() -> dict[str, Any]:
    """A transaction that holds a patient's name (what a purge must remove)."""
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [{"resource": {"resourceType": "Patient", "name": [{"family": PATIENT_NAME}]}}],
    }


def delivered(box: Outbox, item_id: str, at: float) -> None:
    box.accept(item_id, f"Encounter/{item_id}", patient_bundle(), ("w",), at)
    box.claim_due(at, LEASE, 10)
    box.mark_delivered(item_id, [{"reference": f"Composition/{item_id}", "created": True}], at)
