"""A corrected record gives a corrected letter that replaces the first (issue 19, point 3,
"Correction and withdrawal"; hazard H140).

The core builds version n of an encounter's letter under identities of its own (version 1 under
the identities letters always had); version n+1 replaces version n (Composition.relatesTo
`replaces`, CarePlan.replaces, the KMEHR message `isanewversionof` the earlier one). The service
finds the latest version on the FHIR server and writes the next one only when the letter built
from the record now differs from the one stored (io/discharging.py, `current_discharge`).
Checked on the sandbox and on HAPI FHIR: a changed record discharged again gives a second letter
that replaces the first, and a new Communication to the GP; an unchanged one gives nothing new.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import dataclasses
import json
import uuid
from collections.abc import Iterator

import httpx
import pytest
from lxml import etree

from fhir_discharge import build_discharge, context_from_bundle
from fhir_discharge.core.gp_message.ehealthbox import message_id
from fhir_discharge.core.letter.facts import letter_version_key
from fhir_discharge.core.record.context import DischargeContext
from fhir_discharge.core.record.identity import derived_uuid
from fhir_discharge.core.stored_document import letter_digest
from fhir_discharge.core.transaction import Discharge
from fhir_discharge.io import discharging
from fhir_discharge.io.fhir_client import FhirClient
from tests.support.discharges import roles, search
from tests.support.factories import fresh_record, resource
from tests.support.hapi_server import errors, validate
from tests.support.kmehr_schemas import code_list_errors, schema_errors
from tests.support.servers import AUTH, start_service
from tests.support.site import SITE

FHIR = {"Accept": "application/fhir+json"}
POST = {"Content-Type": "application/fhir+json", **AUTH}
KMEHR = {"k": "http://www.ehealth.fgov.be/standards/kmehr/schema/v1"}


def new_context() -> DischargeContext:
    return context_from_bundle(fresh_record(uuid.uuid4().hex[:10]))


def corrected(record: dict) -> dict:
    """The same encounter's record, corrected since its letter: the time the patient left (the
    letter's date, and the day its follow-ups count from)."""
    changed = copy.deepcopy(record)
    resource(changed, "Encounter")["period"]["end"] = "2026-11-26T00:40:00+01:00"
    return changed


def of_type(discharge: Discharge, resource_type: str) -> list[dict]:
    return [e for e in discharge.bundle["entry"] if e["resource"]["resourceType"] == resource_type]


def identifiers(discharge: Discharge) -> dict[str, str]:
    """The business identifier of each resource the discharge writes (the record left out)."""
    out = {}
    written = len(discharge.bundle["entry"]) - len(discharge.carried)
    for entry in discharge.bundle["entry"][:written]:
        found = entry["resource"].get("identifier")
        found = found[0] if isinstance(found, list) else found
        if found is not None:
            out[entry["resource"]["resourceType"] + ":" + entry["fullUrl"]] = found["value"]
    return out


# --- the core: what a version is -------------------------------------------------------------


def test_a_first_letter_keeps_the_identities_letters_always_had():
    ctx = new_context()
    first = build_discharge(ctx, SITE)
    key = first.facts.key
    assert first.facts.version == 1 and first.facts.version_key == key
    assert first.letter["identifier"]["value"] == derived_uuid(key, "letter")
    assert "relatesTo" not in first.letter
    plan = next(
        e["resource"] for e in first.bundle["entry"] if e["resource"]["resourceType"] == "CarePlan"
    )
    assert "replaces" not in plan
    assert first.gp_message is not None
    message = etree.fromstring(first.gp_message.kmehr)
    assert not [
        lnk for lnk in message.iterfind(".//k:lnk", KMEHR) if lnk.get("TYPE") == "isanewversionof"
    ]


