"""The CDS service this hook is (CDS Hooks 2.0, "Discovery"): its hook, id, prefetch templates
and what it asks of a CDS client. What the EHR reads at `GET /cds-services` before it calls."""

from __future__ import annotations

from typing import Any, Final

from ...core.i18n.physician_texts import card_sentences
from ...core.site import Site

HOOK: Final = "encounter-discharge"
SERVICE_ID: Final = "lbp-discharge"
HOOK_PATH: Final = f"/cds-services/{SERVICE_ID}"
# CDS Hooks 2.0, "Feedback": "{baseUrl}/cds-services/{service.id}/feedback".
FEEDBACK_PATH: Final = f"{HOOK_PATH}/feedback"

# The first three stay inside the spec's recommended prefetch subset (reads and a plain
# reference search), which every CDS client should serve. The last two use `_include`, beyond
# that subset: a client that cannot serve them leaves them out, and the service then reads the
# ED physician, the hospital and the GP from `fhirServer` (412 if there is no fhirServer).
PREFETCH: Final = {
    "patient": "Patient/{{context.patientId}}",
    "encounter": "Encounter/{{context.encounterId}}",
    "conditions": "Condition?patient={{context.patientId}}",
    # The rest of the record the gate screens and the letter cites (gathering.RECORD_SEARCHES).
    "screenings": "QuestionnaireResponse?encounter={{context.encounterId}}",
    "observations": "Observation?encounter={{context.encounterId}}",
    # The patient's Observations (the gate keeps those of the visit's period, linked or not).
    "observationsOfVisit": "Observation?patient={{context.patientId}}",
    "imagingStudies": "ImagingStudy?encounter={{context.encounterId}}",
    "diagnosticReports": "DiagnosticReport?encounter={{context.encounterId}}",
    "procedures": "Procedure?encounter={{context.encounterId}}",
    # The patient's medication, of this visit and at home (screened for its ATC classes).
    "medicationRequests": "MedicationRequest?patient={{context.patientId}}",
    "medicationStatements": "MedicationStatement?patient={{context.patientId}}",
    "encounterParticipants": (
        "Encounter?_id={{context.encounterId}}"
        "&_include=Encounter:participant&_include=Encounter:service-provider"
    ),
    "generalPractitioner": (
        "Patient?_id={{context.patientId}}&_include=Patient:general-practitioner"
    ),
    # The encounter's letters: one this service wrote (found by the identifiers its discharge
    # derives) makes the card say the encounter was discharged already. Not prefetched and no
    # fhirServer: the service cannot tell, and answers as for an encounter without a letter.
    "letters": "Composition?encounter={{context.encounterId}}",
}

# The site's (core/site.py): {hospital}, {brochure}, {gp_after}, {spine_after}, {language}.
DESCRIPTION: Final = (
    "At discharge from the emergency department, checks the encounter against the {hospital} "
    "pathway for acute non-specific mechanical low back pain (adult, ED encounter, low back "
    "pain diagnosis, no red flag, no radicular pain). On the pathway: one info card whose "
    "suggestion writes what the $lbp-discharge operation writes: the discharge letter to the GP "
    "(Composition), the patient brochure {brochure} (DocumentReference), the care plan "
    "(CarePlan), the follow-up tasks after {gp_after} and {spine_after} (Task), the letter to "
    "the GP (Communication, with its KMEHR message and the Task that sends it to the GP's "
    "eHealthBox), the attested document (Bundle), its Provenance and this service (Device). An "
    "encounter this service discharged already: one info card saying when and by whom, with a "
    "link to the letter (the physician's app) and no suggestion. Otherwise one card naming the "
    "reasons: critical for a "
    "red flag, info for another reason off the pathway, warning for an incomplete record. No "
    "card for an encounter whose reason and diagnoses show nothing of low back pain. Cards are "
    "in {language}; the letter in the GP's language (Practitioner.communication). "
    "Data: prefetch `patient`, `encounter`, `conditions` (all the patient's Conditions, to "
    "screen for red flags), and the encounter's `screenings` (the physician's red-flag screening, "
    "a QuestionnaireResponse to lbp-red-flag-screening), `observations`, `imagingStudies`, "
    "`diagnosticReports` and `procedures`; the patient's `observationsOfVisit` (those timed "
    "in the visit count, linked or not), `medicationRequests` and `medicationStatements` (home "
    "medication is screened too); `encounterParticipants` (the "
    "Encounter with its Practitioners and serviceProvider Organization) and "
    "`generalPractitioner` (the Patient with Patient.generalPractitioner) use _include and may "
    "be left out: what the prefetch lacks is read from fhirServer with fhirAuthorization's "
    "token. `letters` (the encounter's Compositions) tells an encounter discharged already. "
    "Cards carry uuids and overrideReasons; feedback is taken at "
    "{feedback_path} (accepted or overridden, with the override reason)."
)

USAGE_REQUIREMENTS: Final = (
    "Needs either every prefetch key, or fhirServer (with fhirAuthorization granting read "
    "access to Patient, Encounter, Condition, QuestionnaireResponse, Observation, ImagingStudy, "
    "DiagnosticReport, Procedure, MedicationRequest, MedicationStatement, Medication, "
    "Practitioner, PractitionerRole, Organization "
    "and Composition); "
    "otherwise it answers 412. Suggested resources reference each other as Type/id with the id "
    "of each created resource, to be applied as one transaction against fhirServer."
)


def discovery(site: Site) -> dict[str, Any]:
    english = {
        **site.sentence_values("en"),
        "language": site.default_language,
        "feedback_path": FEEDBACK_PATH,
    }
    return {
        "services": [
            {
                "hook": HOOK,
                "id": SERVICE_ID,
                "title": card_sentences(site)["service-title"],
                "description": DESCRIPTION.format_map(english),
                "prefetch": dict(PREFETCH),
                "usageRequirements": USAGE_REQUIREMENTS,
            }
        ]
    }
