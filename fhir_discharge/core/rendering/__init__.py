"""The GP letter for people and for GP systems that cannot read FHIR: standalone HTML and PDF.

Pure: a `document` Bundle (core/letter/document.py) in, a page out; no network, no clock. Both forms
show the same content, read once from the document (reader.py `letter_view`): letterhead,
addressee, patient, date, every section of the Composition, the follow-up dates of the Tasks,
the brochure link and the signature; the page's own labels come from the catalogue of the
letter's language (core/i18n/, `page`), the letterhead from the document's hospital, else the
site's (sites/*.toml).

The document is untrusted input even though we wrote it: it may have been stored, forwarded and
edited elsewhere. Every string is cleaned of characters that could change how it reads
(narrative.clean); section narratives go through nh3 with an allowlist (sanitise.py); the HTML
comes from an autoescaping Jinja2 template (html.py) and forbids scripts by
Content-Security-Policy; the PDF (pdf.py, fpdf2) draws text only.
"""

from __future__ import annotations

from .html import LETTER_CSS, render_letter_html
from .pdf import render_letter_pdf
from .reader import FollowUp, Letter, Section, letter_view
from .sanitise import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, Node, sanitise_narrative

__all__ = [
    "ALLOWED_ATTRIBUTES",
    "ALLOWED_TAGS",
    "LETTER_CSS",
    "FollowUp",
    "Letter",
    "Node",
    "Section",
    "letter_view",
    "render_letter_html",
    "render_letter_pdf",
    "sanitise_narrative",
]