def test_a_second_version_replaces_the_first_under_identities_of_its_own():
    ctx = new_context()
    first = build_discharge(ctx, SITE)
    second = build_discharge(dataclasses.replace(ctx, letter_version=2), SITE)
    assert second.facts.version_key == letter_version_key(first.facts.key, 2) != first.facts.key
    # The letter replaces the first, named by the first's business identifier.
    assert second.letter["relatesTo"] == [
        {"code": "replaces", "targetIdentifier": first.letter["identifier"]}
    ]
    # Every resource the discharge writes is new, but the brochure (the same leaflet) and the
    # service's Device (once per version of the service).
    before, after = identifiers(first), identifiers(second)
    shared = set(before.values()) & set(after.values())
    brochure = derived_uuid(first.facts.key, "brochure")
    assert shared - {brochure} == {v for k, v in before.items() if k.startswith("Device:")}
    plans = [of_type(d, "CarePlan")[0]["resource"] for d in (first, second)]
    assert plans[1]["replaces"] == [{"identifier": plans[0]["identifier"][0]}]
    # A new Communication to the GP, carrying the new letter's stored document.
    communications = [
        e
        for d in (first, second)
        for e in d.bundle["entry"]
        if e["resource"]["resourceType"] == "Communication"
    ]
    assert communications[0]["fullUrl"] != communications[1]["fullUrl"]
    # The stored document holds the new letter, relatesTo and all.
    assert second.document is not None
    assert second.document.bundle["entry"][0]["resource"]["relatesTo"] == second.letter["relatesTo"]


def test_the_kmehr_message_of_a_correction_is_a_new_version_of_the_first():
    ctx = new_context()
    first = build_discharge(ctx, SITE)
    second = build_discharge(dataclasses.replace(ctx, letter_version=2), SITE)
    assert first.gp_message is not None and second.gp_message is not None
    assert second.gp_message.publication_id != first.gp_message.publication_id
    old, new = (etree.fromstring(d.gp_message.kmehr) for d in (first, second))
    old_id = old.find("k:header/k:id", KMEHR).text
    new_id = new.find("k:header/k:id", KMEHR).text
    assert old_id != new_id
    (link,) = [
        lnk for lnk in new.iterfind(".//k:lnk", KMEHR) if lnk.get("TYPE") == "isanewversionof"
    ]
    assert link.get("URL") == f"//kmehrmessage[header/id[@S='ID-KMEHR']='{old_id}']"
    # the URL finds the first message, as a GP package that keeps messages would look it up
    # the URL finds the first message (KMEHR writes its paths without namespaces)
    for element in old.iter():
        element.tag = etree.QName(element).localname
    assert old.getroottree().xpath(link.get("URL")) == [old]
    hospital_nihdi = old_id.split(".")[0]
    assert old_id == message_id(hospital_nihdi, first.facts.key)
    assert schema_errors(second.gp_message.kmehr) == []
    assert code_list_errors(second.gp_message.kmehr) == []


def test_a_letter_version_below_one_is_a_programming_error():
    ctx = new_context()
    with pytest.raises(ValueError):
        build_discharge(dataclasses.replace(ctx, letter_version=0), SITE)


# --- on the FHIR servers: the sandbox and HAPI FHIR --------------------------------------------


