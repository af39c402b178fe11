"""The warnings of a built discharge in Dutch (nl-BE), for the physician's app.

`Discharge.warnings` are English sentences, for integrators (the operation's answer); unlike a
Finding they carry no code. This module says what each one is: a warning counts as one of the
kinds below only when the discharge's own facts back it (the gate found the patient 70 or older,
the context has no GP, the warning is one of the context's notes, the record was carried, the
letter cannot reach the GP electronically for that reason: ehealthbox.gp_route) and
its English is exactly the sentence the core writes for that kind. Then it is said with the
kind's sentence of phrases.WARNING_PHRASES, written and reviewed in advance, never translated at
run time. The values a sentence needs come from the facts where the core keeps them (the age);
an ignored entry's type and count, and the reference of a record whose national number failed
its check, are kept nowhere else than in the warning, and are read from it by a pattern that
admits only a number, a FHIR resource type, a national number's name and `Type/id` references.

Anything else (a warning of a kind this module does not know, a changed English sentence, a
warning the facts do not back) has no Dutch: `message_nl` is None, and the caller shows the
English. So the app never shows a Dutch sentence for a warning other than the one it replaces.
tests/unit/test_warnings_nl.py makes every kind from a record, through the core.
The text is plain: whoever shows it inserts it as text, never as markup.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from .ehealthbox import UNREACHABLE, gp_route, unreachable_warning
from .facts import DischargeFacts
from .gate import NSAID_CAUTION_ENGLISH, OLDER_PATIENT_AGE
from .phrases import WARNING_PHRASES
from .transaction import Discharge

LANGUAGE = "nl-BE"


@dataclass(frozen=True)
class DischargeWarning:
    """A warning of a discharge: the English of the API, and what the app says for it."""

    message: str  # English, exactly as Discharge.warnings (and the API) has it
    code: str | None = None  # the kind (a key of WARNING_PHRASES); None: not recognised
    message_nl: str | None = None  # None: show `message`


@dataclass(frozen=True)
class _Kind:
    code: str
    english: re.Pattern[str]  # the whole warning, as the core writes it
    backed: Callable[[str, DischargeFacts], bool]  # the facts show what the warning says
    values: Callable[[re.Match[str]], Mapping[str, str]]


_TYPE = r"[A-Z][A-Za-z]{0,63}"
_REFERENCE = _TYPE + r"/[A-Za-z0-9\-.]{1,64}"

# The NSAID-caution reasons as the English warning names them, and as the Dutch one does.
_REASON_CODES = {english: code for code, english in NSAID_CAUTION_ENGLISH.items()}
_REASONS = "(?:" + "|".join(re.escape(r) for r in _REASON_CODES) + ")"
_REASONS_NL = {
    "anticoagulant": "een anticoagulans of plaatjesremmer",
    "renal-impairment": "nierinsufficiëntie",
    "heart-failure": "hartfalen",
    "gastro-intestinal": "een maagzweer of gastro-intestinale bloeding",
}


def _reasons_in(warning: str) -> list[str]:
    inside = warning.split("(", 1)[1].split(" in the record;", 1)[0]
    return inside.split(", ")


def _reference_in(warning: str) -> str:
    return warning.removeprefix("the report ").split(" ", 1)[0]


# The national numbers as a Dutch-reading physician knows them.
_DUTCH_LABELS = {"NIHDI": "RIZIV", "SSIN": "INSZ"}

_KINDS: tuple[_Kind, ...] = (
    # context.py, context_from_bundle: one note per type ignored
    _Kind(
        "entries-ignored",
        re.compile(
            rf"Bundle entries ignored: (?P<count>[1-9][0-9]{{0,8}}) (?P<resource_type>{_TYPE}) "
            r"\(not part of a discharge context\)"
        ),
        lambda warning, facts: warning in facts.context.notes,
        lambda found: {"count": found["count"], "resource_type": found["resource_type"]},
    ),
    # core/gate/__init__.py, check_eligibility
    _Kind(
        "older-patient",
        re.compile(
            re.escape(
                f"the patient is {OLDER_PATIENT_AGE} or older: fracture and malignancy are more "
                "likely, and NSAIDs carry more risk (NICE NG59 1.2.13); the letter advises "
                "caution with NSAIDs"
            )
        ),
        lambda _, facts: facts.record.older_patient,
        lambda _: {"age": str(OLDER_PATIENT_AGE)},
    ),
    _Kind(
        "nsaid-caution",
        re.compile(
            r"NSAIDs carry more risk for this patient \((?P<reasons>"
            + _REASONS
            + r"(?:, "
            + _REASONS
            + r")*) in the record; NICE NG59 1\.2\.13\): the letter advises caution with "
            r"NSAIDs"
        ),
        lambda warning, facts: all(
            _REASON_CODES[r] in facts.record.nsaid_caution for r in _reasons_in(warning)
        ),
        lambda found: {
            "reasons": ", ".join(
                _REASONS_NL[_REASON_CODES[r]] for r in found["reasons"].split(", ")
            )
        },
    ),
    # core/gate/medication.py: home medication without an ATC code, read by its name only
    _Kind(
        "medication-by-name",
        re.compile(
            r"home medication without an ATC code was screened by its name only: "
            rf"(?P<references>{_REFERENCE}(?:, {_REFERENCE})*); add the ATC code to screen it "
            r"by class"
        ),
        lambda warning, facts: all(
            any(
                f"{r.get('resourceType')}/{r.get('id')}" == reference
                for r in (*facts.context.medication_statements, *facts.context.medication_requests)
            )
            for reference in warning.split(": ", 1)[1].split(";", 1)[0].split(", ")
        ),
        lambda found: {"references": found["references"]},
    ),
    # core/gate/examinations.py: a report's free-text conclusion, quoted in the letter
    _Kind(
        "report-free-text",
        re.compile(
            rf"the report (?P<reference>{_REFERENCE}) has a free-text conclusion the service "
            r"cannot read: the letter quotes it as written; read it before confirming the letter"
        ),
        lambda warning, facts: any(
            item.quoted
            and f"{item.resource.get('resourceType')}/{item.resource.get('id')}"
            == _reference_in(warning)
            for item in facts.record.tests
        ),
        lambda found: {"reference": found["reference"]},
    ),
    _Kind(
        "no-general-practitioner",
        re.compile(
            re.escape(
                "the patient has no general practitioner on record (Patient.generalPractitioner): "
                "the letter is addressed to the treating GP and the follow-up tasks to the patient"
            )
        ),
        lambda _, facts: facts.context.general_practitioner is None,
        lambda _: {},
    ),
    _Kind(
        "general-practitioner-not-in-use",
        re.compile(
            r"the patient's general practitioner on record is not in use "
            rf"\((?P<references>{_REFERENCE}(?:, {_REFERENCE})*) active false\): the letter is "
            r"addressed to the treating GP and the follow-up tasks to the patient"
        ),
        lambda _, facts: (
            facts.context.general_practitioner is None
            and bool(facts.context.general_practitioners_not_in_use)
        ),
        lambda found: {"references": found["references"]},
    ),
    # carry.py: a national number that fails its check (identifiers.py)
    _Kind(
        "national-number-not-matched",
        re.compile(
            rf"the (?P<label>SSIN|NIHDI) number of (?P<reference>{_REFERENCE}) "
            r"(?:is not 11 digits|is not 8 or 11 digits|has no birth month or day a national "
            r"register or BIS number can have|fails its check digits \(mod 97\)|fails its "
            r"NIHDI check digits): it is not matched on the FHIR server nor written with the "
            r"letter; "
            r"correct it in the EHR"
        ),
        lambda _, facts: facts.context.carry_record,
        lambda found: {"label": _DUTCH_LABELS[found["label"]], "reference": found["reference"]},
    ),
)


def _not_electronic(reason: str) -> _Kind:
    """ehealthbox.py: the letter cannot reach the GP electronically, for `reason`; backed when
    the discharge's own facts give that reason (a message too large for the eHealthBox: when
    they give none, for only then was a message built)."""

    def backed(_: str, facts: DischargeFacts) -> bool:
        reasons = gp_route(facts).reasons
        return not reasons if reason == "message-too-large" else reason in reasons

    return _Kind(
        f"not-electronic-{reason}",
        re.compile(re.escape(unreachable_warning(reason))),
        backed,
        lambda _: {},
    )


_KINDS += tuple(_not_electronic(reason) for reason in UNREACHABLE)

KINDS: tuple[str, ...] = tuple(kind.code for kind in _KINDS)


def discharge_warnings(
    discharge: Discharge, language: str = LANGUAGE
) -> tuple[DischargeWarning, ...]:
    """Each warning of `discharge`, in its order, with its sentence in `language` when this
    module can tell what it is and the catalogue has a sentence for it."""
    return tuple(warning_text(w, discharge.facts, language) for w in discharge.warnings)


def warning_text(warning: str, facts: DischargeFacts, language: str = LANGUAGE) -> DischargeWarning:
    """One warning of the discharge whose facts are `facts`, said in `language` if it can be."""
    for kind in _KINDS:
        found = kind.english.fullmatch(warning)
        if found is None:
            continue
        if not kind.backed(warning, facts):
            return DischargeWarning(warning)  # the facts do not say so: the English only
        sentence = WARNING_PHRASES.get(language, {}).get(kind.code)
        if sentence is None:
            return DischargeWarning(warning, kind.code)
        try:
            text = sentence.format_map(kind.values(found))
        except (KeyError, IndexError, ValueError):
            return DischargeWarning(warning, kind.code)
        return DischargeWarning(warning, kind.code, text[:1].upper() + text[1:] + ".")
    return DischargeWarning(warning)
