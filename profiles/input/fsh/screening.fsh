// The red-flag screening the ED physician documents (../shared/clinical/pathway.md, "The red-flag
// screening the physician documents"): a Questionnaire with one boolean item per red flag (true =
// present) and a last item recording whether brochure 700457 was handed over. The PlanDefinition
// lbp-ed-discharge-pathway (pathway.fsh) requires a completed screening of the encounter.
//
// The linkIds are an interface: the answers (QuestionnaireResponse.item.linkId) are read by them,
// and fhir_discharge/core/pathway/definition.py checks at load that they are SCREENING_RED_FLAG_ITEMS plus
// BROCHURE_GIVEN, in this order. Each boolean item carries one nested display item with the
// explanation ("Aanwezig wanneer: ..."); R4 allows it, and a QuestionnaireResponse answers a
// display item with nothing, so the answers stay one valueBoolean per top-level item.
// The wording is the project's own (never the brochure's text). Each question and explanation is
// Dutch, with its French (fr-BE) and English (en) in the FHIR translation extension on `_text`
// (written by the project from the Dutch, not yet reviewed by a clinician: hazard log H150); the
// physician's app shows the site's language (fhir_discharge/core/pathway/definition.py).

Instance: lbp-red-flag-screening
InstanceOf: Questionnaire
Usage: #definition
Title: "Screening alarmsignalen acute lage rugpijn (spoedgevallen) / Red-flag screening, acute low back pain (emergency department)"
Description: "The ED physician's red-flag screening for acute non-specific low back pain (UZ Leuven ED discharge pathway)."
* url = "https://fhir.uzleuven.be/discharge/Questionnaire/lbp-red-flag-screening"
* version = "0.1.0"
* name = "LbpRedFlagScreening"
* title = "Screening alarmsignalen acute lage rugpijn (spoedgevallen) / Red-flag screening, acute low back pain (emergency department)"
* status = #active
* experimental = false
* language = #nl-BE
* subjectType = #Patient
* publisher = "UZ Leuven"
* jurisdiction = urn:iso:std:iso:3166#BE "Belgium"
* description = "Screening op alarmsignalen (red flags) door de spoedarts bij een volwassene met acute, niet-specifieke mechanische lage rugpijn, vóór ontslag van spoedgevallen volgens het UZ Leuven-ontslagpad (PlanDefinition lbp-ed-discharge-pathway). Per alarmsignaal één ja/nee-vraag (ja = aanwezig); de toelichting onder elke vraag zegt wanneer het alarmsignaal aanwezig is. Het ontslag volgens het pad vereist een voltooide screening van dit spoedbezoek door een arts met elk alarmsignaal op nee; de laatste vraag (brochure 700457 meegegeven) is geen alarmsignaal en mag nee zijn. / The ED physician's red-flag screening before discharge on the pathway: one yes/no item per red flag (yes = present), and whether brochure 700457 was handed over. Sources: NICE guideline NG59 (2016, updated 2020), recommendation 1.1.1; KCE-rapport 287 (2017), Lage rugpijn en radiculaire pijn: ondersteunende richtlijn; Verhagen AP et al., Red flags presented in current low back pain guidelines: a review, Eur Spine J 2016;25(9):2788-2802."
* purpose = "Documenteren dat ernstige onderliggende oorzaken (maligniteit, fractuur, infectie, caudasyndroom, neurologisch uitvalsbeeld, andere ernstige oorzaak) en radiculaire pijn onwaarschijnlijk geacht werden, zodat de brief aan de huisarts 'geen alarmsignalen' enkel zegt wanneer de arts dat zo gescreend heeft. Alarmsignalen volgens NICE NG59 1.1.1, KCE-rapport 287 (2017) en Verhagen et al. 2016."

