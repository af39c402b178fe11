"""Every transaction Bundle the suite builds in-process, for the conformance checks that run last
(tests/unit/test_conformance.py, tests/integration/test_hapi_conformance.py).

conftest.py's session fixture `record_built_bundles` swaps in `RecordedDischarge` for the
Discharge that build_discharge returns, so each built Bundle is kept here whatever name a test
imported build_discharge under; test_conformance.py (run last) validates them all with the
independent validator: the suite's whole output, not a sample.

When the suite runs in several processes (`make test-fast`: two pytest-xdist workers), each
leaves what it built in the folder FHIR_DISCHARGE_TEST_BUNDLES names (`leave`), and the
conformance check runs afterwards, alone, over them all (`built_elsewhere`).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from fhir_discharge.core.transaction import Discharge

BUILT_BUNDLES: set[str] = set()  # as JSON text: tests may mutate what they were given
FOLDER = "FHIR_DISCHARGE_TEST_BUNDLES"  # where each test process leaves what it built
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


def leave() -> None:
    """At the end of a test process: its Bundles into the folder FOLDER names, if set."""
    folder = os.environ.get(FOLDER)
    if folder and BUILT_BUNDLES:
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")  # set by pytest-xdist
        kept = Path(folder) / f"bundles-{worker}-{os.getpid()}.json"
        kept.write_text(json.dumps(sorted(BUILT_BUNDLES)), encoding="utf-8")


def built_elsewhere() -> set[str]:
    """The Bundles the test processes before this one left in the folder FOLDER names."""
    folder = os.environ.get(FOLDER)
    if not folder:
        return set()
    return {
        text
        for kept in Path(folder).glob("bundles-*.json")
        for text in json.loads(kept.read_text(encoding="utf-8"))
    }
