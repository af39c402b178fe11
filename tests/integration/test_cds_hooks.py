"""The CDS Hooks 2.0 `encounter-discharge` service, called as an EHR calls it: real CDS Hooks
requests over real HTTP to the running service, which reads from a real FHIR server."""

from __future__ import annotations

import copy
import re
import uuid
from collections.abc import Iterator
from typing import Any, Literal

import httpx
import pytest
from fhir.resources.R4B import get_fhir_model_class
from pydantic import BaseModel, ConfigDict, Field, model_validator

from devtools.sandbox import free_port
from fhir_discharge import build_discharge
from fhir_discharge.core.cds_cards import as_action_resources, suggested_entries
from fhir_discharge.core.codes import SNOMED
from fhir_discharge.core.i18n.catalogue import catalogue
from fhir_discharge.core.i18n.dates import say_date
from fhir_discharge.core.i18n.physician_texts import card_sentences
from fhir_discharge.web.cds_hooks.service import PREFETCH
from tests.support.contexts import held_by_server
from tests.support.factories import condition, references_in, resource
from tests.support.hook_requests import (
    full_prefetch,
    hook_request,
    ids,
    new_record,
    of_type,
    searchset,
)
from tests.support.record_fhir_server import RecordFhirServer
from tests.support.seeding import seed
from tests.support.servers import AUTH
from tests.support.site import SITE
from tests.support.stub_http import StubReply, StubRequest, json_reply
from tests.support.suggestions import suggestion_writes, transaction_writes

SERVICE = "/cds-services/lbp-discharge"
# What the discharge operation's transaction writes for a first letter to a GP with an eHealthBox
# (core/transaction.py ENTRY_ROLES), and the suggestion too.
CREATED_TYPES = [
    "Composition",
    "DocumentReference",
    "CarePlan",
    "Task",
    "Task",
    "Communication",
    "Task",
    "Bundle",
    "Provenance",
    "Device",
]
RED_FLAG = "192970008"  # SNOMED CT, a red flag of pathway.md (see tests/unit/test_eligibility.py)


# --- the CDS Hooks 2.0 response, as the specification defines it ----------------------------


class Coding(BaseModel):
    model_config = ConfigDict(extra="forbid")
    system: str | None = None
    code: str
    display: str | None = None


