"""The phone numbers the patient and the GP are given are the specification's (hazard H126).

A wrong number in the safety net or in the 6-week follow-up sends a patient with a red flag, or a
GP arranging the spine programme, to nobody. The numbers are the site file's
(fhir_discharge/sites/uz-leuven.toml, read by core/site.py: hazard H104), reviewed against
pathway.md; another hospital's site file needs the deploying hospital's configuration review
(hazard log, DCB0160 hand-over). The site file is the only place they are written
(tests/asgi/test_site.py::test_no_hospital_fact_is_left_in_code).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from fhir_discharge import build_discharge
from tests.support.contexts import held_by_server
from tests.support.factories import happy_bundle
from tests.support.site import SITE

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT.parent / "shared" / "clinical" / "pathway.md"
# pathway.md: "appointments by phone 016 34 25 60"; "Hospital: UZ Leuven, ..., tel. 016 33 22 11".
REVIEWED = {"spine care programme": "016 34 25 60", "hospital": "016 33 22 11"}
BELGIAN_PHONE = re.compile(r"\b0\d{1,2}(?: \d{2}){3}\b")


def test_the_phone_numbers_of_the_site_file_are_the_specifications() -> None:
    assert SITE.spine_programme.phone == REVIEWED["spine care programme"]
    assert SITE.phone == REVIEWED["hospital"]
    if SPEC.is_file():  # the specification beside the repository (a developer's checkout)
        spec = " ".join(SPEC.read_text(encoding="utf-8").split())
        for number in REVIEWED.values():
            assert number in spec, number


def test_every_phone_number_the_discharge_gives_is_a_reviewed_one() -> None:
    discharge = build_discharge(held_by_server(happy_bundle()), SITE, gp_message=False)
    given = set(BELGIAN_PHONE.findall(json.dumps(discharge.bundle, ensure_ascii=False)))
    assert REVIEWED["spine care programme"] in given
    assert given <= set(REVIEWED.values()), given - set(REVIEWED.values())
