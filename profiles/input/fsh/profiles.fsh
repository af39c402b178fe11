// Profiles of the resources fhir_discharge writes for one discharge (one transaction Bundle):
// the GP letter (Composition), the brochure (DocumentReference), the care plan (CarePlan) and its
// two timed follow-ups (Task). Elements are constrained to what the pathway needs
// (../shared/clinical/pathway.md); everything else stays as in base R4.

Profile: LbpGpLetter
Parent: Composition
Id: lbp-gp-letter
Title: "LBP ED discharge letter to the GP"
Description: "The letter to the general practitioner after an emergency department visit for acute non-specific mechanical low back pain: a final, legally attested ED discharge summary with one section per part of the letter (reason, assessment, imaging, advice, medication, follow-up, safety-netting, patient information, care plan)."
* insert ConformanceMetadata
* language 1..1 MS
* status = #final
* status MS
* type = $LOINC#59258-4
* type MS
* subject 1..1 MS
* subject only Reference(Patient)
* insert BeCoreTarget(subject, 0, be-patient)
* encounter 1..1 MS
* encounter only Reference(Encounter)
* date MS
// The ED physician who signs (fhir_discharge/core/context.py: always a Practitioner).
* author 1..* MS
* author only Reference(Practitioner)
* insert BeCoreTarget(author, 0, be-practitioner)
* title MS
* custodian 1..1 MS
* custodian only Reference(Organization)
* insert BeCoreTarget(custodian, 0, be-organization)
* attester 1..* MS
* attester.mode = #legal
* attester.party 1..1 MS
* section 9..* MS
// Sliced by code: each part of the letter has its own LOINC code (fhir_discharge/core/codes.py
// SECTION_CODES). Titles are the letter's language's (core/i18n/), so they are not fixed here.
* section ^slicing.discriminator[0].type = #pattern
* section ^slicing.discriminator[0].path = "code"
* section ^slicing.rules = #open
* section ^slicing.ordered = false
* section ^slicing.description = "One section per part of the letter, identified by its LOINC code (fhir_discharge/core/codes.py SECTION_CODES)."
* section contains
    reason 1..1 MS and
    assessment 1..1 MS and
    imaging 1..1 MS and
    advice 1..1 MS and
    medication 1..1 MS and
    follow-up 1..1 MS and
    safety-net 1..1 MS and
    patient-info 1..1 MS and
    care-plan 1..1 MS
* section[reason] ^short = "Reason for the ED visit"
* section[reason].title 1..1
* section[reason].code 1..1
* section[reason].code = $LOINC#29299-5
* section[reason].text 1..1
* section[assessment] ^short = "Assessment: the diagnosis (Condition) and the physician's documented red-flag screening (QuestionnaireResponse), all clear"
* section[assessment].title 1..1
* section[assessment].code 1..1
* section[assessment].code = $LOINC#51848-0
* section[assessment].text 1..1
* section[assessment].entry 2..* MS
* section[assessment].entry only Reference(Condition or QuestionnaireResponse)
* section[imaging] ^short = "Imaging and other examinations of the encounter as the record shows them (entries); 'no imaging, and why' only when it shows none"
* section[imaging].title 1..1
* section[imaging].code 1..1
* section[imaging].code = $LOINC#30954-2
* section[imaging].text 1..1
* section[imaging].entry only Reference(ImagingStudy or DiagnosticReport or Procedure)
* section[advice] ^short = "Self-management advice given to the patient"
* section[advice].title 1..1
* section[advice].code 1..1
* section[advice].code = $LOINC#69730-0
* section[advice].text 1..1
* section[medication] ^short = "Prescriptions of the encounter as the record shows them (entries); the medication advice is advice, in the advice section"
* section[medication].title 1..1
* section[medication].code 1..1
* section[medication].code = $LOINC#75311-1
* section[medication].text 1..1
* section[medication].entry only Reference(MedicationRequest)
* section[follow-up] ^short = "Expected course and the two timed follow-ups"
* section[follow-up].title 1..1
* section[follow-up].code 1..1
* section[follow-up].code = $LOINC#80746-1
* section[follow-up].text 1..1
* section[follow-up].entry only Reference(Task)
* section[safety-net] ^short = "Safety-netting: when to see the GP or go to the ED"
* section[safety-net].title 1..1
* section[safety-net].code 1..1
* section[safety-net].code = $LOINC#8653-8
* section[safety-net].text 1..1
* section[patient-info] ^short = "Patient information: the brochure"
* section[patient-info].title 1..1
* section[patient-info].code 1..1
* section[patient-info].code = $LOINC#34895-3
* section[patient-info].text 1..1
* section[patient-info].entry 1..* MS
* section[patient-info].entry only Reference(DocumentReference)
* section[care-plan] ^short = "The structured care plan"
* section[care-plan].title 1..1
* section[care-plan].code 1..1
* section[care-plan].code = $LOINC#18776-5
* section[care-plan].text 1..1
* section[care-plan].entry 1..1 MS
* section[care-plan].entry only Reference(CarePlan)