class Source(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str = Field(min_length=1)
    url: str | None = None
    icon: str | None = None
    topic: Coding | None = None


class Action(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["create", "update", "delete"]
    description: str = Field(min_length=1)
    resource: dict[str, Any] | None = None
    resourceId: str | None = None

    @model_validator(mode="after")
    def _resource_for_create(self) -> Action:
        assert self.type != "create" or self.resource is not None, "create needs a resource"
        return self


class Suggestion(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str = Field(min_length=1)
    uuid: str | None = None
    isRecommended: bool | None = None
    actions: list[Action] | None = None


class Link(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str = Field(min_length=1)
    url: str = Field(min_length=1)
    type: Literal["absolute", "smart"]
    appContext: str | None = None
    autolaunchable: bool | None = None


class Card(BaseModel):
    model_config = ConfigDict(extra="forbid")
    uuid: str | None = None
    summary: str = Field(min_length=1, max_length=139)  # "<140-character summary"
    detail: str | None = None
    indicator: Literal["info", "warning", "critical"]
    source: Source
    suggestions: list[Suggestion] | None = None
    selectionBehavior: Literal["at-most-one", "any"] | None = None
    overrideReasons: list[Coding] | None = None
    links: list[Link] | None = None

    @model_validator(mode="after")
    def _selection_behavior_with_suggestions(self) -> Card:
        # "If suggestions are present, selectionBehavior MUST also be provided."
        assert not self.suggestions or self.selectionBehavior, "selectionBehavior missing"
        return self


class CdsResponse(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cards: list[Card]
    systemActions: list[Action] | None = None


class Service(BaseModel):
    model_config = ConfigDict(extra="forbid")
    hook: str
    title: str | None = None
    description: str
    id: str
    prefetch: dict[str, str] | None = None
    usageRequirements: str | None = None


class Discovery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    services: list[Service]


def no_nulls(node: object) -> None:
    """CDS Hooks 2.0: JSON elements SHALL NOT be null or empty (unless specified)."""
    if isinstance(node, dict):
        for value in node.values():
            assert value is not None and value != {} and value != ""
            no_nulls(value)
    elif isinstance(node, list):
        for value in node:
            no_nulls(value)


def cds_response(response: httpx.Response) -> CdsResponse:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    no_nulls(body)
    return CdsResponse.model_validate(body)


# --- an EHR's side -------------------------------------------------------------------------


def authorization(token: str = "opaque-access-token") -> dict:
    return {
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "user/Patient.read user/Encounter.read user/Condition.read "
        "user/Practitioner.read user/Organization.read",
        "subject": "lbp-discharge-cds-service",
    }


def call(service_url: str, body: Any) -> httpx.Response:
    return httpx.post(f"{service_url}{SERVICE}", json=body, headers=AUTH, timeout=60)


def seeded(fhir_base_url: str, *extra: dict) -> dict:
    record = new_record()
    for r in extra:
        record["entry"].append({"fullUrl": f"{r['resourceType']}/{r['id']}", "resource": r})
    seed(fhir_base_url, [e["resource"] for e in record["entry"]])
    return record


def red_flag(record: dict) -> dict:
    patient_id, encounter_id = ids(record)
    flag = condition(f"{patient_id}-flag", SNOMED, RED_FLAG, patient=f"Patient/{patient_id}")
    flag["encounter"] = {"reference": f"Encounter/{encounter_id}"}
    return flag


# --- what the card must say ------------------------------------------------------------------


def check_discharge_card(answer: CdsResponse, record: dict) -> Card:
    """The one info card: a create action for every resource the discharge's transaction
    writes, equal to the discharge built here from the same record, references among them as
    Type/id, every resource valid for the R4B models."""
    assert len(answer.cards) == 1
    card = answer.cards[0]
    said = card_sentences(SITE)
    assert card.indicator == "info"
    assert card.source.label == said["source"]
    assert "fhir-discharge" in card.source.label and "UZ Leuven" in card.source.label
    assert card.source.url == SITE.url != SITE.brochure("nl-BE")[0]
    assert [(x.label, x.url, x.type) for x in card.links or []] == [
        ("Patiëntenbrochure UZ Leuven 700457", SITE.brochure("nl-BE")[0], "absolute")
    ]
    assert [r.code for r in card.overrideReasons or []] == [
        "followed-up-elsewhere",
        "clinical-judgement",
        "letter-otherwise",
        "record-incorrect",
    ]
    assert card.suggestions and len(card.suggestions) == 1
    suggestion = card.suggestions[0]
    assert suggestion.isRecommended is True and suggestion.uuid
    assert suggestion.label == said["suggestion"]
    actions = suggestion.actions or []
    local = build_discharge(held_by_server(copy.deepcopy(record)), SITE)
    assert [a.type for a in actions] == ["create"] * len(suggested_entries(local))
    created = [a.resource or {} for a in actions]
    assert created == as_action_resources(suggested_entries(local))
    assert suggestion_writes([a.model_dump() for a in actions]) == transaction_writes(
        local.bundle["entry"]
    )

    ours = {f"{r['resourceType']}/{r['id']}" for r in created}
    on_record = {f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in record["entry"]}
    for r in created:
        assert re.fullmatch(r"[A-Za-z0-9\-.]{1,64}", r["id"]) and not r["id"].isdigit()
        get_fhir_model_class(r["resourceType"]).model_validate(r)
        if r["resourceType"] == "Bundle":
            continue  # the attested document: its entries reference each other, inside it
        for reference in references_in(r):
            assert reference in ours | on_record, reference
    letter, brochure, plan, week, six_weeks = (
        f"{r['resourceType']}/{r['id']}" for r in created[:5]
    )
    sections = {s["code"]["coding"][0]["code"]: s for s in created[0]["section"]}
    assert brochure in {e["reference"] for s in sections.values() for e in s.get("entry", [])}
    assert [x["reference"] for x in created[2]["supportingInfo"]] == [letter, brochure]
    assert created[3]["basedOn"] == [{"reference": plan}]
    assert created[4]["basedOn"] == [{"reference": plan}]
    assert week != six_weeks

    assert card.detail is not None
    for moment in (local.facts.week_follow_up, local.facts.six_week_follow_up):
        assert say_date(moment, "nl-BE") in card.detail
    assert "Pieter Claes" in card.detail  # the GP the letter goes to
    return card


def check_refusal_card(answer: CdsResponse, indicator: str, *named: str) -> Card:
    """The one card of a refusal: `critical` for a red flag, `info` for another reason the
    patient is not on the pathway, `warning` for an incomplete record; no suggestion."""
    assert len(answer.cards) == 1
    card = answer.cards[0]
    assert card.indicator == indicator
    assert card.suggestions is None and card.selectionBehavior is None
    assert card.detail is not None
    for name in named:
        assert name in card.detail
    return card


def check_outcome(response: httpx.Response, status: int, *words: str) -> dict:
    assert response.status_code == status, response.text
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    text = " ".join(i.get("diagnostics", "") for i in outcome["issue"])
    for word in words:
        assert word in text, text
    return outcome


# --- (a) discovery ---------------------------------------------------------------------------


def test_discovery_lists_the_service_with_its_prefetch_templates(service_url):
    response = httpx.get(f"{service_url}/cds-services", timeout=30)
    assert response.status_code == 200
    no_nulls(response.json())
    services = {s.id: s for s in Discovery.model_validate(response.json()).services}
    service = services["lbp-discharge"]
    assert service.hook == "encounter-discharge"
    assert service.title and service.description
    prefetch = service.prefetch or {}
    assert prefetch["patient"] == "Patient/{{context.patientId}}"
    assert prefetch["encounter"] == "Encounter/{{context.encounterId}}"
    assert prefetch["conditions"] == "Condition?patient={{context.patientId}}"
    assert prefetch == PREFETCH
    # Only tokens the encounter-discharge hook defines.
    tokens = {t for template in prefetch.values() for t in re.findall(r"{{(.*?)}}", template)}
    assert tokens <= {"context.patientId", "context.encounterId", "context.userId"}


# --- (b) everything prefetched ------------------------------------------------------------------


def test_full_prefetch_gives_an_info_card_writing_what_the_discharge_writes(service_url):
    record = new_record()
    answer = cds_response(call(service_url, hook_request(record, prefetch=full_prefetch(record))))
    card = check_discharge_card(answer, record)
    created = [a.resource or {} for a in (card.suggestions or [])[0].actions or []]
    assert [r["resourceType"] for r in created] == CREATED_TYPES
    assert card.uuid and card.uuid != (card.suggestions or [])[0].uuid


def test_a_null_conditions_prefetch_means_none_on_record(service_url):
    # The spec's null: the client has no data for the template. The diagnosis is still found
    # through Encounter.diagnosis when the include bundles carry it.
    record = new_record()
    prefetch = full_prefetch(record)
    prefetch["conditions"] = None
    diagnosis = resource(record, "Condition")
    prefetch["encounterParticipants"]["entry"].append(
        {"resource": diagnosis, "search": {"mode": "include"}}
    )
    check_discharge_card(
        cds_response(call(service_url, hook_request(record, prefetch=prefetch))), record
    )


# --- (c) nothing prefetched: read from fhirServer ---------------------------------------------


def test_without_prefetch_the_service_reads_fhir_server(service_url, fhir_base_url):
    record = seeded(fhir_base_url)
    body = hook_request(record, fhirServer=fhir_base_url, fhirAuthorization=authorization())
    from_server = check_discharge_card(cds_response(call(service_url, body)), record)
    prefetched = check_discharge_card(
        cds_response(call(service_url, hook_request(record, prefetch=full_prefetch(record)))),
        record,
    )
    assert from_server.detail == prefetched.detail
    assert from_server.suggestions == [
        s.model_copy(update={"uuid": from_server.suggestions[0].uuid})
        for s in prefetched.suggestions or []
    ]


def test_partial_prefetch_is_completed_from_fhir_server(service_url, fhir_base_url):
    # Only the recommended-subset templates: the physician, hospital and GP come from the server.
    record = seeded(fhir_base_url)
    prefetch = {k: v for k, v in full_prefetch(record).items() if k in ("patient", "encounter")}
    prefetch["conditions"] = {  # the client failed this one: an OperationOutcome in its place
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "timeout"}],
    }
    body = hook_request(record, prefetch=prefetch, fhirServer=fhir_base_url)
    check_discharge_card(cds_response(call(service_url, body)), record)


# --- (d) off the pathway ----------------------------------------------------------------------


def test_a_red_flag_gives_a_critical_card_naming_it(service_url):
    record = new_record()
    flag = red_flag(record)
    prefetch = full_prefetch(record)
    prefetch["conditions"]["entry"].append({"resource": flag, "search": {"mode": "match"}})
    answer = cds_response(call(service_url, hook_request(record, prefetch=prefetch)))
    card = check_refusal_card(answer, "critical", RED_FLAG)
    # the finding in words, never the resource it was found in; then what to do next
    assert card.detail is not None and "Condition/" not in card.detail
    assert card.detail.endswith(catalogue("nl-BE").card["red-flag-next"])
    # told apart from a plain "not on the pathway" by its summary too
    assert card.summary == catalogue("nl-BE").card["red-flag-summary"]
    assert card.summary.startswith("Alarmsignaal (rode vlag)")
    assert card.links is None


def test_a_red_flag_on_the_fhir_server_gives_the_same_critical_card(service_url, fhir_base_url):
    record = seeded(fhir_base_url)
    flag = red_flag(record)
    seed(fhir_base_url, [flag])
    body = hook_request(record, fhirServer=fhir_base_url, fhirAuthorization=authorization())
    card = check_refusal_card(cds_response(call(service_url, body)), "critical", RED_FLAG)
    assert card.detail is not None and f"Condition/{flag['id']}" not in card.detail


def test_another_diagnosis_gives_a_plain_not_on_the_pathway_card(service_url):
    record = new_record()
    patient_id, encounter_id = ids(record)
    sprain = condition(
        f"{encounter_id}-sprain", SNOMED, "44465007", patient=f"Patient/{patient_id}"
    )
    sprain["encounter"] = {"reference": f"Encounter/{encounter_id}"}
    sprain["code"]["text"] = "Verstuiking enkel"
    prefetch = full_prefetch(record)
    prefetch["conditions"]["entry"].append({"resource": sprain, "search": {"mode": "match"}})
    answer = cds_response(call(service_url, hook_request(record, prefetch=prefetch)))
    card = check_refusal_card(answer, "info", "Verstuiking enkel")
    assert card.summary == catalogue("nl-BE").card["off-summary"]
    assert "Alarmsignaal" not in card.summary


def test_an_encounter_not_about_low_back_pain_gets_no_card(service_url):
    # An ED discharge for a sprained ankle: the hook is called for it too, and stays silent
    # (no card on every discharge that is not this pathway's: alert fatigue).
    record = new_record()
    lbp = next(c for c in of_type(record, "Condition"))
    lbp["code"] = {"coding": [{"system": SNOMED, "code": "44465007"}], "text": "Verstuiking enkel"}
    record["entry"] = [
        e for e in record["entry"] if e["resource"]["resourceType"] != "QuestionnaireResponse"
    ]
    answer = cds_response(call(service_url, hook_request(record, prefetch=full_prefetch(record))))
    assert answer.cards == []
    # the same visit with low back pain as its reason is the pathway's business: a card
    resource(record, "Encounter")["reasonCode"] = [
        {"coding": [{"system": SNOMED, "code": "279039007"}]}
    ]
    answer = cds_response(call(service_url, hook_request(record, prefetch=full_prefetch(record))))
    assert len(answer.cards) == 1


def test_an_incomplete_record_gives_a_warning_card(service_url):
    record = new_record()
    prefetch = full_prefetch(record)
    del prefetch["encounter"]["period"]["end"]
    answer = cds_response(call(service_url, hook_request(record, prefetch=prefetch)))
    card = check_refusal_card(answer, "warning", "bezoek heeft geen eindtijd")
    assert "Encounter" not in (card.detail or "")  # the finding in words, not where it is


def test_a_missing_screening_gives_a_card_saying_what_to_document(service_url):
    record = new_record()
    prefetch = full_prefetch(record)
    prefetch["screenings"] = searchset([])
    answer = cds_response(call(service_url, hook_request(record, prefetch=prefetch)))
    # The finding in the card's Dutch (the `findings` of core/i18n/nl-BE.toml), never the API's
    # English.
    card = check_refusal_card(
        answer, "warning", "screening op alarmsignalen van dit bezoek is niet gedocumenteerd"
    )
    assert "is not documented" not in (card.detail or "")
    assert card.summary.startswith("Dossier onvolledig")
    # plain clinical Dutch: no FHIR resource or element names (issue 22, point 6)
    for fhir_word in ("QuestionnaireResponse", "subject", "author", "Practitioner", "http"):
        assert fhir_word not in (card.detail or ""), fhir_word


def test_imaging_in_the_prefetch_is_named_on_the_card_and_never_denied(service_url):
    record = new_record()
    patient_id, encounter_id = ids(record)
    x_ray = {
        "resourceType": "DiagnosticReport",
        "id": f"{encounter_id}-xray",
        "status": "final",
        "code": {"text": "RX lumbale wervelzuil"},
        "subject": {"reference": f"Patient/{patient_id}"},
        "encounter": {"reference": f"Encounter/{encounter_id}"},
        "conclusion": "Geen fractuur.",
    }
    record["entry"].append({"fullUrl": f"DiagnosticReport/{x_ray['id']}", "resource": x_ray})
    card = check_discharge_card(
        cds_response(call(service_url, hook_request(record, prefetch=full_prefetch(record)))),
        record,
    )
    assert "RX lumbale wervelzuil" in (card.detail or "")
    assert "geen beeldvorming" not in (card.detail or "").lower()


def test_the_cards_warnings_are_in_dutch(service_url):
    record = new_record()
    resource(record, "Patient")["birthDate"] = "1940-03-01"  # 70 or older: a warning
    card = check_discharge_card(
        cds_response(call(service_url, hook_request(record, prefetch=full_prefetch(record)))),
        record,
    )
    detail = card.detail or ""
    assert "jaar of ouder" in detail and "NSAID" in detail
    assert "or older" not in detail  # not the API's English


def test_the_card_says_when_the_gp_cannot_receive_the_letter_electronically(service_url):
    # The GP's NIHDI number has a typo: no KMEHR message for the eHealthBox
    # (core/gp_message/ehealthbox.py); the physician is told, in Dutch, to hand the letter over.
    record = new_record()
    gp_id = resource(record, "Patient")["generalPractitioner"][0]["reference"].split("/")[1]
    # 12345625003 with its check digits swapped
    resource(record, "Practitioner", gp_id)["identifier"][0]["value"] = "12345652003"
    card = check_discharge_card(
        cds_response(call(service_url, hook_request(record, prefetch=full_prefetch(record)))),
        record,
    )
    detail = card.detail or ""
    assert "De huisarts kan de brief niet elektronisch ontvangen" in detail
    assert "het RIZIV-nummer van de huisarts is geen geldig artsennummer" in detail
    assert "cannot receive" not in detail  # not the API's English


def test_a_fever_read_from_the_fhir_server_gives_a_red_flag_card(service_url, fhir_base_url):
    record = new_record()
    patient_id, encounter_id = ids(record)
    fever = {
        "resourceType": "Observation",
        "id": f"{encounter_id}-temp",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "8310-5"}]},
        "subject": {"reference": f"Patient/{patient_id}"},
        "encounter": {"reference": f"Encounter/{encounter_id}"},
        "valueQuantity": {"value": 39.4, "system": "http://unitsofmeasure.org", "code": "Cel"},
    }
    seed(fhir_base_url, [e["resource"] for e in record["entry"]] + [fever])
    body = hook_request(record, fhirServer=fhir_base_url, fhirAuthorization=authorization())
    answer = cds_response(call(service_url, body))
    card = check_refusal_card(answer, "critical", "39,4")
    assert f"Observation/{fever['id']}" not in (card.detail or "")


