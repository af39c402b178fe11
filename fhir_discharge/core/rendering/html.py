"""The letter as one standalone HTML5 page (UTF-8, inline CSS, A4 for printing), from the Jinja2
template templates/letter.html.j2.

Autoescape is on, and every value is also cleaned of characters that change how a text reads
(`finalize`), so a value can only ever be text. The one stylesheet is ours (templates/letter.css),
written as is; the page forbids scripts and every external load by Content-Security-Policy.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from ...types import Resource
from ..letter.narrative import clean
from ..site import Site
from .reader import letter_view

TEMPLATES: Final = Path(__file__).resolve().parent / "templates"
# The letter's one inline stylesheet; the physician's app allows it by its CSP hash, so the page
# must carry exactly this text.
LETTER_CSS: Final = (TEMPLATES / "letter.css").read_text(encoding="utf-8")


def _finalize(value: Any) -> Any:
    # Markup is ours (the stylesheet, the narrative macro's output); everything else is text.
    return clean(value) if isinstance(value, str) and not isinstance(value, Markup) else value


_ENVIRONMENT: Final = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=True,
    undefined=StrictUndefined,
    finalize=_finalize,
    keep_trailing_newline=True,
)


def render_letter_html(document_bundle: Resource, site: Site) -> str:
    """The letter of a `document` Bundle as an HTML page; `site`'s letterhead where the document
    names no hospital. Raises ValueError when the Bundle holds no Composition."""
    template = _ENVIRONMENT.get_template("letter.html.j2")
    view = letter_view(document_bundle, site)
    return template.render(letter=view, css=Markup(LETTER_CSS))  # noqa: S704 (our own file)
