"""The GP letter as HTML and PDF: complete, in Dutch, and unbreakable by hostile input."""

from __future__ import annotations

import copy
import dataclasses
import html
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

_ROOT = Path(__file__).resolve().parents[2]
if str(_ROOT) not in sys.path:  # lets `pytest` (not only `python -m pytest`) import tests.*
    sys.path.insert(0, str(_ROOT))


from fhir_discharge.core.rendering import (  # noqa: E402
    ALLOWED_TAGS,
    Node,
    letter_view,
    render_letter_html,
    render_letter_pdf,
    sanitise_narrative,
)
from fhir_discharge.core.rendering.pdf import content_digest, draw_letter_pdf  # noqa: E402
from tests.support.documents import example_document  # noqa: E402
from tests.support.factories import SECTION_TITLES  # noqa: E402
from tests.support.site import SITE  # noqa: E402

DATES = ["25 november 2026", "14 maart 1981", "2 december 2026", "6 januari 2027"]
HOSTILE_NAME = "<script>alert(1)</script> \u202eevil\u202c A\x07B 😀 O'Brien & Zoë"
XHTML = "http://www.w3.org/1999/xhtml"


@pytest.fixture(scope="module")
def document() -> dict:
    return example_document().bundle


def resource(bundle: dict, resource_type: str, index: int = 0) -> dict:
    return [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == resource_type
    ][index]


def hostile(document: dict) -> dict:
    """The document after someone with bad intentions edited it on its way to the GP."""
    doc = copy.deepcopy(document)
    resource(doc, "Patient")["name"] = [{"use": "official", "given": [HOSTILE_NAME], "family": "X"}]
    resource(doc, "Practitioner", 1)["name"] = [{"text": "</bdi><script>gp()</script>"}]
    resource(doc, "Organization")["name"] = "<img src=x onerror=alert(1)>"
    composition = resource(doc, "Composition")
    composition["title"] = "Brief \u202e<iframe src=//evil>"
    composition["section"][0]["title"] = "<h1 onclick=x>Reden</h1>\x00"
    composition["section"][0]["text"]["div"] = (
        f'<div xmlns="{XHTML}"><p onclick="steal()" style="x">Tekst'
        '<script>steal()</script><a href="javascript:steal()">klik</a>'
        '<img src="x" onerror="steal()"/><b class="c">vet</b><style>p{}</style></p>'
        '<svg xmlns="http://www.w3.org/2000/svg"><script>steal()</script></svg></div>'
    )
    composition["section"][1]["text"]["div"] = "<div><p>not closed</div>"
    composition["section"][2]["text"]["div"] = (
        '<!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]><div>&b;</div>'
    )
    resource(doc, "Task")["description"] = "<script>task()</script>\u2066x\u2069 " + "W" * 300
    resource(doc, "DocumentReference")["content"][0]["attachment"]["url"] = "javascript:steal()"
    return doc


