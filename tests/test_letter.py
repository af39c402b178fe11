"""The GP letter (Composition): fields, sections, and a narrative no input can break."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from fhir_discharge import build_discharge, context_from_bundle
from fhir_discharge.letter import plain_text
from tests.factories import SECTION_TITLES, happy_bundle, resource

XHTML = "{http://www.w3.org/1999/xhtml}"


def letter_of(bundle):
    return build_discharge(context_from_bundle(bundle)).letter


def test_the_letter_is_a_final_ed_discharge_summary_signed_by_the_ed_physician():
    letter = letter_of(happy_bundle())
    assert letter["status"] == "final"
    assert letter["type"]["coding"][0]["code"] == "59258-4"
    assert letter["language"] == "nl-BE"
    assert letter["subject"] == {"reference": "Patient/lbp-example-patient"}
    assert letter["encounter"] == {"reference": "Encounter/lbp-example-encounter"}
    assert letter["date"] == "2026-11-25T12:40:00+01:00"  # the encounter's end
    assert letter["author"] == [{"reference": "Practitioner/lbp-example-ed-physician"}]
    assert letter["attester"] == [
        {
            "mode": "legal",
            "time": "2026-11-25T12:40:00+01:00",
            "party": {"reference": "Practitioner/lbp-example-ed-physician"},
        }
    ]
    assert letter["custodian"] == {"reference": "Organization/lbp-example-uzleuven"}
    assert letter["identifier"]["system"] == "urn:ietf:rfc:3986"


def test_every_section_is_coded_titled_and_has_its_own_narrative():
    sections = letter_of(happy_bundle())["section"]
    assert [s["title"] for s in sections] == SECTION_TITLES
    for section in sections:
        assert section["code"]["coding"][0]["system"] == "http://loinc.org"
        assert section["code"]["coding"][0]["display"]
        ET.fromstring(section["text"]["div"])  # well-formed XHTML


def test_sections_point_to_the_new_resources_and_the_diagnosis():
    discharge = build_discharge(context_from_bundle(happy_bundle()))
    by_title = {s["title"]: s for s in discharge.letter["section"]}
    urls = [e["fullUrl"] for e in discharge.bundle["entry"]]
    assert by_title["Informatie voor de patiënt"]["entry"] == [{"reference": urls[1]}]
    assert by_title["Zorgplan"]["entry"] == [{"reference": urls[2]}]
    assert by_title["Opvolging"]["entry"] == [{"reference": urls[3]}, {"reference": urls[4]}]
    assert by_title["Beoordeling"]["entry"] == [{"reference": "Condition/lbp-example-diagnosis"}]


def test_the_narrative_states_the_pathway_facts():
    text = plain_text(letter_of(happy_bundle())["text"]["div"])
    assert "Aan: dr. Pieter Claes" in text
    assert "alarmsignalen (red flags)" in text and "niet gevonden" in text
    assert "geen radiculaire pijn" in text
    assert "geen beeldvorming (RX, CT of MRI)" in text
    assert "maximaal 1 g vier keer per dag" in text
    assert "Na 1 week (vanaf 2 december 2026)" in text
    assert "Na 6 weken (vanaf 6 januari 2027)" in text
    assert "016 34 25 60" in text
    assert "https://www.uzleuven.be/brochure/700457" in text
    assert "erectiestoornissen" in text


def test_without_gp_the_letter_goes_to_the_treating_gp():
    bundle = happy_bundle()
    del resource(bundle, "Patient")["generalPractitioner"]
    assert "Aan: de behandelende huisarts" in plain_text(letter_of(bundle)["text"]["div"])


HOSTILE = '<script>alert("x")</script>&amp; \u202eevil\u202c \x07bell ]]> <b onclick="x">'


def test_hostile_names_reach_the_narrative_as_text_never_as_markup():
    bundle = happy_bundle()
    resource(bundle, "Patient")["name"] = [{"text": HOSTILE}]
    resource(bundle, "Practitioner", "lbp-example-gp")["name"] = [{"family": HOSTILE}]
    div = letter_of(bundle)["text"]["div"]
    tree = ET.fromstring(div)  # still well-formed XHTML
    tags = {element.tag.removeprefix(XHTML) for element in tree.iter()}
    assert tags <= {"div", "h1", "h2", "p", "ul", "li"}
    assert "<script>" not in div and "\u202e" not in div and "\x07" not in div
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;amp;" in div
    assert '<script>alert("x")</script>&amp;' in "".join(tree.itertext())
