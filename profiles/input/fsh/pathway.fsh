// The clinical pathway of ../shared/clinical/pathway.md as data: what the module puts in the care
// plan. Dutch descriptions are the wording of fhir_discharge/core/i18n/nl-BE.toml (the advice exactly
// as the CarePlan activities; the follow-ups without their date, which is filled per patient);
// tests/unit/test_profiles_compiled.py keeps them equal.

Instance: lbp-ed-discharge-pathway
InstanceOf: PlanDefinition
Usage: #definition
Title: "LBP ED discharge pathway"
Description: "UZ Leuven ED discharge pathway for acute non-specific mechanical low back pain (brochure 700457)."
* url = "https://fhir.uzleuven.be/discharge/PlanDefinition/lbp-ed-discharge-pathway"
* version = "0.1.0"
* name = "LbpEdDischargePathway"
* title = "Acute non-specific mechanical low back pain: ED discharge / Acute niet-specifieke mechanische lage rugpijn: ontslag spoedgevallen"
* type = $PlanDefinitionType#clinical-protocol "Clinical Protocol"
* status = #active
* experimental = false
* publisher = "UZ Leuven"
* jurisdiction = urn:iso:std:iso:3166#BE "Belgium"
* description = "Discharge of an adult seen at the emergency department for sudden or recently started, severe low back pain, diagnosed as acute non-specific mechanical low back pain, with red flags screened for and judged unlikely and no radicular pain (diagnosis codes: ValueSet lbp-low-back-pain-diagnosis; exclusions: ValueSet lbp-exclusion). The discharge requires a completed red-flag screening of the encounter by a practitioner (Questionnaire lbp-red-flag-screening, answered as a QuestionnaireResponse of profile lbp-red-flag-screening-response) with every red-flag item false; the coded record is screened too and wins over the questionnaire. No imaging. The patient gets the eight self-management advice items of UZ Leuven brochure 700457 and two timed follow-ups, relative to the discharge: a GP visit after 1 week if the pain persists, and, without improvement after 6 weeks, referral via the GP to the physical medicine consultation of the UZ Leuven spine care programme (016 34 25 60). The GP is informed by letter. Key message / Kernboodschap: Actief blijven geeft de beste kans op een snel herstel."
* purpose = "Self-management advice and timed follow-up after an ED visit for acute non-specific mechanical low back pain, as in the UZ Leuven patient brochure 700457 (departments of physical medicine, neurosurgery and orthopaedics)."
* relatedArtifact[+].type = #documentation
* relatedArtifact[=].label = "700457"
* relatedArtifact[=].display = "UZ Leuven patient brochure 700457: acute low back pain at the emergency department (Dutch)"
* relatedArtifact[=].url = "https://www.uzleuven.be/brochure/700457"
* relatedArtifact[+].type = #documentation
* relatedArtifact[=].display = "UZ Leuven spine care programme (zorgprogramma wervelkolomaandoeningen)"
* relatedArtifact[=].url = "https://www.uzleuven.be/zorgprogramma-wervelkolomaandoeningen"
* relatedArtifact[+].type = #depends-on
* relatedArtifact[=].label = "lbp-red-flag-screening"
* relatedArtifact[=].display = "Screening alarmsignalen acute lage rugpijn (spoedgevallen): the ED physician's red-flag screening, required before discharge"
* relatedArtifact[=].resource = "https://fhir.uzleuven.be/discharge/Questionnaire/lbp-red-flag-screening|0.1.0"
// The screening comes first (the CPG "collect information" pattern: an action whose definition is
// the Questionnaire): its completed QuestionnaireResponse of the encounter, by a practitioner,
// with every red-flag item false, is the precondition of everything after it. It is not an
// activity of the care plan (fhir_discharge/core/pathway/definition.py reads it as
// Pathway.screening).
* action[+].id = "red-flag-screening"
* action[=].title = "Red-flag screening by the ED physician / Screening alarmsignalen door de spoedarts"
* action[=].description = "De spoedarts screent op alarmsignalen en documenteert dat met de vragenlijst lbp-red-flag-screening. Ontslag volgens dit pad enkel na een voltooide screening van dit spoedbezoek door een arts waarin elk alarmsignaal afwezig is (nee)."
* action[=].requiredBehavior = #must
* action[=].participant.type = #practitioner
* action[=].input.type = #QuestionnaireResponse
* action[=].input.profile = "https://fhir.uzleuven.be/discharge/StructureDefinition/lbp-red-flag-screening-response"
* action[=].definitionCanonical = "https://fhir.uzleuven.be/discharge/Questionnaire/lbp-red-flag-screening|0.1.0"
// The eight advice items; their order here is the letter's (core/pathway/definition.py Pathway.advice).
* action[+].id = "resume-activities"
* action[=].title = "Resume normal activities / Gewone activiteiten hervatten"
* action[=].description = "De gewone dagelijkse activiteiten zo snel mogelijk hervatten, rekening houdend met de (pijn)signalen van het lichaam, en activiteiten doseren waar nodig."
* action[=].participant.type = #patient
* action[+].id = "nothing-forbidden"
* action[=].title = "No posture or activity is forbidden / Geen houding of activiteit verboden"
* action[=].description = "Geen enkele houding of activiteit is verboden; activiteiten vermijden die nadien meerdere uren meer pijn geven."
* action[=].participant.type = #patient
* action[+].id = "move-and-vary-posture"
* action[=].title = "Walk around and vary posture / Rondwandelen en van houding wisselen"
* action[=].description = "Regelmatig rondwandelen en van houding wisselen verlichten meestal de pijn; warmte kan comfort geven. Langdurig zitten en voorovergebogen staan kunnen de pijn verergeren."
* action[=].participant.type = #patient
* action[+].id = "severe-pain-position"
* action[=].title = "Position with severe pain; no prolonged bed rest / Houding bij hevige pijn; geen langdurige bedrust"
* action[=].description = "Bij hevige pijn kort op de rug liggen met heupen en knieën gebogen in een hoek van 90 graden. Langdurige bedrust is schadelijk voor de rug."
* action[=].participant.type = #patient
* action[+].id = "medication"
* action[=].title = "Medication if wanted / Medicatie indien gewenst"
* action[=].description = "Een ontstekingsremmer (NSAID) kan helpen in de beginfase. Paracetamol voor bijkomende pijnstilling, maximaal 1 g vier keer per dag. Steeds in overleg met een arts. Pijnstillers dienen om de dagelijkse activiteiten te vergemakkelijken, niet om over de eigen grenzen te gaan."
* action[=].participant.type = #patient
* action[+].id = "no-back-brace"
* action[=].title = "Avoid a back brace / Geen rugkorset"
* action[=].description = "Het dragen van een rugkorset vermijden."
* action[=].participant.type = #patient
* action[+].id = "return-to-work"
* action[=].title = "Return to work as soon as possible / Werk zo snel mogelijk hervatten"
* action[=].description = "Het werk zo snel mogelijk hervatten."
* action[=].participant.type = #patient
* action[+].id = "emotions"
* action[=].title = "Emotions can hinder recovery / Emoties kunnen het herstel belemmeren"
* action[=].description = "Emoties zoals een neerslachtige stemming en/of overmatige angst om te bewegen kunnen het herstel belemmeren: de huisarts raadplegen wanneer die zich voordoen."
* action[=].participant.type = #patient
// The two timed follow-ups; timingDuration is counted from the ED discharge (= CarePlan.period.start).
* action[+].id = "follow-up-gp-1-week"
* action[=].title = "GP visit after 1 week if the pain persists / Huisartsconsultatie na 1 week"
* action[=].description = "Indien de lage rugpijn na 1 week aanhoudt: huisarts raadplegen."
* action[=].timingDuration = 7 'd' "days"
* action[=].participant.type = #practitioner
* action[=].definitionCanonical = "https://fhir.uzleuven.be/discharge/ActivityDefinition/lbp-follow-up-gp-1-week"
* action[+].id = "follow-up-spine-programme-6-weeks"
* action[=].title = "Referral to the spine care programme after 6 weeks without improvement / Verwijzing zorgprogramma wervelkolomaandoeningen na 6 weken"
* action[=].description = "Indien geen verbetering na 6 weken: verwijzing via de huisarts naar de raadpleging fysische geneeskunde, zorgprogramma wervelkolomaandoeningen UZ Leuven, tel. 016 34 25 60."
* action[=].timingDuration = 42 'd' "days"
* action[=].participant.type = #practitioner
* action[=].definitionCanonical = "https://fhir.uzleuven.be/discharge/ActivityDefinition/lbp-follow-up-spine-programme-6-weeks"