class Tags(HTMLParser):
    """Every start tag with its attributes, as a browser would see them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def parsed(page: str) -> Tags:
    parser = Tags()
    parser.feed(page)
    parser.close()
    return parser


def assert_harmless(page: str) -> None:
    tags = parsed(page).tags
    names = {t for t, _ in tags}
    assert names <= ALLOWED_TAGS | {
        "html",
        "head",
        "meta",
        "title",
        "style",
        "body",
        "main",
        "header",
        "section",
        "div",
        "bdi",
        "a",
    }, names
    for tag, attrs in tags:
        assert not any(a.startswith("on") or a in ("style", "src") for a in attrs), (tag, attrs)
        if tag == "a":
            assert attrs["href"].startswith("https://"), attrs


# -- HTML ---------------------------------------------------------------------------------------


def test_html_is_a_standalone_printable_page(document):
    page = render_letter_html(document, SITE)
    assert page.startswith('<!DOCTYPE html>\n<html lang="nl-BE"')
    assert '<meta charset="utf-8">' in page
    assert "@page { size: A4;" in page
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert "<script" not in page and "<link" not in page and "<img" not in page
    assert_harmless(page)


def test_html_has_letterhead_addressee_patient_sections_dates_brochure_and_signature(document):
    page = render_letter_html(document, SITE)
    text = " ".join(" ".join(parsed(page).text).split())
    for expected in [
        "UZ Leuven",
        "Herestraat 49",
        "3000 Leuven",
        "tel. 016 33 22 11",
        "Leuven, 25 november 2026",
        "Aan: dr. Pieter Claes",
        "Betreft: An Janssens, geboren op 14 maart 1981",
        "Geachte collega,",
        *SECTION_TITLES,
        *DATES,
        "Opvolgmomenten",
        "Brochure UZ Leuven 700457: acute lage rugpijn (spoedgevallen)",
        "Met collegiale groeten,",
        "dr. Sofie Maes, spoedgevallendienst UZ Leuven",
    ]:
        assert expected in text, expected
    assert f'<a href="{SITE.brochure("nl-BE")[0]}" rel="noopener noreferrer">' in page
    # the sections in the Composition's order, each with its narrative
    positions = [page.index(f">{html.escape(t)}</h2>") for t in SECTION_TITLES]
    assert positions == sorted(positions)
    assert "<li>Het werk zo snel mogelijk hervatten.</li>" in page


def test_follow_ups_come_from_the_tasks_in_date_order(document):
    letter = letter_view(document, SITE)
    assert [f.date for f in letter.follow_ups] == ["2 december 2026", "6 januari 2027"]
    assert "1 week" in letter.follow_ups[0].description


def test_hostile_input_is_shown_as_text_and_never_as_markup(document):
    page = render_letter_html(hostile(document), SITE)
    assert_harmless(page)
    assert "<script" not in page and "<iframe" not in page and "<img" not in page
    assert "javascript:" not in page.split("</style>")[1].replace("javascript:steal()", "")
    assert 'href="javascript' not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # the name, visible, escaped
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "O'Brien & Zoë" in " ".join(parsed(page).text) and "&amp; Zoë" in page
    assert "😀" in page
    for invisible in ("\u202e", "\u202c", "\u2066", "\u2069", "\x07", "\x00"):
        assert invisible not in page
    assert "AB" in page  # the control character is gone, the letters stay
    # the narrative keeps its words and the whitelisted tags only, without attributes
    assert "<p>Tekst" in page and "klik" in page and "<b>vet</b>" in page
    assert "steal()" not in page
    assert "not closed" in page  # markup that does not parse is shown as text
    assert "aaaaaaaaaa" not in page  # no entity expansion


def test_missing_organization_and_gp_fall_back(document):
    doc = copy.deepcopy(document)
    doc["entry"] = [
        e
        for e in doc["entry"]
        if e["resource"]["resourceType"] != "Organization"
        and e["resource"].get("id") != "lbp-example-gp"
    ]
    letter = letter_view(doc, SITE)
    assert letter.hospital_name == "UZ Leuven"
    assert letter.hospital_address == ("Herestraat 49", "3000 Leuven")
    assert letter.hospital_phone == f"tel. {SITE.phone}"
    assert letter.addressee == "Aan: de behandelende huisarts"


def test_a_bundle_without_composition_is_refused():
    with pytest.raises(ValueError, match="no Composition"):
        render_letter_html({"resourceType": "Bundle", "type": "document", "entry": []}, SITE)


# -- the narrative sanitiser ---------------------------------------------------------------------


def test_sanitiser_keeps_allowed_tags_and_only_the_attributes_that_shape_a_table():
    nodes = sanitise_narrative(
        f'<div xmlns="{XHTML}"><p class="a" onclick="x">a<em id="e">b</em><br/>c</p>'
        '<table><tbody><tr><th scope="col" style="x">h</th><td colspan="2" rowspan="99">d</td>'
        '<td colspan="0" rowspan="2&quot; onclick=&quot;x">e</td></tr></tbody></table>'
        '<div><span title="t">s</span></div><unknown>u</unknown>m<sup>2</sup></div>'
    )
    assert nodes == (
        Node("p", ("a", Node("em", ("b",)), Node("br", ()), "c")),
        Node(
            "table",
            (
                Node(
                    "tbody",
                    (
                        Node(
                            "tr",
                            (
                                Node("th", ("h",), (("scope", "col"),)),
                                Node("td", ("d",), (("colspan", "2"), ("rowspan", "99"))),
                                Node("td", ("e",)),
                            ),
                        ),
                    ),
                ),
            ),
        ),
        Node("span", ("s",)),
        "um",
        Node("sup", ("2",)),
    )


def test_sanitiser_survives_deep_nesting_and_garbage():
    deep = f'<div xmlns="{XHTML}">' + "<span>" * 5000 + "x" + "</span>" * 5000 + "</div>"
    assert "x" in repr(sanitise_narrative(deep))
    assert sanitise_narrative(None) == ()
    assert sanitise_narrative(42) == ()
    assert sanitise_narrative("<p>a < b</p>") == (Node("p", ("a < b",)),)
    assert sanitise_narrative("<p>half <b>open") == (Node("p", ("half ", Node("b", ("open",)))),)


# Narratives from a document that is not ours: each must lose its payload (the word "PWNED" in a
# script, a URL, a style, an attribute) and keep no element or attribute outside the allowlist.
HOSTILE_NARRATIVES = {
    "script": "<script>PWNED()</script>",
    "script in svg": '<svg xmlns="http://www.w3.org/2000/svg"><script>PWNED()</script></svg>',
    "svg onload": '<svg onload="PWNED()"><circle r="1"/></svg>',
    "svg use href": '<svg><use href="https://evil.example/PWNED.svg#x"/></svg>',
    "mathml link": '<math><maction href="javascript:PWNED()">m</maction></math>',
    "event attribute": '<p onmouseover="PWNED()" ONCLICK="PWNED()">t</p>',
    "javascript link": '<a href="javascript:PWNED()">t</a>',
    "entity-encoded javascript": '<a href="&#106;avascript:PWNED()">t</a>',
    "data link": '<a href="data:text/html;base64,PWNED">t</a>',
    "external image": '<img src="https://evil.example/PWNED.png" alt="t"/>',
    "image onerror": '<img src="x" onerror="PWNED()"/>',
    "srcset": '<img srcset="https://evil.example/PWNED.png 1x"/>',
    "style attribute url": '<p style="background:url(https://evil.example/PWNED)">t</p>',
    "style attribute hides text": '<p style="display:none">PWNED</p>',
    "style element": "<style>p { background: url(https://evil.example/PWNED) }</style>",
    "css import": '<style>@import "https://evil.example/PWNED.css";</style>',
    "css expression": '<p style="width: expression(PWNED())">t</p>',
    "iframe": '<iframe src="https://evil.example/PWNED"></iframe>',
    "iframe srcdoc": '<iframe srcdoc="&lt;script&gt;PWNED()&lt;/script&gt;"></iframe>',
    "object": '<object data="https://evil.example/PWNED.swf"></object>',
    "embed": '<embed src="https://evil.example/PWNED"/>',
    "form": '<form action="https://evil.example/PWNED"><button>t</button></form>',
    "meta refresh": '<meta http-equiv="refresh" content="0;url=https://evil.example/PWNED"/>',
    "base href": '<base href="https://evil.example/PWNED/"/>',
    "link stylesheet": '<link rel="stylesheet" href="https://evil.example/PWNED.css"/>',
    "template": "<template><script>PWNED()</script></template>",
    "noscript": "<noscript><p>PWNED</p></noscript>",
    "comment": "<!-- PWNED --><p>t</p>",
    "conditional comment": "<!--[if IE]><script>PWNED()</script><![endif]-->",
    "cdata": "<p><![CDATA[<script>PWNED()</script>]]></p>",
    "processing instruction": '<?xml-stylesheet href="https://evil.example/PWNED.xsl"?><p>t</p>',
    "namespaced script": '<x:script xmlns:x="http://www.w3.org/1999/xhtml">PWNED()</x:script>',
    "uppercase": "<SCRIPT>PWNED()</SCRIPT><P>t</P>",
    "class and id": '<p class="PWNED" id="PWNED">t</p>',
    "dir override": '<p dir="rtl">PWNED</p>',
}


# Their words are text to read (shown, escaped, never as markup): unknown or dropped element's
# text is kept, as for any element outside the allowlist.
SHOWN_AS_TEXT = {"style attribute hides text", "dir override", "namespaced script", "cdata"}


@pytest.mark.parametrize("name", HOSTILE_NARRATIVES)
def test_a_hostile_narrative_loses_its_payload(document, name):
    doc = copy.deepcopy(document)
    resource(doc, "Composition")["section"][0]["text"]["div"] = (
        f'<div xmlns="{XHTML}"><p>before</p>{HOSTILE_NARRATIVES[name]}<p>after</p></div>'
    )
    page = render_letter_html(doc, SITE)
    assert_harmless(page)
    body = page.split("</style>", 1)[1]
    for absent in ("<script", "javascript:", "evil.example", "url(", "expression(", "<svg"):
        assert absent not in body.lower(), absent
    tags = parsed(body).tags
    assert not any("PWNED" in f"{tag}{attrs}" for tag, attrs in tags), tags
    if name in SHOWN_AS_TEXT:
        assert "PWNED" in " ".join(parsed(body).text)
    else:
        assert "PWNED" not in body
    assert "before" in body and "after" in body  # the rest of the section is still shown


def test_an_override_written_as_a_character_reference_is_removed_too(document):
    doc = copy.deepcopy(document)
    resource(doc, "Composition")["section"][0]["text"]["div"] = (
        f'<div xmlns="{XHTML}"><p>a&#x202E;b&#8207;c&#x2066;d</p></div>'
    )
    page = render_letter_html(doc, SITE)
    assert "<p>abcd</p>" in page
    assert not {"\u202e", "\u200f", "\u2066"} & set(page)


# -- PDF ----------------------------------------------------------------------------------------


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    pdftotext = shutil.which("pdftotext")
    # The README's set-up (make setup / make test) installs poppler-utils: fail, never skip.
    assert pdftotext, "pdftotext (poppler-utils) missing: run `make debian-tools`"
    path = tmp_path / "letter.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(
        [pdftotext, "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True
    )
    return " ".join(out.stdout.decode("utf-8").split())


def test_pdf_is_a_pdf_and_the_same_document_gives_the_same_file(document):
    pdf = render_letter_pdf(document, SITE)
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    assert render_letter_pdf(copy.deepcopy(document), SITE) == pdf


def test_pdf_text_has_patient_sections_and_dates(document, tmp_path):
    text = pdf_text(render_letter_pdf(document, SITE), tmp_path)
    for expected in [
        "UZ Leuven",
        "Herestraat 49",
        "tel. 016 33 22 11",
        "Aan: dr. Pieter Claes",
        "An Janssens",
        "Betreft: An Janssens, geboren op 14 maart 1981",
        *SECTION_TITLES,
        *DATES,
        "Opvolgmomenten",
        SITE.brochure("nl-BE")[0],
        "dr. Sofie Maes, spoedgevallendienst UZ Leuven",
        "Pagina 1/2",
    ]:
        assert expected in text, expected


def test_pdf_draws_table_parts_row_by_row(document, tmp_path):
    doc = copy.deepcopy(document)
    resource(doc, "Composition")["section"][0]["text"]["div"] = (
        f'<div xmlns="{XHTML}"><table><caption>Metingen</caption>'
        "<thead><tr><th>Kop A</th><th>Kop B</th></tr></thead>"
        "<tbody><tr><td>Cel 1</td><td>Cel 2</td></tr></tbody>"
        "<tfoot><tr><td>Voet</td><td>m<sup>2</sup></td></tr></tfoot></table></div>"
    )
    text = pdf_text(render_letter_pdf(doc, SITE), tmp_path)
    for expected in ["Metingen", "Kop A | Kop B", "Cel 1 | Cel 2", "Voet | m2"]:
        assert expected in text, expected


def test_pdf_of_hostile_input_is_built_and_shows_the_text(document, tmp_path):
    pdf = render_letter_pdf(hostile(document), SITE)
    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf, tmp_path)
    assert "<script>alert(1)</script>" in text  # shown, as text
    assert "O'Brien & Zoë" in text
    assert "\u202e" not in text and "\x07" not in text
    assert "steal()" not in text


# -- the PDF's fonts, parsed once per process (core/rendering/pdf_fonts.py) ---------------------


def fpdf2_own_pdf(document: dict) -> bytes:
    """The letter's PDF as fpdf2 makes it without the font cache: each font parsed by
    `FPDF.add_font`, and subset from the whole font by fpdf2's own OutputProducer."""
    from fpdf.output import OutputProducer

    from fhir_discharge.core.rendering import pdf as pdf_module
    from fhir_discharge.core.rendering.pdf_fonts import FONT_FILES

    def add_fonts(pdf, family: str) -> None:
        for style, path in FONT_FILES.items():
            pdf.add_font(family, style, str(path))

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pdf_module, "add_letter_fonts", add_fonts)
        patch.setattr(pdf_module, "output_producer", lambda: OutputProducer)
        return draw_letter_pdf(document, SITE)


