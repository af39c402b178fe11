"""Every sentence the module writes, keyed by language, so a reviewer reads the letter in one place.

Three catalogues per language: the letter and care plan (`PHRASES`, read by core/letter.py,
careplan.py, brochure.py, communication.py), the CDS Hooks cards that announce the letter
(`CARD_PHRASES`, web/cds_hooks.py), and the labels of the letter's HTML and PDF renderings that
the FHIR letter itself does not carry (`PAGE_LABELS`, core/rendering/).

Each phrase states a fact of ../shared/clinical/pathway.md in the project's own words (the
brochure's text is not reproduced; it is linked). `{placeholders}` are filled with escaped
values by the builders. Other languages go here, reviewed by a clinician, never machine-translated
at run time.
"""

from __future__ import annotations

from typing import Final

from .pathway import pathway

# From the pathway definition (profiles/): the brochure, and which advice items there are.
BROCHURE_URL: Final = pathway().brochure_url
SPINE_PROGRAMME_URL: Final = "https://www.uzleuven.be/zorgprogramma-wervelkolomaandoeningen"
SPINE_PROGRAMME_PHONE: Final = "016 34 25 60"
HOSPITAL_PHONE: Final = "016 33 22 11"
# The hospital of pathway.md, "References": the rendered letter's letterhead when the document
# has no Organization for it.
HOSPITAL_NAME: Final = "UZ Leuven"
HOSPITAL_ADDRESS: Final = ("Herestraat 49", "3000 Leuven")
HOSPITAL_CITY: Final = "Leuven"

# The advice of pathway.md, "Advice given to the patient": the PlanDefinition's advice actions,
# in its order; each has a phrase "advice-<id>" below.
ADVICE_KEYS: Final = pathway().advice

# pathway.md, advice 5: the medication advice, part of the advice (it is advice, not a
# prescription: prescriptions of the encounter are listed as the record shows them).
MEDICATION_KEYS: Final = (
    "medication-nsaid",
    "medication-paracetamol",
    "medication-consult",
    "medication-purpose",
)
# From 70 years the NSAID sentence is this one (pathway.md, "Older patients").
MEDICATION_NSAID_OLDER: Final = "medication-nsaid-older"
# pathway.md, "Safety-netting": see the GP for these, go to the ED at once for those.
SAFETY_NET_GP_KEYS: Final = ("safety-net-radicular",)
SAFETY_NET_ED_KEYS: Final = (
    "safety-net-weakness",
    "safety-net-saddle",
    "safety-net-bladder-bowel",
    "safety-net-erectile",
)
# pathway.md, "Sex": the item on erectile dysfunction is for male patients only.
MALE_ONLY_KEYS: Final = frozenset({"safety-net-erectile"})

