"""The letter as an A4 PDF, drawn with fpdf2; DejaVu Sans (core/fonts/) is embedded, so the PDF
looks the same on every machine and shows every character the font has (U+FFFD for the rest).

The same view as the HTML page (reader.py); the same document gives the same file (the creation
date is the document's timestamp, never the clock).

Because the same document always gives the same file, the last PDFs made are kept by the digest
of everything they are drawn from (`content_digest`: the document in full and the site), so the
CDS card fired again for one record, and the discharge after the card, reuse its bytes instead
of drawing the letter again (~60 ms of CPU). A pure memo: keyed by the full content, never by
an id or the encounter, so a letter that differs in any character gets its own PDF (H180).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Container, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from ...types import Resource
from ..letter.narrative import clean
from ..site import Site
from .pdf_fonts import add_letter_fonts, output_producer
from .reader import FollowUp, Letter, letter_view, parse_datetime
from .sanitise import Node

if TYPE_CHECKING:
    from fpdf import FPDF

_SPACE: Final = re.compile(r"\s+")
_FONT: Final = "DejaVuSans"
_BLUE: Final = (29, 79, 145)
_BODY_PT: Final = 10.0
_LINE_MM: Final = 5.0

_PDFS_KEPT: Final = 32  # PDFs kept by content digest (each ~35 kB)
_pdfs_lock = threading.Lock()
_PDFS: OrderedDict[str, bytes] = OrderedDict()


def render_letter_pdf(document_bundle: Resource, site: Site) -> bytes:
    """The same letter as an A4 PDF (fonts embedded); `site`'s letterhead where the document
    names no hospital. The PDF made before for the very same document and site, if still kept."""
    try:
        key = content_digest(document_bundle, site)
    except (TypeError, ValueError):  # not JSON (a document read elsewhere): drawn, not kept
        return draw_letter_pdf(document_bundle, site)
    with _pdfs_lock:
        pdf = _PDFS.get(key)
        if pdf is not None:
            _PDFS.move_to_end(key)
            return pdf
    pdf = draw_letter_pdf(document_bundle, site)
    with _pdfs_lock:
        _PDFS[key] = pdf
        while len(_PDFS) > _PDFS_KEPT:
            _PDFS.popitem(last=False)
    return pdf


def content_digest(document_bundle: Resource, site: Site) -> str:
    """SHA-256 of all the PDF is drawn from: the whole document (canonical JSON: keys sorted,
    every character kept) and the whole site (its letterhead is the fallback). Two inputs
    differing anywhere give different keys."""
    canonical = json.dumps(
        [document_bundle, repr(site)],
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        allow_nan=False,
    )
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def draw_letter_pdf(document_bundle: Resource, site: Site) -> bytes:
    """The letter's PDF, drawn now (render_letter_pdf without the memo)."""
    letter = letter_view(document_bundle, site)
    pdf = _new_pdf(letter, _creation_date(document_bundle))
    writer = _PdfWriter(pdf)
    writer.letter(letter)
    # The fonts are cut to the glyphs drawn from sources kept across documents (pdf_fonts.py).
    return bytes(pdf.output(output_producer_class=output_producer()))


def _new_pdf(letter: Letter, created: datetime) -> FPDF:
    from fpdf import FPDF

    footer_text = clean(", ".join(x for x in (letter.patient_name, letter.patient_birth_date) if x))

    class LetterPDF(FPDF):
        def footer(self) -> None:
            self.set_y(-13)
            self.set_font(_FONT, "", 8)
            self.set_text_color(90, 90, 90)
            width = self.w - self.l_margin - self.r_margin
            page = letter.labels["page"].format(page=self.page_no(), pages="{nb}")
            self.cell(width * 0.75, 5, _fit(self, footer_text, width * 0.72), align="L")
            self.cell(width * 0.25, 5, page, align="R")

    pdf = LetterPDF(orientation="portrait", unit="mm", format="A4")
    add_letter_fonts(pdf, _FONT)  # DejaVu Sans and Sans Bold, parsed once per process
    pdf.set_margins(20, 16, 20)
    pdf.set_auto_page_break(True, margin=20)
    pdf.set_creation_date(created)
    pdf.set_lang(letter.language)
    pdf.set_title(clean(f"{letter.title} – {letter.patient_name}"))
    pdf.set_author(clean(letter.author or letter.hospital_name))
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
        self.glyphs: Container[int] = getattr(font, "cmap", None) or {}

    # text that the font can draw: a missing glyph shows as U+FFFD, never as nothing
    def _printable(self, text: str) -> str:
        cleaned = clean(text)
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
            self._line(letter.labels["no-sections"])
        for section in letter.sections:
            self._heading(section.title, size=11.5 if section.level == 2 else _BODY_PT)
            self._blocks(section.body, indent=0.0)

        if letter.follow_ups:
            self._heading(letter.labels["follow-up"], size=11.5)
            self._follow_up_table(letter.follow_ups, letter.labels)
        if letter.brochure_url or letter.brochure_title:
            self._heading(letter.labels["brochure"], size=11.5)
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

    def _follow_up_table(self, follow_ups: Sequence[FollowUp], labels: Mapping[str, str]) -> None:
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
            head.cell(self._printable(labels["follow-up-from"]))
            head.cell(self._printable(labels["follow-up-what"]))
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
            elif node.tag in _TABLE_PARTS:
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


_INLINE: Final = frozenset({"b", "strong", "i", "em", "span", "sub", "sup"})
_TABLE_PARTS: Final = frozenset({"table", "thead", "tbody", "tfoot", "tr"})


def _runs(node: Node | str, bold: bool) -> list[tuple[str, bool]]:
    """Inline text of a node, with its weight; anything block-like inside is flattened."""
    if isinstance(node, str):
        return [(node, bold)]
    if node.tag == "br":
        return [("\n", bold)]
    inner = bold or node.tag in ("b", "strong", "h1", "h2", "h3", "th", "caption")
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
        if isinstance(child, Node) and child.tag in _TABLE_PARTS:
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
        moment = parse_datetime(value)
        if moment is not None:
            return moment
    return datetime(2000, 1, 1, tzinfo=UTC)
