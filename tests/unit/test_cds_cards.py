"""The CDS card's silence and kinds (core/cds_cards.py): no card for an encounter whose reason and
diagnoses show nothing of low back pain; a red flag's card (`critical`, its own summary) told
apart from a plain "not on the pathway" (`info`) and an incomplete record (`warning`); every card
in plain clinical Dutch (no resource id, no FHIR term), with what to do next, its coded override
reasons and its source (the service and the hospital); the suggestion writing what the
discharge's transaction writes; an encounter this service discharged already known by its
letter. Through the hook, on the sandbox: tests/integration/test_cds_hooks.py and
tests/integration/test_cds_card_workflow.py."""

from __future__ import annotations

import dataclasses
import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from fhir_discharge import IncompleteRecord, NotOnPathway, build_discharge, context_from_bundle
from fhir_discharge.core.cds_cards import (
    OVERRIDE_REASON_CODES,
    about_low_back_pain,
    discharge_card,
    discharged_card,
    override_reason_system,
    refusal_card,
    suggested_entries,
)
from fhir_discharge.core.codes import ICD10, ICD10_CM, SNOMED
from fhir_discharge.core.gate import check_eligibility
from fhir_discharge.core.i18n.catalogue import catalogue
from fhir_discharge.core.i18n.physician_texts import card_sentences
from fhir_discharge.core.record.context import DischargeContext
from fhir_discharge.types import Resource
from tests.support.factories import add, condition, happy_bundle, remove, resource, temperature
from tests.support.site import SITE
from tests.support.suggestions import suggestion_writes, transaction_writes

NL = catalogue("nl-BE").card
ANKLE_SPRAIN = (SNOMED, "44465007")


def about(bundle: Resource) -> bool:
    return about_low_back_pain(context_from_bundle(bundle), SITE)


def ankle_sprain_visit(*, screened: bool = False) -> Resource:
    """An ED visit for a sprained ankle: its one diagnosis a sprain, no reason, and (unless
    `screened`) no low back pain screening."""
    bundle = happy_bundle()
    system, code = ANKLE_SPRAIN
    resource(bundle, "Condition")["code"] = {
        "coding": [{"system": system, "code": code}],
        "text": "Verstuiking enkel",
    }
    return bundle if screened else remove(bundle, "QuestionnaireResponse")


def card_of(bundle: Resource) -> dict:
    with pytest.raises((NotOnPathway, IncompleteRecord)) as raised:
        check_eligibility(context_from_bundle(bundle), SITE.pathway)
    return refusal_card(raised.value, str(uuid.uuid4()), SITE, "https://ehr.test/launch")


# --- silence -------------------------------------------------------------------------------------


def test_an_encounter_whose_reason_and_diagnoses_show_no_low_back_pain_is_not_about_it():
    assert about(happy_bundle()) is True
    assert about(ankle_sprain_visit()) is False
    # a red flag alone, with no low back pain anywhere, is another department's encounter
    bundle = ankle_sprain_visit()
    assert about(add(bundle, condition("flag", SNOMED, "192970008"))) is False


def _reason(system: str, code: str) -> Callable[[Resource], None]:
    def change(bundle: Resource) -> None:
        resource(bundle, "Encounter")["reasonCode"] = [
            {"coding": [{"system": system, "code": code}]}
        ]

    return change


def _diagnosis(
    system: str, code: str, verification: str = "confirmed"
) -> Callable[[Resource], None]:
    def change(bundle: Resource) -> None:
        add(bundle, condition("back", system, code, verification=verification))

    return change


def _reason_reference(bundle: Resource) -> None:
    add(bundle, condition("complaint", SNOMED, "279039007", encounter=False))
    resource(bundle, "Encounter")["reasonReference"] = [{"reference": "Condition/complaint"}]


def _diagnosis_not_in_the_record(bundle: Resource) -> None:
    resource(bundle, "Encounter")["diagnosis"].append({"condition": {"reference": "Condition/x"}})