NL_BE: Final[dict[str, str]] = {
    "language": "nl-BE",
    "title": "Ontslagbrief spoedgevallen: zorgpad acute lage rugpijn",
    "to-gp": "Aan: {gp}",
    "to-unknown-gp": "Aan: de behandelende huisarts",
    "salutation": "Geachte collega,",
    "about-patient": "Betreft: {patient}, geboren op {birth_date}",
    "about-patient-no-birth-date": "Betreft: {patient}",
    "closing": "Met collegiale groeten,",
    "signature": "{physician}, spoedgevallendienst {hospital}",
    # "patiënt" / "patiënte": Patient.gender as recorded (female: patiënte).
    "patient": "patiënt",
    "patient-female": "patiënte",
    # section titles
    "section-reason": "Reden van komst",
    "section-assessment": "Beoordeling",
    "section-imaging": "Beeldvorming en onderzoeken",
    "section-advice": "Gegeven adviezen",
    "section-medication": "Voorgeschreven medicatie",
    "section-follow-up": "Opvolging",
    "section-safety-net": "Wanneer opnieuw een arts raadplegen",
    "section-patient-info": "Informatie voor de patiënt",
    "section-care-plan": "Zorgplan",
    # the visit: the encounter's start (pathway.md, "Dates")
    "reason": (
        "Uw {patient} werd op {visit_date} gezien op de spoedgevallendienst voor lage rugpijn."
    ),
    # the diagnosis: the Condition of the encounter (pathway.md, "The diagnosis")
    "assessment-diagnosis": (
        "Diagnose: niet-specifieke mechanische lage rugpijn, vermoedelijk door overbelasting "
        "van gewrichten, ligamenten en/of spieren van de rug."
    ),
    "assessment-working-diagnosis": (
        "Werkdiagnose: niet-specifieke mechanische lage rugpijn, vermoedelijk door overbelasting "
        "van gewrichten, ligamenten en/of spieren van de rug. De diagnose is nog niet bevestigd."
    ),
    # the physician's documented screening (pathway.md, "The red-flag screening")
    "assessment-red-flags": (
        "{screener} heeft op {date} om {time} gezocht naar alarmsignalen (red flags) van een "
        "ernstige onderliggende oorzaak: maligniteit, fractuur, infectie, caudasyndroom, "
        "neurologische uitval of een andere ernstige oorzaak. Er werden er geen gevonden."
    ),
    "assessment-radicular": (
        "Volgens dezelfde screening is er geen radiculaire pijn (zenuwwortelpijn) in de benen."
    ),
    "assessment-older": (
        "Uw {patient} is 70 jaar of ouder: een fractuur of maligniteit is op die leeftijd "
        "waarschijnlijker, en ontstekingsremmers (NSAID) vragen voorzichtigheid."
    ),
    # pathway.md, "Why no imaging": only when the record shows none
    "imaging-none": (
        "Er werd geen beeldvorming (RX, CT of MRI) uitgevoerd: bij niet-specifieke mechanische "
        "lage rugpijn levert beeldvorming geen nuttige bijkomende informatie op en verandert ze "
        "noch de behandeling noch het herstel."
    ),
    "imaging-recorded": "Volgens het dossier werden bij dit bezoek uitgevoerd:",
    "imaging-labs": "Volgens het dossier werd bij dit bezoek verder uitgevoerd:",
    "imaging-item": "{name}",
    "imaging-item-conclusion": "{name}: {conclusion}",
    # advice (pathway.md, "Advice given to the patient")
    "advice-intro": "De {patient} kreeg de volgende adviezen mee.",
    "advice-resume-activities": (
        "De gewone dagelijkse activiteiten zo snel mogelijk hervatten, rekening houdend met de "
        "(pijn)signalen van het lichaam, en activiteiten doseren waar nodig."
    ),
    "advice-nothing-forbidden": (
        "Geen enkele houding of activiteit is verboden; activiteiten vermijden die nadien "
        "meerdere uren meer pijn geven."
    ),
    "advice-move-and-vary-posture": (
        "Regelmatig rondwandelen en van houding wisselen verlichten meestal de pijn; warmte kan "
        "comfort geven. Langdurig zitten en voorovergebogen staan kunnen de pijn verergeren."
    ),
    "advice-severe-pain-position": (
        "Bij hevige pijn kort op de rug liggen met heupen en knieën gebogen in een hoek van "
        "90 graden. Langdurige bedrust is schadelijk voor de rug."
    ),
    "advice-medication": "Medicatie indien gewenst:",
    "advice-no-back-brace": "Het dragen van een rugkorset vermijden.",
    "advice-return-to-work": "Het werk zo snel mogelijk hervatten.",
    "advice-emotions": (
        "Emoties zoals een neerslachtige stemming en/of overmatige angst om te bewegen kunnen "
        "het herstel belemmeren: de huisarts raadplegen wanneer die zich voordoen."
    ),
    "advice-summary": "Kernboodschap: actief blijven geeft de beste kans op een snel herstel.",
    # pathway.md, advice 5
    "medication-nsaid": "Een ontstekingsremmer (NSAID) kan helpen in de beginfase.",
    "medication-nsaid-older": (
        "Een ontstekingsremmer (NSAID) kan helpen in de beginfase, maar vanaf 70 jaar enkel met "
        "voorzichtigheid, na overleg met de huisarts over het nier-, cardiovasculaire en "
        "gastro-intestinale risico."
    ),
    "medication-paracetamol": (
        "Paracetamol voor bijkomende pijnstilling, maximaal 1 g vier keer per dag."
    ),
    "medication-consult": "Steeds in overleg met een arts.",
    "medication-purpose": (
        "Pijnstillers dienen om de dagelijkse activiteiten te vergemakkelijken, niet om over de "
        "eigen grenzen te gaan."
    ),
    # prescriptions of the encounter (pathway.md, "Medication"), as the record shows them
    "prescriptions-none": "Volgens het dossier werd bij dit bezoek geen medicatie voorgeschreven.",
    "prescription": "{name}",
    "prescription-dosage": "{name}: {dosage}",
    # pathway.md, "Expected course and follow-up"
    "follow-up-course": (
        "Spontane verbetering binnen enkele dagen tot een week is waarschijnlijk."
    ),
    "follow-up-week": (
        "Houdt de pijn na 1 week nog aan (vanaf {date}), dan raadpleegt de {patient} u als "
        "huisarts."
    ),
    "follow-up-six-weeks": (
        "Is de pijn na 6 weken (vanaf {date}) niet verbeterd, dan zijn verdere maatregelen "
        "nodig: via u als huisarts kan de {patient} snel terecht op de raadpleging fysische "
        "geneeskunde van het zorgprogramma wervelkolomaandoeningen van UZ Leuven (afspraken via "
        "tel. {phone})."
    ),
    # pathway.md, "Safety-netting"
    "safety-net-intro-gp": "De {patient} werd gevraagd de huisarts te raadplegen bij:",
    "safety-net-radicular": (
        "Radiculaire pijn (zenuwwortelpijn) in één of beide benen: stekende, schietende of "
        "snijdende, intense pijn die vanuit de rug uitstraalt naar één of beide benen."
    ),
    "safety-net-intro-ed": (
        "De {patient} werd gevraagd onmiddellijk naar de spoedgevallendienst te gaan bij:"
    ),
    "safety-net-weakness": (
        "Krachtverlies in de benen: de voet niet goed op en neer kunnen bewegen, niet op de "
        "hielen of tenen kunnen staan, door de knie zakken."
    ),
    "safety-net-saddle": (
        "Gevoelsstoornissen (verminderd gevoel, tintelingen) ter hoogte van de billen of het "
        "zitvlak, de anus of de geslachtsdelen (zadelgebied)."
    ),
    "safety-net-bladder-bowel": "Problemen met plassen en/of stoelgang.",
    "safety-net-erectile": "Erectiestoornissen.",
    # the brochure: handed over only when the screening says so (pathway.md, "Brochure")
    "patient-info": (
        "De {patient} kreeg de brochure van UZ Leuven over acute lage rugpijn (nr. 700457) mee; "
        "die staat ook online: {url}."
    ),
    "patient-info-online": (
        "De brochure van UZ Leuven over acute lage rugpijn (nr. 700457) staat online: {url}."
    ),
    "brochure-title": "Brochure UZ Leuven 700457: acute lage rugpijn (spoedgevallen)",
    "care-plan": (
        "Het zorgplan met de adviezen, de waarschuwingssignalen en de twee opvolgmomenten is "
        "als gestructureerd zorgplan bij deze brief gevoegd."
    ),
    "communication": "Ontslagbrief van de spoedgevallendienst voor de huisarts.",
    "communication-category": "Ontslagbrief",
    "care-plan-title": "Zorgplan acute lage rugpijn",
    "care-plan-description": "Actief blijven geeft de beste kans op een snel herstel.",
    "care-plan-safety-net-gp": "De huisarts raadplegen bij: {items}",
    "care-plan-safety-net-ed": "Onmiddellijk naar de spoedgevallendienst bij: {items}",
    "task-week": "Indien de lage rugpijn na 1 week aanhoudt (vanaf {date}): huisarts raadplegen.",
    "task-six-weeks": (
        "Indien geen verbetering na 6 weken (vanaf {date}): verwijzing via de huisarts naar de "
        "raadpleging fysische geneeskunde, zorgprogramma wervelkolomaandoeningen UZ Leuven, "
        "tel. {phone}."
    ),
}