def with_patient_name(document: dict, given: str) -> dict:
    doc = copy.deepcopy(document)
    resource(doc, "Patient")["name"] = [{"use": "official", "given": [given], "family": "Claes"}]
    return doc


@pytest.mark.parametrize(
    "variant",
    [
        "example",
        "hostile",  # controls, bidi overrides, an emoji the font lacks (U+FFFD), tags as text
        "latin-new-glyphs",  # glyphs no letter before used: cut from the Latin subset
        "greek-name",  # glyphs outside the Latin subset: cut from the whole font
        "example-again",  # the same glyphs again: the font program made before
    ],
)
def test_the_cached_fonts_give_the_very_pdf_fpdf2_makes_without_them(document, variant):
    doc = {
        "example": document,
        "example-again": document,
        "hostile": hostile(document),
        "latin-new-glyphs": with_patient_name(document, "Ŵŷ Ǆǅ ŉ ſ Ÿ ĳ Œ ‰ ‱ ⁂"),
        "greek-name": with_patient_name(document, "Ελένη Παπαδοπούλου"),
    }[variant]
    assert draw_letter_pdf(doc, SITE) == fpdf2_own_pdf(doc)


def test_the_cached_fonts_are_safe_to_share_between_threads(document):
    from concurrent.futures import ThreadPoolExecutor

    documents = [document, hostile(document), with_patient_name(document, "Ελένη")] * 4
    expected = [draw_letter_pdf(d, SITE) for d in documents[:3]] * 4
    with ThreadPoolExecutor(max_workers=6) as pool:
        assert list(pool.map(lambda d: draw_letter_pdf(d, SITE), documents)) == expected