@pytest.mark.parametrize(
    "shows",
    [
        pytest.param(_reason(ICD10, "M54.5"), id="reason-icd10"),
        pytest.param(_reason(SNOMED, "278862001"), id="reason-acute-lbp"),
        pytest.param(_reason_reference, id="reason-reference"),
        pytest.param(_diagnosis(SNOMED, "278860009"), id="chronic-lbp"),
        pytest.param(_diagnosis(ICD10_CM, "M54.51"), id="vertebrogenic-lbp"),
        pytest.param(_diagnosis(SNOMED, "279039007", verification="refuted"), id="refuted-lbp"),
        pytest.param(_diagnosis_not_in_the_record, id="diagnosis-unseen"),
    ],
)
def test_low_back_pain_in_the_reason_or_a_diagnosis_makes_the_encounter_about_it(shows):
    bundle = ankle_sprain_visit()
    shows(bundle)
    assert about(bundle) is True


def test_the_physicians_pathway_screening_of_the_encounter_makes_it_about_low_back_pain():
    assert about(ankle_sprain_visit(screened=True)) is True


def test_low_back_pain_of_another_encounter_does_not_make_this_one_about_it():
    bundle = ankle_sprain_visit()
    add(bundle, condition("old-back", SNOMED, "279039007", encounter=False))
    assert about(bundle) is False


# --- the kinds of card ---------------------------------------------------------------------------


def test_a_red_flag_gives_a_critical_card_with_its_own_summary():
    card = card_of(add(happy_bundle(), condition("flag", SNOMED, "192970008")))
    assert card["indicator"] == "critical"
    assert card["summary"] == NL["red-flag-summary"]
    assert "Alarmsignaal" in card["summary"] and "rode vlag" in card["summary"]
    assert card["detail"].startswith(NL["red-flag-intro"])
    # the finding in words, not the resource it was found in; then what to do next
    assert "Condition" not in card["detail"] and "flag`" not in card["detail"]
    assert card["detail"].endswith(f"**{NL['next-heading']}** {NL['red-flag-next']}")
    assert "links" not in card and "suggestions" not in card


def test_a_fever_is_a_red_flag_card():
    bundle = add(happy_bundle(), temperature("temp", 39.4))
    assert card_of(bundle)["indicator"] == "critical"


def test_a_red_flag_in_the_physicians_screening_is_a_red_flag_card():
    bundle = happy_bundle()
    for item in resource(bundle, "QuestionnaireResponse")["item"]:
        if item["linkId"] == "cauda-equina":
            item["answer"] = [{"valueBoolean": True}]
    assert card_of(bundle)["indicator"] == "critical"


def test_another_diagnosis_without_a_red_flag_is_a_plain_not_on_the_pathway_card():
    bundle = add(happy_bundle(), condition("sprain", *ANKLE_SPRAIN))
    card = card_of(bundle)
    assert card["indicator"] == "info"
    assert card["summary"] == NL["off-summary"] != NL["red-flag-summary"]
    assert "Alarmsignaal" not in card["summary"] + card["detail"]


def test_a_red_flag_beside_another_reason_still_makes_the_card_critical():
    bundle = add(happy_bundle(), condition("sprain", *ANKLE_SPRAIN))
    card = card_of(add(bundle, condition("flag", SNOMED, "192970008")))
    assert card["indicator"] == "critical" and card["summary"] == NL["red-flag-summary"]


def test_an_incomplete_record_stays_a_warning_card():
    card = card_of(remove(happy_bundle(), "QuestionnaireResponse"))
    assert card["indicator"] == "warning"
    assert card["summary"] == NL["incomplete-summary"]
    assert [link["type"] for link in card["links"]] == ["smart"]


def test_every_summary_is_under_140_characters_and_each_kind_has_its_own():
    summaries = [NL[f"{kind}-summary"] for kind in ("red-flag", "off", "incomplete")]
    assert all(len(s) < 140 for s in [*summaries, NL["summary"]])
    assert len(set(summaries)) == 3


# --- plain clinical Dutch, next steps, override reasons, source (issue 22, point 6) --------------

# A FHIR resource type, element or code the physician should never have to read, or a resource id.
_FHIR_WORDS = re.compile(
    r"\b(Composition|DocumentReference|CarePlan|Task|QuestionnaireResponse|Questionnaire|"
    r"Condition|Practitioner|PractitionerRole|Encounter|Patient|Observation|Organization|"
    r"Communication|Provenance|Bundle|Device|subject|author|authored|reasonCode|"
    r"entered-in-error|ActCode)\b|\b[A-Z][A-Za-z]+/[A-Za-z0-9.-]+|urn:uuid"
)


