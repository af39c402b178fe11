"""The letter's way to the GP's eHealthBox (core/gp_message/ehealthbox.py): the Communication
carries the KMEHR message with what the envelope needs, a Task tells the hospital's integration
engine to send it, and a letter that cannot go that way says why while the discharge still happens.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from fhir_discharge import build_discharge
from fhir_discharge.core.gp_message import ehealthbox
from fhir_discharge.core.gp_message.ehealthbox import (
    GP_MESSAGE_CODES,
    SEND_CODE,
    UNREACHABLE,
    publication_id,
    unreachable_warning,
)
from fhir_discharge.core.record.identifiers import NIHDI, SSIN
from fhir_discharge.core.transaction import Discharge
from tests.support.contexts import held_by_server
from tests.support.factories import (
    EXAMPLE_GP_NIHDI,
    EXAMPLE_SSIN,
    EXAMPLES,
    happy_bundle,
    resource,
    with_encounter,
)
from tests.support.site import SITE

GENERATED = EXAMPLES.parent / "profiles" / "fsh-generated" / "resources"


def _discharge(bundle: dict[str, Any] | None = None, **kwargs: Any) -> Discharge:
    # The record as the FHIR server holds it (referenced there by id): what the message names.
    return build_discharge(held_by_server(bundle or happy_bundle()), SITE, **kwargs)


def _of_type(discharge: Discharge, resource_type: str) -> list[dict[str, Any]]:
    return [
        e["resource"]
        for e in discharge.bundle["entry"]
        if e["resource"]["resourceType"] == resource_type
    ]


def _communication(discharge: Discharge) -> dict[str, Any]:
    (communication,) = _of_type(discharge, "Communication")
    return communication


def _ehealthbox_tasks(discharge: Discharge) -> list[dict[str, Any]]:
    return [
        t
        for t in _of_type(discharge, "Task")
        if t["code"]["coding"][0].get("system") == SITE.canonicals.gp_message_system
    ]


# --- the Communication carries the message, with the envelope -----------------------------


def test_the_communication_carries_the_letter_and_its_kmehr_message_with_the_envelope() -> None:
    discharge = _discharge()
    communication = _communication(discharge)
    # the letter as the attested document the transaction stores, then the KMEHR message
    assert discharge.document is not None
    letter, kmehr = communication["payload"]
    assert letter == {"contentReference": {"reference": discharge.document.urn}}
    attachment = kmehr["contentAttachment"]
    data = base64.b64decode(attachment["data"], validate=True)
    assert discharge.gp_message is not None and data == discharge.gp_message.kmehr
    assert attachment["contentType"] == "application/xml"
    assert attachment["language"] == "nl-BE"
    assert attachment["size"] == len(data) < ehealthbox.EHEALTHBOX_MAX_BYTES
    assert attachment["hash"] == base64.b64encode(hashlib.sha1(data).digest()).decode()
    assert attachment["title"] == (
        "Ontslagbrief spoedgevallen: zorgpad acute lage rugpijn (25 november 2026)"
    )
    assert attachment["creation"] == "2026-11-25T12:40:00+01:00"
    # the envelope: the GP's NIHDI number, the patient's SSIN, the publication id
    assert communication["recipient"] == [
        {
            "reference": "Practitioner/lbp-example-gp",
            "identifier": {"system": NIHDI, "value": EXAMPLE_GP_NIHDI},
        }
    ]
    assert communication["subject"]["identifier"] == {"system": SSIN, "value": EXAMPLE_SSIN}
    ours, publication = communication["identifier"]
    assert ours["value"] == discharge.bundle["entry"][5]["fullUrl"]  # still the business id
    assert publication["system"] == SITE.canonicals.publication_id_system
    assert re.fullmatch(r"[0-9A-Z]{13}", publication["value"])
    assert publication["value"] == discharge.gp_message.publication_id


def test_the_publication_id_is_the_encounters_13_characters_and_another_encounters_differ() -> None:
    ids = {publication_id(f"identifier:https://example.org|{n}") for n in range(2000)}
    assert len(ids) == 2000 and all(re.fullmatch(r"[0-9A-Z]{13}", i) for i in ids)
    one = _discharge().gp_message
    other = _discharge(with_encounter(happy_bundle(), "enc-2", "SPO-2026-000002")).gp_message
    assert one and other and one.publication_id != other.publication_id
    assert one.publication_id == _discharge().gp_message.publication_id  # type: ignore[union-attr]


# --- the Task for the integration engine --------------------------------------------------


def test_a_task_asks_the_hospitals_integration_engine_to_send_it() -> None:
    discharge = _discharge()
    entries = discharge.bundle["entry"]
    (task,) = _ehealthbox_tasks(discharge)
    task_entry = entries[6]
    assert task_entry["resource"] is task  # right after the Communication (ENTRY_ROLES)
    assert task["meta"] == {"profile": [SITE.canonicals.gp_message_task_profile]}
    assert task["status"] == "requested" and task["intent"] == "order"
    assert task["code"] == {
        "coding": [
            {
                "system": SITE.canonicals.gp_message_system,
                "code": SEND_CODE,
                "display": GP_MESSAGE_CODES[SEND_CODE],
            }
        ]
    }
    assert task["businessStatus"]["coding"][0]["code"] == "to-send"
    assert task["focus"] == {"reference": entries[5]["fullUrl"]}  # the Communication
    assert task["for"] == {"reference": "Patient/lbp-example-patient"}
    assert task["owner"] == {"reference": "Organization/lbp-example-uzleuven"}
    assert task["requester"] == {"reference": "Practitioner/lbp-example-ed-physician"}
    assert task["authoredOn"] == "2026-11-25T12:40:00+01:00"
    # a conditional create on its business identifier: a repeat discharge makes no second one
    assert task["identifier"] == [{"system": "urn:ietf:rfc:3986", "value": task_entry["fullUrl"]}]
    assert (
        task_entry["request"]["ifNoneExist"]
        == f"identifier=urn:ietf:rfc:3986|{task_entry['fullUrl']}"
    )
    assert (
        discharge.gp_message is not None
        and discharge.gp_message.task.literal == task_entry["fullUrl"]
    )


def test_the_codes_are_the_published_code_system() -> None:
    compiled = json.loads((GENERATED / "CodeSystem-lbp-gp-message.json").read_text())
    assert compiled["url"] == SITE.canonicals.gp_message_system
    assert {c["code"]: c["display"] for c in compiled["concept"]} == GP_MESSAGE_CODES
    statuses = json.loads((GENERATED / "ValueSet-lbp-gp-message-status.json").read_text())
    (include,) = statuses["compose"]["include"]
    assert {c["code"] for c in include["concept"]} == set(GP_MESSAGE_CODES) - {SEND_CODE}
    profile = json.loads((GENERATED / "StructureDefinition-lbp-gp-message-task.json").read_text())
    assert profile["url"] == SITE.canonicals.gp_message_task_profile


def test_the_same_record_gives_the_same_message_task_and_communication() -> None:
    first, second = _discharge(), _discharge()
    assert json.dumps(first.bundle) == json.dumps(second.bundle)


def test_a_preview_leaves_the_message_out_and_says_the_same() -> None:
    preview = _discharge(gp_message=False)
    assert preview.gp_message is None and _ehealthbox_tasks(preview) == []
    assert len(_communication(preview)["payload"]) == 1
    assert preview.warnings == _discharge().warnings == ()


# --- a letter that cannot go that way says why --------------------------------------------


def _no_gp(bundle: dict[str, Any]) -> None:
    del resource(bundle, "Patient")["generalPractitioner"]


def _gp_not_in_use(bundle: dict[str, Any]) -> None:
    resource(bundle, "Practitioner", "lbp-example-gp")["active"] = False


def _gp_without_nihdi(bundle: dict[str, Any]) -> None:
    del resource(bundle, "Practitioner", "lbp-example-gp")["identifier"]


def _gp_with_a_typo(bundle: dict[str, Any]) -> None:
    resource(bundle, "Practitioner", "lbp-example-gp")["identifier"][0]["value"] = "12345652003"


def _gp_who_is_a_nurse(bundle: dict[str, Any]) -> None:
    # a well-formed NIHDI number, of profession 4 (nurse or midwife): no physician's mailbox
    resource(bundle, "Practitioner", "lbp-example-gp")["identifier"][0]["value"] = "45432127002"


def _gp_a_practice(bundle: dict[str, Any]) -> None:
    practice = {
        "resourceType": "Organization",
        "id": "practice",
        "identifier": [{"system": NIHDI, "value": "71000436000"}],
        "name": "Huisartsenpraktijk",
    }
    bundle["entry"].append({"fullUrl": "Organization/practice", "resource": practice})
    resource(bundle, "Patient")["generalPractitioner"] = [{"reference": "Organization/practice"}]


def _no_ssin(bundle: dict[str, Any]) -> None:
    patient = resource(bundle, "Patient")
    patient["identifier"] = [i for i in patient["identifier"] if i["system"] != SSIN]


def _ssin_with_a_typo(bundle: dict[str, Any]) -> None:
    resource(bundle, "Patient")["identifier"][0]["value"] = "81031412441"


def _no_name(bundle: dict[str, Any]) -> None:
    del resource(bundle, "Patient")["name"]


def _physician_without_nihdi(bundle: dict[str, Any]) -> None:
    del resource(bundle, "Practitioner", "lbp-example-ed-physician")["identifier"]


def _physician_with_a_typo(bundle: dict[str, Any]) -> None:
    physician = resource(bundle, "Practitioner", "lbp-example-ed-physician")
    physician["identifier"][0]["value"] = "16543205000"


def _hospital_without_nihdi(bundle: dict[str, Any]) -> None:
    del resource(bundle, "Organization")["identifier"]


def _hospital_with_a_physicians_number(bundle: dict[str, Any]) -> None:
    resource(bundle, "Organization")["identifier"][0]["value"] = "12345625003"


UNREACHABLE_RECORDS: dict[str, Callable[[dict[str, Any]], None]] = {
    "no-general-practitioner": _no_gp,
    "general-practitioner-no-nihdi": _gp_without_nihdi,
    "general-practitioner-nihdi-invalid": _gp_with_a_typo,
    "patient-no-ssin": _no_ssin,
    "patient-ssin-invalid": _ssin_with_a_typo,
    "patient-no-name": _no_name,
    "physician-no-nihdi": _physician_without_nihdi,
    "physician-nihdi-invalid": _physician_with_a_typo,
    "hospital-no-nihdi": _hospital_without_nihdi,
    "hospital-nihdi-invalid": _hospital_with_a_physicians_number,
}


def test_every_reason_is_made_by_a_record() -> None:
    assert set(UNREACHABLE_RECORDS) | {"message-too-large"} == set(UNREACHABLE)


@pytest.mark.parametrize(
    ("reason", "change"),
    [
        *UNREACHABLE_RECORDS.items(),
        ("no-general-practitioner", _gp_not_in_use),
        ("general-practitioner-nihdi-invalid", _gp_who_is_a_nurse),
        ("general-practitioner-no-nihdi", _gp_a_practice),
    ],
)
def test_the_discharge_happens_without_a_message_and_says_why(
    reason: str, change: Callable[[dict[str, Any]], None]
) -> None:
    bundle = happy_bundle()
    change(bundle)
    discharge = _discharge(bundle)
    # the discharge happens: the letter, brochure, care plan and follow-ups are all there
    kinds = [e["resource"]["resourceType"] for e in discharge.bundle["entry"][:5]]
    assert kinds == ["Composition", "DocumentReference", "CarePlan", "Task", "Task"]
    # but no KMEHR message, and no Task for the engine: nothing to send that would go astray
    assert discharge.gp_message is None and _ehealthbox_tasks(discharge) == []
    for communication in _of_type(discharge, "Communication"):
        assert [list(p) for p in communication["payload"]] == [["contentReference"]]
        assert len(communication["identifier"]) == 1
    assert discharge.gp_route is not None and discharge.gp_route.reasons == (reason,)
    assert unreachable_warning(reason) in discharge.warnings
    assert unreachable_warning(reason).message.startswith(
        "the GP cannot receive the letter electronically (no KMEHR message for the eHealthBox): "
    )


def test_every_reason_of_a_record_is_said() -> None:
    bundle = happy_bundle()
    _no_ssin(bundle)
    _gp_with_a_typo(bundle)
    _hospital_without_nihdi(bundle)
    discharge = _discharge(bundle)
    assert discharge.gp_route is not None
    assert discharge.gp_route.reasons == (
        "patient-no-ssin",
        "general-practitioner-nihdi-invalid",
        "hospital-no-nihdi",
    )
    assert [w for w in discharge.warnings if "electronically" in w.message] == [
        unreachable_warning(r) for r in discharge.gp_route.reasons
    ]


def test_a_message_too_large_for_the_ehealthbox_is_not_sent_and_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    size = len(_discharge().gp_message.kmehr)  # type: ignore[union-attr]
    monkeypatch.setattr(ehealthbox, "EHEALTHBOX_MAX_BYTES", size - 1)
    discharge = _discharge()
    assert discharge.gp_message is None and _ehealthbox_tasks(discharge) == []
    assert len(_communication(discharge)["payload"]) == 1
    assert discharge.warnings == (unreachable_warning("message-too-large"),)
    monkeypatch.setattr(ehealthbox, "EHEALTHBOX_MAX_BYTES", size)
    assert _discharge().gp_message is not None  # exactly the limit still goes


def test_a_gp_on_record_as_a_practitioner_role_is_reached_by_the_roles_number() -> None:
    bundle = happy_bundle()
    gp = resource(bundle, "Practitioner", "lbp-example-gp")
    role = {
        "resourceType": "PractitionerRole",
        "id": "gp-role",
        "practitioner": {"reference": "Practitioner/lbp-example-gp"},
    }
    bundle["entry"].append({"fullUrl": "PractitionerRole/gp-role", "resource": role})
    resource(bundle, "Patient")["generalPractitioner"] = [{"reference": "PractitionerRole/gp-role"}]
    discharge = _discharge(bundle)  # the role has no number: its practitioner's
    assert _communication(discharge)["recipient"][0]["identifier"]["value"] == EXAMPLE_GP_NIHDI
    assert discharge.gp_route and discharge.gp_route.recipient
    assert discharge.gp_route.recipient.familyname == "Claes"
    role["identifier"] = [{"system": NIHDI, "value": "16543250003"}]
    del gp["identifier"]
    discharge = _discharge(bundle)  # the role's own number first
    assert _communication(discharge)["recipient"][0]["identifier"]["value"] == "16543250003"
