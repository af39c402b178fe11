"""io/terminology.py, pure: which codes of the record are asked about, the settings, that every
path runs the gate through the terminology server, and the ValueSets it is asked about. Without a
server: tests/asgi/test_terminology_setting.py; a server that fails:
tests/integration/test_terminology_faults.py; a real one's answers, batching and caching:
tests/integration/test_terminology_hapi.py (HAPI FHIR)."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from fhir_discharge.config import Settings
from fhir_discharge.core.codes import SNOMED
from fhir_discharge.core.record.context import context_from_bundle
from fhir_discharge.io.terminology import (
    SNOMED_OID,
    snomed_codes,
    unplaced_snomed_codes,
)
from tests.support.factories import add, clinical, condition, happy_bundle, resource
from tests.support.site import SITE

PACKAGE = Path(__file__).resolve().parents[2] / "fhir_discharge"
NOT_IN_THE_LISTS = "16848101000119100"  # a descendant of 415082004 (tests/support/terminology_hapi)


def coding(system: str, code: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code}]}


# --- what is asked --------------------------------------------------------------------------


def test_every_snomed_coding_of_the_record_is_collected_by_uri_or_oid_wherever_it_stands() -> None:
    bundle = happy_bundle()
    resource(bundle, "Encounter")["reasonCode"] = [coding(SNOMED_OID, "111111111")]
    add(
        bundle,
        clinical(
            "Observation",
            "o1",
            status="final",
            code=coding(SNOMED, "222222222"),
            component=[{"code": coding(SNOMED, "333333333"), "valueCodeableConcept": {}}],
            interpretation=[coding(SNOMED_OID, "444444444")],
        ),
    )
    add(
        bundle,
        clinical(
            "DiagnosticReport",
            "r1",
            status="final",
            code=coding("http://loinc.org", "24531-6"),
            conclusionCode=[coding(SNOMED, "555555555")],
        ),
    )
    practitioner = resource(bundle, "Practitioner")
    practitioner["qualification"] = [{"code": coding(SNOMED, "666666666")}]  # who, not what
    codes = snomed_codes(context_from_bundle(bundle))
    assert codes == {
        "279039007": "Condition/lbp-example-diagnosis",
        "111111111": "Encounter/lbp-example-encounter",
        "222222222": "Observation/o1",
        "333333333": "Observation/o1",
        "444444444": "Observation/o1",
        "555555555": "DiagnosticReport/r1",
    }


def test_codes_the_red_flag_lists_place_themselves_are_not_asked() -> None:
    bundle = add(happy_bundle(), condition("c1", SNOMED, "363358000"))  # listed: malignancy
    add(bundle, condition("c2", SNOMED, NOT_IN_THE_LISTS, encounter=False))
    assert unplaced_snomed_codes(context_from_bundle(bundle)) == {
        "279039007": "Condition/lbp-example-diagnosis",
        NOT_IN_THE_LISTS: "Condition/c2",
    }


# --- settings and start-up ------------------------------------------------------------------


def test_the_setting_is_an_absolute_http_base_url() -> None:
    given = Settings(terminology_server="https://tx.example.org/fhir/")
    assert given.terminology_server == "https://tx.example.org/fhir"
    assert Settings(terminology_server="").terminology_server is None
    for wrong in (
        "tx.example.org/fhir",
        "ftp://tx.example.org/fhir",
        "https://user:secret@tx.example.org/fhir",
        "https://tx.example.org/fhir?x=1",
    ):
        with pytest.raises(ValidationError) as raised:
            Settings(terminology_server=wrong)
        assert "secret" not in str(raised.value)
    for deadline in (0, -1, 121):
        with pytest.raises(ValidationError):
            Settings(terminology_deadline_seconds=deadline)
    with pytest.raises(ValidationError):
        Settings(terminology_cache_seconds=-1)


def test_no_module_but_io_discharging_runs_the_gate_so_every_path_asks_the_terminology_server():
    """The operation, the CDS hook, the physician's app and the CLI build a discharge only through
    io/discharging.screened_discharge, which fills red_flags_by_terminology_server first."""
    callers = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative.startswith("core/"):
            continue  # the core is where build_discharge lives (and what a library user calls)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                name = node.func.attr if isinstance(node.func, ast.Attribute) else None
                name = name or getattr(node.func, "id", None)
                if name == "build_discharge":
                    callers.append(relative)
    assert callers == ["io/discharging.py"]


def test_the_value_sets_asked_for_are_the_published_ones_by_url_and_version() -> None:
    """The server is asked about profiles/' red-flag ValueSets, the version this release built."""
    from fhir_discharge.core.codes import RED_FLAG_ITEMS
    from fhir_discharge.core.pathway.canonicals import VERSION
    from fhir_discharge.io.terminology import CONTROLS

    compiled = PACKAGE.parent / "profiles" / "fsh-generated" / "resources"
    for item in RED_FLAG_ITEMS:
        value_set = json.loads((compiled / f"ValueSet-lbp-red-flag-{item}.json").read_text())
        assert (value_set["url"], value_set["version"]) == (
            SITE.canonicals.red_flag_value_set(item),
            VERSION,
        )
        # The control of each category is one of its own concepts, included with its descendants.
        includes = value_set["compose"]["include"]
        filters = [f for include in includes for f in include.get("filter", [])]
        assert {"property": "concept", "op": "is-a", "value": CONTROLS[item]} in filters