def hook_context(bundle: Resource) -> DischargeContext:
    """The record as a hook reads it: the EHR's own, nothing carried."""
    return dataclasses.replace(context_from_bundle(bundle), carry_record=False)


def on_pathway_card(bundle: Resource | None = None) -> dict[str, Any]:
    discharge = build_discharge(hook_context(bundle or happy_bundle()), SITE)
    return discharge_card(discharge, str(uuid.uuid4()), SITE)


def said_on(card: dict[str, Any]) -> list[str]:
    """Everything of a card a physician reads."""
    texts = [card["summary"], card.get("detail") or "", card["source"]["label"]]
    for suggestion in card.get("suggestions") or []:
        texts += [suggestion["label"], *(a["description"] for a in suggestion["actions"])]
    texts += [link["label"] for link in card.get("links") or []]
    texts += [reason["display"] for reason in card.get("overrideReasons") or []]
    return texts


def _screened_positive(bundle: Resource) -> Resource:
    for item in resource(bundle, "QuestionnaireResponse")["item"]:
        if item["linkId"] == "cauda-equina":
            item["answer"] = [{"valueBoolean": True}]
    return bundle


def _cards_of_every_kind() -> dict[str, dict[str, Any]]:
    letter = build_discharge(hook_context(happy_bundle()), SITE).letter
    return {
        "on-pathway": on_pathway_card(),
        "red-flag": card_of(add(happy_bundle(), condition("flag", SNOMED, "192970008"))),
        "red-flag-screening": card_of(_screened_positive(happy_bundle())),
        "off": card_of(add(happy_bundle(), condition("sprain", *ANKLE_SPRAIN))),
        "unscreened": card_of(remove(happy_bundle(), "QuestionnaireResponse")),
        "discharged": discharged_card(
            letter, hook_context(happy_bundle()), str(uuid.uuid4()), SITE, "https://ehr.test/l"
        ),
    }


@pytest.mark.parametrize("kind", list(_cards_of_every_kind()))
def test_no_card_names_a_resource_or_speaks_fhir(kind):
    card = _cards_of_every_kind()[kind]
    for text in said_on(card):
        assert not _FHIR_WORDS.search(text), (kind, _FHIR_WORDS.search(text), text)


def test_the_unscreened_card_says_in_words_what_to_document_and_links_the_app():
    card = card_of(remove(happy_bundle(), "QuestionnaireResponse"))
    assert "screening op alarmsignalen van dit bezoek is niet gedocumenteerd" in card["detail"]
    assert card["detail"].endswith(f"**{NL['next-heading']}** {NL['incomplete-next-app']}")
    assert [link["type"] for link in card["links"]] == ["smart"]


@pytest.mark.parametrize(
    ("kind", "codes"),
    [
        (
            "on-pathway",
            ["followed-up-elsewhere", "clinical-judgement", "letter-otherwise", "record-incorrect"],
        ),
        ("red-flag", ["red-flag-handled", "record-incorrect", "clinical-judgement"]),
        ("off", ["followed-up-elsewhere", "clinical-judgement", "record-incorrect"]),
        ("unscreened", ["completed-later", "followed-up-elsewhere", "clinical-judgement"]),
    ],
)
def test_each_card_that_asks_something_offers_coded_override_reasons_in_dutch(kind, codes):
    reasons = _cards_of_every_kind()[kind]["overrideReasons"]
    assert [r["code"] for r in reasons] == codes
    assert {r["system"] for r in reasons} == {override_reason_system(SITE)}
    assert [r["display"] for r in reasons] == [NL[f"override-{c}"] for c in codes]
    assert set(codes) <= set(OVERRIDE_REASON_CODES)


def test_a_red_flags_card_is_never_set_aside_as_if_there_were_none():
    # No reason that would read as "no red flag here" (the patient is not on the pathway).
    reasons = _cards_of_every_kind()["red-flag"]["overrideReasons"]
    assert "letter-otherwise" not in {r["code"] for r in reasons}
    assert "Alarmsignaal al beoordeeld en opgevolgd" in {r["display"] for r in reasons}


