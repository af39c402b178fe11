"""HAPI FHIR as the terminology server of the tests: a small SNOMED CT fragment and our red-flag
ValueSets, as a hospital would load a real edition and the ValueSets of profiles/.

How SNOMED CT gets into HAPI 8.8.0 (measured here, tools/hapi):
- A CodeSystem resource with url http://snomed.info/sct and its concepts is stored, but HAPI does
  not put its concepts in the terminology tables: `$lookup` answers "Unable to find code",
  `$validate-code` on a ValueSet with an is-a filter "cannot apply filters ... CodeSystem
  'http://snomed.info/sct' is ignored/not-present" (HAPI keeps SNOMED CT out of its in-memory
  terminology). So the fragment goes in the way HAPI loads SNOMED CT:
  `CodeSystem/$upload-external-code-system` with RF2 files (a concept, a description and a
  relationship file; tools/hapi registers the operation's provider). HAPI's RF2 loader reads an
  is-a relationship only when 116680003 |Is a (attribute)| is itself a concept of the upload.
- HAPI expands a ValueSet with filters only with Hibernate Search on (tools/hapi: a Lucene index in
  memory), and answers `ValueSet/$validate-code` from the ValueSet's pre-expansion, made by a task
  every 10 minutes (tools/hapi runs it every 2 s). An is-a filter on a concept the loaded edition
  lacks fails the whole expansion ("HAPI-2071: Invalid filter criteria - code does not exist"),
  so every concept our ValueSets name is in the fragment.
- The ValueSets must not also sit in the server's validation support (tools/hapi's conformance
  folder): HAPI would then validate codes against that copy in memory, without SNOMED CT. So this
  server starts with an empty conformance folder, and our ValueSets are stored (PUT by id).

The fragment (only what was verified; concept ids, terms and is-a links are SNOMED CT's, the
description and relationship ids are this file's own, not SNOMED CT's):
- every SNOMED CT concept of core/codes.py's RED_FLAGS and LOW_BACK_PAIN, with its display there
  (each verified as docs/terminology.md says), with no is-a link among them asserted;
- 116680003 |Is a (attribute)|, the relationship type (see above);
- 16848101000119100 |History of primary malignant neoplasm of right lung|, is-a 415082004
  |History of malignant neoplasm of lung| (in codes.py's malignancy list). Read on the SNOMED CT
  browser of tx.fhir.org (Australian edition 2023-07-31):
  https://tx-dev.fhir.org/snomed/32506021000036107-20230731/?id=16848101000119100&type=snomed
  (FSN "History of primary malignant neoplasm of right lung (situation)", synonym without the tag,
  descriptions 4013189013 and 4013190016; active inferred "Is a" to "H/O: malignant neoplasm of
  lung", the Australian extension's term for History of malignant neoplasm of lung: the same
  browser shows that pattern for 431691000 and 73781000119101). Not in codes.py: a descendant the
  lists do not know, which the server places in `malignancy`;
- 786838002 |Pulmonary nodule| (FSN "Nodule of lung (disorder)"), on the same browser
  (.../32506021000036107-20230731/?id=786838002&type=snomed): is-a Lung mass and Lesion of lung,
  neither loaded; a finding of the record that is no red flag.
"""

from __future__ import annotations

import base64
import io
import json
import time
import zipfile
from pathlib import Path
from typing import Final

import httpx

from fhir_discharge.core.codes import LOW_BACK_PAIN, RED_FLAG_ITEMS, RED_FLAGS, SNOMED
from fhir_discharge.core.pathway.canonicals import VERSION
from fhir_discharge.io.terminology import CONTROLS
from tests.support.hapi_server import CONFORMANCE_DIR, HapiServer, start_hapi
from tests.support.site import SITE

FHIR_JSON = "application/fhir+json"
IS_A: Final = "116680003"

# Not in codes.py, verified as the module docstring says.
LUNG_CANCER_HISTORY_RIGHT: Final = "16848101000119100"
LUNG_CANCER_HISTORY: Final = "415082004"  # codes.py, malignancy
PULMONARY_NODULE: Final = "786838002"
EXTRA_CONCEPTS: Final[dict[str, str]] = {
    IS_A: "Is a (attribute)",
    LUNG_CANCER_HISTORY_RIGHT: "History of primary malignant neoplasm of right lung",
    PULMONARY_NODULE: "Pulmonary nodule",
}
# (child, parent) of the fragment: only verified links.
IS_A_LINKS: Final = ((LUNG_CANCER_HISTORY_RIGHT, LUNG_CANCER_HISTORY),)

