"""The letter as a KMEHR 1.43 message: what Belgian GP software files into the patient's record.

A hospital letter reaches a Belgian GP's record through the eHealthBox as a KMEHR message (Kind
Messages for Electronic Healthcare Records, the eHealth platform's XML standard): one folder for
the patient, named by the SSIN, with one transaction coded `contactreport` holding the letter's
text and its PDF. GP packages file `<text>` as the report's text and each `<lnk>` as a document.

Built from plain values (no FHIR here: core/gp_message/ehealthbox.py reads those from the
discharge), with the standard library's ElementTree; the same values give the same bytes. Every
code written is one of KMEHR 1.43's code lists (cd-1_43.xsd): tests/unit/test_kmehr.py validates
the message against kmehr_elements-1_43.xsd and checks each `cd` against its list, which the
schema does not do.

Pure: no network, no clock (the message's date and time are the letter's).
"""

from __future__ import annotations

import base64
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from ..brussels_time import local
from ..letter.narrative import clean, one_line

KMEHR_NAMESPACE: Final = "http://www.ehealth.fgov.be/standards/kmehr/schema/v1"
# CD-STANDARD of KMEHR 1.43 (release 20260210, release-notes.txt of the schemas).
KMEHR_STANDARD: Final = "20260210"
# The version of a KMEHR code or identifier scheme (SV): the tables' first version, which GP
# software reads; the lists are checked against cd-1_43.xsd in the tests.
SCHEME_VERSION: Final = "1.0"
PDF_MEDIA_TYPE: Final = "application/pdf"
# The KMEHR scheme of our own identifiers (ID-KMEHR `LOCAL`): the letter's business identifier,
# so a receiver can tell a repeated message from a new letter.
LOCAL_SCHEME: Final = "fhir-discharge"

# CD-HCPARTY codes
PHYSICIAN: Final = "persphysician"
HOSPITAL: Final = "orghospital"
# FHIR AdministrativeGender -> CD-SEX ("undefined": neither male nor female)
_SEX: Final = {"male": "male", "female": "female", "other": "undefined", "unknown": "unknown"}
_FHIR_DATE: Final = re.compile(r"^(\d{4})(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")


@dataclass(frozen=True)
class HealthcareParty:
    """A care provider as KMEHR names one: NIHDI number, CD-HCPARTY kind and name."""

    nihdi: str
    kind: str  # CD-HCPARTY: PHYSICIAN or HOSPITAL
    firstname: str = ""
    familyname: str = ""
    name: str = ""  # an organisation's name, or a person's whole name when it is not split


@dataclass(frozen=True)
class KmehrPatient:
    ssin: str
    firstnames: tuple[str, ...]
    familyname: str
    birth_date: str | None  # a FHIR date: YYYY, YYYY-MM or YYYY-MM-DD
    gender: str | None  # FHIR AdministrativeGender


@dataclass(frozen=True)
class ContactReport:
    """One letter to one GP about one patient: what the message says, and who to."""

    message_id: str  # unique in Belgium: the sender's NIHDI number, a dot, our own id
    letter_id: str  # the letter's business identifier (a urn:uuid)
    written: datetime  # when the letter was signed (aware); said in Brussels time
    hospital: HealthcareParty
    physician: HealthcareParty  # the author, who signed the letter
    recipient: HealthcareParty  # the GP
    patient: KmehrPatient
    language: str  # BCP 47 (nl-BE); KMEHR's L takes its language subtag
    text: str  # the letter as plain text
    pdf: bytes  # the letter as a PDF
    # the message a corrected letter is a new version of (its header's ID-KMEHR), else None
    replaces_message_id: str | None = None