* item[+].linkId = "malignancy"
* item[=].text = "Alarmsignaal voor een maligniteit?"
* insert Translated(item[=].text, fr-BE, [[Signal d'alarme d'une tumeur maligne ?]])
* insert Translated(item[=].text, en, [[Red flag for malignancy?]])
* item[=].type = #boolean
* item[=].required = true
* item[=].item[+].linkId = "malignancy-explanation"
* item[=].item[=].type = #display
* item[=].item[=].text = "Aanwezig wanneer: voorgeschiedenis van kanker (ongeacht het type, ook in remissie), onverklaard gewichtsverlies of vermoeden van een maligniteit."
* insert Translated(item[=].item[=].text, fr-BE, [[Présent en cas de : antécédent de cancer (quel qu'en soit le type, même en rémission), perte de poids inexpliquée ou suspicion de tumeur maligne.]])
* insert Translated(item[=].item[=].text, en, [[Present when: a history of cancer (of any type, also in remission), unexplained weight loss or a suspected malignancy.]])

* item[+].linkId = "fracture"
* item[=].text = "Alarmsignaal voor een wervelfractuur?"
* insert Translated(item[=].text, fr-BE, [[Signal d'alarme d'une fracture vertébrale ?]])
* insert Translated(item[=].text, en, [[Red flag for a vertebral fracture?]])
* item[=].type = #boolean
* item[=].required = true
* item[=].item[+].linkId = "fracture-explanation"
* item[=].item[=].type = #display
* item[=].item[=].text = "Aanwezig wanneer: significant trauma, of een klein trauma bij osteoporose, langdurig corticosteroïdgebruik of hogere leeftijd; vermoeden van een wervelfractuur."
* insert Translated(item[=].item[=].text, fr-BE, [[Présent en cas de : traumatisme important, ou traumatisme mineur en présence d'ostéoporose, d'une corticothérapie prolongée ou d'un âge avancé ; suspicion de fracture vertébrale.]])
* insert Translated(item[=].item[=].text, en, [[Present when: significant trauma, or minor trauma with osteoporosis, long-term corticosteroid use or older age; a suspected vertebral fracture.]])

* item[+].linkId = "infection"
* item[=].text = "Alarmsignaal voor een spinale infectie?"
* insert Translated(item[=].text, fr-BE, [[Signal d'alarme d'une infection rachidienne ?]])
* insert Translated(item[=].text, en, [[Red flag for a spinal infection?]])
* item[=].type = #boolean
* item[=].required = true
* item[=].item[+].linkId = "infection-explanation"
* item[=].item[=].type = #display
* item[=].item[=].text = "Aanwezig wanneer: koorts of systemisch ziek zijn, een recente bacteriële infectie, intraveneus druggebruik of immunosuppressie; vermoeden van een spinale infectie (spondylodiscitis, epiduraal abces)."
* insert Translated(item[=].item[=].text, fr-BE, [[Présent en cas de : fièvre ou atteinte de l'état général, infection bactérienne récente, usage de drogues par voie intraveineuse ou immunosuppression ; suspicion d'infection rachidienne (spondylodiscite, abcès épidural).]])
* insert Translated(item[=].item[=].text, en, [[Present when: fever or systemic illness, a recent bacterial infection, intravenous drug use or immunosuppression; a suspected spinal infection (spondylodiscitis, epidural abscess).]])

* item[+].linkId = "cauda-equina"
* item[=].text = "Tekenen van een caudasyndroom (cauda-equinasyndroom)?"
* insert Translated(item[=].text, fr-BE, [[Signes d'un syndrome de la queue de cheval ?]])
* insert Translated(item[=].text, en, [[Signs of cauda equina syndrome?]])
* item[=].type = #boolean
* item[=].required = true
* item[=].item[+].linkId = "cauda-equina-explanation"
* item[=].item[=].type = #display
* item[=].item[=].text = "Aanwezig wanneer: zadelanesthesie, nieuwe urineretentie of urine-incontinentie, fecale incontinentie of een nieuwe erectiestoornis."
* insert Translated(item[=].item[=].text, fr-BE, [[Présent en cas de : anesthésie en selle, rétention ou incontinence urinaire récente, incontinence fécale ou trouble de l'érection récent.]])
* insert Translated(item[=].item[=].text, en, [[Present when: saddle anaesthesia, new urinary retention or incontinence, faecal incontinence or new erectile dysfunction.]])

* item[+].linkId = "neurological-deficit"
* item[=].text = "Ernstige of progressieve motorische uitval in de benen?"
* insert Translated(item[=].text, fr-BE, [[Déficit moteur sévère ou progressif dans les jambes ?]])
* insert Translated(item[=].text, en, [[Severe or progressive motor deficit in the legs?]])
* item[=].type = #boolean
* item[=].required = true
* item[=].item[+].linkId = "neurological-deficit-explanation"
* item[=].item[=].type = #display
* item[=].item[=].text = "Aanwezig wanneer: ernstig of progressief krachtverlies in de benen, zoals een klapvoet, onvermogen tot hiel- of teenstand, of het door de knie zakken."
* insert Translated(item[=].item[=].text, fr-BE, [[Présent en cas de : perte de force sévère ou progressive dans les jambes, comme un pied tombant, l'impossibilité de se tenir sur les talons ou sur la pointe des pieds, ou un genou qui se dérobe.]])
* insert Translated(item[=].item[=].text, en, [[Present when: severe or progressive weakness in the legs, such as foot drop, not being able to stand on the heels or toes, or the knee giving way.]])

* item[+].linkId = "radicular-pain"
* item[=].text = "Radiculaire pijn?"
* insert Translated(item[=].text, fr-BE, [[Douleur radiculaire ?]])
* insert Translated(item[=].text, en, [[Radicular pain?]])
* item[=].type = #boolean
* item[=].required = true
* item[=].item[+].linkId = "radicular-pain-explanation"
* item[=].item[=].type = #display
* item[=].item[=].text = "Aanwezig wanneer: radiculaire pijn (zenuwwortelpijn) in één of beide benen. Pijn die zonder radiculair karakter naar de bil of het been uitstraalt (gerefereerde pijn) telt niet."
* insert Translated(item[=].item[=].text, fr-BE, [[Présent en cas de : douleur radiculaire (douleur de racine nerveuse) dans une jambe ou les deux. Une douleur qui irradie vers la fesse ou la jambe sans caractère radiculaire (douleur projetée) ne compte pas.]])
* insert Translated(item[=].item[=].text, en, [[Present when: radicular (nerve-root) pain in one or both legs. Pain radiating to the buttock or leg without a radicular character (referred pain) does not count.]])

* item[+].linkId = "other-serious-cause"
* item[=].text = "Vermoeden van een andere ernstige oorzaak?"
* insert Translated(item[=].text, fr-BE, [[Suspicion d'une autre cause grave ?]])
* insert Translated(item[=].text, en, [[Another serious cause suspected?]])
* item[=].type = #boolean
* item[=].required = true
* item[=].item[+].linkId = "other-serious-cause-explanation"
* item[=].item[=].type = #display
* item[=].item[=].text = "Aanwezig wanneer: een andere ernstige oorzaak van de rugpijn vermoed wordt, zoals een aneurysma of dissectie van de abdominale aorta, een viscerale of renale oorzaak, of inflammatoire rugpijn."
* insert Translated(item[=].item[=].text, fr-BE, [[Présent en cas de : suspicion d'une autre cause grave de la douleur dorsale, comme un anévrisme ou une dissection de l'aorte abdominale, une cause viscérale ou rénale, ou une lombalgie inflammatoire.]])
* insert Translated(item[=].item[=].text, en, [[Present when: another serious cause of the back pain is suspected, such as an abdominal aortic aneurysm or dissection, a visceral or renal cause, or inflammatory back pain.]])

* item[+].linkId = "brochure-given"
* item[=].text = "Patiëntenbrochure meegegeven?"
* insert Translated(item[=].text, fr-BE, [[Brochure patient remise ?]])
* insert Translated(item[=].text, en, [[Patient brochure given?]])
* item[=].type = #boolean
* item[=].required = true
* item[=].item[+].linkId = "brochure-given-explanation"
* item[=].item[=].type = #display
* item[=].item[=].text = "Geen alarmsignaal. Ja wanneer de patiënt de patiëntenbrochure van het ziekenhuis over acute lage rugpijn op spoedgevallen meekreeg; nee is toegestaan (de brief vermeldt dan enkel waar de brochure te vinden is)."
* insert Translated(item[=].item[=].text, fr-BE, [[Pas un signal d'alarme. Oui si le patient a reçu la brochure de l'hôpital sur la lombalgie aiguë aux urgences ; non est permis (la lettre indique alors seulement où trouver la brochure).]])
* insert Translated(item[=].item[=].text, en, [[Not a red flag. Yes when the patient received the hospital's brochure on acute low back pain at the emergency department; no is allowed (the letter then only says where to find the brochure).]])

// The documented screening as the discharge accepts it: completed, of one encounter, by a
// practitioner, each of the eight items answered once with a boolean. Whether the answers allow
// the discharge (every red flag false) is the module's gate, not this profile: a screening with a
// red flag present is a valid record of that screening.
Profile: LbpRedFlagScreeningResponse
Parent: QuestionnaireResponse
Id: lbp-red-flag-screening-response
Title: "LBP red-flag screening (completed)"
Description: "The ED physician's completed red-flag screening of one encounter (Questionnaire lbp-red-flag-screening, any version): completed, about the patient, of the encounter, authored by a practitioner at a stated time, each of the eight items answered once with a boolean (true = present)."
* insert ConformanceMetadata
* obeys lbp-screening-questionnaire
* questionnaire 1..1 MS
* status = #completed
* status MS
* subject 1..1 MS
* subject only Reference(Patient)
* encounter 1..1 MS
* encounter only Reference(Encounter)
* authored 1..1 MS
* author 1..1 MS
* author only Reference(Practitioner or PractitionerRole)
* item 8..8 MS
* item ^slicing.discriminator[0].type = #value
* item ^slicing.discriminator[0].path = "linkId"
* item ^slicing.rules = #closed
* item ^slicing.ordered = false
* item ^slicing.description = "One answer per item of Questionnaire lbp-red-flag-screening, identified by linkId."
* item contains
    malignancy 1..1 MS and
    fracture 1..1 MS and
    infection 1..1 MS and
    cauda-equina 1..1 MS and
    neurological-deficit 1..1 MS and
    radicular-pain 1..1 MS and
    other-serious-cause 1..1 MS and
    brochure-given 1..1 MS
* insert ScreeningAnswer(malignancy)
* insert ScreeningAnswer(fracture)
* insert ScreeningAnswer(infection)
* insert ScreeningAnswer(cauda-equina)
* insert ScreeningAnswer(neurological-deficit)
* insert ScreeningAnswer(radicular-pain)
* insert ScreeningAnswer(other-serious-cause)
* insert ScreeningAnswer(brochure-given)

RuleSet: ScreeningAnswer(linkId)
* item[{linkId}].linkId = "{linkId}" (exactly)
* item[{linkId}].answer 1..1 MS
* item[{linkId}].answer.value[x] 1..1
* item[{linkId}].answer.value[x] only boolean

Invariant: lbp-screening-questionnaire
Description: "The answers are to Questionnaire lbp-red-flag-screening (its canonical URL, with or without a |version)."
Expression: "questionnaire = 'https://fhir.uzleuven.be/discharge/Questionnaire/lbp-red-flag-screening' or questionnaire.startsWith('https://fhir.uzleuven.be/discharge/Questionnaire/lbp-red-flag-screening|')"
Severity: #error

// A translation of a string element (http://hl7.org/fhir/StructureDefinition/translation).
RuleSet: Translated(element, language, content)
* {element}.extension[+].url = "http://hl7.org/fhir/StructureDefinition/translation"
* {element}.extension[=].extension[+].url = "lang"
* {element}.extension[=].extension[=].valueCode = #{language}
* {element}.extension[=].extension[+].url = "content"
* {element}.extension[=].extension[=].valueString = "{content}"
