"""The letter's fonts for fpdf2, parsed once per process instead of once per PDF.

fpdf2 parses a TrueType font in full when it is added to a document (`FPDF.add_font`: every
glyph's outline, its metrics and cmap) and, when the document is written, cuts it down to the
glyphs drawn (fontTools' subsetter, on the font it parsed). For the letter that was most of its
PDF's cost: ~75 of ~120 ms of CPU per PDF (benchmarks/README.md, "The letter's PDF").

What is kept across documents, and why the bytes stay the same:

- **The parsed font** (`_template`): widths, cmap, glyph ids and descriptor, read once. Each
  document gets its own copy (`document_font`) with what a document changes: its place in the
  document's font list, the glyphs it used (`subset`), the characters missing from the font, the
  largest size drawn, its own width table. Drawing reads nothing else of the font (fpdf2 reads
  the fontTools font itself only for colour fonts and text shaping, neither used here).
- **Where the subset is cut from** (`subset_source`, at output): fpdf2 subsets the font object
  in place, so each document needs a fresh one. Instead of the whole DejaVu Sans (~6,000 glyphs,
  parsed again), a document whose glyphs are all Latin (U+0020-U+024F, general punctuation, the
  euro sign, U+FFFD) is cut from a Latin subset of the font made once with fpdf2's own subsetting
  options (~650 glyphs). Subsetting is a restriction: cutting the Latin subset down to the
  document's glyphs gives the very font program fpdf2 cuts from the whole font (same glyph
  order, cmap, metrics, hinting programs; tests/unit/test_rendering.py compares the PDFs byte for
  byte). A document with any other glyph (a Greek or Cyrillic name) is cut from the whole font,
  as fpdf2 would.
- **The last subsets made** (`_SUBSETS`, by font and glyph set, bounded): a letter whose
  glyphs were subset before reuses that font program, so fontTools does not cut it again.

Pure (no I/O beyond reading the package's own font files once).
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from collections.abc import Iterable
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from fontTools.ttLib import TTFont
    from fpdf import FPDF
    from fpdf.fonts import TTFFont

FONT_DIR: Final = Path(__file__).resolve().parent.parent / "fonts"
FONT_FILES: Final = {"": FONT_DIR / "DejaVuSans.ttf", "B": FONT_DIR / "DejaVuSans-Bold.ttf"}

# The code points of the Latin subset the usual letter's glyphs are cut from: Basic Latin to
# Latin Extended-B, general punctuation (dashes, quotes, bullet, ellipsis), the euro sign, and
# U+FFFD (what the letter draws for a character the font lacks).
LATIN: Final = (
    *range(0x20, 0x250),
    *range(0x2000, 0x2070),
    0x20AC,
    0xFFFD,
)
# fpdf2 2.8's subsetting options (fpdf/output.py, OutputProducer._add_fonts): the Latin subset
# is made with the same, so that cutting it again gives what fpdf2 cuts from the whole font.
_DROPPED_TABLES: Final = (
    "FFTM",
    "GDEF",
    "GPOS",
    "GSUB",
    "MATH",
    "hdmx",
    "meta",
    "sbix",
    "CBDT",
    "CBLC",
    "EBDT",
    "EBLC",
    "EBSC",
    "SVG ",
    "CPAL",
    "COLR",
)
_SUBSETS_KEPT: Final = 64  # font programs kept by glyph set (each ~20-40 kB)

_lock = threading.Lock()
_templates: dict[str, TTFFont] = {}
_SUBSETS: OrderedDict[tuple[str, frozenset[str]], bytes] = OrderedDict()


def add_letter_fonts(pdf: FPDF, family: str) -> None:
    """What `pdf.add_font(family, style, file)` does for each style of FONT_FILES, from fonts
    parsed once per process."""
    for style, path in FONT_FILES.items():
        font = document_font(_template(pdf, family, style, path), pdf)
        pdf.fonts[font.fontkey] = font


def document_font(template: TTFFont, pdf: FPDF) -> TTFFont:
    """A copy of a parsed font for one document: what a document changes is its own, the rest
    (cmap, glyph ids, descriptor, the fontTools font) is shared and only read."""
    from fpdf.fonts import SubsetMap

    font = copy.copy(template)
    font.i = len(pdf.fonts) + 1
    font.cw = copy.copy(template.cw)  # a defaultdict: reading a missing width adds it
    font.missing_glyphs = []
    font.biggest_size_pt = 0
    font.subset = SubsetMap(font)
    return font


def subset_source(font: TTFFont) -> TTFont:
    """A fresh fontTools font for fpdf2 to cut `font`'s subset from, at output: the subset made
    before for the same glyphs, else the Latin subset when every glyph is in it, else the whole
    font (as fpdf2 itself would)."""
    from fontTools.ttLib import TTFont

    glyphs = frozenset(font.subset.get_all_glyph_names())
    key = (str(font.ttffile), glyphs)
    with _lock:
        program = _SUBSETS.get(key)
        if program is not None:
            _SUBSETS.move_to_end(key)
    if program is None:
        latin, latin_glyphs = _latin_subset(str(font.ttffile))
        if glyphs <= latin_glyphs:
            program = cut(BytesIO(latin), glyphs)
        else:
            program = cut(font.ttffile, glyphs)
        with _lock:
            _SUBSETS[key] = program
            while len(_SUBSETS) > _SUBSETS_KEPT:
                _SUBSETS.popitem(last=False)
    # Cutting a font to the glyphs it holds gives it back unchanged, byte for byte: fpdf2's own
    # subsetting of this one is cheap and its output is what it would have been.
    # (Its bounding boxes are already those of these glyphs: not computed again.)
    return TTFont(BytesIO(program), recalcTimestamp=False, recalcBBoxes=False, lazy=True)


def cut(source: Path | BytesIO, glyphs: Iterable[str]) -> bytes:
    """The font program of `source` cut to `glyphs`, as fpdf2 2.8 cuts it (its options)."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options(notdef_outline=True, recommended_glyphs=True)
    options.drop_tables += list(_DROPPED_TABLES)
    font = TTFont(source, recalcTimestamp=False, lazy=True)
    subsetter = subset.Subsetter(options)
    subsetter.populate(glyphs=sorted(glyphs))
    subsetter.subset(font)
    out = BytesIO()
    font.save(out)
    return out.getvalue()