def kmehr_message(report: ContactReport) -> bytes:
    """The KMEHR 1.43 message of `report`, UTF-8 XML."""
    root = _element("kmehrmessage")
    header = _child(root, "header")
    _cd(_child(header, "standard"), "CD-STANDARD", KMEHR_STANDARD)
    _id(header, "ID-KMEHR", report.message_id)
    _moment(header, report.written)
    sender = _child(header, "sender")
    _hcparty(sender, report.hospital)
    _hcparty(sender, report.physician)
    _hcparty(_child(header, "recipient"), report.recipient)

    folder = _child(root, "folder")
    _id(folder, "ID-KMEHR", "1")
    _patient(_child(folder, "patient"), report.patient)

    transaction = _child(folder, "transaction")
    _id(transaction, "ID-KMEHR", "1")
    _id(transaction, "LOCAL", report.letter_id, local_name=LOCAL_SCHEME)
    _cd(transaction, "CD-TRANSACTION", "contactreport")
    _moment(transaction, report.written)
    author = _child(transaction, "author")
    _hcparty(author, report.physician)
    _hcparty(author, report.hospital)
    # The letter is final and signed by its author (Composition.status final, legal attester).
    _child(transaction, "iscomplete").text = "true"
    _child(transaction, "isvalidated").text = "true"
    text = _child(transaction, "text", L=_language(report.language))
    text.text = clean(report.text)
    pdf = _child(
        transaction, "lnk", TYPE="multimedia", MEDIATYPE=PDF_MEDIA_TYPE, SIZE=str(len(report.pdf))
    )
    pdf.text = base64.b64encode(report.pdf).decode("ascii")
    if report.replaces_message_id is not None:
        # A correction: the GP's package files it as a new version of the earlier message
        # (CD-LNK isanewversionof, kmehr 1.43), which the URL names by its header's id.
        _child(
            transaction,
            "lnk",
            TYPE="isanewversionof",
            URL=f"//kmehrmessage[header/id[@S='ID-KMEHR']='{report.replaces_message_id}']",
        )
    message: bytes = ET.tostring(root, encoding="UTF-8", xml_declaration=True)
    return message


def kmehr_sex(gender: str | None) -> str:
    """The CD-SEX code of a FHIR AdministrativeGender ('unknown' when there is none)."""
    return _SEX.get(gender or "unknown", "unknown")


def _patient(patient: ET.Element, person: KmehrPatient) -> None:
    _id(patient, "ID-PATIENT", person.ssin)
    # KMEHR requires a first name; a person known by one name only has an empty one.
    for firstname in person.firstnames or ("",):
        _child(patient, "firstname").text = one_line(firstname)
    _child(patient, "familyname").text = one_line(person.familyname)
    born = _FHIR_DATE.match(person.birth_date or "")
    if born is not None:
        # A partial birth date is KMEHR's year or yearmonth (dateType), never a made-up day.
        birthdate = _child(patient, "birthdate")
        if born[5]:
            _child(birthdate, "date").text = born[0]
        elif born[3]:
            _child(birthdate, "yearmonth").text = born[0]
        else:
            _child(birthdate, "year").text = born[0]
    _cd(_child(patient, "sex"), "CD-SEX", kmehr_sex(person.gender))


def _hcparty(parent: ET.Element, party: HealthcareParty) -> None:
    hcparty = _child(parent, "hcparty")
    _id(hcparty, "ID-HCPARTY", party.nihdi)
    _cd(hcparty, "CD-HCPARTY", party.kind)
    firstname, familyname = one_line(party.firstname), one_line(party.familyname)
    if firstname and familyname:
        _child(hcparty, "firstname").text = firstname
        _child(hcparty, "familyname").text = familyname
    elif one_line(party.name or f"{firstname} {familyname}"):
        _child(hcparty, "name").text = one_line(party.name or f"{firstname} {familyname}")


def _moment(parent: ET.Element, moment: datetime) -> None:
    # KMEHR's date and time are local (Belgian) time, without an offset.
    brussels = local(moment)
    _child(parent, "date").text = brussels.date().isoformat()
    _child(parent, "time").text = brussels.strftime("%H:%M:%S")


def _id(parent: ET.Element, scheme: str, value: str, local_name: str | None = None) -> None:
    attributes = {"S": scheme, "SV": SCHEME_VERSION}
    if local_name is not None:
        attributes["SL"] = local_name
    _child(parent, "id", **attributes).text = value


def _cd(parent: ET.Element, scheme: str, value: str) -> None:
    _child(parent, "cd", S=scheme, SV=SCHEME_VERSION).text = value


def _language(tag: str) -> str:
    """KMEHR texts carry the language subtag (nl, fr, de, en): 'nl-BE' -> 'nl'."""
    return tag.split("-")[0].lower() or "nl"


# The namespace is declared once, as the root's default: every element is in it, and the
# attributes (S, SV, L, TYPE, ...) are in none, as the schema wants (attributeFormDefault
# unqualified). ElementTree's own default_namespace refuses unqualified attributes, hence this.
def _element(tag: str) -> ET.Element:
    return ET.Element(tag, xmlns=KMEHR_NAMESPACE)


def _child(parent: ET.Element, tag: str, **attributes: str) -> ET.Element:
    return ET.SubElement(parent, tag, attributes)