@pytest.fixture(scope="module")
def hapi_service(hapi_base_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    service = start_service(hapi_base_url, tmp_path_factory.mktemp("service-versions"))
    try:
        yield service.url
    finally:
        service.stop()


@pytest.fixture(
    params=[
        pytest.param("sandbox", marks=pytest.mark.integration),
        pytest.param("hapi", marks=[pytest.mark.integration, pytest.mark.slow]),
    ]
)
def servers(request: pytest.FixtureRequest) -> tuple[str, str, str]:
    """(which, the FHIR server, the service that writes to it)."""
    if request.param == "sandbox":
        fhir, service = "fhir_base_url", "service_url"
    else:
        fhir, service = "hapi_base_url", "hapi_service"
    return request.param, request.getfixturevalue(fhir), request.getfixturevalue(service)


def post(service: str, record: dict) -> httpx.Response:
    return httpx.post(
        f"{service}/Encounter/$lbp-discharge", content=json.dumps(record), headers=POST, timeout=120
    )


def test_a_changed_record_discharged_again_gives_a_letter_that_replaces_the_first(servers):
    which, fhir, service = servers
    record = fresh_record(uuid.uuid4().hex[:10])
    first = post(service, record)
    assert first.status_code == 201, first.text
    # unchanged: nothing new
    again = post(service, record)
    assert again.status_code == 200, again.text
    assert {r["status"] for r in roles(again.json()).values()} == {"existing"}
    assert roles(again.json()) == {
        k: {**v, "status": "existing"} for k, v in roles(first.json()).items()
    }

    # the record corrected since: a second letter, replacing the first
    second = post(service, corrected(record))
    assert second.status_code == 201, second.text
    one, two = roles(first.json()), roles(second.json())
    assert two["letter"]["status"] == "created"
    assert two["letter"]["reference"] != one["letter"]["reference"]
    old_letter = httpx.get(f"{fhir}/{one['letter']['reference']}", headers=FHIR, timeout=60).json()
    new_letter = httpx.get(f"{fhir}/{two['letter']['reference']}", headers=FHIR, timeout=60).json()
    assert new_letter["relatesTo"] == [
        {"code": "replaces", "targetIdentifier": old_letter["identifier"]}
    ]
    assert old_letter["status"] == "final" and "relatesTo" not in old_letter  # kept as written
    # The plan it replaces revoked, its follow-ups cancelled, in the same transaction (H172).
    held = {
        name: httpx.get(f"{fhir}/{one[name]['reference']}", headers=FHIR, timeout=60).json()
        for name in ("carePlan", "followUpOneWeek", "followUpSixWeeks")
    }
    assert {name: r["status"] for name, r in held.items()} == {
        "carePlan": "revoked",
        "followUpOneWeek": "cancelled",
        "followUpSixWeeks": "cancelled",
    }
    # The GP is told by a new Communication, pointing to the new letter's stored document.
    assert two["letterToGp"]["status"] == "created"
    assert two["letterToGp"]["reference"] != one["letterToGp"]["reference"]
    told = httpx.get(f"{fhir}/{two['letterToGp']['reference']}", headers=FHIR, timeout=60).json()
    assert told["payload"][0]["contentReference"]["reference"] == two["document"]["reference"]
    message = etree.fromstring(base64.b64decode(told["payload"][1]["contentAttachment"]["data"]))
    assert [lnk.get("TYPE") for lnk in message.iterfind(".//k:lnk", KMEHR)] == [
        "multimedia",
        "isanewversionof",
    ]
    # The patient's letters: two, the second replacing the first (found by `related-id`, a
    # search a GP system can make).
    patient = f"Patient/{new_letter['subject']['reference'].split('/')[-1]}"
    assert len(search(fhir, "Composition", subject=patient)) == 2
    if which == "hapi":  # HAPI FHIR indexes relatesTo (R4's related-id); the sandbox does not
        identifier = old_letter["identifier"]
        replacing = search(
            fhir, "Composition", **{"related-id": f"{identifier['system']}|{identifier['value']}"}
        )
        assert [c["id"] for c in replacing] == [new_letter["id"]]

    # The letters' index (MHD-style DocumentReferences): the first superseded, the second
    # current and replacing it; each names its stored document by the document's identifier.
    indexes = {name: two[name]["reference"] for name in ("replacedLetterIndex", "letterIndex")}
    assert {two[name]["status"] for name in indexes} == {"created"}
    old_index, new_index = (
        httpx.get(f"{fhir}/{ref}", headers=FHIR, timeout=60).json() for ref in indexes.values()
    )
    assert (old_index["status"], new_index["status"]) == ("superseded", "current")
    assert new_index["relatesTo"] == [
        {
            "code": "replaces",
            "target": {"type": "DocumentReference", "identifier": old_index["identifier"][0]},
        }
    ]
    documents = [
        search(
            fhir,
            "Bundle",
            identifier=f"{i['masterIdentifier']['system']}|{i['masterIdentifier']['value']}",
        )
        for i in (old_index, new_index)
    ]
    assert [f"Bundle/{d[0]['id']}" for d in documents] == [
        one["document"]["reference"],
        two["document"]["reference"],
    ]
    if which == "hapi":  # what a GP system asks: the patient's current discharge letters
        letter_type = new_index["type"]["coding"][0]
        current = search(
            fhir,
            "DocumentReference",
            subject=patient,
            status="current",
            type=f"{letter_type['system']}|{letter_type['code']}",
        )
        assert [d["id"] for d in current] == [new_index["id"]]
        for written in (new_letter, old_index, new_index):
            _, outcome = validate(fhir, written)
            assert errors(outcome) == [], (written["resourceType"], errors(outcome))

    # the corrected record once more: nothing new
    third = post(service, corrected(record))
    assert third.status_code == 200, third.text
    assert {r["status"] for r in roles(third.json()).values()} == {"existing"}
    assert set(roles(third.json())) == set(two)
    assert roles(third.json())["letter"]["reference"] == two["letter"]["reference"]
    assert len(search(fhir, "Composition", subject=patient)) == 2


# --- the look-up that decides: which version, and when the server does not answer -------------


@pytest.mark.integration
def test_the_version_to_write_is_the_next_only_when_the_stored_letter_differs(
    fhir_base_url, service_url
):
    record = fresh_record(uuid.uuid4().hex[:10])
    assert post(service_url, record).status_code == 201

    async def version_for(body: dict) -> int:
        async with FhirClient(fhir_base_url) as client:
            built = build_discharge(context_from_bundle(body), SITE)
            return (await discharging.current_discharge(client, built)).facts.version

    assert asyncio.run(version_for(record)) == 1
    assert asyncio.run(version_for(corrected(record))) == 2


def test_a_server_that_does_not_answer_leaves_the_discharge_as_built_with_a_warning():
    ctx = new_context()
    built = build_discharge(ctx, SITE)

    async def current() -> Discharge:
        async with FhirClient("http://127.0.0.1:9/fhir", timeout=2) as client:
            return await discharging.current_discharge(client, built)

    answer = asyncio.run(current())
    assert answer.bundle == built.bundle
    assert answer.warnings[-1] == discharging.LOOKUP_FAILED_WARNING


# --- what "the record changed since its letter" means: what the letter says --------------------


def test_the_letter_says_the_same_whatever_ids_a_server_gave_it_and_however_it_wrote_it():
    """A letter read back from a FHIR server (its id, meta, references rewritten to the server's
    ids, its narrative re-serialised) says what the letter built from the same record says, and
    a later version built from it too: a repeat is not taken for a correction."""
    ctx = new_context()
    built = build_discharge(ctx, SITE).letter
    as_stored = json.loads(json.dumps(built).replace("urn:uuid:", "Patient/server-"))
    as_stored |= {"id": "42", "meta": {"versionId": "1", "lastUpdated": "2026-11-25T12:41:00Z"}}
    as_stored["text"]["div"] = as_stored["text"]["div"].replace("&#x27;", "'")
    assert as_stored != built
    assert letter_digest(as_stored) == letter_digest(built)
    second = build_discharge(dataclasses.replace(ctx, letter_version=2), SITE).letter
    assert letter_digest(second) == letter_digest(built)


def test_a_corrected_record_gives_a_letter_that_says_something_else():
    record = fresh_record(uuid.uuid4().hex[:10])
    first = build_discharge(context_from_bundle(record), SITE).letter
    again = build_discharge(context_from_bundle(corrected(record)), SITE).letter
    assert letter_digest(again) != letter_digest(first)


def test_a_correction_supersedes_the_previous_letters_index_and_indexes_the_new_one_current():
    """MHD-style: the transaction of version 2 updates the index of version 1 to `superseded`
    (a conditional update on its identifier: created when the first letter had none) and
    creates version 2's, `current`, replacing it; a first letter writes no index."""
    ctx = new_context()
    first = build_discharge(ctx, SITE)
    assert (
        of_type(first, "DocumentReference") == of_type(first, "DocumentReference")[:1]
    )  # brochure
    second = build_discharge(dataclasses.replace(ctx, letter_version=2), SITE)
    _brochure, old, new = of_type(second, "DocumentReference")
    assert old["request"] == {
        "method": "PUT",
        "url": f"DocumentReference?identifier=urn:ietf:rfc:3986|{old['fullUrl']}",
    }
    assert new["request"]["method"] == "POST" and new["request"]["ifNoneExist"]
    assert (old["resource"]["status"], new["resource"]["status"]) == ("superseded", "current")
    assert (
        new["resource"]["relatesTo"][0]["target"]["identifier"]
        == (old["resource"]["identifier"][0])
    )
    # each names its letter's stored document
    assert first.document is not None and second.document is not None
    assert old["resource"]["masterIdentifier"]["value"] == first.document.urn
    assert new["resource"]["masterIdentifier"]["value"] == second.document.urn
    # the Provenance names the new index as written by the discharge
    targets = {t["reference"] for t in second.provenance["target"]}
    assert new["fullUrl"] in targets
    # the same version built again: the same transaction (a repeat finds it all)
    again = build_discharge(dataclasses.replace(ctx, letter_version=2), SITE)
    assert again.bundle == second.bundle


def test_a_corrections_indexes_reference_the_record_carried_with_it():
    """A context Bundle's record travels with the letter (carry.py): the indexes reference it by
    the transaction's urns, never by the EHR's ids (which the FHIR server may not hold)."""
    second = build_discharge(dataclasses.replace(new_context(), letter_version=2), SITE)
    carried = {e.urn for e in second.carried}
    for index in of_type(second, "DocumentReference")[1:]:
        assert index["resource"]["subject"]["reference"] in carried
        assert index["resource"]["context"]["encounter"][0]["reference"] in carried