def test_a_letter_pdf_parses_no_font_once_the_fonts_are_loaded(document, monkeypatch):
    """The cost the cache removes: after the first letter, no font file is parsed again for
    the usual letter (fpdf2 parsed both DejaVu fonts in full for every PDF)."""
    from fpdf.fonts import TTFFont

    render_letter_pdf(document, SITE)
    parsed: list[object] = []
    original = TTFFont.__init__

    def counting(self, *args, **kwargs):
        parsed.append(args)
        original(self, *args, **kwargs)

    monkeypatch.setattr(TTFFont, "__init__", counting)
    draw_letter_pdf(document, SITE)
    assert parsed == []


# The PDFs kept by content digest (pdf.py, render_letter_pdf; hazard H180) ---------------------


def test_a_kept_pdf_is_the_very_pdf_drawn_for_the_document(document):
    """The memo gives the bytes drawing gives: for the document, a copy of it, and again."""
    drawn = draw_letter_pdf(document, SITE)
    assert render_letter_pdf(document, SITE) == drawn
    assert render_letter_pdf(copy.deepcopy(document), SITE) == drawn
    assert render_letter_pdf(document, SITE) == drawn


def test_the_same_letter_is_drawn_once(document, monkeypatch):
    """The cost the memo removes: the card fired again and the discharge after it draw no PDF."""
    from fhir_discharge.core.rendering import pdf as pdf_module

    doc = with_patient_name(document, "Memo")
    render_letter_pdf(doc, SITE)
    drawn: list[object] = []
    monkeypatch.setattr(pdf_module, "draw_letter_pdf", lambda *args: drawn.append(args) or b"never")
    assert render_letter_pdf(copy.deepcopy(doc), SITE).startswith(b"%PDF-")
    assert drawn == []


