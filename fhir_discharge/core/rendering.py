"""The GP letter for people and for GP systems that cannot read FHIR: standalone HTML and PDF.

Pure: a `document` Bundle (fhir_discharge/core/document.py) in, a page out; no network, no clock.
Both forms show the same content, taken from one view of the document (`letter_view`):
letterhead, addressee, patient, date, every section of the Composition, the follow-up dates of
the Tasks, the brochure link and the signature.

The document is treated as untrusted input even though we wrote it: it may have been stored,
forwarded and edited elsewhere. Every string is stripped of characters that could change how
it reads (C0/C1 controls, bidirectional overrides and isolates, lone surrogates); section
narratives are re-parsed and only whitelisted XHTML tags survive, without any attribute; all
text is escaped on output. The HTML page also forbids scripts by Content-Security-Policy.

`render_letter_pdf` uses fpdf2 and embeds DejaVu Sans from fonts/.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from ..types import Resource
from .narrative import dutch_date, local
from .phrases import BROCHURE_URL, HOSPITAL_PHONE, NL_BE
from .references import ResourceIndex

if TYPE_CHECKING:
    from fpdf import FPDF

FONT_DIR: Final = Path(__file__).resolve().parent / "fonts"

# The hospital of pathway.md, "References": used when the document has no Organization for it.
FALLBACK_HOSPITAL_NAME: Final = "UZ Leuven"
FALLBACK_HOSPITAL_ADDRESS: Final = ("Herestraat 49", "3000 Leuven")

# Labels of the rendered page that the FHIR letter itself does not need (nl-BE).
LABELS: Final[dict[str, str]] = {
    "phone": "tel. {phone}",
    "date": "{place}{date}",
    "follow-up": "Opvolgmomenten",
    "follow-up-from": "Vanaf",
    "follow-up-what": "Wat",
    "brochure": "Brochure voor de patiënt",
    "page": "Pagina {page}/{pages}",
    "no-sections": "(Deze brief bevat geen secties.)",
}

# Tags a section narrative may keep (no attributes at all); the rest is unwrapped to its text,
# except elements whose content is never text to show.
ALLOWED_TAGS: Final = frozenset(
    {"p", "ul", "ol", "li", "h1", "h2", "h3", "b", "i", "strong", "em", "br", "span"}
    | {"table", "tr", "td", "th"}
)
_DROPPED_WITH_CONTENT: Final = frozenset(
    {"script", "style", "head", "title", "template", "noscript", "iframe", "object", "embed"}
    | {"svg", "math", "textarea", "select", "canvas", "audio", "video"}
)
_MAX_DEPTH: Final = 24  # deeper markup is flattened to its text
_XHTML_NS: Final = "{http://www.w3.org/1999/xhtml}"

_UNSAFE: Final = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
    "\ud800-\udfff\ufeff\ufffe\uffff]"
)
_SPACE: Final = re.compile(r"\s+")
_SAFE_URL: Final = re.compile(r"^https?://[^\s<>\"'`\\]+$")


# -- the view both renderers draw -------------------------------------------------------------


@dataclass(frozen=True)
class Node:
    """A sanitised narrative element: a whitelisted tag and its children (text or elements)."""

    tag: str
    children: tuple[Node | str, ...]


@dataclass(frozen=True)
class Section:
    title: str
    level: int  # 2 for the Composition's sections, 3 for nested ones
    body: tuple[Node | str, ...]


@dataclass(frozen=True)
class FollowUp:
    date: str  # Dutch, Brussels time; the raw value when it is not a date
    description: str


@dataclass(frozen=True)
class Letter:
    """Everything the page shows, as plain text (never markup): renderers escape it."""

    hospital_name: str
    hospital_address: tuple[str, ...]
    hospital_phone: str
    place_and_date: str
    addressee: str
    title: str
    about: str
    patient_name: str
    patient_birth_date: str | None
    salutation: str
    sections: tuple[Section, ...]
    follow_ups: tuple[FollowUp, ...]
    brochure_title: str | None
    brochure_url: str | None  # only an http(s) URL; anything else is not linked
    closing: str
    signature: str
    author: str


def letter_view(document_bundle: Resource) -> Letter:
    """What the letter says, read from a `document` Bundle. Raises ValueError when the Bundle
    holds no Composition."""
    entries = [e for e in _list(document_bundle.get("entry")) if isinstance(e, dict)]
    pairs = [
        (e["fullUrl"] if isinstance(e.get("fullUrl"), str) else None, e["resource"])
        for e in entries
        if isinstance(e.get("resource"), dict)
    ]
    resources = [r for _, r in pairs]
    composition = next((r for r in resources if r.get("resourceType") == "Composition"), None)
    if composition is None:
        raise ValueError("not a document: the Bundle holds no Composition")
    index = ResourceIndex(pairs)
    p = NL_BE

    patient = _resolve(index, composition.get("subject"), "Patient")
    patient_name = _name(patient) or (_clean(patient.get("id")) if patient else "")
    birth = _dutch(patient.get("birthDate")) if patient else None
    about = (
        p["about-patient"].format(patient=patient_name, birth_date=birth)
        if birth
        else p["about-patient-no-birth-date"].format(patient=patient_name)
    )

    author = next(
        (
            a
            for a in (_resolve(index, ref, None) for ref in _list(composition.get("author")))
            if a is not None
        ),
        None,
    )
    author = _practitioner_of(index, author)
    hospital = _resolve(index, composition.get("custodian"), "Organization")
    hospital_name = _name(hospital) or FALLBACK_HOSPITAL_NAME
    address = _address(hospital) if hospital else ()
    if not hospital:
        address = FALLBACK_HOSPITAL_ADDRESS
    phone = _phone(hospital) or HOSPITAL_PHONE
    city = _city(hospital) if hospital else "Leuven"

    gp = _general_practitioner(index, patient, resources)
    gp_name = _name(gp)
    letter_date = _dutch(composition.get("date")) or ""

    signature = p["signature"].format(physician=_name(author) or "", hospital=hospital_name)
    brochure_title, brochure_url = _brochure(resources)
    return Letter(
        hospital_name=hospital_name,
        hospital_address=address,
        hospital_phone=LABELS["phone"].format(phone=phone),
        place_and_date=LABELS["date"].format(
            place=f"{city}, " if city and letter_date else "", date=letter_date
        ),
        addressee=p["to-gp"].format(gp=gp_name) if gp_name else p["to-unknown-gp"],
        title=_clean(composition.get("title")) or p["title"],
        about=about,
        patient_name=patient_name,
        patient_birth_date=birth,
        salutation=p["salutation"],
        sections=tuple(_sections(composition.get("section"), level=2)),
        follow_ups=_follow_ups(resources),
        brochure_title=brochure_title,
        brochure_url=brochure_url,
        closing=p["closing"],
        signature=signature.strip(" ,"),
        author=_name(author) or "",
    )


# -- HTML ---------------------------------------------------------------------------------------

_CSS: Final = """
@page { size: A4; margin: 18mm 20mm 20mm 20mm; }
* { box-sizing: border-box; }
html { background: #f2f2f2; }
body { margin: 0; font-family: "DejaVu Sans", "Segoe UI", Arial, sans-serif; font-size: 10.5pt;
  line-height: 1.45; color: #111; }
main { max-width: 210mm; margin: 0 auto; padding: 16mm 20mm 18mm; background: #fff;
  overflow-wrap: anywhere; }
.letterhead { display: flex; justify-content: space-between; align-items: flex-start;
  gap: 8mm; border-bottom: 1.5pt solid #1d4f91; padding-bottom: 3mm; margin-bottom: 6mm; }
.hospital-name { font-size: 16pt; font-weight: bold; color: #1d4f91; margin: 0; }
.letterhead p { margin: 0; }
.hospital-details { font-size: 9pt; color: #333; }
.date { text-align: right; white-space: nowrap; }
.addressee { font-weight: bold; margin: 0 0 1mm; }
.about { font-weight: bold; margin: 0 0 4mm; }
h1 { font-size: 13pt; margin: 5mm 0 3mm; color: #1d4f91; }
h2 { font-size: 11.5pt; margin: 5mm 0 1.5mm; color: #1d4f91; break-after: avoid;
  page-break-after: avoid; }
h3 { font-size: 10.5pt; margin: 3mm 0 1mm; break-after: avoid; }
.narrative h1, .narrative h2, .narrative h3 { font-size: 10.5pt; color: #111; }
p { margin: 0 0 2mm; }
ul, ol { margin: 0 0 2mm; padding-left: 6mm; }
li { margin: 0 0 0.8mm; }
table { border-collapse: collapse; margin: 1mm 0 3mm; width: 100%; }
th, td { border: 0.5pt solid #999; padding: 1mm 2mm; text-align: left; vertical-align: top; }
th { background: #eef2f8; }
.follow-up td:first-child { white-space: nowrap; font-weight: bold; }
.closing { margin-top: 6mm; }
.signature { font-weight: bold; }
a { color: #1d4f91; }
@media print {
  html { background: #fff; }
  main { max-width: none; margin: 0; padding: 0; }
  a { color: inherit; text-decoration: none; }
  .url { display: inline; }
}
"""


def render_letter_html(document_bundle: Resource) -> str:
    """The letter as one standalone HTML5 page (UTF-8, nl-BE, inline CSS, A4 for printing)."""
    letter = letter_view(document_bundle)
    e = _escape
    address = "<br>".join(e(line) for line in letter.hospital_address)
    sections = (
        "".join(
            f"<section><h{s.level}>{e(s.title)}</h{s.level}>"
            f'<div class="narrative">{_html_nodes(s.body)}</div></section>'
            for s in letter.sections
        )
        or f"<p>{e(LABELS['no-sections'])}</p>"
    )
    follow_ups = ""
    if letter.follow_ups:
        rows = "".join(
            f"<tr><td>{e(f.date)}</td><td>{e(f.description)}</td></tr>" for f in letter.follow_ups
        )
        follow_ups = (
            f'<section class="follow-up"><h2>{e(LABELS["follow-up"])}</h2><table>'
            f'<tr><th scope="col">{e(LABELS["follow-up-from"])}</th>'
            f'<th scope="col">{e(LABELS["follow-up-what"])}</th></tr>{rows}</table></section>'
        )
    brochure = ""
    if letter.brochure_url or letter.brochure_title:
        title = e(letter.brochure_title or letter.brochure_url or "")
        link = (
            f'<a href="{e(letter.brochure_url)}" rel="noopener noreferrer">{title}</a>'
            f'<br><span class="url">{e(letter.brochure_url)}</span>'
            if letter.brochure_url
            else title
        )
        brochure = (
            f'<section class="brochure"><h2>{e(LABELS["brochure"])}</h2><p>{link}</p></section>'
        )
    head_title = e(f"{letter.title} – {letter.patient_name}")
    return (
        "<!DOCTYPE html>\n"
        '<html lang="nl-BE" dir="ltr">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'\">\n"
        '<meta name="referrer" content="no-referrer">\n'
        f"<title>{head_title}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n<main>\n"
        '<header class="letterhead"><div>'
        f'<p class="hospital-name">{e(letter.hospital_name)}</p>'
        f'<p class="hospital-details">{address}<br>{e(letter.hospital_phone)}</p></div>'
        f'<p class="date">{e(letter.place_and_date)}</p></header>\n'
        f'<p class="addressee"><bdi>{e(letter.addressee)}</bdi></p>\n'
        f'<p class="about"><bdi>{e(letter.about)}</bdi></p>\n'
        f"<h1>{e(letter.title)}</h1>\n<p>{e(letter.salutation)}</p>\n"
        f"{sections}\n{follow_ups}\n{brochure}\n"
        f'<p class="closing">{e(letter.closing)}</p>\n'
        f'<p class="signature"><bdi>{e(letter.signature)}</bdi></p>\n'
        "</main>\n</body>\n</html>\n"
    )


def _escape(value: str) -> str:
    return html.escape(_clean_text(value), quote=True)


def _html_nodes(nodes: Iterable[Node | str]) -> str:
    out: list[str] = []
    for node in nodes:
        if isinstance(node, str):
            out.append(_escape(node))
        elif node.tag == "br":
            out.append("<br>")
        else:  # node.tag is whitelisted: it is safe to write as markup
            out.append(f"<{node.tag}>{_html_nodes(node.children)}</{node.tag}>")
    return "".join(out)


# -- PDF ----------------------------------------------------------------------------------------

_FONT: Final = "DejaVuSans"
_BLUE: Final = (29, 79, 145)
_BODY_PT: Final = 10.0
_LINE_MM: Final = 5.0


def render_letter_pdf(document_bundle: Resource) -> bytes:
    """The same letter as an A4 PDF (fonts embedded)."""
    letter = letter_view(document_bundle)
    pdf = _new_pdf(letter, _creation_date(document_bundle))
    writer = _PdfWriter(pdf)
    writer.letter(letter)
    return bytes(pdf.output())


def _new_pdf(letter: Letter, created: datetime) -> FPDF:
    from fpdf import FPDF

    footer_text = _clean_text(
        ", ".join(x for x in (letter.patient_name, letter.patient_birth_date) if x)
    )

    class LetterPDF(FPDF):
        def footer(self) -> None:
            self.set_y(-13)
            self.set_font(_FONT, "", 8)
            self.set_text_color(90, 90, 90)
            width = self.w - self.l_margin - self.r_margin
            page = LABELS["page"].format(page=self.page_no(), pages="{nb}")
            self.cell(width * 0.75, 5, _fit(self, footer_text, width * 0.72), align="L")
            self.cell(width * 0.25, 5, page, align="R")

    pdf = LetterPDF(orientation="portrait", unit="mm", format="A4")
    pdf.add_font(_FONT, "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font(_FONT, "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.set_margins(20, 16, 20)
    pdf.set_auto_page_break(True, margin=20)
    pdf.set_creation_date(created)
    pdf.set_lang("nl-BE")
    pdf.set_title(_clean_text(f"{letter.title} – {letter.patient_name}"))
    pdf.set_author(_clean_text(letter.author or letter.hospital_name))
    pdf.set_creator("fhir-discharge")
    pdf.alias_nb_pages()
    pdf.add_page()
    return pdf


def _fit(pdf: FPDF, text: str, width: float) -> str:
    """`text` cut (with an ellipsis) to fit in one line of `width`."""
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + "…") > width:
        text = text[:-1]
    return text + "…"


class _PdfWriter:
    """Draws a Letter on an FPDF page by page; text goes through `_printable` for the font."""

    def __init__(self, pdf: FPDF) -> None:
        self.pdf = pdf
        self.left = pdf.l_margin
        font = pdf.fonts.get(_FONT.lower())
        ttfont = getattr(font, "ttfont", None)
        cmap = ttfont.getBestCmap() if ttfont is not None else None
        self.glyphs: frozenset[int] = frozenset(cmap or ())

    # text that the font can draw: a missing glyph shows as U+FFFD, never as nothing
    def _printable(self, text: str) -> str:
        cleaned = _clean_text(text)
        if not self.glyphs:
            return cleaned
        return "".join(c if ord(c) in self.glyphs or c == "\n" else "\ufffd" for c in cleaned)

    def _font(self, size: float = _BODY_PT, bold: bool = False, blue: bool = False) -> None:
        self.pdf.set_font(_FONT, "B" if bold else "", size)
        self.pdf.set_text_color(*(_BLUE if blue else (17, 17, 17)))

    def _line(
        self,
        text: str,
        *,
        size: float = _BODY_PT,
        bold: bool = False,
        blue: bool = False,
        align: str = "L",
        height: float = _LINE_MM,
    ) -> None:
        self._font(size, bold, blue)
        self.pdf.set_x(self.left)
        self.pdf.multi_cell(
            0, height, self._printable(text), align=align, new_x="LMARGIN", new_y="NEXT"
        )

    def letter(self, letter: Letter) -> None:
        pdf = self.pdf
        width = pdf.w - pdf.l_margin - pdf.r_margin
        top = pdf.get_y()
        # letterhead: hospital left, place and date right
        self._font(16, bold=True, blue=True)
        pdf.multi_cell(
            width * 0.62, 7.5, self._printable(letter.hospital_name), new_x="LMARGIN", new_y="NEXT"
        )
        self._font(9)
        for line in (*letter.hospital_address, letter.hospital_phone):
            pdf.multi_cell(width * 0.62, 4.3, self._printable(line), new_x="LMARGIN", new_y="NEXT")
        bottom = pdf.get_y()
        pdf.set_xy(pdf.l_margin + width * 0.62, top + 1)
        self._font(_BODY_PT)
        pdf.multi_cell(
            width * 0.38,
            _LINE_MM,
            self._printable(letter.place_and_date),
            align="R",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.set_y(max(bottom, pdf.get_y()) + 2)
        pdf.set_draw_color(*_BLUE)
        pdf.set_line_width(0.5)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
        pdf.ln(6)

        self._line(letter.addressee, bold=True)
        self._line(letter.about, bold=True)
        pdf.ln(3)
        self._line(letter.title, size=13, bold=True, blue=True, height=6.5)
        pdf.ln(2)
        self._line(letter.salutation)
        pdf.ln(1)

        if not letter.sections:
            self._line(LABELS["no-sections"])
        for section in letter.sections:
            self._heading(section.title, size=11.5 if section.level == 2 else _BODY_PT)
            self._blocks(section.body, indent=0.0)

        if letter.follow_ups:
            self._heading(LABELS["follow-up"], size=11.5)
            self._follow_up_table(letter.follow_ups)
        if letter.brochure_url or letter.brochure_title:
            self._heading(LABELS["brochure"], size=11.5)
            if letter.brochure_title:
                self._line(letter.brochure_title)
            if letter.brochure_url:
                self._font(_BODY_PT, blue=True)
                pdf.set_x(self.left)
                pdf.write(_LINE_MM, self._printable(letter.brochure_url), link=letter.brochure_url)
                pdf.ln(_LINE_MM)

        if pdf.will_page_break(22):
            pdf.add_page()
        pdf.ln(5)
        self._line(letter.closing)
        pdf.ln(1)
        self._line(letter.signature, bold=True)

    def _heading(self, title: str, size: float) -> None:
        pdf = self.pdf
        if pdf.will_page_break(size * 0.5 + 3 + 2 * _LINE_MM):  # keep with the next lines
            pdf.add_page()
        else:
            pdf.ln(2.5)
        self._line(title, size=size, bold=True, blue=True, height=size * 0.5 + 0.5)
        pdf.ln(0.8)

    def _follow_up_table(self, follow_ups: Sequence[FollowUp]) -> None:
        pdf = self.pdf
        if any(len(f.date) > 40 or len(f.description) > 600 for f in follow_ups):
            # a table row cannot span pages: text that long is set as a list instead
            for follow_up in follow_ups:
                self._item("•", (Node("b", (follow_up.date,)), ": ", follow_up.description), 0)
            return
        self._font(_BODY_PT)
        with pdf.table(
            col_widths=(36, 134),
            v_align="TOP",
            text_align=("LEFT", "LEFT"),
            line_height=_LINE_MM,
            padding=1.2,
            borders_layout="HORIZONTAL_LINES",
            headings_style=_heading_style(),
        ) as table:
            head = table.row()
            head.cell(self._printable(LABELS["follow-up-from"]))
            head.cell(self._printable(LABELS["follow-up-what"]))
            for follow_up in follow_ups:
                row = table.row()
                row.cell(self._printable(follow_up.date))
                row.cell(self._printable(follow_up.description))
        pdf.ln(1)

    # narrative blocks -------------------------------------------------------------------------

    def _blocks(self, nodes: Sequence[Node | str], indent: float) -> None:
        runs: list[tuple[str, bool]] = []
        for node in nodes:
            if isinstance(node, str) or node.tag in _INLINE or node.tag == "br":
                runs.extend(_runs(node, bold=False))
                continue
            self._paragraph(runs, indent)
            runs = []
            if node.tag in ("ul", "ol"):
                number = 0
                for item in node.children:
                    if isinstance(item, str) and not item.strip():
                        continue
                    number += 1
                    marker = f"{number}." if node.tag == "ol" else "•"
                    children = item.children if isinstance(item, Node) else (item,)
                    self._item(marker, children, indent)
                self.pdf.ln(1)
            elif node.tag == "li":
                self._item("•", node.children, indent)
            elif node.tag in ("h1", "h2", "h3"):
                self._paragraph(_runs(node, bold=True), indent)
            elif node.tag in ("table", "tr"):
                for row in _rows(node):
                    self._paragraph(row, indent)
            else:  # p, and td/th outside a table
                self._blocks(node.children, indent)
                self.pdf.ln(1.2)
        self._paragraph(runs, indent)

    def _item(self, marker: str, children: Sequence[Node | str], indent: float) -> None:
        pdf = self.pdf
        self._font(_BODY_PT)
        pdf.set_x(self.left + indent + 1.5)
        pdf.cell(4.5, _LINE_MM, marker)
        self._blocks(children, indent + 6)

    def _paragraph(self, runs: Sequence[tuple[str, bool]], indent: float) -> None:
        parts = _normalise(runs)
        if not parts:
            return
        pdf = self.pdf
        margin = self.left + indent
        pdf.set_left_margin(margin)
        if pdf.get_x() < margin:
            pdf.set_x(margin)
        for text, bold in parts:
            self._font(_BODY_PT, bold)
            pdf.write(_LINE_MM, self._printable(text))
        pdf.ln(_LINE_MM)
        pdf.set_left_margin(self.left)


def _heading_style() -> Any:
    from fpdf.fonts import FontFace

    return FontFace(emphasis="BOLD", color=_BLUE, fill_color=(238, 242, 248))


_INLINE: Final = frozenset({"b", "strong", "i", "em", "span"})


def _runs(node: Node | str, bold: bool) -> list[tuple[str, bool]]:
    """Inline text of a node, with its weight; anything block-like inside is flattened."""
    if isinstance(node, str):
        return [(node, bold)]
    if node.tag == "br":
        return [("\n", bold)]
    inner = bold or node.tag in ("b", "strong", "h1", "h2", "h3", "th")
    runs: list[tuple[str, bool]] = []
    for child in node.children:
        if isinstance(child, Node) and child.tag in ("p", "li", "tr") and runs:
            runs.append((" ", inner))
        runs.extend(_runs(child, inner))
    return runs


def _rows(node: Node) -> list[list[tuple[str, bool]]]:
    """A table (or a lone row) as lines of text, cells separated by a bar."""
    if node.tag == "tr":
        row: list[tuple[str, bool]] = []
        for cell in node.children:
            if isinstance(cell, str) and not cell.strip():
                continue
            if row:
                row.append(("  |  ", False))
            row.extend(_runs(cell, False))
        return [row]
    rows: list[list[tuple[str, bool]]] = []
    for child in node.children:
        if isinstance(child, Node) and child.tag in ("tr", "table"):
            rows.extend(_rows(child))
        elif child:
            rows.append(_runs(child, False))
    return rows


def _normalise(runs: Sequence[tuple[str, bool]]) -> list[tuple[str, bool]]:
    """Collapse white space as HTML does (keeping the breaks of <br>), trim the ends."""
    out: list[tuple[str, bool]] = []
    at_start = True
    for text, bold in runs:
        if text == "\n":
            if out:
                out.append(("\n", bold))
            at_start = True
            continue
        text = _SPACE.sub(" ", text)
        if at_start or (out and out[-1][0].endswith((" ", "\n"))):
            text = text.lstrip(" ")
        if text:
            out.append((text, bold))
            at_start = False
    while out and not out[-1][0].strip():
        out.pop()
    if out:
        out[-1] = (out[-1][0].rstrip(), out[-1][1])
    return out


def _creation_date(document_bundle: Resource) -> datetime:
    """The PDF's creation date: the document's timestamp (never the clock, so the same document
    gives the same file)."""
    for value in (document_bundle.get("timestamp"),):
        moment = _parse_datetime(value)
        if moment is not None:
            return moment
    return datetime(2000, 1, 1, tzinfo=UTC)


# -- reading the document ------------------------------------------------------------------------


def sanitise_narrative(div: Any) -> tuple[Node | str, ...]:
    """A Narrative div as whitelisted nodes: tags outside ALLOWED_TAGS are unwrapped (their
    text kept) or, for scripts and the like, dropped; no attribute survives. Markup that does
    not parse (or declares a DTD) is shown as its text."""
    if not isinstance(div, str):
        return ()
    source = _UNSAFE.sub("", div)
    if re.search(r"<!(DOCTYPE|ENTITY)", source, re.IGNORECASE):
        return _as_text(source)  # no DTD, so no entity expansion: FHIR narrative has none
    try:
        root = ET.fromstring(source)  # noqa: S314 (no DTD, see above; expat loads no externals)
    except ET.ParseError:
        return _as_text(source)
    return tuple(_convert(root, 0))


def _as_text(source: str) -> tuple[Node | str, ...]:
    text = html.unescape(re.sub(r"<[A-Za-z/!?][^>]*>?", " ", source))
    text = _SPACE.sub(" ", _UNSAFE.sub("", text)).strip()
    return (Node("p", (text,)),) if text else ()


def _convert(element: ET.Element, depth: int) -> list[Node | str]:
    tag = element.tag.lower() if isinstance(element.tag, str) else ""
    name = tag.rsplit("}", 1)[-1]
    if name in _DROPPED_WITH_CONTENT:  # in any namespace (an svg:script is still a script)
        return []
    xhtml = not tag.startswith("{") or tag.startswith(_XHTML_NS)
    local = name if xhtml else ""  # elements of other namespaces are unwrapped
    if depth >= _MAX_DEPTH:
        return ["".join(element.itertext())]
    children: list[Node | str] = [element.text] if element.text else []
    for child in element:
        children.extend(_convert(child, depth + 1))
        if child.tail:
            children.append(child.tail)
    if local in ALLOWED_TAGS:
        return [Node(local, () if local == "br" else tuple(children))]
    return children


def _sections(value: Any, level: int) -> list[Section]:
    found: list[Section] = []
    for section in _list(value):
        if not isinstance(section, dict):
            continue
        text = section.get("text")
        body = sanitise_narrative(text.get("div")) if isinstance(text, dict) else ()
        found.append(Section(_clean(section.get("title")), min(level, 3), body))
        found += _sections(section.get("section"), level + 1)
    return found


def _follow_ups(resources: Sequence[Resource]) -> tuple[FollowUp, ...]:
    dated: list[tuple[tuple[int, float, str], FollowUp]] = []
    for task in resources:
        if task.get("resourceType") != "Task":
            continue
        restriction = task.get("restriction")
        period = restriction.get("period") if isinstance(restriction, dict) else None
        start = period.get("start") if isinstance(period, dict) else None
        moment = _parse_datetime(start)
        when = _dutch(start) or ""
        sort_key = (0, moment.timestamp(), "") if moment else (1, 0.0, _clean(start))
        dated.append((sort_key, FollowUp(when, _clean(task.get("description")))))
    return tuple(f for _, f in sorted(dated, key=lambda pair: pair[0]))


def _brochure(resources: Sequence[Resource]) -> tuple[str | None, str | None]:
    """The brochure's title and link (only an http(s) URL is linked)."""
    for ref in resources:
        if ref.get("resourceType") != "DocumentReference":
            continue
        for content in _list(ref.get("content")):
            attachment = content.get("attachment") if isinstance(content, dict) else None
            if not isinstance(attachment, dict):
                continue
            url = attachment.get("url")
            safe = url if isinstance(url, str) and _SAFE_URL.match(url) else None
            title = _clean(attachment.get("title")) or _clean(ref.get("description")) or None
            if safe or title:
                return title, safe
    return None, BROCHURE_URL


def _general_practitioner(
    index: ResourceIndex, patient: Resource | None, resources: Sequence[Resource]
) -> Resource | None:
    """The patient's GP on record, else the Practitioner the follow-up Tasks are for."""
    candidates = list(_list(patient.get("generalPractitioner"))) if patient else []
    candidates += [t.get("owner") for t in resources if t.get("resourceType") == "Task"]
    for ref in candidates:
        found = _practitioner_of(index, _resolve(index, ref, None))
        if found is not None and found.get("resourceType") == "Practitioner":
            return found
    return None


def _practitioner_of(index: ResourceIndex, resource: Resource | None) -> Resource | None:
    if resource is not None and resource.get("resourceType") == "PractitionerRole":
        return _resolve(index, resource.get("practitioner"), "Practitioner")
    return resource


def _resolve(index: ResourceIndex, reference: Any, resource_type: str | None) -> Resource | None:
    found = index.resolve(reference) if isinstance(reference, dict) else None
    if found is None or (resource_type and found.get("resourceType") != resource_type):
        return None
    return found


def _name(resource: Resource | None) -> str:
    """A person's or organisation's display name, as one clean line."""
    if not resource:
        return ""
    names = resource.get("name")
    if isinstance(names, str):
        return _clean(names)
    names = [n for n in _list(names) if isinstance(n, dict)]
    if not names:
        return ""
    name = next((n for n in names if n.get("use") == "official"), names[0])
    if isinstance(name.get("text"), str) and _clean(name["text"]):
        return _clean(name["text"])
    parts = [*_list(name.get("prefix")), *_list(name.get("given")), name.get("family")]
    return _clean(" ".join(p for p in parts if isinstance(p, str)))


def _address(organization: Resource) -> tuple[str, ...]:
    for address in _list(organization.get("address")):
        if not isinstance(address, dict):
            continue
        lines = [_clean(line) for line in _list(address.get("line"))]
        place = " ".join(_clean(address.get(k)) for k in ("postalCode", "city"))
        lines.append(place.strip())
        kept = tuple(line for line in lines if line)
        if kept:
            return kept
    return FALLBACK_HOSPITAL_ADDRESS


def _city(organization: Resource) -> str:
    for address in _list(organization.get("address")):
        if isinstance(address, dict) and _clean(address.get("city")):
            return _clean(address.get("city"))
    return ""


def _phone(organization: Resource | None) -> str:
    if not organization:
        return ""
    for telecom in _list(organization.get("telecom")):
        if isinstance(telecom, dict) and telecom.get("system") == "phone":
            value = _clean(telecom.get("value"))
            if value:
                return value
    return ""


def _parse_datetime(value: Any) -> datetime | None:
    if not isinstance(value, str) or "T" not in value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    try:
        local(moment)  # a moment Brussels time cannot express (year 1 or 9999) is no date
    except OverflowError:
        return None
    return moment


def _dutch(value: Any) -> str | None:
    """A FHIR date or dateTime in Dutch ('2 december 2026', Brussels time); another string as it
    is (cleaned); None for nothing."""
    if not isinstance(value, str) or not value.strip():
        return None
    moment = _parse_datetime(value)
    if moment is not None:
        return dutch_date(moment)
    try:
        date.fromisoformat(value)
    except ValueError:
        return _clean(value) or None
    return dutch_date(value)


def _clean(value: Any) -> str:
    """A string from the document as one line of plain text; '' for anything not a string."""
    if not isinstance(value, str):
        return ""
    return _SPACE.sub(" ", _UNSAFE.sub("", value)).strip()


def _clean_text(value: str) -> str:
    return _UNSAFE.sub("", value)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
