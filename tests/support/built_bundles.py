"""Every transaction Bundle the suite builds in-process, for the conformance checks that run last
(tests/unit/test_conformance.py, tests/integration/test_hapi_conformance.py).

conftest.py's session fixture `record_built_bundles` swaps in `RecordedDischarge` for the
Discharge that build_discharge returns, so each built Bundle is kept here whatever name a test
imported build_discharge under; test_conformance.py (run last) validates them all with the
independent validator: the suite's whole output, not a sample.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from fhir_discharge.core.transaction import Discharge

BUILT_BUNDLES: set[str] = set()  # as JSON text: tests may mutate what they were given
_paused = threading.local()


@dataclass(frozen=True)
class RecordedDischarge(Discharge):
    def __post_init__(self) -> None:
        if not getattr(_paused, "on", False):
            BUILT_BUNDLES.add(json.dumps(self.bundle, sort_keys=True))


@contextmanager
def unrecorded() -> Iterator[None]:
    """Bundles built inside are not kept for the conformance check: a fuzzed record's copies
    (carry.py) hold whatever junk the input check lets through, as the record gave it."""
    _paused.on = True
    try:
        yield
    finally:
        _paused.on = False
