"""One exception hierarchy, and the one function that turns an error into a FHIR OperationOutcome.

Every error says what went wrong in words a hospital integrator can act on, names the offending
data by FHIRPath expression or resource reference, and never carries patient data or secrets.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# A value a finding's message is built from: a code, a display, a status, a number, or a list
# of linkIds.
FindingValue = str | float | tuple[str, ...]


# The gate's findings as codes, for the systems that read the OperationOutcome: each issue of a
# refusal carries its finding's code in `details` (system, code, display), besides the English
# `diagnostics`. Published as a CodeSystem with the profiles (profiles/input/fsh/findings.fsh,
# generated from this table by scripts/generate_fsh.py), under the site's canonical base
# (CodeSystem/lbp-gate-finding).
FINDING_CODE_SYSTEM = "lbp-gate-finding"
FINDING_DISPLAYS: dict[str, str] = {
    # the record itself
    "patient-missing": "The encounter's patient is missing from the record",
    "physician-missing": "No physician on the encounter to sign the letter",
    "hospital-missing": "The hospital is missing from the record",
    "modifier-extension": "A resource carries a modifier extension the service does not understand",
    "implicit-rules": "A resource is written under implicit rules the service does not understand",
    # the encounter
    "encounter-not-finished": "The encounter is not finished",
    "encounter-not-emergency": "Not an emergency department encounter",
    "encounter-no-start": "The encounter has no start time",
    "encounter-no-end": "The encounter has no end time",
    "encounter-period-reversed": "The encounter ends before it starts",
    "disposition-missing": "The discharge disposition is not documented",
    "disposition-not-home": "The patient was not sent home",
    # the patient
    "patient-inactive": "The patient record is not in use",
    "patient-replaced": "The patient record was replaced by another",
    "patient-deceased": "The patient is recorded as deceased",
    "birth-date-missing": "The patient's birth date is not on record",
    "patient-not-adult": "The patient is not certainly an adult",
    "patient-ssin-ambiguous": "The patient has more than one national number (SSIN)",
    # the diagnosis
    "diagnosis-not-in-record": "A diagnosis of the encounter is not in the record",
    "other-diagnosis": "Another diagnosis on this encounter",
    "other-diagnosis-unnamed": "Another diagnosis on this encounter, without a name",
    "diagnosis-not-holding": "The low back pain diagnosis does not hold",
    "diagnosis-missing": "No low back pain diagnosis on this encounter",
    "condition-uncoded": "A condition of the patient has no code",
    "low-back-pain-not-acute": "The low back pain began more than 6 weeks before the visit",
    "low-back-pain-chronic": "The low back pain is recorded as chronic",
    "onset-unreadable": "The onset of the low back pain cannot be read as a date",
    # red flags in the coded record
    "red-flag-reason": "A red flag is the reason for the encounter",
    "red-flag-encounter": "A red flag is recorded on this encounter",
    "red-flag-patient": "A red flag is active on the patient",
    "red-flag-history": "A red flag in the history that counts whatever its status (cancer)",
    "red-flag-evidence": "A red flag is recorded as evidence of a condition",
    "red-flag-observation": "An observation of this encounter records a red flag",
    "fever": "Fever on this encounter",
    "temperature-unreadable": "A body temperature has no readable value",
    "red-flag-report": "A report of this visit records a red flag",
    "red-flag-procedure": "A procedure of this visit records a red flag",
    "red-flag-medication": "The patient's medication is a red flag (its code or ATC class)",
    "red-flag-earlier": "A red flag in an earlier record that counts whatever its time (cancer)",
    "code-unreadable": "A diagnosis, problem or finding is coded in no system the service reads",
    "pregnancy": "The patient is pregnant",
    # the physician's red-flag screening
    "red-flag-screening": "A red flag is present according to the physician's screening",
    "screening-not-completed": "The red-flag screening is not completed",
    "screening-of-another-encounter": "The red-flag screening is of another encounter or patient",
    "screening-missing": "The red-flag screening of this encounter is not documented",
    "screening-unknown-items": "The red-flag screening has items the pathway does not know",
    "screening-incomplete": "The red-flag screening is incomplete",
    "screening-no-time": "The red-flag screening has no time",
    "screening-before-visit": "The red-flag screening is dated before the visit started",
    "screening-author-not-practitioner": "The red-flag screening is not authored by a practitioner",
    "screening-author-missing": "The practitioner who screened is not in the record",
    "screener-not-participant": "The practitioner who screened takes no part in the encounter",
    "screener-not-physician": "The practitioner who screened is shown as a non-physician",
    "practitioner-unnamed": "A practitioner the letter names has no name",
    # what the letter names
    "examination-unnamed": "An examination of this encounter cannot be named",
    "prescription-unnamed": "A prescription of this encounter does not name its medication",
    # what the FHIR server already holds under the record's identifiers (core/record/matching.py)
    "patient-identity-conflict": "The FHIR server holds another person under this identifier",
    "encounter-of-another-patient": "The FHIR server holds this encounter for another patient",
    "letter-of-another-patient": "The FHIR server holds this letter for another patient",
    "identifier-matches-several": "The FHIR server holds several resources under one identifier",
    # what the configured terminology server says of the record's SNOMED CT codes
    # (io/terminology.py)
    "code-unknown-to-terminology-server": (
        "A SNOMED CT code of the record is not known to the terminology server"
    ),
    "document-not-attested": "The FHIR server holds another document under the letter's document "
    "identifier",
    # a correction of the letter: its next version (io/discharging.py current_discharge)
    "letter-versions-exhausted": "The encounter's letter has the most versions the service writes",
    "letter-version-of-another-patient": (
        "The FHIR server holds an earlier version of this letter for another patient"
    ),
    # the physician's app: a screening for an encounter this service discharged already
    # (web/physician_app/routes.py, issue 22, point 2)
    "encounter-already-discharged": "The encounter was already discharged by this service",
}


# The warnings of a discharge as codes, like the findings: each warning issue of the operation's
# answer carries its code in `details` (CodeSystem/lbp-discharge-warning under the site's
# canonical base, profiles/input/fsh/warnings.fsh, generated from this table), besides its
# English `diagnostics`. A user interface says a warning by its code and values
# (core/i18n/said.py), never by reading the English back.
WARNING_CODE_SYSTEM = "lbp-discharge-warning"
WARNING_DISPLAYS: dict[str, str] = {
    "entries-ignored": "Entries of the context Bundle were ignored: no part of a discharge context",
    "older-patient": "The patient is 70 or older: the letter advises caution with NSAIDs",
    # core/gate/: the screening documented after the patient left (H185)
    "screening-after-visit": (
        "The screening was documented hours after the visit ended: the letter says at discharge"
    ),
    "nsaid-caution": "NSAIDs carry more risk for this patient: the letter advises caution",
    "medication-by-name": "Home medication without an ATC code was screened by its name only",
    "report-free-text": "A report's conclusion is free text, quoted as written: read it first",
    "general-practitioner-not-in-use": "The patient's GP on record is not in use",
    "no-general-practitioner": "The patient has no GP on record",
    "national-number-not-matched": "A national number fails its check: not matched, not written",
    # core/letter/facts.py: part of the letter is not in the GP's language (never translated)
    "letter-language-not-available": (
        "The GP reads no language this service has a letter in: the letter is in the site's default"
    ),
    "brochure-not-in-letter-language": (
        "The brochure is not published in the letter's language: the letter links another's"
    ),
    # io/discharging.py: whether the letter was written before could not be asked (a correction)
    "letter-versions-not-looked-up": (
        "The FHIR server could not be asked for earlier letters: a corrected letter is not written"
    ),
    # core/gp_message/ehealthbox.py: why the letter cannot reach the GP's eHealthBox
    "not-electronic-no-general-practitioner": "Not electronically: no GP on record",
    "not-electronic-general-practitioner-no-nihdi": (
        "Not electronically: the GP has no NIHDI number"
    ),
    "not-electronic-general-practitioner-nihdi-invalid": (
        "Not electronically: the GP's NIHDI number is not a valid physician's number"
    ),
    "not-electronic-patient-no-ssin": "Not electronically: the patient has no SSIN",
    "not-electronic-patient-ssin-invalid": "Not electronically: the patient's SSIN fails its check",
    "not-electronic-patient-no-name": "Not electronically: the patient has no name",
    "not-electronic-physician-no-nihdi": (
        "Not electronically: the signing physician has no NIHDI number"
    ),
    "not-electronic-physician-nihdi-invalid": (
        "Not electronically: the signing physician's NIHDI number is not valid"
    ),
    "not-electronic-hospital-no-nihdi": "Not electronically: the hospital has no NIHDI number",
    "not-electronic-hospital-nihdi-invalid": (
        "Not electronically: the hospital's NIHDI number is not a valid hospital's number"
    ),
    "not-electronic-message-too-large": (
        "Not electronically: the message would exceed the eHealthBox's 10 MB"
    ),
}


@dataclass(frozen=True)
class DischargeWarning:
    """Something the caller is warned of, the discharge going ahead: the English `message` of the
    API, a stable `code` (WARNING_DISPLAYS) and the `params` the message is built from, so a user
    interface says the same in its own language (core/i18n/said.py)."""

    message: str
    code: str
    params: Mapping[str, FindingValue] = field(default_factory=dict, hash=False)

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Finding:
    """One reason a discharge was refused, and the data it was found in.

    `message` is English, for integrators (the OperationOutcome's diagnostics). The pathway
    gate also gives each finding a stable `code` and the `params` its message is built from, so
    a user interface can say the same in its own language (core/i18n/said.py).
    """

    message: str
    expression: str | None = None  # FHIRPath or a reference such as "Condition/c1"
    code: str | None = None  # e.g. "red-flag-screening"; None: no translation, say `message`
    params: Mapping[str, FindingValue] = field(default_factory=dict, hash=False)


class DischargeError(Exception):
    """Base of every error this module raises on purpose."""

    http_status = 500
    issue_code = "exception"

    def __init__(self, message: str, findings: list[Finding] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.findings = findings or [Finding(message)]


class Unauthenticated(DischargeError):
    """No valid credentials: no bearer token, or one that is unknown, expired or badly signed."""

    http_status = 401
    issue_code = "login"


class Forbidden(DischargeError):
    """Valid credentials that do not allow this (e.g. a token without the required scope)."""

    http_status = 403
    issue_code = "forbidden"


class InvalidInput(DischargeError):
    """The request is malformed: not JSON, not FHIR, the wrong resource type, a broken reference."""

    http_status = 400
    issue_code = "invalid"


class UnknownResource(DischargeError):
    """A resource asked for does not exist (on the FHIR server, or in this service)."""

    http_status = 404
    issue_code = "not-found"


class UnknownEncounter(UnknownResource):
    """The Encounter to discharge does not exist on the FHIR server."""


class IncompleteRecord(DischargeError):
    """The record lacks something the letter needs (the Patient, the physician, the end time)."""

    http_status = 422
    issue_code = "required"


class PrefetchUnavailable(DischargeError):
    """Data the discharge needs is neither in what the caller sent (a CDS Hooks prefetch) nor
    readable from a FHIR server (CDS Hooks 2.0: the service SHALL answer 412)."""

    http_status = 412
    issue_code = "incomplete"


class NotOnPathway(DischargeError):
    """The encounter is outside the pathway: a red flag, radicular pain, not ED, no low back pain.

    Each finding names the offending data, so the physician sees why no letter was written.
    """

    http_status = 422
    issue_code = "business-rule"


class IdentityConflict(DischargeError):
    """The FHIR server holds, under the record's identifiers, someone else's record: another
    person under the patient's national number, the encounter or the letter for another patient.
    409: the record is not wrong on its own, it conflicts with what the server holds, and a person
    must decide which side to correct; nothing is written until then."""

    http_status = 409
    issue_code = "conflict"


class AlreadyDischarged(DischargeError):
    """The encounter was already discharged by this service (its letter is on the FHIR server):
    the physician's app stores no second screening for it (issue 22, point 2). 409: the request
    is not wrong on its own, it conflicts with what the server holds."""

    http_status = 409
    issue_code = "conflict"


class AlteredDocument(DischargeError):
    """The letter's document stored on the FHIR server is not the one this service attested (a
    changed version, another content, or gone): not served, so a GP never reads as the letter
    what the physician did not sign. 409: the letter exists; what the server holds of it
    conflicts with what was written."""

    http_status = 409
    issue_code = "conflict"


class TooManyLetterVersions(DischargeError):
    """The encounter's letter has as many versions on the FHIR server as this service writes
    (io/discharging.py MAX_LETTER_VERSIONS), and the record changed again: no further version is
    written. 409: neither the request nor the record is wrong on its own; what the server holds
    refuses it, and a person must bring the correction to the GP another way."""

    http_status = 409
    issue_code = "business-rule"


class FhirServerError(DischargeError):
    """The FHIR server failed or refused our request; carries its OperationOutcome if any."""

    http_status = 502
    issue_code = "exception"

    def __init__(
        self,
        message: str,
        server_status: int | None = None,
        server_outcome: dict[str, Any] | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, _server_findings(message, server_outcome))
        self.server_status = server_status
        self.server_outcome = server_outcome
        self.retry_after = retry_after  # seconds, as the server's Retry-After asked


class FhirServerTimeout(FhirServerError):
    """The FHIR server did not answer in time."""

    http_status = 504
    issue_code = "timeout"


class TerminologyServerUnavailable(DischargeError):
    """The configured terminology server could not say, in time, whether the record's SNOMED CT
    codes are descendants of a red flag (io/terminology.py): down, too slow, an error, or an
    answer it could not have meant (its red-flag ValueSets not loaded). The discharge is refused
    and nothing is written: letting it through would assume the record holds no such red flag."""

    http_status = 503
    issue_code = "transient"


def _server_findings(message: str, outcome: dict[str, Any] | None) -> list[Finding]:
    findings = [Finding(message)]
    for issue in (outcome or {}).get("issue", []) or []:
        if not isinstance(issue, dict):
            continue
        text = issue.get("diagnostics") or (issue.get("details") or {}).get("text")
        if text:
            findings.append(Finding(f"FHIR server: {text}"))
    return findings


def operation_outcome(
    error: DischargeError, canonical_base: str, said: Callable[[Finding], str | None] | None = None
) -> dict[str, Any]:
    """The OperationOutcome a client sees for `error`: one issue per finding, a coded finding's
    code in `details` (the CodeSystem under `canonical_base`, the site's). With `said`, an issue
    also carries its finding as a user reads it in `details.text` (the physician's app)."""
    issues: list[dict[str, Any]] = []
    for finding in error.findings:
        issue: dict[str, Any] = {
            "severity": "error",
            "code": error.issue_code,
            "diagnostics": finding.message,
        }
        if finding.code in FINDING_DISPLAYS:
            coding = {
                "system": f"{canonical_base}/CodeSystem/{FINDING_CODE_SYSTEM}",
                "code": finding.code,
                "display": FINDING_DISPLAYS[finding.code],
            }
            issue["details"] = {"coding": [coding]}
            text = said(finding) if said is not None else None
            if text:
                issue["details"]["text"] = text
        if finding.expression:
            issue["expression"] = [finding.expression]
        issues.append(issue)
    return {"resourceType": "OperationOutcome", "issue": issues}


def warnings_outcome(
    warnings: Sequence[DischargeWarning | str], canonical_base: str
) -> dict[str, Any]:
    """An OperationOutcome of warnings (or one 'information' issue when there are none), each
    coded warning's code in `details` (the CodeSystem under `canonical_base`, the site's)."""
    if not warnings:
        return {
            "resourceType": "OperationOutcome",
            "issue": [{"severity": "information", "code": "informational", "diagnostics": "OK"}],
        }
    issues = []
    for warning in warnings:
        issue: dict[str, Any] = {
            "severity": "warning",
            "code": "informational",
            "diagnostics": str(warning),
        }
        if isinstance(warning, DischargeWarning) and warning.code in WARNING_DISPLAYS:
            coding = {
                "system": f"{canonical_base}/CodeSystem/{WARNING_CODE_SYSTEM}",
                "code": warning.code,
                "display": WARNING_DISPLAYS[warning.code],
            }
            issue["details"] = {"coding": [coding]}
        issues.append(issue)
    return {"resourceType": "OperationOutcome", "issue": issues}