# --- (e) malformed requests: 400 ----------------------------------------------------------------


def malformed() -> Iterator[tuple[str, Any]]:
    record = new_record()
    good = hook_request(record, prefetch=full_prefetch(record))
    yield "wrong hook", {**good, "hook": "patient-view"}
    no_patient = copy.deepcopy(good)
    del no_patient["context"]["patientId"]
    yield "no context.patientId", no_patient
    yield "no context", {k: v for k, v in good.items() if k != "context"}
    yield "hookInstance not a UUID", {**good, "hookInstance": "call-42"}
    yield "no hookInstance", {k: v for k, v in good.items() if k != "hookInstance"}
    yield "fhirAuthorization without fhirServer", {**good, "fhirAuthorization": authorization()}
    yield (
        "token_type not Bearer",
        {
            **good,
            "fhirServer": "https://ehr.example/fhir",
            "fhirAuthorization": {**authorization(), "token_type": "MAC"},
        },
    )
    yield "fhirServer not a URL", {**good, "fhirServer": "not a url"}
    other = copy.deepcopy(good)
    other["context"]["encounterId"] = "someone-else"
    yield "prefetch of another encounter", other
    broken = copy.deepcopy(good)
    broken["prefetch"]["patient"] = {"resourceType": "Patient", "gender": 42}
    yield "prefetch not FHIR", broken
    yield "a JSON array", [good]