# The CDS Hooks cards (web/cds_hooks.py): the info card that offers the letter, the warning card
# that says why there is none. Markdown: `**` is bold.
NL_BE_CARDS: Final[dict[str, str]] = {
    "source": "UZ Leuven – zorgpad acute lage rugpijn",
    "summary": (
        "Zorgpad acute lage rugpijn: ontslagbrief, brochure en zorgplan met opvolging na "
        "1 en 6 weken staan klaar."
    ),
    "suggestion": "Ontslagbrief, brochure en zorgplan aanmaken",
    "link": "Patiëntenbrochure UZ Leuven 700457",
    "detail-intro": (
        "De patiënt voldoet aan het zorgpad acute niet-specifieke mechanische lage rugpijn "
        "van de spoedgevallendienst."
    ),
    "detail-follow-up": "Opvolging",
    "detail-week": "**{date}** (na 1 week): huisarts raadplegen als de pijn aanhoudt.",
    "detail-six-weeks": (
        "**{date}** (na 6 weken): geen verbetering, dan via de huisarts naar de "
        "raadpleging fysische geneeskunde, zorgprogramma wervelkolomaandoeningen "
        "(tel. {phone})."
    ),
    "detail-gp": "Brief aan: {gp}.",
    "detail-no-gp": "Brief aan: de behandelende huisarts (geen huisarts in het dossier).",
    "detail-warnings": "Let op",
    "detail-actions": (
        "De suggestie maakt de ontslagbrief (Composition), de verwijzing naar brochure "
        "700457 (DocumentReference), het zorgplan (CarePlan) en de twee opvolgtaken (Task) "
        "aan."
    ),
    "action-Composition": "Ontslagbrief voor de huisarts aanmaken",
    "action-DocumentReference": "Verwijzing naar patiëntenbrochure 700457 aanmaken",
    "action-CarePlan": "Zorgplan acute lage rugpijn aanmaken",
    "action-Task-week": "Opvolgtaak na 1 week aanmaken (vanaf {date})",
    "action-Task-six-weeks": "Opvolgtaak na 6 weken aanmaken (vanaf {date})",
    "off-summary": (
        "Niet in het zorgpad acute lage rugpijn: er wordt geen ontslagbrief voorgesteld."
    ),
    "incomplete-summary": (
        "Dossier onvolledig voor het zorgpad acute lage rugpijn: geen ontslagbrief voorgesteld."
    ),
    "off-intro": (
        "De patiënt valt buiten het zorgpad acute niet-specifieke mechanische lage rugpijn "
        "van de spoedgevallendienst. Er wordt geen ontslagbrief, brochure of zorgplan "
        "voorgesteld. Gevonden in het dossier:"
    ),
    "app-link": "Screening op alarmsignalen documenteren (app)",
    "incomplete-intro": (
        "Het dossier mist gegevens die de ontslagbrief van het zorgpad acute lage rugpijn "
        "nodig heeft. Er wordt geen ontslagbrief, brochure of zorgplan voorgesteld. "
        "Ontbreekt:"
    ),
}

# The rendered letter (core/rendering/): headings and labels the page adds to the Composition.
NL_BE_PAGE: Final[dict[str, str]] = {
    "phone": "tel. {phone}",
    "date": "{place}{date}",
    "follow-up": "Opvolgmomenten",
    "follow-up-from": "Vanaf",
    "follow-up-what": "Wat",
    "brochure": "Brochure voor de patiënt",
    "page": "Pagina {page}/{pages}",
    "no-sections": "(Deze brief bevat geen secties.)",
}

PHRASES: Final[dict[str, dict[str, str]]] = {"nl-BE": NL_BE}
CARD_PHRASES: Final[dict[str, dict[str, str]]] = {"nl-BE": NL_BE_CARDS}
PAGE_LABELS: Final[dict[str, dict[str, str]]] = {"nl-BE": NL_BE_PAGE}

MONTHS_NL: Final = (
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
)