def _template(pdf: FPDF, family: str, style: str, path: Path) -> TTFFont:
    """The font `path` as fpdf2 parses it (once per process and family)."""
    fontkey = f"{family.lower()}{style}"
    with _lock:
        found = _templates.get(fontkey)
        if found is None:
            found = _letter_font_class()(pdf, path, fontkey, style)
            _templates[fontkey] = found
        return found


@cache
def _letter_font_class() -> type[TTFFont]:
    from fpdf.fonts import TTFFont

    class LetterFont(TTFFont):
        """fpdf2's TrueType font, measuring text faster: fpdf2's line breaking measures the
        line again for every character it adds (~200,000 characters summed per letter), so the
        sum of the widths is done in C (`map`), not in a generator. The same integers are summed:
        the same widths, the same lines."""

        __slots__ = ()

        def get_text_width(
            self, text: str, font_size_pt: float, text_shaping_params: dict[str, Any] | None
        ) -> tuple[int, float]:
            if text_shaping_params or self.is_symbol:
                return super().get_text_width(text, font_size_pt, text_shaping_params)
            if font_size_pt > self.biggest_size_pt:
                self.biggest_size_pt = font_size_pt
            units = sum(map(self.cw.__getitem__, map(ord, text)))
            return len(text), units * font_size_pt * 0.001

    return LetterFont


@cache
def _latin_subset(path: str) -> tuple[bytes, frozenset[str]]:
    """The font at `path` cut to the glyphs of LATIN (once per process), and its glyph names."""
    from fontTools.ttLib import TTFont

    whole = TTFont(path, lazy=True)
    cmap = whole.getBestCmap()
    program = cut(Path(path), {cmap[c] for c in LATIN if c in cmap})
    return program, frozenset(TTFont(BytesIO(program), lazy=True).getGlyphOrder())


def output_producer() -> type[Any]:
    """fpdf2's OutputProducer, handing each font of ours a fresh font to subset (subset_source)
    just before fpdf2 subsets and embeds it (`FPDF.output(output_producer_class=...)`)."""
    return _letter_output_producer()


@cache
def _letter_output_producer() -> type[Any]:
    from fpdf.fonts import TTFFont
    from fpdf.output import OutputProducer

    class LetterOutputProducer(OutputProducer):
        def _add_fonts(self, *args: Any, **kwargs: Any) -> Any:
            for font in self.fpdf.fonts.values():
                if isinstance(font, TTFFont) and font.fontkey in _templates:
                    font.ttfont = subset_source(font)
            return super()._add_fonts(*args, **kwargs)

    return LetterOutputProducer
