"""Which sentence the letter and the care plan say is chosen by the record's facts (H34, H35,
H36, H70, H73; issue 19, point 4).

Each test builds the discharge of a variant of the example (no KMEHR message: no PDF, a
millisecond each) and checks that the sentence the facts call for is there, word for word, and
its alternative is not: the advice given or to pass on (the brochure), the NSAID sentence (age,
the other reasons for caution), the erectile dysfunction item (men only). These are the tests
the bounded mutation run (mutation.toml) uses for the letter's and the care plan's sentence
choices, so they stay fast.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from fhir_discharge import build_discharge
from fhir_discharge.core.codes import ICD10
from fhir_discharge.core.letter.composition import (
    brochure_sentence,
    medication_advice_keys,
    plain_text,
)
from fhir_discharge.core.pathway.content import (
    MALE_ONLY_KEYS,
    MEDICATION_KEYS,
    MEDICATION_NSAID_OLDER,
    SAFETY_NET_ED_KEYS,
    SAFETY_NET_GP_KEYS,
)
from fhir_discharge.core.transaction import Discharge
from tests.support.contexts import held_by_server
from tests.support.factories import add, answer, condition, happy_bundle, resource
from tests.support.site import SITE

# The advice items, in order (the site's PlanDefinition's advice actions).
ADVICE_KEYS = SITE.pathway.advice


def discharge_of(change: Callable[[dict[str, Any]], object] | None = None) -> Discharge:
    bundle = happy_bundle()
    if change is not None:
        change(bundle)
    return build_discharge(held_by_server(bundle), SITE, gp_message=False)


def letter_text(discharge: Discharge) -> str:
    return plain_text(discharge.letter["text"]["div"])


def titles(discharge: Discharge) -> dict[str, str]:
    return {s["code"]["coding"][0]["code"]: s["title"] for s in discharge.letter.get("section", [])}


def care_plan(discharge: Discharge) -> dict[str, Any]:
    (plan,) = [
        e["resource"]
        for e in discharge.bundle["entry"]
        if e["resource"]["resourceType"] == "CarePlan"
    ]
    return plan


def activities(discharge: Discharge) -> list[str]:
    return [a["detail"]["description"] for a in care_plan(discharge)["activity"] if "detail" in a]


# --- the brochure: the advice and the safety net given, or the pathway's to pass on (H36, H73) ---

_GIVEN = ("advice-intro", "safety-net-intro-gp", "safety-net-intro-ed")


def test_with_the_brochure_the_advice_and_the_safety_net_are_said_as_given() -> None:
    discharge = discharge_of()
    facts, text = discharge.facts, letter_text(discharge)
    assert facts.record.screening.brochure_given
    for key in _GIVEN:
        assert facts.say(key) in text, key
        assert facts.say(f"{key}-to-pass-on") not in text, key
    assert brochure_sentence(facts) == facts.say("patient-info")
    assert facts.say("patient-info") in text
    advice_title = facts.phrases["section-advice"]
    assert advice_title in titles(discharge).values()
    assert facts.phrases["section-advice-to-pass-on"] not in titles(discharge).values()


def test_without_the_brochure_they_are_the_pathways_advice_for_the_gp_to_pass_on() -> None:
    discharge = discharge_of(lambda b: answer(b, "brochure-given", False))
    facts, text = discharge.facts, letter_text(discharge)
    assert not facts.record.screening.brochure_given
    for key in _GIVEN:
        assert facts.say(f"{key}-to-pass-on") in text, key
        assert facts.say(key) not in text, key
    assert brochure_sentence(facts) == facts.say("patient-info-online")
    assert facts.phrases["section-advice-to-pass-on"] in titles(discharge).values()
    assert facts.phrases["section-advice"] not in titles(discharge).values()


def test_only_the_advice_sections_title_depends_on_the_brochure() -> None:
    given, not_given = discharge_of(), discharge_of(lambda b: answer(b, "brochure-given", False))
    changed = {
        code for code, title in titles(given).items() if titles(not_given).get(code) != title
    }
    assert len(changed) == 1  # the advice section, and no other
    for code, title in titles(given).items():
        if code not in changed:
            assert title in given.facts.phrases.values(), code


# --- the NSAID sentence: the standard one, the older patient's, the caution's (H34, H70) -------


def _older(bundle: dict[str, Any]) -> None:
    resource(bundle, "Patient")["birthDate"] = "1948-06-02"


def _renal_impairment(bundle: dict[str, Any]) -> None:
    add(bundle, condition("ckd", ICD10, "N18.3", encounter=False))


@pytest.mark.parametrize(
    ("change", "nsaid"),
    [
        (None, "medication-nsaid"),
        (_older, MEDICATION_NSAID_OLDER),
        (_renal_impairment, "medication-nsaid-caution"),
    ],
    ids=["standard", "70 or older", "renal impairment"],
)
def test_the_nsaid_sentence_is_the_one_the_patient_calls_for(
    change: Callable[[dict[str, Any]], object] | None, nsaid: str
) -> None:
    discharge = discharge_of(change)
    facts = discharge.facts
    keys = medication_advice_keys(facts)
    assert keys == [nsaid if k == "medication-nsaid" else k for k in MEDICATION_KEYS]
    sentences = [
        facts.say(k, reasons="nierinsufficiëntie")
        if k == "medication-nsaid-caution"
        else facts.say(k)
        for k in keys
    ]
    text = letter_text(discharge)
    for sentence in sentences:
        assert sentence in text
    others = {"medication-nsaid", MEDICATION_NSAID_OLDER} - {nsaid}
    for other in others:
        assert facts.say(other) not in text, other
    # The care plan says the same sentences, one after the other.
    assert " ".join(sentences) in activities(discharge)


def test_each_advice_of_the_care_plan_says_its_own_advice() -> None:
    # The care plan's advice activities, in the pathway's order: the medication advice is the
    # medication sentences, every other advice its own sentence (H73; a survivor of the bounded
    # mutation run: `key != "medication"` gave each advice the medication sentences).
    discharge = discharge_of()
    facts = discharge.facts
    medication = " ".join(facts.say(k) for k in medication_advice_keys(facts))
    expected = [
        medication if key == "medication" else facts.say(f"advice-{key}") for key in ADVICE_KEYS
    ]
    assert "medication" in ADVICE_KEYS and len(set(expected)) == len(expected)
    assert activities(discharge)[: len(ADVICE_KEYS)] == expected


# --- the erectile dysfunction item: men only (H35) ---------------------------------------------


@pytest.mark.parametrize("gender", ["male", "female", "other", "unknown", None])
def test_the_erectile_dysfunction_item_is_in_the_safety_net_of_men_only(
    gender: str | None,
) -> None:
    def sex(bundle: dict[str, Any]) -> None:
        patient = resource(bundle, "Patient")
        patient.pop("gender", None)
        if gender is not None:
            patient["gender"] = gender

    discharge = discharge_of(sex)
    facts, text = discharge.facts, letter_text(discharge)
    erectile = facts.say("safety-net-erectile")
    assert (erectile in text) is (gender == "male")
    male = gender == "male"
    expected = [
        facts.say(
            intro,
            items=" ".join(facts.say(k) for k in keys if male or k not in MALE_ONLY_KEYS),
        )
        for intro, keys in (
            ("care-plan-safety-net-gp", SAFETY_NET_GP_KEYS),
            ("care-plan-safety-net-ed", SAFETY_NET_ED_KEYS),
        )
    ]
    assert [a for a in activities(discharge) if a in expected] == expected
    for key in (*SAFETY_NET_GP_KEYS, *SAFETY_NET_ED_KEYS):
        if key not in MALE_ONLY_KEYS:
            assert facts.say(key) in text, key
