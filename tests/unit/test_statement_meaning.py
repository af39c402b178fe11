"""Each sentence says its own fact (issue 19, point 4: tests that check meaning, not mechanics).

The gate's findings and the discharge's warnings are said in each language of the catalogues
(core/i18n/{nl-BE,fr-BE,en}.toml, tables `findings` and `warnings`: FINDING_PHRASES,
WARNING_PHRASES below), and in the API's English (errors.FINDING_DISPLAYS, the findings'
diagnostics, the warnings the API answers). A sentence shown for the wrong code keeps every
mechanical property (its placeholders, its capital, its full stop) and says the wrong thing: the
physician corrects the wrong item, or misses a red flag (H51, H53). So each code has, per
language, the words that carry its meaning (MEANINGS, WARNING_MEANINGS): each must be in the
code's own sentence, and no other code's sentence may hold them all, so two swapped sentences
fail. A code, or a language, without its words fails too.

What the service says for one record per code is also pinned, word for word, in
docs/safety/what-the-service-says.json: the list a clinician reviews (hazard log, open action 6).
A changed sentence fails here until that file is written again and reviewed:

    .venv/bin/python -m tests.unit.test_statement_meaning --write
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Mapping
from contextlib import nullcontext
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from fhir_discharge import build_discharge, context_from_bundle
from fhir_discharge.core.gp_message.ehealthbox import UNREACHABLE, unreachable_warning
from fhir_discharge.core.i18n import said as saying
from fhir_discharge.core.i18n.catalogue import LANGUAGES, catalogue
from fhir_discharge.core.i18n.said import warning_text
from fhir_discharge.core.letter.composition import plain_text
from fhir_discharge.core.record import matching
from fhir_discharge.core.transaction import Discharge
from fhir_discharge.errors import FINDING_DISPLAYS, WARNING_DISPLAYS, DischargeWarning, Finding
from fhir_discharge.io import discharging, terminology
from fhir_discharge.io.discharging import LOOKUP_FAILED_WARNING, MAX_LETTER_VERSIONS
from tests.support.built_bundles import unrecorded
from tests.support.factories import happy_bundle, resource
from tests.support.finding_records import RECORDS as FINDING_RECORDS
from tests.support.finding_records import server_conflicts
from tests.support.gate import gate_refusal
from tests.support.site import SITE
from tests.support.warning_records import RECORDS as WARNING_RECORDS

# The catalogues' sentences per language (a copy: the tests below may change them).
FINDING_PHRASES: dict[str, dict[str, str]] = {
    language: dict(catalogue(language).findings) for language in LANGUAGES
}
WARNING_PHRASES: dict[str, dict[str, str]] = {
    language: dict(catalogue(language).warnings) for language in LANGUAGES
}
# The languages whose sentences have their words of meaning below. fr-BE and en (issue 21) have
# theirs still to be written, by a clinician who reads them (hazard H103; the gap test below).
WORDED_LANGUAGES: tuple[str, ...] = ("nl-BE",)
# Every warning a discharge gives has a code (errors.WARNING_DISPLAYS).
KINDS = tuple(WARNING_DISPLAYS)


def finding_text(finding: Finding, language: str = "nl-BE") -> str | None:
    return saying.finding_text(finding, language)


def discharge_warnings(discharge: Discharge) -> list[DischargeWarning]:
    return list(discharge.warnings)


ROOT = Path(__file__).resolve().parents[2]
SAID = ROOT / "docs" / "safety" / "what-the-service-says.json"

# Per finding code: the words (regular expressions, case-insensitive) that carry its meaning in
# each language of FINDING_PHRASES (checked on the catalogue's sentence, placeholders included),
# in the English display ("display") and in the English diagnostics the gate writes ("api").
MEANINGS: dict[str, dict[str, tuple[str, ...]]] = {
    "patient-missing": {
        "nl-BE": ("patiënt", "niet gevonden"),
        "display": ("patient", "missing"),
        "api": ("patient", "not found"),
    },
    "physician-missing": {
        "nl-BE": ("geen arts", "ondertekenen"),
        "display": ("no physician", "sign"),
        "api": ("no physician", "sign"),
    },
    "hospital-missing": {
        "nl-BE": ("ziekenhuis", "ontbreekt"),
        "display": ("hospital", "missing"),
        "api": ("hospital", "missing"),
    },
    "modifier-extension": {
        "nl-BE": ("modifier-extensie", "niet begrijpt"),
        "display": ("modifier extension", "not understand"),
        "api": ("modifier extension", "not understand"),
    },
    "implicit-rules": {
        "nl-BE": ("implicitRules", "niet kent"),
        "display": ("implicit rules", "not understand"),
        "api": ("implicit rules", "not understand"),
    },
    "encounter-not-finished": {
        "nl-BE": ("bezoek", "niet afgesloten"),
        "display": ("encounter is not finished",),
        "api": ("encounter is not ended", "finished"),
    },
    "encounter-not-emergency": {
        "nl-BE": ("geen bezoek aan de spoedgevallendienst",),
        "display": ("not an emergency department encounter",),
        "api": ("not an emergency department encounter",),
    },
    "encounter-no-start": {
        "nl-BE": ("geen begintijd",),
        "display": ("no start time",),
        "api": ("no start time",),
    },
    "encounter-no-end": {
        "nl-BE": ("geen eindtijd",),
        "display": ("no end time",),
        "api": ("no end time",),
    },
    "encounter-period-reversed": {
        "nl-BE": ("eindigt vóór het begint",),
        "display": ("ends before it starts",),
        "api": ("ends before it starts",),
    },
    "disposition-missing": {
        "nl-BE": ("ontslagbestemming", "niet gedocumenteerd"),
        "display": ("discharge disposition", "not documented"),
        "api": ("discharge disposition", "not documented"),
    },
    "disposition-not-home": {
        "nl-BE": ("niet naar huis",),
        "display": ("not sent home",),
        "api": ("not sent home",),
    },
    "patient-inactive": {
        "nl-BE": ("patiëntendossier", "niet in gebruik"),
        "display": ("patient record", "not in use"),
        "api": ("patient record", "not in use"),
    },
    "patient-replaced": {
        "nl-BE": ("vervangen door",),
        "display": ("replaced by",),
        "api": ("replaced by",),
    },
    "patient-deceased": {
        "nl-BE": ("overleden",),
        "display": ("deceased",),
        "api": ("deceased",),
    },
    "birth-date-missing": {
        "nl-BE": ("geboortedatum", "niet in het dossier"),
        "display": ("birth date", "not on record"),
        "api": ("birth date", "not on record"),
    },
    "patient-not-adult": {
        "nl-BE": (r"niet \(met zekerheid\) volwassen",),
        "display": (r"not \(?certainly\)? an adult",),
        "api": (r"not \(?certainly\)? an adult",),
    },
    "patient-ssin-ambiguous": {
        "nl-BE": ("verschillende rijksregisternummers",),
        "display": ("more than one national number",),
        "api": ("different national numbers",),
    },
    "diagnosis-not-in-record": {
        "nl-BE": ("diagnose", "niet in het dossier"),
        "display": ("diagnosis", "not in the record"),
        "api": ("diagnosis", "not in the record"),
    },
    "other-diagnosis": {
        "nl-BE": ("andere diagnose", "{name}"),
        "display": ("another diagnosis on this encounter(?!, without a name)",),
        "api": ("another diagnosis on this encounter: ",),
    },
    "other-diagnosis-unnamed": {
        "nl-BE": ("andere diagnose", "zonder naam"),
        "display": ("another diagnosis", "without a name"),
        "api": ("another diagnosis", "without a name"),
    },
    "diagnosis-not-holding": {
        "nl-BE": ("lage rugpijn", "geldt niet"),
        "display": ("low back pain", "does not hold"),
        "api": ("low back pain", "does not hold"),
    },
    "diagnosis-missing": {
        "nl-BE": ("geen diagnose lage rugpijn",),
        "display": ("no low back pain diagnosis",),
        "api": ("no low back pain diagnosis",),
    },
    "condition-uncoded": {
        "nl-BE": ("geen code", "alarmsignalen"),
        "display": ("condition", "no code"),
        "api": ("no code(?! system)", "red flags"),
    },
    "low-back-pain-not-acute": {
        "nl-BE": ("meer dan 6 weken", "acute"),
        "display": ("more than 6 weeks",),
        "api": ("more than 6 weeks", "acute"),
    },
    "low-back-pain-chronic": {
        "nl-BE": ("chronisch",),
        "display": ("chronic",),
        "api": ("chronic",),
    },
    "onset-unreadable": {
        "nl-BE": ("begin", "niet als datum"),
        "display": ("onset", "cannot be read as a date"),
        "api": ("onset", "cannot be read as a date"),
    },
    # A red flag in the coded record: the red flag is a value ({red_flag}); the sentence says
    # where the record shows it.
    "red-flag-reason": {
        "nl-BE": ("{red_flag}", "reden van komst"),
        "display": ("red flag", "reason for the encounter"),
        "api": ("reason for the encounter",),
    },
    "red-flag-encounter": {
        "nl-BE": ("{red_flag}", "geregistreerd bij dit bezoek"),
        "display": ("red flag is recorded on this encounter",),
        "api": (r"\) on this encounter \(",),
    },
    "red-flag-patient": {
        "nl-BE": ("{red_flag}", "geregistreerd bij de patiënt"),
        "display": ("red flag is active on the patient",),
        "api": (r"\) on the patient \(",),
    },
    "red-flag-history": {
        "nl-BE": ("{red_flag}", "voorgeschiedenis", "{clinical_status}"),
        "display": ("red flag in the history", "whatever its status"),
        "api": ("in the history",),
    },
    "red-flag-evidence": {
        "nl-BE": ("{red_flag}", "onderbouwing"),
        "display": ("red flag", "evidence of a condition"),
        "api": ("as evidence of",),
    },
    "red-flag-observation": {
        "nl-BE": ("{red_flag}", "vastgesteld bij dit bezoek", "observatie"),
        "display": ("observation of this encounter", "red flag"),
        "api": ("observed on this encounter",),
    },
    "fever": {
        "nl-BE": ("{red_flag}", "lichaamstemperatuur", "{celsius}", "koorts", "{fever_from}"),
        "display": ("fever",),
        "api": (r"body temperature \d", "fever from"),
    },
    "temperature-unreadable": {
        "nl-BE": ("lichaamstemperatuur", "geen waarde", "leesbaar"),
        "display": ("body temperature", "no readable value"),
        "api": ("body temperature", "no value readable"),
    },
    "red-flag-report": {
        "nl-BE": ("{red_flag}", "verslag"),
        "display": ("report", "red flag"),
        "api": ("in a report",),
    },
    "red-flag-procedure": {
        "nl-BE": ("{red_flag}", "ingreep"),
        "display": ("procedure", "red flag"),
        "api": ("in a procedure",),
    },
    "red-flag-medication": {
        "nl-BE": ("{red_flag}", "medicatie van de patiënt"),
        "display": ("patient's medication is a red flag",),
        "api": ("in the patient's medication",),
    },
    "red-flag-earlier": {
        "nl-BE": ("{red_flag}", "vroegere registratie", "ongeacht het tijdstip"),
        "display": ("earlier record", "whatever its time"),
        "api": ("earlier record", "whatever its time"),
    },
    "code-unreadable": {
        "nl-BE": ("codesysteem", "niet kan lezen"),
        "display": ("no system the service reads",),
        "api": ("no code system the service reads",),
    },
    "pregnancy": {
        "nl-BE": ("zwanger",),
        "display": ("pregnant",),
        "api": ("pregnant",),
    },
    # The physician's red-flag screening.
    "red-flag-screening": {
        "nl-BE": ("{red_flag}", "aanwezig volgens de screening"),
        "display": ("red flag is present", "physician's screening"),
        "api": ("present according to the physician's",),
    },
    "screening-not-completed": {
        "nl-BE": ("screening", "niet afgerond", "{status}"),
        "display": ("screening", "not completed"),
        "api": ("screening", "not completed"),
    },
    "screening-of-another-encounter": {
        "nl-BE": ("screening", "ander bezoek of een andere patiënt"),
        "display": ("screening", "another encounter or patient"),
        "api": ("screening", "another encounter or patient"),
    },
    "screening-missing": {
        "nl-BE": ("screening", "niet gedocumenteerd"),
        "display": ("screening", "not documented"),
        "api": ("screening", "not documented"),
    },
    "screening-unknown-items": {
        "nl-BE": ("vragen die het zorgpad niet kent", "{link_ids}"),
        "display": ("items the pathway does not know",),
        "api": ("items the pathway does not know",),
    },
    "screening-incomplete": {
        "nl-BE": ("screening", "onvolledig", "{items}"),
        "display": ("screening", "incomplete"),
        "api": ("screening", "incomplete"),
    },
    "screening-no-time": {
        "nl-BE": ("screening", "geen tijdstip"),
        "display": ("screening", "no time"),
        "api": ("screening", "no time"),
    },
    "screening-before-visit": {
        "nl-BE": ("screening", "vóór het begin van het bezoek"),
        "display": ("screening", "before the visit started"),
        "api": ("screening", "before the visit started"),
    },
    "screening-author-not-practitioner": {
        "nl-BE": ("niet door een zorgverlener opgesteld",),
        "display": ("not authored by a practitioner",),
        "api": ("not authored by a practitioner",),
    },
    "screening-author-missing": {
        "nl-BE": ("zorgverlener die de screening uitvoerde", "niet in het dossier"),
        "display": ("practitioner who screened", "not in the record"),
        "api": ("practitioner who screened", "not in the record"),
    },
    "screener-not-participant": {
        "nl-BE": ("neemt niet deel",),
        "display": ("takes no part",),
        "api": ("does not take part",),
    },
    "screener-not-physician": {
        "nl-BE": ("geen arts is", "{role}"),
        "display": ("non-physician",),
        "api": ("non-physician",),
    },
    "practitioner-unnamed": {
        "nl-BE": ("zorgverlener", "geen naam"),
        "display": ("practitioner", "no name"),
        "api": ("practitioner", "no name"),
    },
    "examination-unnamed": {
        "nl-BE": ("onderzoek", "geen naam"),
        "display": ("examination", "cannot be named"),
        "api": ("examination", "cannot be named"),
    },
    "prescription-unnamed": {
        "nl-BE": ("voorschrift", "geneesmiddel niet"),
        "display": ("prescription", "does not name its medication"),
        "api": ("prescription", "does not name its medication"),
    },
    # What the FHIR server already holds under the record's identifiers.
    "patient-identity-conflict": {
        "nl-BE": ("andere persoon",),
        "display": ("another person",),
        "api": ("another person",),
    },
    "encounter-of-another-patient": {
        "nl-BE": ("identificatie van dit bezoek", "andere patiënt"),
        "display": ("holds this encounter", "for another patient"),
        "api": ("holds the encounter's identifier", "for another patient"),
    },
    "letter-of-another-patient": {
        "nl-BE": ("identificatie van deze brief", "andere patiënt"),
        "display": ("holds this letter", "for another patient"),
        "api": ("holds the letter's identifier", "for another patient"),
    },
    "letter-versions-exhausted": {
        "nl-BE": ("{versions}", "versies", "het maximum", "op een andere manier"),
        "display": ("most versions",),
        "api": (r"\d+ versions already", "the most", "another way"),
    },
    "letter-version-of-another-patient": {
        "nl-BE": ("eerdere versie van deze brief", "andere patiënt"),
        "display": ("earlier version of this letter", "for another patient"),
        "api": ("earlier version of this encounter's letter", "for another patient"),
    },
    "encounter-already-discharged": {
        "nl-BE": ("al ontslagen", "niet opgeslagen", "herlaad"),
        "display": ("already discharged",),
        "api": ("already discharged", "no screening is stored"),
    },
    "identifier-matches-several": {
        "nl-BE": ("meerdere",),
        "display": ("holds several resources",),
        "api": (r"holds \d+ \w+ resources",),
    },
    "document-not-attested": {
        "nl-BE": ("ander document", "zoals ondertekend"),
        "display": ("another document",),
        "api": ("another document", "as attested"),
    },
    "code-unknown-to-terminology-server": {
        "nl-BE": ("onbekend bij de terminologieserver",),
        "display": ("not known to the terminology server",),
        "api": ("not known to the terminology server",),
    },
}

# The reasons a letter cannot reach the GP electronically (ehealthbox.UNREACHABLE): the words of
# each reason, in Dutch and in English; every such warning also says it cannot go electronically.
_NOT_ELECTRONIC: dict[str, tuple[str, str]] = {
    "no-general-practitioner": ("geen huisarts", "no general practitioner"),
    "general-practitioner-no-nihdi": (
        "huisarts in het dossier heeft geen RIZIV",
        "general practitioner on record has no",
    ),
    "general-practitioner-nihdi-invalid": (
        "RIZIV-nummer van de huisarts is geen geldig",
        "general practitioner's NIHDI number is not a valid",
    ),
    "patient-no-ssin": ("geen INSZ", "no SSIN"),
    "patient-ssin-invalid": ("INSZ van de patiënt klopt niet", "SSIN fails"),
    "patient-no-name": ("naam van de patiënt staat niet", "patient has no name"),
    "physician-no-nihdi": (
        "arts die de brief ondertekent, heeft geen RIZIV",
        "signing physician has no NIHDI",
    ),
    "physician-nihdi-invalid": (
        "RIZIV-nummer van de arts die de brief ondertekent, is geen geldig",
        "signing physician's NIHDI number is not a valid",
    ),
    "hospital-no-nihdi": ("ziekenhuis heeft geen RIZIV", "hospital has no NIHDI"),
    "hospital-nihdi-invalid": (
        "RIZIV-nummer van het ziekenhuis is geen geldig",
        "hospital's NIHDI number is not a valid",
    ),
    "message-too-large": ("groter .*dan de 10 MB", "exceed"),
}

# Per warning kind (warnings_nl.KINDS): the words of its meaning in each language of
# WARNING_PHRASES, and in the English warning the API answers ("api").
WARNING_MEANINGS: dict[str, dict[str, tuple[str, ...]]] = {
    "entries-ignored": {
        "nl-BE": ("genegeerd", "{count}", "{resource_type}"),
        "api": ("entries ignored",),
    },
    "older-patient": {
        "nl-BE": ("{age} jaar of ouder", "voorzichtigheid"),
        "api": (r"\d+ or older", "caution"),
    },
    "screening-after-visit": {
        "nl-BE": ("na het einde van het bezoek", "{hours} uur", "bij het ontslag"),
        "api": ("after the visit ended", "at discharge"),
    },
    "nsaid-caution": {
        "nl-BE": ("voor deze patiënt meer risico", "{reasons}", "voorzichtigheid"),
        "api": ("more risk for this patient", "caution"),
    },
    "report-free-text": {
        "nl-BE": ("{reference}", "vrije tekst", "lees het"),
        "api": ("free-text conclusion", "read it"),
    },
    "medication-by-name": {
        "nl-BE": ("zonder ATC-code", "naam", "{references}"),
        "api": ("without an ATC code", "name only"),
    },
    "no-general-practitioner": {
        "nl-BE": ("geen huisarts", "opvolgtaken aan de patiënt"),
        "api": ("no general practitioner", "follow-up tasks to the patient"),
    },
    "general-practitioner-not-in-use": {
        "nl-BE": ("niet meer actief", "{references}", "opvolgtaken aan de patiënt"),
        "api": ("not in use", "follow-up tasks to the patient"),
    },
    "national-number-not-matched": {
        "nl-BE": ("{label}-nummer", "{reference}", "ongeldig", "niet op gezocht"),
        "api": ("not matched",),
    },
    "letter-language-not-available": {
        "nl-BE": ("{tags}", "geen brief", "{language}"),
        "api": ("a language this service has no letter in", "not translated"),
    },
    "brochure-not-in-letter-language": {
        "nl-BE": ("brochure", "{language}"),
        "api": ("brochure is not published in",),
    },
    "letter-versions-not-looked-up": {
        "nl-BE": ("eerder geschreven", "geen verbeterde brief"),
        "api": ("written before", "no corrected letter"),
    },
    **{
        f"not-electronic-{reason}": {
            "nl-BE": ("niet elektronisch", dutch, "op papier"),
            "api": ("cannot receive the letter electronically", english, "on paper"),
        }
        for reason, (dutch, english) in _NOT_ELECTRONIC.items()
    },
}


def missing_words(words: tuple[str, ...], sentence: str) -> list[str]:
    return [w for w in words if not re.search(w, sentence, re.IGNORECASE)]


def meaning_problems(
    meanings: Mapping[str, Mapping[str, tuple[str, ...]]],
    sentences: Mapping[str, str],
    part: str,
) -> list[str]:
    """What is wrong with `sentences` (code -> sentence) against the words of `part`: a sentence
    without its own words, or holding every word of another code (then the two could be
    swapped unseen)."""
    problems = []
    for code, sentence in sentences.items():
        words = meanings[code][part]
        if missing := missing_words(words, sentence):
            problems.append(f"{part} {code}: does not say {missing}: {sentence!r}")
        for other, other_sentence in sentences.items():
            if other != code and not missing_words(words, other_sentence):
                problems.append(f"{part} {code}: {other}'s sentence says it too")
    return problems


# --- what the service says for one record per code ---------------------------------------------


@cache
def findings_said() -> dict[str, Finding]:
    """The finding of each code, as the gate gives it for its record (support/finding_records.py),
    the server's findings (core/matching.py) and the terminology server's (io/terminology.py)."""
    found: dict[str, Finding] = {}
    for code, make in FINDING_RECORDS.items():
        refusal = gate_refusal(make())
        found[code] = next(f for f in refusal.findings if f.code == code)
    for finding in server_conflicts():
        assert finding.code is not None
        found.setdefault(finding.code, finding)
    unknown = terminology.unknown_code_finding("1234567890123", "Condition/problem-0")
    found[str(unknown.code)] = unknown
    # the refusals of a correction (io/discharging.py)
    exhausted = discharging.letter_versions_exhausted(MAX_LETTER_VERSIONS)
    found[str(exhausted.code)] = exhausted
    stranger = {"resourceType": "Composition", "subject": {"reference": "Patient/p7"}}
    for finding in matching.correction_conflicts([stranger], "Patient/p1"):
        found[str(finding.code)] = finding
    # the physician's app's refusal of a screening once discharged (web/physician_app/)
    letter = discharging.StoredLetter({"resourceType": "Composition", "id": "c1"}, None)
    discharged = discharging.encounter_already_discharged(letter)
    found[str(discharged.code)] = discharged
    return found


@cache
def warnings_given() -> dict[str, DischargeWarning]:
    """Each warning kind, as a discharge of the record of tests/support/warning_records.py gives it.
    A kind no record can make (the gate refuses a malformed SSIN before a letter is built) is
    the core's own; the FHIR server not asked for earlier letters is io/discharging.py's."""
    given: dict[str, DischargeWarning] = {}
    for kind, make in WARNING_RECORDS.items():
        for warning in discharge_warnings(make()):
            if warning.code == kind:
                given[kind] = warning
    for reason in UNREACHABLE:
        given.setdefault(f"not-electronic-{reason}", unreachable_warning(reason))
    given.setdefault(LOOKUP_FAILED_WARNING.code, LOOKUP_FAILED_WARNING)
    return given


def warnings_said() -> dict[str, tuple[str, str | None]]:
    """Each warning kind: the English and the Dutch."""
    return {
        kind: (warning.message, warning_text(warning, "nl-BE"))
        for kind, warning in warnings_given().items()
    }


def what_the_service_says() -> dict[str, Any]:
    return {
        "about": (
            "What the service says for one record per finding code and per warning kind "
            "(tests/unit/test_statement_meaning.py): the English of the API and each language of "
            "the catalogues (the physician's app and the CDS Hooks card). A clinician reviews it "
            "(hazard log, open action 6); the test fails while it differs from what the code says."
        ),
        "findings": {
            code: {
                "display": FINDING_DISPLAYS[code],
                "diagnostics": finding.message,
                "expression": finding.expression,
                **{language: finding_text(finding, language) for language in LANGUAGES},
            }
            for code, finding in sorted(findings_said().items())
        },
        "warnings": {
            kind: {
                "api": warning.message,
                **{language: warning_text(warning, language) for language in LANGUAGES},
            }
            for kind, warning in sorted(warnings_given().items())
        },
    }


# --- every code and every language has its words -------------------------------------------------


def test_every_finding_code_has_the_words_of_its_meaning_in_every_language() -> None:
    assert set(MEANINGS) == set(FINDING_DISPLAYS), (
        "a finding code without the words of its meaning (MEANINGS), or words of no code: "
        f"{sorted(set(FINDING_DISPLAYS) ^ set(MEANINGS))}"
    )
    for language in WORDED_LANGUAGES:
        sentences = FINDING_PHRASES[language]
        assert set(sentences) == set(FINDING_DISPLAYS), language
        unsaid = [code for code in MEANINGS if language not in MEANINGS[code]]
        assert unsaid == [], f"no words of meaning in {language} for {unsaid}"


def test_every_warning_kind_has_the_words_of_its_meaning_in_every_language() -> None:
    assert set(WARNING_MEANINGS) == set(KINDS), (
        "a warning kind without the words of its meaning (WARNING_MEANINGS), or words of no "
        f"kind: {sorted(set(KINDS) ^ set(WARNING_MEANINGS))}"
    )
    assert set(_NOT_ELECTRONIC) == set(UNREACHABLE)
    for language in WORDED_LANGUAGES:
        sentences = WARNING_PHRASES[language]
        assert set(sentences) == set(KINDS), language
        unsaid = [kind for kind in WARNING_MEANINGS if language not in WARNING_MEANINGS[kind]]
        assert unsaid == [], f"no words of meaning in {language} for {unsaid}"


# --- each sentence says its own fact, and no other's -----------------------------------------


@pytest.mark.parametrize("language", WORDED_LANGUAGES)
def test_each_findings_sentence_says_its_own_fact_and_no_other(language: str) -> None:
    assert meaning_problems(MEANINGS, FINDING_PHRASES[language], language) == []


def test_each_findings_english_display_says_its_own_fact_and_no_other() -> None:
    assert meaning_problems(MEANINGS, FINDING_DISPLAYS, "display") == []


def test_each_findings_english_diagnostics_says_its_own_fact_and_no_other() -> None:
    said = {code: finding.message for code, finding in findings_said().items()}
    assert set(said) == set(FINDING_DISPLAYS)
    assert meaning_problems(MEANINGS, said, "api") == []


def test_each_finding_said_in_dutch_for_a_record_says_its_own_fact() -> None:
    # The sentence as the app shows it: the catalogue's, filled with the finding's values.
    said = {code: str(finding_text(finding)) for code, finding in findings_said().items()}
    for code, text in said.items():
        words = [w for w in MEANINGS[code]["nl-BE"] if not w.startswith("{")]
        assert missing_words(tuple(words), text) == [], (code, text)


@pytest.mark.parametrize("language", WORDED_LANGUAGES)
def test_each_warnings_sentence_says_its_own_fact_and_no_other(language: str) -> None:
    assert meaning_problems(WARNING_MEANINGS, WARNING_PHRASES[language], language) == []


def test_each_warnings_english_says_its_own_fact_and_no_other() -> None:
    said = {kind: english for kind, (english, _) in warnings_said().items()}
    assert set(said) == set(KINDS)
    assert meaning_problems(WARNING_MEANINGS, said, "api") == []


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason="H103: the French and English sentences have no words of their meaning yet",
)
def test_every_language_of_the_catalogues_has_the_words_of_its_meaning() -> None:
    assert set(WORDED_LANGUAGES) == set(LANGUAGES)


# The CSO's finding (issue 19): swapping two Dutch finding sentences of different meaning
# survived every test H51 names. Each pair below is such a swap: it must be seen.
@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("screening-missing", "screening-not-completed"),
        ("fever", "temperature-unreadable"),
        ("red-flag-encounter", "red-flag-patient"),
        ("red-flag-screening", "red-flag-observation"),
        ("disposition-missing", "disposition-not-home"),
        ("encounter-no-start", "encounter-no-end"),
        ("low-back-pain-not-acute", "low-back-pain-chronic"),
    ],
)
def test_two_swapped_dutch_finding_sentences_are_seen(first: str, second: str) -> None:
    swapped = dict(FINDING_PHRASES["nl-BE"])
    swapped[first], swapped[second] = swapped[second], swapped[first]
    problems = meaning_problems(MEANINGS, swapped, "nl-BE")
    assert any(p.startswith(f"nl-BE {first}:") for p in problems)
    assert any(p.startswith(f"nl-BE {second}:") for p in problems)


def test_two_swapped_dutch_warning_sentences_are_seen() -> None:
    swapped = dict(WARNING_PHRASES["nl-BE"])
    first, second = "no-general-practitioner", "general-practitioner-not-in-use"
    swapped[first], swapped[second] = swapped[second], swapped[first]
    assert meaning_problems(WARNING_MEANINGS, swapped, "nl-BE") != []


# --- word for word: what a clinician reviewed -------------------------------------------------


def test_what_the_service_says_is_what_was_reviewed() -> None:
    recorded = json.loads(SAID.read_text(encoding="utf-8"))
    now = what_the_service_says()
    changed = [
        f"{part} {code}"
        for part in ("findings", "warnings")
        for code in sorted(set(recorded[part]) | set(now[part]))
        if recorded[part].get(code) != now[part].get(code)
    ]
    assert changed == [], (
        f"what the service says changed for {changed}: check that each still says its fact, "
        "then write docs/safety/what-the-service-says.json again "
        "(.venv/bin/python -m tests.unit.test_statement_meaning --write) for review"
    )


# --- when the catalogue cannot say it: the English, never a half-said sentence ------------------


class _Catalogue:
    """A catalogue with only the tables said.py reads."""

    def __init__(self, findings: dict[str, str], warnings: dict[str, str]) -> None:
        self.findings, self.warnings, self.values = findings, warnings, {}


def _with_catalogue(monkeypatch: pytest.MonkeyPatch, language: str, table: _Catalogue) -> None:
    real = saying.catalogue
    monkeypatch.setattr(saying, "catalogue", lambda lang: table if lang == language else real(lang))


def test_a_language_with_sentences_but_no_value_names_says_the_values_as_recorded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _with_catalogue(monkeypatch, "xx", _Catalogue({"screening-incomplete": "open: {items}"}, {}))
    finding = Finding("incomplete", None, "screening-incomplete", {"items": ("malignancy",)})
    assert finding_text(finding, "xx") == "Open: malignancy."


def test_a_sentence_that_ends_with_a_full_stop_gets_no_second_one() -> None:
    finding = Finding("unknown items", None, "screening-unknown-items", {"link_ids": ("nr. 3.",)})
    text = str(finding_text(finding))
    assert text.endswith(": nr. 3.") and not text.endswith("..")


@pytest.mark.parametrize("sentence", [None, "de patiënt is {years} jaar"], ids=["none", "broken"])
def test_a_warning_the_catalogue_cannot_say_keeps_its_english_and_its_kind(
    sentence: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    warning = warnings_given()["older-patient"]
    sentences = dict(WARNING_PHRASES["nl-BE"])
    if sentence is None:
        del sentences["older-patient"]
    else:
        sentences["older-patient"] = sentence
    _with_catalogue(monkeypatch, "nl-BE", _Catalogue(FINDING_PHRASES["nl-BE"], sentences))
    # The physician is shown the English (core/i18n/said.py None: app_preview, cds_cards).
    assert warning_text(warning, "nl-BE") is None
    assert (warning.code, warning.message) == ("older-patient", warnings_said()["older-patient"][0])


# --- H03: a diagnosis the record does not say is confirmed is a working diagnosis --------------


@pytest.mark.parametrize(
    "verification",
    [
        None,  # no verificationStatus at all
        {"coding": [{"system": "http://example.org/local-status", "code": "confirmed"}]},
        {"text": "bevestigd"},  # no coding: nothing the gate can read
        {"coding": [{"code": "confirmed"}]},  # a code without its system
    ],
    ids=["absent", "another system", "text only", "no system"],
)
def test_a_diagnosis_the_record_does_not_show_confirmed_is_written_as_a_working_diagnosis(
    verification: dict[str, Any] | None,
) -> None:
    # pathway.md: the letter states only what the record shows; H03's residual risk rests on a
    # status absent from the record being read as a working diagnosis (the safe side).
    bundle = happy_bundle()
    diagnosis = resource(bundle, "Condition")
    if verification is None:
        del diagnosis["verificationStatus"]
    else:
        diagnosis["verificationStatus"] = verification
    # A status outside condition-ver-status breaks R4's required binding: the record as the EHR
    # gave it, carried as given, is no conformant output (tests/unit/test_conformance.py).
    with unrecorded() if verification is not None else nullcontext():
        discharge = build_discharge(context_from_bundle(bundle), SITE)
    assert discharge.facts.record.working_diagnosis is True
    text = plain_text(discharge.letter["text"]["div"])
    assert "Werkdiagnose: niet-specifieke" in text and "nog niet bevestigd" in text
    assert "\nDiagnose:" not in text


def test_a_confirmed_diagnosis_is_written_as_the_diagnosis() -> None:
    discharge = build_discharge(context_from_bundle(happy_bundle()), SITE)
    assert discharge.facts.record.working_diagnosis is False
    text = plain_text(discharge.letter["text"]["div"])
    assert "Diagnose: niet-specifieke" in text and "Werkdiagnose" not in text


def _write() -> None:
    SAID.write_text(
        json.dumps(what_the_service_says(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    print(f"wrote {SAID.relative_to(ROOT)}")


_COMMANDS: dict[str, Callable[[], None]] = {"--write": _write}

if __name__ == "__main__":
    _COMMANDS[sys.argv[1] if len(sys.argv) > 1 else "--write"]()