@pytest.mark.parametrize("case", [c for c, _ in malformed()])
def test_a_malformed_request_is_400(service_url, case):
    body = dict(malformed())[case]
    check_outcome(call(service_url, body), 400)


def test_a_body_that_is_not_json_is_400(service_url):
    response = httpx.post(
        f"{service_url}{SERVICE}",
        content=b'{"hook": "encounter-discharge",',
        headers={"Content-Type": "application/json", **AUTH},
        timeout=30,
    )
    check_outcome(response, 400)


def test_the_access_token_never_comes_back(service_url):
    record = new_record()
    body = hook_request(record, fhirAuthorization=authorization("s3cr3t-t0ken"))
    response = call(service_url, body)
    check_outcome(response, 400, "fhirServer")
    assert "s3cr3t" not in response.text


# --- 412: the data is neither prefetched nor readable ------------------------------------------


def test_no_prefetch_and_no_fhir_server_is_412(service_url):
    check_outcome(call(service_url, hook_request(new_record())), 412)


@pytest.mark.parametrize("missing", ["conditions", "encounterParticipants", "generalPractitioner"])
def test_a_missing_prefetch_key_without_fhir_server_is_412(service_url, missing):
    record = new_record()
    prefetch = full_prefetch(record)
    del prefetch[missing]
    check_outcome(call(service_url, hook_request(record, prefetch=prefetch)), 412)