Profile: LbpBrochureReference
Parent: DocumentReference
Id: lbp-brochure-reference
Title: "LBP patient brochure reference"
Description: "The patient brochure handed out at discharge: UZ Leuven brochure 700457 on acute low back pain (Dutch, online), referenced by URL, not copied."
* insert ConformanceMetadata
* language 1..1 MS
* status = #current
* status MS
* type 1..1 MS
* type = $LOINC#34895-3
* subject 1..1 MS
* subject only Reference(Patient)
* content 1..1 MS
* content.attachment.url 1..1 MS
* content.attachment.url = "https://www.uzleuven.be/brochure/700457" (exactly)
* content.attachment.language 1..1 MS
* content.attachment.language = #nl-BE (exactly)
* content.attachment.contentType 1..1 MS
* content.attachment.contentType = #text/html (exactly)
* context 1..1 MS
* context.encounter 1..* MS
* context.encounter only Reference(Encounter)

Profile: LbpFollowUpCarePlan
Parent: CarePlan
Id: lbp-follow-up-care-plan
Title: "LBP follow-up care plan"
Description: "The care plan given at discharge: the eight self-management advice items of the pathway as activity details (in the order of the PlanDefinition lbp-ed-discharge-pathway), then the two safety-net instructions (when to see the GP, when to go to the ED at once) as activity details, and the two timed follow-ups (1 week, 6 weeks) as references to Tasks; supported by the GP letter and the brochure."
* insert ConformanceMetadata
* language 1..1 MS
* status MS
* intent = #plan
* intent MS
* subject MS
* subject only Reference(Patient)
* encounter 1..1 MS
* encounter only Reference(Encounter)
* period 1..1 MS
* period.start 1..1 MS
* period.end 1..1 MS
* author 1..1 MS
* supportingInfo 2..* MS
* activity 12..* MS
* activity ^short = "The 8 advice items and the 2 safety-net instructions (detail, no reference), then the 2 timed follow-ups (reference to a Task, no detail)"
* activity obeys lbp-care-plan-activity-kind
* activity.detail.description MS
* activity.reference MS
* activity.reference only Reference(Task)
// Counted by invariants rather than by slicing on the presence of reference/detail: an `exists`
// discriminator is valid R4 but not supported by every validator (e.g. not by Medplum's, which
// the project's tests use).
* obeys lbp-care-plan-advice and lbp-care-plan-follow-ups

Invariant: lbp-care-plan-activity-kind
Description: "An activity is either a self-management advice item or safety-net instruction (a detail with a description, no reference) or a timed follow-up (a reference to a Task, no detail)."
Expression: "(reference.exists() and detail.empty()) or (reference.empty() and detail.description.exists())"
Severity: #error

Invariant: lbp-care-plan-advice
Description: "The eight self-management advice items of the pathway (advice 1-8) and the two safety-net instructions, each an activity with a detail and no reference."
Expression: "activity.where(reference.empty() and detail.description.exists()).count() = 10"
Severity: #error

Invariant: lbp-care-plan-follow-ups
Description: "The two timed follow-ups (1 week, 6 weeks), each an activity referencing a Task, without a detail."
Expression: "activity.where(reference.exists() and detail.empty()).count() = 2"
Severity: #error

Profile: LbpFollowUpTask
Parent: Task
Id: lbp-follow-up-task
Title: "LBP timed follow-up task"
Description: "One of the two timed follow-ups of the care plan (pathway.md, Expected course and follow-up): a GP visit if the pain persists after 1 week, or, without improvement after 6 weeks, referral via the GP to the physical medicine consultation of UZ Leuven's spine care programme. Owned by the GP (or the patient when no GP is on record); not to start before restriction.period.start."
* insert ConformanceMetadata
* language 1..1 MS
* status MS
* intent = #plan
* intent MS
* basedOn 1..1 MS
* basedOn only Reference(CarePlan)
* description 1..1 MS
* for 1..1 MS
* for only Reference(Patient)
* encounter 1..1 MS
* encounter only Reference(Encounter)
* owner 1..1 MS
* owner only Reference(Practitioner or PractitionerRole or Organization or Patient)
* restriction 1..1 MS
* restriction.period 1..1 MS
* restriction.period.start 1..1 MS

RuleSet: ConformanceMetadata
* ^experimental = false
* ^publisher = "UZ Leuven"
* ^jurisdiction = urn:iso:std:iso:3166#BE "Belgium"