Instance: lbp-follow-up-gp-1-week
InstanceOf: ActivityDefinition
Usage: #definition
Title: "LBP follow-up: GP after 1 week"
Description: "The 1-week follow-up of the LBP ED discharge pathway, as a Task for the GP."
* url = "https://fhir.uzleuven.be/discharge/ActivityDefinition/lbp-follow-up-gp-1-week"
* version = "0.1.0"
* name = "LbpFollowUpGp1Week"
* title = "GP visit after 1 week if the pain persists / Huisartsconsultatie na 1 week"
* status = #active
* experimental = false
* publisher = "UZ Leuven"
* jurisdiction = urn:iso:std:iso:3166#BE "Belgium"
* description = "Indien de lage rugpijn na 1 week aanhoudt: huisarts raadplegen."
* usage = "Created at ED discharge as a Task (profile lbp-follow-up-task) owned by the patient's GP, with restriction.period.start = discharge + 7 days. Likely to improve by itself within a few days to a week; if the pain persists, the patient sees the GP after one week."
* kind = #Task
* intent = #plan
* priority = #routine
* code.text = "Huisartsconsultatie na 1 week bij aanhoudende lage rugpijn"
* timingDuration = 7 'd' "days"
* participant.type = #practitioner
* relatedArtifact.type = #documentation
* relatedArtifact.label = "700457"
* relatedArtifact.display = "UZ Leuven patient brochure 700457: acute low back pain at the emergency department (Dutch)"
* relatedArtifact.url = "https://www.uzleuven.be/brochure/700457"