def test_paginated_conditions_without_fhir_server_are_412(service_url):
    # Red flags are screened on all the patient's Conditions, never on one page of them.
    record = new_record()
    prefetch = full_prefetch(record)
    prefetch["conditions"]["link"] = [
        {"relation": "next", "url": "http://ehr.example/fhir/Condition?page=2"}
    ]
    check_outcome(
        call(service_url, hook_request(record, prefetch=prefetch)), 412, "prefetch.conditions"
    )


def test_an_encounter_unknown_to_the_fhir_server_is_412(service_url, fhir_base_url):
    record = new_record()  # not seeded
    body = hook_request(record, fhirServer=fhir_base_url)
    check_outcome(call(service_url, body), 412)


# --- the EHR's FHIR server: its token, and its failures ------------------------------------------


class TokenFhirServer(RecordFhirServer):
    """A FHIR server that serves one record to one bearer token (reads, searches)."""

    def __init__(self, record: dict, token: str) -> None:
        super().__init__(record)
        self.token = token

    @property
    def seen_authorization(self) -> list[str | None]:
        return [request.headers.get("Authorization") for request in self.requests]

    def answer(self, request: StubRequest) -> StubReply:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return json_reply(
                401,
                {
                    "resourceType": "OperationOutcome",
                    "issue": [{"severity": "error", "code": "login", "diagnostics": "bad token"}],
                },
            )
        return super().answer(request)