_EFFECTIVE = "20230731"
_CORE = "900000000000207008"  # SNOMED CT core module
_SYNONYM = "900000000000013009"  # description type
_NO_CASE = "900000000000448009"  # case insensitive
_INFERRED = ("900000000000011006", "900000000000451002")  # inferred, existential
_HEADERS = {
    "Concept": "id effectiveTime active moduleId definitionStatusId",
    "Description": "id effectiveTime active moduleId conceptId languageCode typeId term "
    "caseSignificanceId",
    "Relationship": "id effectiveTime active moduleId sourceId destinationId relationshipGroup "
    "typeId characteristicTypeId modifierId",
}


def fragment_concepts() -> dict[str, str]:
    concepts = {
        c.code: c.display
        for codes in (*RED_FLAGS.values(), LOW_BACK_PAIN)
        for c in codes
        if c.system == SNOMED
    }
    return {**concepts, **EXTRA_CONCEPTS}


def rf2_zip() -> bytes:
    """The fragment as RF2 "Full" files, the file names HAPI's loader looks for."""
    concepts = fragment_concepts()

    def table(kind: str, rows: list[list[str]]) -> str:
        lines = [_HEADERS[kind].replace(" ", "\t"), *("\t".join(row) for row in rows)]
        return "\r\n".join(lines) + "\r\n"

    files = {
        "Concept": table(
            "Concept",
            [[c, _EFFECTIVE, "1", _CORE, "900000000000074008"] for c in concepts],
        ),
        "Description": table(
            "Description",
            [
                [f"fragment-d{i}", _EFFECTIVE, "1", _CORE, code, "en", _SYNONYM, term, _NO_CASE]
                for i, (code, term) in enumerate(concepts.items())
            ],
        ),
        "Relationship": table(
            "Relationship",
            [
                [f"fragment-r{i}", _EFFECTIVE, "1", _CORE, child, parent, "0", IS_A, *_INFERRED]
                for i, (child, parent) in enumerate(IS_A_LINKS)
            ],
        ),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for kind, text in files.items():
            name = f"sct2_{kind}_Full{'-en' if kind == 'Description' else ''}_INT_{_EFFECTIVE}"
            archive.writestr(f"SnomedCT_Fragment/Full/Terminology/{name}.txt", text)
    return buffer.getvalue()


def red_flag_value_sets() -> list[dict]:
    return [
        json.loads(
            (CONFORMANCE_DIR / f"ValueSet-lbp-red-flag-{item}.json").read_text(encoding="utf-8")
        )
        for item in RED_FLAG_ITEMS
    ]


def load_terminology(base_url: str, timeout: float = 180) -> None:
    """The fragment and the red-flag ValueSets into the server, then wait until it answers for
    them (each category places its own first concept)."""
    upload = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "system", "valueUri": SNOMED},
            {
                "name": "file",
                "valueAttachment": {
                    "url": "snomed-fragment.zip",
                    "contentType": "application/zip",
                    "data": base64.b64encode(rf2_zip()).decode(),
                },
            },
        ],
    }
    headers = {"Content-Type": FHIR_JSON, "Accept": FHIR_JSON}
    response = httpx.post(
        f"{base_url}/CodeSystem/$upload-external-code-system",
        json=upload,
        headers=headers,
        timeout=120,
    )
    assert response.status_code == 200, response.text
    for value_set in red_flag_value_sets():
        response = httpx.put(
            f"{base_url}/ValueSet/{value_set['id']}", json=value_set, headers=headers, timeout=60
        )
        assert response.status_code in (200, 201), response.text
    deadline = time.monotonic() + timeout
    while not all(answers(base_url, code, item) for item, code in CONTROLS.items()):
        assert time.monotonic() < deadline, "HAPI did not pre-expand the red-flag ValueSets"
        time.sleep(1)
    # And the verified descendant is placed (HAPI stores a code system's links asynchronously).
    while not answers(base_url, LUNG_CANCER_HISTORY_RIGHT, "malignancy"):
        assert time.monotonic() < deadline, "HAPI did not place the fragment's descendant"
        time.sleep(1)


def answers(base_url: str, code: str, item: str) -> bool:
    response = httpx.get(
        f"{base_url}/ValueSet/$validate-code",
        params={
            "url": SITE.canonicals.red_flag_value_set(item),
            "valueSetVersion": VERSION,
            "system": SNOMED,
            "code": code,
        },
        headers={"Accept": FHIR_JSON},
        timeout=60,
    )
    result = [p for p in response.json().get("parameter", []) if p.get("name") == "result"]
    return bool(result and result[0].get("valueBoolean"))


def start_terminology_hapi(workdir: Path) -> HapiServer:
    """A HAPI FHIR server of its own (not the session's: a SNOMED CT fragment in its tables would
    make its $validate judge every SNOMED CT code against the fragment), loaded as above."""
    empty = workdir / "no-conformance-resources"
    empty.mkdir(exist_ok=True)
    server = start_hapi(workdir, conformance_dir=empty)
    try:
        load_terminology(server.base_url)
    except BaseException:
        server.stop()
        raise
    return server
