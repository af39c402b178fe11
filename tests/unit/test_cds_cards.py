"""The CDS card's silence and kinds (core/cds_cards.py): no card for an encounter whose reason and
diagnoses show nothing of low back pain; a red flag's card (`critical`, its own summary) told
apart from a plain "not on the pathway" (`info`) and an incomplete record (`warning`). Through
the hook, on the sandbox: tests/integration/test_cds_hooks.py."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from fhir_discharge import IncompleteRecord, NotOnPathway, context_from_bundle
from fhir_discharge.core.cds_cards import about_low_back_pain, refusal_card
from fhir_discharge.core.codes import ICD10, ICD10_CM, SNOMED
from fhir_discharge.core.gate import check_eligibility
from fhir_discharge.core.i18n.catalogue import catalogue
from fhir_discharge.types import Resource
from tests.support.factories import add, condition, happy_bundle, remove, resource, temperature
from tests.support.site import SITE

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
    assert "Condition/flag" in card["detail"]
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
