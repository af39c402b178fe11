"""Every sentence the module writes, keyed by language, so a reviewer reads the letter in one place.

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

# The advice of pathway.md, "Advice given to the patient": the PlanDefinition's advice actions,
# in its order; each has a phrase "advice-<id>" below.
ADVICE_KEYS: Final = pathway().advice

# pathway.md, advice 5: the medication advice, in the letter's own section and as one activity.
MEDICATION_KEYS: Final = (
    "medication-nsaid",
    "medication-paracetamol",
    "medication-consult",
    "medication-purpose",
)

NL_BE: Final[dict[str, str]] = {
    "language": "nl-BE",
    "title": "Ontslagbrief spoedgevallen: acute niet-specifieke mechanische lage rugpijn",
    "to-gp": "Aan: {gp}",
    "to-unknown-gp": "Aan: de behandelende huisarts",
    "salutation": "Geachte collega,",
    "about-patient": "Betreft: {patient}, geboren op {birth_date}",
    "about-patient-no-birth-date": "Betreft: {patient}",
    "closing": "Met collegiale groeten,",
    "signature": "{physician}, spoedgevallendienst {hospital}",
    # section titles
    "section-reason": "Reden van komst",
    "section-assessment": "Beoordeling",
    "section-imaging": "Beeldvorming",
    "section-advice": "Gegeven adviezen",
    "section-medication": "Advies over medicatie",
    "section-follow-up": "Opvolging",
    "section-safety-net": "Wanneer opnieuw een arts raadplegen",
    "section-patient-info": "Informatie voor de patiënt",
    "section-care-plan": "Zorgplan",
    # pathway.md, "Who the pathway is for"
    "reason": (
        "Uw patiënt werd op {visit_date} gezien op de spoedgevallendienst voor plots ontstane "
        "of recent begonnen, hevige lage rugpijn."
    ),
    "assessment-diagnosis": (
        "Diagnose: acute niet-specifieke mechanische lage rugpijn ({diagnosis}), vermoedelijk "
        "door overbelasting van gewrichten, ligamenten en/of spieren van de rug."
    ),
    "assessment-red-flags": (
        "Er werd gezocht naar alarmsignalen (red flags) van een ernstige onderliggende oorzaak, "
        "zoals een tumor of een fractuur; die werden niet gevonden."
    ),
    "assessment-radicular": (
        "Er is geen radiculaire pijn (zenuwwortelpijn) in het been. Uitstraling naar de bil of "
        "het been is mogelijk als gerefereerde pijn."
    ),
    # pathway.md, "Why no imaging"
    "imaging": (
        "Er werd geen beeldvorming (RX, CT of MRI) uitgevoerd: bij acute niet-specifieke "
        "mechanische lage rugpijn levert beeldvorming geen nuttige bijkomende informatie op en "
        "verandert ze noch de behandeling noch het herstel."
    ),
    "advice-intro": "De patiënt kreeg de volgende adviezen mee:",
    "advice-resume-activities": (
        "De gewone dagelijkse activiteiten zo snel mogelijk hervatten, op geleide van de "
        "(pijn)signalen van het lichaam, en activiteiten doseren waar nodig."
    ),
    "advice-nothing-forbidden": (
        "Geen enkele houding of activiteit is verboden; activiteiten vermijden die nadien "
        "meerdere uren meer pijn geven."
    ),
    "advice-move-and-vary-posture": (
        "Regelmatig rondwandelen en van houding wisselen verlicht meestal de pijn; warmte kan "
        "comfort geven. Langdurig zitten en voorovergebogen staan kunnen de pijn verergeren."
    ),
    "advice-severe-pain-position": (
        "Bij hevige pijn kort op de rug liggen met heupen en knieën in 90 graden gebogen. "
        "Langdurige bedrust is schadelijk voor de rug."
    ),
    "advice-medication": (
        "Medicatie indien gewenst, steeds in overleg met een arts (zie advies over medicatie)."
    ),
    "advice-no-back-brace": "Het dragen van een rugkorset vermijden.",
    "advice-return-to-work": "Het werk zo snel mogelijk hervatten.",
    "advice-emotions": (
        "Emoties zoals een neerslachtige stemming en/of overmatige angst om te bewegen kunnen "
        "het herstel belemmeren: de huisarts raadplegen wanneer die zich voordoen."
    ),
    "advice-summary": "Kernboodschap: actief blijven geeft de beste kans op een snel herstel.",
    # pathway.md, advice 5
    "medication-nsaid": "Een ontstekingsremmer (NSAID) kan helpen in de beginfase.",
    "medication-paracetamol": (
        "Paracetamol voor bijkomende pijnstilling, maximaal 1 g vier keer per dag."
    ),
    "medication-consult": "Steeds in overleg met een arts.",
    "medication-purpose": (
        "Pijnstillers dienen om de dagelijkse activiteiten te vergemakkelijken, niet om over de "
        "eigen grenzen te gaan."
    ),
    # pathway.md, "Expected course and follow-up"
    "follow-up-course": (
        "Spontane verbetering binnen enkele dagen tot een week is waarschijnlijk."
    ),
    "follow-up-week": (
        "Na 1 week (vanaf {date}): houdt de pijn aan, dan raadpleegt de patiënt u als huisarts."
    ),
    "follow-up-six-weeks": (
        "Na 6 weken (vanaf {date}): is de pijn dan niet verbeterd, dan zijn verdere maatregelen "
        "nodig. Via u als huisarts kan de patiënt snel terecht op de raadpleging fysische "
        "geneeskunde van het zorgprogramma wervelkolomaandoeningen van UZ Leuven; afspraken via "
        "tel. {phone}."
    ),
    # pathway.md, "Safety-netting"
    "safety-net-intro-gp": "De patiënt werd gevraagd de huisarts te raadplegen bij:",
    "safety-net-radicular": (
        "radiculaire pijn (zenuwwortelpijn) in één of beide benen: stekende, schietende of "
        "snijdende, intense pijn die vanuit de rug uitstraalt naar één of beide benen."
    ),
    "safety-net-intro-ed": "en onmiddellijk naar de spoedgevallendienst te gaan bij:",
    "safety-net-weakness": (
        "krachtverlies in de benen (de voet niet goed op en neer kunnen bewegen, niet op de "
        "hielen of tenen kunnen staan, door de knie zakken);"
    ),
    "safety-net-saddle": (
        "gevoelsstoornissen (verminderd gevoel, tintelingen) ter hoogte van de billen of het "
        "zitvlak, de anus of de geslachtsdelen (zadelgebied);"
    ),
    "safety-net-bladder-bowel": "problemen met plassen en/of stoelgang;",
    "safety-net-erectile": "erectiestoornissen.",
    "patient-info": (
        "De patiënt kreeg de brochure van UZ Leuven over acute lage rugpijn (nr. 700457) mee, "
        "ook online: {url}."
    ),
    "brochure-title": "Brochure UZ Leuven 700457: acute lage rugpijn (spoedgevallen)",
    "care-plan": (
        "Het zorgplan met de adviezen en de twee opvolgmomenten is als gestructureerd zorgplan "
        "bij deze brief gevoegd."
    ),
    "communication": "Ontslagbrief van de spoedgevallendienst voor de huisarts.",
    "communication-category": "Ontslagbrief",
    "care-plan-title": "Zorgplan acute niet-specifieke mechanische lage rugpijn",
    "care-plan-description": "Actief blijven geeft de beste kans op een snel herstel.",
    "task-week": ("Huisartsconsultatie indien de lage rugpijn na 1 week aanhoudt (vanaf {date})."),
    "task-six-weeks": (
        "Indien geen verbetering na 6 weken (vanaf {date}): verwijzing via de huisarts naar de "
        "raadpleging fysische geneeskunde, zorgprogramma wervelkolomaandoeningen UZ Leuven, "
        "tel. {phone}."
    ),
}

PHRASES: Final[dict[str, dict[str, str]]] = {"nl-BE": NL_BE}

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