Instance: lbp-follow-up-spine-programme-6-weeks
InstanceOf: ActivityDefinition
Usage: #definition
Title: "LBP follow-up: spine care programme after 6 weeks"
Description: "The 6-week follow-up of the LBP ED discharge pathway, as a Task for the GP (referral)."
* url = "https://fhir.uzleuven.be/discharge/ActivityDefinition/lbp-follow-up-spine-programme-6-weeks"
* version = "0.1.0"
* name = "LbpFollowUpSpineProgramme6Weeks"
* title = "Referral to the spine care programme after 6 weeks without improvement / Verwijzing zorgprogramma wervelkolomaandoeningen na 6 weken"
* status = #active
* experimental = false
* publisher = "UZ Leuven"
* jurisdiction = urn:iso:std:iso:3166#BE "Belgium"
* description = "Indien geen verbetering na 6 weken: verwijzing via de huisarts naar de raadpleging fysische geneeskunde, zorgprogramma wervelkolomaandoeningen UZ Leuven, tel. 016 34 25 60."
* usage = "Created at ED discharge as a Task (profile lbp-follow-up-task) owned by the patient's GP, with restriction.period.start = discharge + 42 days. If the pain lasts six weeks without improving, further measures are needed: via the GP, quick access to the physical medicine consultation of UZ Leuven's spine care programme; appointments by phone 016 34 25 60."
* kind = #Task
* intent = #plan
* priority = #routine
* code.text = "Verwijzing naar de raadpleging fysische geneeskunde, zorgprogramma wervelkolomaandoeningen UZ Leuven"
* timingDuration = 42 'd' "days"
* participant.type = #practitioner
* relatedArtifact[+].type = #documentation
* relatedArtifact[=].display = "UZ Leuven spine care programme (zorgprogramma wervelkolomaandoeningen); appointments, physical medicine: 016 34 25 60"
* relatedArtifact[=].url = "https://www.uzleuven.be/zorgprogramma-wervelkolomaandoeningen"
* relatedArtifact[+].type = #documentation
* relatedArtifact[=].label = "700457"
* relatedArtifact[=].display = "UZ Leuven patient brochure 700457: acute low back pain at the emergency department (Dutch)"
* relatedArtifact[=].url = "https://www.uzleuven.be/brochure/700457"
