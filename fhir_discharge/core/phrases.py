"""Every sentence the module writes, keyed by language, so a reviewer reads the letter in one place.

Six catalogues per language: the letter and care plan (`PHRASES`, read by core/letter.py,
careplan.py, brochure.py, communication.py), the CDS Hooks cards that announce the letter
(`CARD_PHRASES`, core/cds_cards.py), the labels of the letter's HTML and PDF renderings that
the FHIR letter itself does not carry (`PAGE_LABELS`, core/rendering/), the physician's app
(`APP_PHRASES`, web/physician_app/), the gate's findings with the words they use
(`FINDING_PHRASES`, `FINDING_VALUES`, core/findings_nl.py), and the warnings of a discharge
(`WARNING_PHRASES`, core/warnings_nl.py).

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
    # pathway.md, "Partial birth dates": what is recorded ("geboren in 1956", "in maart 1956")
    "about-patient-partial-birth-date": "Betreft: {patient}, geboren in {birth_date}",
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
    "section-advice-to-pass-on": "Adviezen van het zorgpad",
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
    # {screener} starts the sentence: the builder gives it a capital ("Dr. X screende ...").
    "assessment-red-flags": (
        "{screener} screende op {date} om {time} uur op alarmsignalen (red flags) van een "
        "ernstige onderliggende oorzaak: maligniteit, fractuur, infectie, caudasyndroom, "
        "neurologische uitval of een andere ernstige oorzaak. Er werden geen alarmsignalen "
        "gevonden."
    ),
    "assessment-radicular": (
        "Volgens dezelfde screening is er geen radiculaire pijn (zenuwwortelpijn) in de benen."
    ),
    "assessment-older": (
        "Uw {patient} is 70 jaar of ouder: een fractuur of maligniteit is op die leeftijd "
        "waarschijnlijker, en ontstekingsremmers (NSAID's) vragen voorzichtigheid."
    ),
    # A partial birth date whose range reaches 70 (pathway.md, "Partial birth dates").
    "assessment-older-possibly": (
        "Uw {patient} is mogelijk 70 jaar of ouder (het dossier vermeldt enkel {birth_date} als "
        "geboortedatum): een fractuur of maligniteit is op die leeftijd waarschijnlijker, en "
        "ontstekingsremmers (NSAID's) vragen voorzichtigheid."
    ),
    # pathway.md, "NSAID caution": the reasons besides age, as the record shows them.
    "assessment-nsaid-caution": (
        "Ontstekingsremmers (NSAID's) vragen bij uw {patient} voorzichtigheid: {reasons}."
    ),
    # pathway.md, "Why no imaging": only when the record shows none
    "imaging-none": (
        "Er werd geen beeldvorming (RX, CT of MRI) uitgevoerd: bij niet-specifieke mechanische "
        "lage rugpijn levert beeldvorming geen nuttige bijkomende informatie op en heeft ze "
        "geen invloed op de behandeling of het herstel."
    ),
    "imaging-recorded": "Tijdens dit bezoek werden uitgevoerd:",
    "imaging-labs": "Tijdens dit bezoek werd verder uitgevoerd:",
    "imaging-item": "{name}",
    # a coded conclusion, named by its codes' displays
    "imaging-item-conclusion": "{name}: {conclusion}",
    # pathway.md, "Reports read as free text": the conclusion quoted verbatim, the report named
    # once (a conclusion that begins with the report's name is not preceded by it again)
    "imaging-item-quoted": "{name}, besluit van het verslag: “{conclusion}”",
    "imaging-item-quoted-only": "Besluit van het verslag: “{conclusion}”",
    # advice (pathway.md, "Advice given to the patient")
    # pathway.md, "Given to the patient": given only when brochure-given is true; otherwise the
    # pathway's advice for the GP to pass on.
    "advice-intro": "De {patient} kreeg de volgende adviezen mee.",
    "advice-intro-to-pass-on": (
        "Het zorgpad geeft de volgende adviezen; ze werden niet als meegegeven geregistreerd. "
        "Wilt u ze aan uw {patient} doorgeven?"
    ),
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
    # pathway.md, "NSAID caution": the same caution for the reasons besides age
    "medication-nsaid-caution": (
        "Een ontstekingsremmer (NSAID) kan helpen in de beginfase, maar bij deze {patient} enkel "
        "met voorzichtigheid ({reasons}), na overleg met de huisarts over het nier-, "
        "cardiovasculaire en gastro-intestinale risico."
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
    "prescriptions-none": "Tijdens dit bezoek werd geen medicatie voorgeschreven.",
    "prescription": "{name}",
    "prescription-dosage": "{name}: {dosage}",
    # pathway.md, "Expected course and follow-up"
    "follow-up-course": (
        "Spontane verbetering binnen enkele dagen tot een week is waarschijnlijk."
    ),
    "follow-up-week": (
        "Houdt de pijn na 1 week nog aan (vanaf {date}), dan neemt de {patient} contact met u op."
    ),
    "follow-up-six-weeks": (
        "Is er na 6 weken (vanaf {date}) geen verbetering, dan kunt u de {patient} verwijzen "
        "naar de raadpleging fysische geneeskunde van het zorgprogramma "
        "wervelkolomaandoeningen van UZ Leuven (afspraken: {phone})."
    ),
    # pathway.md, "Safety-netting"
    "safety-net-intro-gp": "De {patient} werd gevraagd de huisarts te raadplegen bij:",
    "safety-net-intro-gp-to-pass-on": (
        "Het zorgpad vraagt de {patient} de huisarts te raadplegen bij (wilt u dit doorgeven?):"
    ),
    "safety-net-radicular": (
        "Radiculaire pijn (zenuwwortelpijn) in één of beide benen: stekende, schietende of "
        "snijdende, intense pijn die vanuit de rug uitstraalt naar één of beide benen."
    ),
    "safety-net-intro-ed": (
        "De {patient} werd gevraagd onmiddellijk naar de spoedgevallendienst te gaan bij:"
    ),
    "safety-net-intro-ed-to-pass-on": (
        "Het zorgpad vraagt de {patient} onmiddellijk naar de spoedgevallendienst te gaan bij "
        "(wilt u dit doorgeven?):"
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
        "Het zorgplan met de adviezen, de waarschuwingssignalen en de twee opvolgmomenten is in "
        "gestructureerde vorm bij deze brief gevoegd."
    ),
    "communication": "Ontslagbrief van de spoedgevallendienst voor de huisarts.",
    "communication-category": "Ontslagbrief",
    # core/ehealthbox.py: the letter as a KMEHR message for the GP's eHealthBox
    "gp-message-title": "{title} ({date})",
    "gp-message-task": (
        "De ontslagbrief als KMEHR-bericht (contactverslag met de brief als pdf) naar de "
        "eHealthBox van de huisarts sturen."
    ),
    # The alert of a discharge that did not reach the record (core/dead_letter.py), for the ED
    # secretariat: what did not arrive, why, and what to do; {discharge} is the outbox's id.
    "dead-letter-task": (
        "De ontslagbrief van dit spoedbezoek bereikte het dossier niet: {reason}. Ook het "
        "zorgplan, de opvolgtaken en het bericht aan de huisarts ontbreken. Laat de oorzaak "
        "verhelpen en het ontslag opnieuw afleveren (fhir-discharge, ontslag {discharge}: "
        "$redeliver), of bezorg de ontslagbrief en de opvolgafspraken op een andere manier aan "
        "de huisarts en de patiënt."
    ),
    "dead-letter-refused": "de FHIR-server weigerde het ontslag",
    "dead-letter-identity-conflict": (
        "de FHIR-server bevat onder de identificaties van het dossier een andere patiënt"
    ),
    "dead-letter-attempts-exhausted": (
        "de FHIR-server nam het ontslag na {attempts} pogingen niet aan"
    ),
    # core/provenance.py: what the discharge wrote, and the service that wrote it
    "provenance": (
        "Herkomst: {service} schreef bij het ontslag de ontslagbrief, het zorgplan en de "
        "opvolging, uit de screening op alarmsignalen en het spoedbezoek; de arts ondertekende "
        "de brief."
    ),
    "service-device": "{service}: de dienst die de ontslagbrief voor de huisarts schrijft.",
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

# The CDS Hooks cards (core/cds_cards.py): the info card that offers the letter, the warning card
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
    # The configured terminology server could not say whether the record's SNOMED CT codes are
    # refinements of a red flag (errors.TerminologyServerUnavailable; the operation's 503).
    "terminology-summary": (
        "Alarmsignalen niet volledig nagekeken: de terminologieserver antwoordde niet. Geen "
        "ontslagbrief voorgesteld."
    ),
    "terminology-detail": (
        "De dienst kon niet nagaan of de SNOMED CT-codes in het dossier verfijningen van een "
        "alarmsignaal zijn: de terminologieserver antwoordde niet (op tijd). Zonder die "
        "controle stelt de dienst geen ontslagbrief voor, en er werd niets weggeschreven. "
        "Probeer het over enkele minuten opnieuw; blijft het duren, meld het dan aan de "
        "ICT-dienst."
    ),
    "incomplete-summary": (
        "Dossier onvolledig voor het zorgpad acute lage rugpijn: geen ontslagbrief voorgesteld."
    ),
    "off-intro": (
        "De patiënt valt buiten het zorgpad acute niet-specifieke mechanische lage rugpijn "
        "van de spoedgevallendienst. Er wordt geen ontslagbrief, brochure of zorgplan "
        "voorgesteld. Gevonden in het dossier:"
    ),
    # A red flag among the reasons (cds_cards.refusal_card, indicator `critical`): said first,
    # apart from a plain "not on the pathway", so it is not dismissed as one.
    "red-flag-summary": (
        "Alarmsignaal (rode vlag) bij lage rugpijn: niet in het zorgpad, geen ontslagbrief "
        "voorgesteld."
    ),
    "red-flag-intro": (
        "Het dossier of de screening van de arts vermeldt een alarmsignaal (rode vlag) bij deze "
        "lage rugpijn. De patiënt valt buiten het zorgpad acute niet-specifieke mechanische lage "
        "rugpijn; er wordt geen ontslagbrief, brochure of zorgplan voorgesteld. Gevonden in het "
        "dossier:"
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

# The physician's app (web/physician_app/ and its page).
NL_BE_APP: Final[dict[str, str]] = {
    "title": "Ontslag acute lage rugpijn – spoedgevallen UZ Leuven",
    "app-name": "Zorgpad acute lage rugpijn",
    "noscript": "Deze app heeft JavaScript nodig.",
    "loading": "Bezig met laden…",
    "launching": "Aanmelden bij het EPD…",
    "no-launch": (
        "De app is niet gestart. Start ze vanuit het elektronisch patiëntendossier (EPD), "
        "of voor een test met een standalone launch: /app/launch?iss=<FHIR-server>."
    ),
    "launch-failed": "Aanmelden is mislukt: {reason}",
    "state-mismatch": (
        "Het antwoord van de aanmeldserver hoort niet bij deze sessie. Start de app opnieuw "
        "vanuit het EPD."
    ),
    "expired": (
        "Uw aanmelding is verlopen. Start de app opnieuw vanuit het EPD; niets van wat u "
        "nog niet bevestigde, werd verstuurd."
    ),
    "error": "Er ging iets mis: {message}",
    # The browser got no answer at all (the service unreachable, the connection dropped): whether
    # the last step reached the service is unknown. Confirming again is safe: conditional creates.
    "network": (
        "De verbinding met de dienst viel weg: het is niet zeker of uw laatste stap werd "
        "uitgevoerd. Start de app opnieuw vanuit het EPD; een ontslag dat al werd verstuurd, "
        "wordt geen tweede keer aangemaakt."
    ),
    "patient-heading": "Patiënt",
    "born": "Geboren",
    "sex": "Geslacht",
    "sex-male": "man",
    "sex-female": "vrouw",
    "sex-other": "anders",
    "sex-unknown": "onbekend",
    "visit": "Bezoek spoedgevallen",
    "visit-period": "{start} tot {end}",
    "visit-open": "{start}, nog niet afgesloten",
    "record-heading": "Wat het dossier al vermeldt",
    "diagnoses": "Diagnosen van dit bezoek",
    "other-conditions": "Andere problemen van de patiënt",
    "tests": "Beeldvorming en onderzoeken",
    "prescriptions": "Voorschriften",
    "none": "Geen",
    "record-clear": (
        "Geen alarmsignalen en geen radiculaire pijn in het gecodeerde dossier, en het "
        "dossier bevat wat de ontslagbrief nodig heeft."
    ),
    "record-off": (
        "Het gecodeerde dossier plaatst de patiënt buiten het zorgpad, wat de screening ook zegt:"
    ),
    "record-incomplete": "Het dossier mist gegevens die de ontslagbrief nodig heeft:",
    "screening-heading": "Screening op alarmsignalen (red flags)",
    "screening-intro": (
        "Beantwoord elke vraag met ja of nee. Niets is vooraf aangeduid. Ja betekent: het "
        "alarmsignaal is aanwezig."
    ),
    "yes": "Ja",
    "no": "Nee",
    "preview-button": "Voorbeeld van de ontslagbrief",
    "unanswered": "Beantwoord eerst elke vraag. Nog open: {items}.",
    "off-heading": "Buiten het zorgpad: er wordt niets verstuurd",
    "off-intro": (
        "De patiënt valt buiten het zorgpad acute niet-specifieke mechanische lage rugpijn. "
        "Er wordt geen screening opgeslagen en geen ontslagbrief, brochure of zorgplan "
        "aangemaakt."
    ),
    "off-screening": "Aanwezig volgens uw screening:",
    "off-record": "Gevonden in het dossier:",
    "incomplete-heading": "Dossier onvolledig: er wordt niets verstuurd",
    "preview-heading": "Voorbeeld: de ontslagbrief zoals de huisarts ze leest",
    "preview-frame": "Ontslagbrief aan de huisarts (voorbeeld)",
    "follow-up-heading": "Opvolging",
    "follow-up-week": "{date} (na 1 week): naar de huisarts als de pijn aanhoudt.",
    "follow-up-six-weeks": (
        "{date} (na 6 weken): geen verbetering, dan via de huisarts naar de raadpleging "
        "fysische geneeskunde, zorgprogramma wervelkolomaandoeningen (tel. {phone})."
    ),
    "brochure-heading": "Patiëntenbrochure",
    "brochure-link": "UZ Leuven-brochure 700457: acute lage rugpijn",
    "warnings-heading": "Let op",
    "back": "Screening aanpassen",
    "confirm": "Ontslag bevestigen",
    "confirm-explain": (
        "Bevestigen slaat uw screening op in het dossier, met u als auteur, en maakt de "
        "ontslagbrief, de verwijzing naar de brochure, het zorgplan en de twee opvolgtaken "
        "aan."
    ),
    "sending": "Bezig met versturen…",
    "done-heading": "Ontslag verstuurd",
    "done-intro": "Aangemaakt op de FHIR-server:",
    "status-created": "aangemaakt",
    "status-existing": "bestond al",
    "role-screening": "Screening op alarmsignalen",
    "role-letter": "Ontslagbrief",
    "role-brochure": "Verwijzing naar de brochure",
    "role-carePlan": "Zorgplan",
    "role-followUpOneWeek": "Opvolgtaak na 1 week",
    "role-followUpSixWeeks": "Opvolgtaak na 6 weken",
    "role-letterToGp": "Bericht aan de huisarts",
    "role-ehealthboxTask": "Verzending naar de eHealthBox van de huisarts",
    "queued": (
        "Het ontslag is aanvaard en staat in de wachtrij: de FHIR-server heeft het nog niet "
        "verwerkt. Status: {state}."
    ),
    "refused-heading": "Ontslag geweigerd",
    "failed-heading": "De FHIR-server weigerde het ontslag",
    # The answer of the discharge itself when it is not a success (app.js, onConfirm): what
    # happened in Dutch, by the answer's status; the service's English diagnostics below it,
    # folded, for the ICT service. The screening was stored before the discharge was asked.
    "not-sent-heading": "Ontslag niet verstuurd",
    # 4xx: the service posted nothing. 5xx: the FHIR server confirmed nothing (a transaction is
    # all or nothing; confirming again creates nothing twice: conditional creates).
    "not-created": (
        "Er werd geen ontslagbrief, verwijzing naar de brochure, zorgplan of opvolgtaak "
        "aangemaakt; uw screening werd wel opgeslagen."
    ),
    "not-confirmed": (
        "Er werd geen ontslagbrief, verwijzing naar de brochure, zorgplan of opvolgtaak "
        "bevestigd; uw screening werd wel opgeslagen."
    ),
    # 422: the service's own gate refused (the record changed since the preview, or reads
    # differently); its reasons in Dutch where the app's check of the record, run again, gives
    # the same finding (FINDING_PHRASES), else in English.
    "refused-off": "Bij het versturen plaatste het dossier de patiënt buiten het zorgpad.",
    "refused-incomplete": (
        "Bij het versturen miste het dossier gegevens die de ontslagbrief nodig heeft."
    ),
    "refused-off-list": "Gevonden in het dossier:",
    "refused-incomplete-list": "Wat ontbreekt of onleesbaar is:",
    "refused-next": "Pas het dossier aan en start de app daarna opnieuw vanuit het EPD.",
    # 502, 504: the FHIR server refused the transaction, failed, or did not answer.
    "failed": "De FHIR-server weigerde het ontslag of was onbereikbaar.",
    "failed-next": (
        "Probeer het later opnieuw (start de app opnieuw vanuit het EPD), of meld het probleem "
        "aan de ICT-dienst met de technische details hieronder."
    ),
    # 503: the configured terminology server could not say whether the record's SNOMED CT codes
    # are refinements of a red flag (errors.TerminologyServerUnavailable, the service's only
    # 503); nothing was written, at any step.
    "terminology-unavailable": (
        "De terminologieserver antwoordde niet (op tijd): de dienst kon niet nagaan of de "
        "SNOMED CT-codes van het dossier verfijningen van een alarmsignaal zijn, en gaat zonder "
        "die controle niet verder."
    ),
    "terminology-next": (
        "Probeer het over enkele minuten opnieuw (start de app opnieuw vanuit het EPD); blijft "
        "het duren, meld het dan aan de ICT-dienst met de technische details hieronder."
    ),
    # 400: the record on the FHIR server cannot be read as a discharge context.
    "invalid": (
        "De dienst kon het dossier van dit bezoek niet verwerken: het bevat onvolledige of "
        "ongeldige FHIR-gegevens."
    ),
    "forbidden": "De dienst laat dit ontslag met uw aanmelding niet toe.",
    "not-found": "Het bezoek werd niet gevonden op de FHIR-server.",
    "service-error": "Er ging iets mis in de dienst (HTTP-status {status}).",
    "report-next": "Meld het probleem aan de ICT-dienst, met de technische details hieronder.",
    "details-summary": "Technische details (Engels), voor de ICT-dienst",
    # The outbox's states (io/outbox), while a queued discharge is followed.
    "state-queued": "in de wachtrij",
    "state-delivering": "wordt verstuurd",
    "state-delivered": "verstuurd",
    "state-failed": "geweigerd door de FHIR-server",
    "state-dead": "niet verstuurd na herhaalde pogingen",
    # A failure of a call before the discharge (app.js, fail): loading the record, the preview,
    # storing the screening. Said like the discharge's own (by status, the English folded), with
    # the discharge's sentences where they fit (`invalid`, `not-found`, `service-error`,
    # `failed-next`, `report-next`, `not-sent-heading`) and these where they do not.
    "record-failed-heading": "Dossier niet geladen",
    "preview-failed-heading": "Geen voorbeeld van de ontslagbrief",
    # 502, 504 of an earlier call: the FHIR server refused the read or the write, or timed out.
    "call-failed": "De FHIR-server weigerde het verzoek of antwoordde niet.",
    # 403: the physician's launch does not allow it (scope, another encounter, no fhirUser).
    "call-forbidden": (
        "Uw aanmelding geeft niet de nodige rechten (scope) voor dit dossier op de FHIR-server."
    ),
    # 422 of an earlier call: the service's gate could not read the record (the English listed).
    "call-incomplete": "Het dossier mist gegevens die deze app nodig heeft.",
    "call-incomplete-list": "Wat de dienst vond (in het Engels):",
    # What was written: the record and the preview only read; the screening is stored first
    # when the physician confirms, and the discharge is asked only once it is.
    "nothing-stored": (
        "Er werd niets opgeslagen: geen screening, geen ontslagbrief, verwijzing naar de "
        "brochure, zorgplan of opvolgtaak."
    ),
    # 4xx storing the screening: the service wrote nothing.
    "screening-not-stored": (
        "Uw screening werd niet opgeslagen, en er werd geen ontslagbrief, verwijzing naar de "
        "brochure, zorgplan of opvolgtaak aangemaakt."
    ),
    # 5xx storing the screening: the FHIR server confirmed nothing (a timeout may hide a write).
    "screening-not-confirmed": (
        "De FHIR-server bevestigde niet dat uw screening werd opgeslagen; er werd geen "
        "ontslagbrief, verwijzing naar de brochure, zorgplan of opvolgtaak aangemaakt."
    ),
}

# pathway.md, "NSAID caution": each reason besides age as the letter names it.
NL_BE_NSAID_REASONS: Final[dict[str, str]] = {
    "anticoagulant": "gebruik van een anticoagulans of plaatjesremmer",
    "renal-impairment": "nierinsufficiëntie",
    "heart-failure": "hartfalen",
    "gastro-intestinal": "een maagzweer of gastro-intestinale bloeding in de voorgeschiedenis",
}

PHRASES: Final[dict[str, dict[str, str]]] = {"nl-BE": NL_BE}
NSAID_REASONS: Final[dict[str, dict[str, str]]] = {"nl-BE": NL_BE_NSAID_REASONS}
APP_PHRASES: Final[dict[str, dict[str, str]]] = {"nl-BE": NL_BE_APP}
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

# The pathway gate's findings (core/gate/), keyed by Finding.code: why there is no
# letter, as the physician's app shows it (core/app_preview.py, through core/findings_nl.py).
# Each says what the English Finding.message says (that one stays English, for integrators, in
# the OperationOutcome); FHIR element names, codes and statuses stay as the record has them.
# `{placeholders}` are Finding.params: values from the record (a code, a display, a status, a
# number), put in as text, never as markup. `{red_flag}`, `{items}` and `{clinical_status}` are
# said through NL_BE_FINDING_VALUES below; a number is written with a decimal comma.
NL_BE_FINDINGS: Final[dict[str, str]] = {
    # the record itself
    "patient-missing": "de patiënt (Patient) werd niet gevonden: neem die op in het dossier",
    "physician-missing": (
        "geen arts bij dit bezoek om de brief te ondertekenen: voeg de spoedarts toe als "
        "deelnemer (Practitioner) aan het bezoek"
    ),
    "hospital-missing": "het ziekenhuis ontbreekt in het dossier: neem de Organization op",
    # what the service cannot read (FHIR R4 modifier extensions, Resource.implicitRules)
    "modifier-extension": (
        "{resource} draagt een modifier-extensie die deze dienst niet begrijpt ({url}), op "
        "{path}: die kan de betekenis van de resource veranderen; registreer ze zonder die "
        "extensie, of ontsla de patiënt buiten dit zorgpad"
    ),
    "implicit-rules": (
        "{resource} volgt implicitRules die deze dienst niet kent ({url}): registreer ze zonder "
        "implicitRules, of ontsla de patiënt buiten dit zorgpad"
    ),
    # the encounter (pathway.md, "Who the patient is")
    "encounter-not-finished": (
        "het bezoek is niet afgesloten (status '{status}'): ontslag is enkel mogelijk voor "
        "een afgesloten bezoek"
    ),
    "encounter-not-emergency": (
        "geen bezoek aan de spoedgevallendienst (Encounter.class is niet v3 ActCode EMER)"
    ),
    "encounter-no-start": (
        "het bezoek heeft geen begintijd: de brief ontleent de datum van het bezoek daaraan"
    ),
    "encounter-no-end": (
        "het bezoek heeft geen eindtijd: de data van de opvolging worden vanaf dat tijdstip "
        "gerekend"
    ),
    "encounter-period-reversed": (
        "het bezoek eindigt vóór het begint (Encounter.period.end ligt vóór "
        "Encounter.period.start): corrigeer de periode van het bezoek"
    ),
    "disposition-missing": (
        "de ontslagbestemming is niet gedocumenteerd (HL7 discharge-disposition): het zorgpad "
        "is voor patiënten die naar huis gaan; documenteer 'home'"
    ),
    "disposition-not-home": ("de patiënt ging niet naar huis (ontslagbestemming '{disposition}')"),
    # the patient
    "patient-inactive": (
        "het patiëntendossier is niet in gebruik (Patient.active is false): ontsla de patiënt "
        "vanuit het patiëntendossier dat in gebruik is"
    ),
    "patient-replaced": (
        "het patiëntendossier werd vervangen door {other} (Patient.link replaced-by): ontsla de "
        "patiënt vanuit het patiëntendossier dat in gebruik is"
    ),
    "patient-deceased": "de patiënt staat in het dossier als overleden",
    "birth-date-missing": (
        "de geboortedatum van de patiënt staat niet in het dossier: het zorgpad is voor "
        "volwassenen, en de adviezen in de brief hangen af van de leeftijd; documenteer "
        "Patient.birthDate"
    ),
    "patient-not-adult": (
        "de patiënt is niet (met zekerheid) volwassen: het zorgpad is voor volwassenen"
    ),
    "patient-ssin-ambiguous": (
        "de patiënt heeft {count} verschillende rijksregisternummers (INSZ, Patient.identifier): "
        "behoud in het EPD het nummer dat in gebruik is, en markeer de andere als 'old'"
    ),
    # the diagnoses (pathway.md, "The diagnosis", "No other diagnosis of the encounter")
    "diagnosis-not-in-record": (
        "een diagnose van dit bezoek staat niet in het dossier: neem de Condition op"
    ),
    "other-diagnosis": (
        "een andere diagnose bij dit bezoek: {name} (de brief zou die niet kunnen beschrijven)"
    ),
    # The diagnosis is coded, but neither its text nor a display names it.
    "other-diagnosis-unnamed": (
        "een andere diagnose bij dit bezoek, zonder naam in het dossier (geen tekst of "
        "weergavenaam; de brief zou die niet kunnen beschrijven)"
    ),
    "diagnosis-not-holding": (
        "de diagnose lage rugpijn bij dit bezoek geldt niet (weerlegd, foutief ingevoerd of "
        "genezen)"
    ),
    "diagnosis-missing": (
        "geen diagnose lage rugpijn bij dit bezoek: een Condition van het bezoek "
        "(Encounter.diagnosis) met een code voor lage rugpijn is vereist; een klacht in "
        "Encounter.reasonCode is geen diagnose"
    ),
    "low-back-pain-not-acute": (
        "de lage rugpijn begon meer dan 6 weken vóór het bezoek (begin {since}): het zorgpad is "
        "voor acute lage rugpijn, korter dan 6 weken (KCE-rapport 287)"
    ),
    "low-back-pain-chronic": (
        "de lage rugpijn staat in het dossier als chronisch: het zorgpad is voor acute lage "
        "rugpijn, korter dan 6 weken (KCE-rapport 287)"
    ),
    "onset-unreadable": (
        "het begin van de lage rugpijn kan niet als datum gelezen worden (Condition.onset[x]): "
        "registreer het als onsetDateTime, of laat het weg"
    ),
    "condition-uncoded": (
        "een aandoening (Condition) van de patiënt heeft geen code (enkel tekst) en kan niet "
        "op alarmsignalen nagekeken worden: codeer ze (SNOMED CT of ICD-10) of markeer ze als "
        "entered-in-error"
    ),
    # red flags and radicular pain in the coded record (pathway.md: it wins over the screening)
    "red-flag-reason": (
        "{red_flag}: geregistreerd als reden van komst ({display}, {matched_code})"
    ),
    "red-flag-encounter": "{red_flag}: geregistreerd bij dit bezoek ({display}, {matched_code})",
    "red-flag-patient": "{red_flag}: geregistreerd bij de patiënt ({display}, {matched_code})",
    "red-flag-history": (
        "{red_flag}: in de voorgeschiedenis ({clinical_status}) ({display}, {matched_code})"
    ),
    "red-flag-evidence": (
        "{red_flag}: vermeld als onderbouwing (evidence) van een aandoening ({display}, "
        "{matched_code})"
    ),
    "red-flag-observation": (
        "{red_flag}: vastgesteld bij dit bezoek (observatie) ({display}, {matched_code})"
    ),
    "fever": (
        "{red_flag}: lichaamstemperatuur {celsius} °C bij dit bezoek (koorts vanaf {fever_from} °C)"
    ),
    "temperature-unreadable": (
        "een lichaamstemperatuur van dit bezoek heeft geen waarde die als graden Celsius "
        "leesbaar is (een Quantity in Cel, [degF] of K, een geheel getal, of een getal met zijn "
        "eenheid): corrigeer ze of markeer ze als entered-in-error"
    ),
    "red-flag-report": (
        "{red_flag}: vermeld in een verslag van dit bezoek ({display}, {matched_code})"
    ),
    "red-flag-procedure": (
        "{red_flag}: vermeld in een ingreep of onderzoek van dit bezoek ({display}, {matched_code})"
    ),
    "red-flag-medication": (
        "{red_flag}: blijkt uit de medicatie van de patiënt ({display}, {matched_code})"
    ),
    "red-flag-earlier": (
        "{red_flag}: in een vroegere registratie bij de patiënt, die telt ongeacht het tijdstip "
        "({display}, {matched_code})"
    ),
    "code-unreadable": (
        "{resource} {element} is gecodeerd in een codesysteem dat deze dienst niet kan lezen, en "
        "kan niet op alarmsignalen nagekeken worden: voeg de SNOMED CT-, ICD-10-, ICD-10-CM- of "
        "LOINC-code toe, of markeer het als entered-in-error"
    ),
    "pregnancy": (
        "de patiënt is zwanger ({display}, {matched_code}): de adviezen van het zorgpad "
        "omvatten NSAID's, die vanaf 20 weken zwangerschap gecontra-indiceerd zijn, en "
        "zwangerschapsgebonden pijn valt buiten het zorgpad"
    ),
    # the physician's screening (pathway.md, "The red-flag screening the physician documents")
    "red-flag-screening": "{red_flag}: aanwezig volgens de screening op alarmsignalen door de arts",
    "screening-not-completed": (
        "de screening op alarmsignalen van dit bezoek is niet afgerond (status '{status}'): de "
        "arts documenteert ze als afgeronde QuestionnaireResponse op de vragenlijst "
        "{questionnaire}, met subject, encounter, author (Practitioner) en authored, en elke "
        "vraag beantwoord"
    ),
    "screening-of-another-encounter": (
        "de screening op alarmsignalen in het dossier hoort bij een ander bezoek of een andere "
        "patiënt: de arts documenteert de screening van dit bezoek als afgeronde "
        "QuestionnaireResponse op de vragenlijst {questionnaire}, met subject, encounter, author "
        "(Practitioner) en authored, en elke vraag beantwoord"
    ),
    "screening-missing": (
        "de screening op alarmsignalen van dit bezoek is niet gedocumenteerd: de arts "
        "documenteert ze als afgeronde QuestionnaireResponse op de vragenlijst {questionnaire}, "
        "met subject, encounter, author (Practitioner) en authored, en elke vraag beantwoord"
    ),
    "screening-unknown-items": (
        "de screening op alarmsignalen bevat vragen die het zorgpad niet kent: {link_ids}"
    ),
    "screening-incomplete": (
        "de screening op alarmsignalen is onvolledig: beantwoord met ja of nee (één "
        "valueBoolean): {items}"
    ),
    "screening-no-time": "de screening op alarmsignalen heeft geen tijdstip (authored)",
    "screening-before-visit": (
        "de screening op alarmsignalen is gedateerd vóór het begin van het bezoek (authored ligt "
        "vóór Encounter.period.start): corrigeer het tijdstip, of screen opnieuw"
    ),
    "screening-author-not-practitioner": (
        "de screening op alarmsignalen is niet door een zorgverlener opgesteld: de auteur moet "
        "de zorgverlener (Practitioner) zijn die de screening uitvoerde"
    ),
    "screening-author-missing": (
        "de zorgverlener die de screening uitvoerde, staat niet in het dossier: neem de "
        "Practitioner op (de brief vermeldt wie de screening uitvoerde)"
    ),
    "screener-not-participant": (
        "de zorgverlener die de screening uitvoerde, neemt niet deel aan het bezoek "
        "(Encounter.participant): de screening hoort te gebeuren door een arts van dit bezoek; "
        "voeg die toe als deelnemer, of laat de spoedarts screenen"
    ),
    "screener-not-physician": (
        "de screening op alarmsignalen werd uitgevoerd door een zorgverlener die volgens het "
        "dossier geen arts is ({role}): de arts screent op alarmsignalen; laat de spoedarts "
        "screenen"
    ),
    "practitioner-unnamed": (
        "een zorgverlener die de brief vermeldt ({resource}), heeft geen naam in het dossier: "
        "registreer de naam"
    ),
    # what was done and prescribed
    "examination-unnamed": (
        "een onderzoek van dit bezoek heeft geen naam (geen codetekst of weergavenaam, geen "
        "beschrijving): documenteer wat het was"
    ),
    "prescription-unnamed": (
        "een voorschrift van dit bezoek vermeldt het geneesmiddel niet: documenteer de tekst "
        "of de weergavenaam van het geneesmiddel"
    ),
    # what the FHIR server already holds under the record's identifiers (core/matching.py)
    "patient-identity-conflict": (
        "de FHIR-server bevat onder de identificatie van de patiënt een andere persoon (andere "
        "{differs}): de brief zou in diens dossier terechtkomen; er werd niets geschreven "
        "(controleer de identificatie, of de persoon op de server)"
    ),
    "encounter-of-another-patient": (
        "de FHIR-server bevat de identificatie van dit bezoek (Encounter) voor een andere "
        "patiënt: de brief zou in diens dossier terechtkomen; er werd niets geschreven "
        "(controleer de identificatie in het EPD)"
    ),
    "letter-of-another-patient": (
        "de FHIR-server bevat de identificatie van deze brief (Composition) voor een andere "
        "patiënt: de brief zou in diens dossier terechtkomen; er werd niets geschreven "
        "(controleer de identificatie van het bezoek in het EPD)"
    ),
    "identifier-matches-several": (
        "de FHIR-server bevat meerdere resources ({resource_type}) onder één identificatie uit "
        "het dossier: welke bedoeld is, valt niet uit te maken; er werd niets geschreven (laat "
        "de dubbels op de server samenvoegen)"
    ),
    # what the configured terminology server says of the record's SNOMED CT codes
    "code-unknown-to-terminology-server": (
        "SNOMED CT-code {code} in {resource} is onbekend bij de terminologieserver: of het een "
        "alarmsignaal is (of een verfijning ervan) valt niet na te gaan; codeer het met een "
        "concept uit de SNOMED CT-editie van de server, of markeer het als entered-in-error"
    ),
    "document-not-attested": (
        "de FHIR-server bevat onder de identificatie van het document van deze brief een ander "
        "document: de huisarts zou naar dat document verwezen worden in plaats van naar de brief "
        "zoals ondertekend; er werd niets geschreven (laat het van de server verwijderen)"
    ),
}

# How the findings say some of their values: a red flag of the screening (linkId), the items
# of an incomplete screening, a Condition's clinical status (condition-clinical). A value not
# listed is shown as recorded.
NL_BE_FINDING_VALUES: Final[dict[str, dict[str, str]]] = {
    # codes.RED_FLAG_LABELS, in Dutch (the Questionnaire's items, pathway.md)
    "red_flag": {
        "malignancy": (
            "maligniteit (voorgeschiedenis van kanker, onverklaard gewichtsverlies, vermoeden "
            "van een tumor)"
        ),
        "fracture": (
            "fractuur (wervelfractuur, significant trauma, osteoporose, langdurig gebruik van "
            "corticosteroïden)"
        ),
        "infection": (
            "infectie (koorts, spinale infectie, sepsis, intraveneus druggebruik, immunosuppressie)"
        ),
        "cauda-equina": (
            "caudasyndroom (zadelanesthesie, urineretentie of urine-incontinentie, fecale "
            "incontinentie, erectiestoornis)"
        ),
        "neurological-deficit": (
            "neurologische uitval (motorisch krachtverlies in de benen, klapvoet, paraparese)"
        ),
        "radicular-pain": "radiculaire pijn (ischias, radiculopathie, zenuwwortelcompressie)",
        "other-serious-cause": (
            "een andere ernstige oorzaak (aneurysma of dissectie van de aorta, renale of "
            "viscerale oorzaak, inflammatoire rugpijn)"
        ),
    },
    # the screening's items, by linkId
    "items": {
        "malignancy": "maligniteit",
        "fracture": "wervelfractuur",
        "infection": "spinale infectie",
        "cauda-equina": "caudasyndroom",
        "neurological-deficit": "neurologische uitval",
        "radicular-pain": "radiculaire pijn",
        "other-serious-cause": "andere ernstige oorzaak",
        "brochure-given": "brochure meegegeven",
    },
    # core/matching.py: what tells the FHIR server's person apart from the record's
    "differs": {"name": "naam", "birth date": "geboortedatum"},
    "clinical_status": {
        "inactive": "inactief",
        "remission": "in remissie",
        "resolved": "genezen",
    },
}

FINDING_PHRASES: Final[dict[str, dict[str, str]]] = {"nl-BE": NL_BE_FINDINGS}
FINDING_VALUES: Final[dict[str, dict[str, dict[str, str]]]] = {"nl-BE": NL_BE_FINDING_VALUES}

# The warnings of a built discharge (Discharge.warnings: the gate's, the context's, the
# transaction's), keyed by what core/warnings_nl.py recognises each to be: the "Let op" of the
# physician's app. Each says what the English warning says (that one stays English, for
# integrators, in the operation's answer). `{placeholders}` are the warning's values: a number,
# a FHIR resource type, references as `Type/id`, put in as text, never as markup.
NL_BE_WARNINGS: Final[dict[str, str]] = {
    # context.py: entries of a context Bundle of a type the discharge never reads
    "entries-ignored": (
        "de meegestuurde Bundle bevat {count} × {resource_type}: genegeerd, want dat hoort niet "
        "bij een ontslagcontext"
    ),
    # core/gate/; pathway.md, "Older patients" (NICE NG59 1.2.13)
    "older-patient": (
        "de patiënt is {age} jaar of ouder: een fractuur of maligniteit is op die leeftijd "
        "waarschijnlijker, en NSAID's houden meer risico in (NICE NG59 1.2.13); de brief raadt "
        "voorzichtigheid aan met NSAID's"
    ),
    # core/gate/; pathway.md, "NSAID caution": the reasons besides age
    "nsaid-caution": (
        "NSAID's houden voor deze patiënt meer risico in ({reasons} in het dossier; NICE NG59 "
        "1.2.13): de brief raadt voorzichtigheid aan met NSAID's"
    ),
    # core/gate/medication.py; pathway.md, "Medication as evidence"
    "medication-by-name": (
        "thuismedicatie zonder ATC-code werd enkel op haar naam nagekeken: {references}; voeg "
        "de ATC-code toe om ze per klasse na te kijken"
    ),
    # core/gate/examinations.py; pathway.md, "Reports read as free text"
    "report-free-text": (
        "het verslag {reference} heeft een besluit in vrije tekst dat de dienst niet kan lezen: "
        "de brief citeert het zoals het er staat; lees het voor u de brief bevestigt"
    ),
    # core/gate/: Patient.generalPractitioner absent or unresolved
    "general-practitioner-not-in-use": (
        "de huisarts van de patiënt in het dossier is niet meer actief ({references}, active "
        "false): de brief is gericht aan de behandelende huisarts, en de opvolgtaken aan de "
        "patiënt"
    ),
    "no-general-practitioner": (
        "er staat geen huisarts van de patiënt in het dossier (Patient.generalPractitioner): de "
        "brief is gericht aan de behandelende huisarts, en de opvolgtaken aan de patiënt"
    ),
    # carry.py: a national number that fails its check is neither matched on nor written
    "national-number-not-matched": (
        "het {label}-nummer van {reference} is ongeldig: er wordt niet op gezocht op de "
        "FHIR-server en het wordt niet met de brief meegeschreven; verbeter het in het EPD"
    ),
}

# core/ehealthbox.py: why the letter cannot reach the GP electronically (no KMEHR message for
# the eHealthBox), each said in the one sentence below (NOT_ELECTRONIC_NL), keyed like
# ehealthbox.UNREACHABLE; the physician then hands the letter over.
NOT_ELECTRONIC_NL: Final = (
    "de huisarts kan de brief niet elektronisch ontvangen (geen KMEHR-bericht naar de "
    "eHealthBox): {reason}; geef de brief op papier mee aan de patiënt of bezorg hem zelf"
)
NL_BE_NOT_ELECTRONIC_REASONS: Final[dict[str, str]] = {
    "no-general-practitioner": "er staat geen huisarts van de patiënt in het dossier",
    "general-practitioner-no-nihdi": (
        "de huisarts in het dossier heeft geen RIZIV-nummer van een arts"
    ),
    "general-practitioner-nihdi-invalid": (
        "het RIZIV-nummer van de huisarts is geen geldig artsennummer (11 cijfers, beginnend "
        "met 1, juiste controlecijfers)"
    ),
    "patient-no-ssin": "de patiënt heeft geen INSZ (rijksregister- of bisnummer) in het dossier",
    "patient-ssin-invalid": "het INSZ van de patiënt klopt niet (controlecijfers)",
    "patient-no-name": "de naam van de patiënt staat niet in het dossier",
    "physician-no-nihdi": (
        "de arts die de brief ondertekent, heeft geen RIZIV-nummer in het dossier"
    ),
    "physician-nihdi-invalid": (
        "het RIZIV-nummer van de arts die de brief ondertekent, is geen geldig artsennummer"
    ),
    "hospital-no-nihdi": "het ziekenhuis heeft geen RIZIV-nummer in het dossier",
    "hospital-nihdi-invalid": "het RIZIV-nummer van het ziekenhuis is geen geldig ziekenhuisnummer",
    "message-too-large": "het bericht zou groter zijn dan de 10 MB die de eHealthBox toelaat",
}
NL_BE_WARNINGS.update(
    {
        f"not-electronic-{reason}": NOT_ELECTRONIC_NL.format(reason=said)
        for reason, said in NL_BE_NOT_ELECTRONIC_REASONS.items()
    }
)

WARNING_PHRASES: Final[dict[str, dict[str, str]]] = {"nl-BE": NL_BE_WARNINGS}