@pytest.mark.parametrize(
    "change",
    ["patient-name", "one-character-of-the-narrative", "timestamp", "key-order-only", "site"],
)
def test_a_changed_letter_gets_a_pdf_of_its_own(document, change):
    """H180: one patient's PDF never goes with another's letter. Keyed by the whole content: a
    letter that differs in one character gets its own PDF, drawn from it; the same content in
    another key order is the same letter (and the same file). The site: a document naming no
    hospital takes the site's letterhead."""
    if change == "site":
        document = copy.deepcopy(document)
        document["entry"] = [
            e for e in document["entry"] if e["resource"]["resourceType"] != "Organization"
        ]
    first = copy.deepcopy(document)
    first_pdf = render_letter_pdf(first, SITE)
    second = copy.deepcopy(document)
    site = SITE
    if change == "patient-name":
        second = with_patient_name(document, "Ander")
    elif change == "one-character-of-the-narrative":
        composition = resource(second, "Composition")
        div = composition["section"][0]["text"]["div"]
        composition["section"][0]["text"]["div"] = div.replace("</div>", "x</div>", 1)
    elif change == "timestamp":
        second["timestamp"] = "2031-01-02T03:04:05+01:00"
    elif change == "key-order-only":
        second = dict(reversed(list(second.items())))
    else:
        site = dataclasses.replace(SITE, name="Een ander ziekenhuis", phone="+32 0 000 00 00")
    second_pdf = render_letter_pdf(second, site)
    assert second_pdf == draw_letter_pdf(second, site)
    if change == "key-order-only":
        assert content_digest(second, site) == content_digest(first, SITE)
        assert second_pdf == first_pdf
    else:
        assert content_digest(second, site) != content_digest(first, SITE)
        assert second_pdf != first_pdf