def test_the_discharged_card_asks_nothing_and_offers_nothing():
    card = _cards_of_every_kind()["discharged"]
    assert "overrideReasons" not in card and "suggestions" not in card


@pytest.mark.parametrize("kind", list(_cards_of_every_kind()))
def test_the_source_names_the_service_and_the_hospital_not_the_brochure(kind):
    source = _cards_of_every_kind()[kind]["source"]
    assert source["url"] == SITE.url == "https://www.uzleuven.be"
    assert "brochure" not in source["url"]
    assert "fhir-discharge" in source["label"] and SITE.name in source["label"]


# --- the suggestion writes what the discharge's transaction writes ------------------------------


def test_the_suggestion_writes_every_resource_the_transaction_writes_the_letter_to_the_gp_too():
    discharge = build_discharge(hook_context(happy_bundle()), SITE)
    card = discharge_card(discharge, str(uuid.uuid4()), SITE)
    (suggestion,) = card["suggestions"]
    assert suggestion_writes(suggestion["actions"]) == transaction_writes(discharge.bundle["entry"])
    types = [a["resource"]["resourceType"] for a in suggestion["actions"]]
    assert types.count("Communication") == 1 and "Provenance" in types


def test_a_suggestion_leaves_out_the_record_a_context_bundle_carries():
    discharge = build_discharge(context_from_bundle(happy_bundle()), SITE)
    assert discharge.carried
    entries = suggested_entries(discharge)
    assert len(entries) == len(discharge.bundle["entry"]) - len(discharge.carried)


def test_the_card_says_how_the_letter_reaches_the_gp():
    said = card_sentences(SITE)  # the site's facts filled in
    detail = on_pathway_card()["detail"]
    assert detail.endswith(f"{said['detail-actions']} {said['detail-sends-ehealthbox']}")


def test_the_card_that_offers_the_letter_says_it_replaces_neither_questions_nor_examination():
    # H125 (automation bias): the card reads the record and the documented screening; it is no
    # screening of its own.
    detail = on_pathway_card()["detail"]
    said = detail.split("\n", 1)[0].lower()
    assert "vervangt uw vragen" in said and "onderzoek niet" in said, said


# --- an encounter discharged already (issue 22, point 2) ----------------------------------------


# (Which Composition is our letter: tests/unit/test_letter_version_rule.py.)


def test_the_discharged_card_says_when_and_by_whom_and_links_the_letter_in_the_app():
    ctx = hook_context(happy_bundle())
    letter = build_discharge(ctx, SITE).letter
    card = discharged_card(letter, ctx, str(uuid.uuid4()), SITE, "https://ehr.test/launch")
    assert card["indicator"] == "info"
    assert card["summary"].startswith("Al ontslagen op ")
    assert " door " in card["summary"] and len(card["summary"]) < 140
    assert re.search(r"Al ontslagen op \d+ \w+ \d{4} om \d\d\.\d\d uur door ", card["summary"])
    assert card["links"] == [
        {"label": NL["discharged-link"], "url": "https://ehr.test/launch", "type": "smart"}
    ]


def test_the_discharged_card_without_a_name_for_the_physician_says_when_only():
    ctx = hook_context(happy_bundle())
    letter = {**build_discharge(ctx, SITE).letter, "author": [{"reference": "Practitioner/x"}]}
    card = discharged_card(letter, ctx, str(uuid.uuid4()), SITE)
    assert " door " not in card["summary"] and "links" not in card


def test_the_override_reasons_code_system_is_published_with_the_profiles():
    import json
    from pathlib import Path

    from scripts.generate_fsh import OVERRIDE_REASONS, override_reasons_fsh

    assert OVERRIDE_REASONS.read_text(encoding="utf-8") == override_reasons_fsh(), (
        "run: .venv/bin/python scripts/generate_fsh.py, then bash tools/sushi/build.sh"
    )
    resources = Path(__file__).resolve().parents[2] / "profiles" / "fsh-generated" / "resources"
    compiled = json.loads((resources / "CodeSystem-cds-override-reason.json").read_text("utf-8"))
    assert compiled["url"] == override_reason_system(SITE)
    english = catalogue("en").card
    assert [(c["code"], c["display"]) for c in compiled["concept"]] == [
        (code, english[f"override-{code}"]) for code in OVERRIDE_REASON_CODES
    ]