def test_the_access_token_is_the_bearer_token_on_fhir_server(service_url):
    record = new_record()
    with TokenFhirServer(record, "token-for-this-hook") as ehr:
        body = hook_request(
            record, fhirServer=ehr.base_url, fhirAuthorization=authorization("token-for-this-hook")
        )
        check_discharge_card(cds_response(call(service_url, body)), record)
        assert ehr.seen_authorization
        assert set(ehr.seen_authorization) == {"Bearer token-for-this-hook"}


def test_a_token_the_fhir_server_refuses_is_412(service_url):
    record = new_record()
    with TokenFhirServer(record, "the-right-token") as ehr:
        body = hook_request(
            record, fhirServer=ehr.base_url, fhirAuthorization=authorization("a-wrong-token")
        )
        response = call(service_url, body)
        check_outcome(response, 412, "401")
        assert "a-wrong-token" not in response.text


def test_a_fhir_server_that_is_down_is_502(service_url):
    record = new_record()
    body = hook_request(record, fhirServer=f"http://127.0.0.1:{free_port()}/fhir")
    check_outcome(call(service_url, body), 502)


def test_a_fhir_server_the_service_does_not_trust_is_refused(service_url):
    request = {
        "hook": "encounter-discharge",
        "hookInstance": str(uuid.uuid4()),
        "fhirServer": "http://169.254.169.254/latest",
        "context": {"userId": "Practitioner/x", "patientId": "p", "encounterId": "e"},
    }
    response = httpx.post(
        f"{service_url}/cds-services/lbp-discharge", json=request, headers=AUTH, timeout=30
    )
    assert response.status_code == 403
    assert "fhirServer" in response.json()["issue"][0]["diagnostics"]
