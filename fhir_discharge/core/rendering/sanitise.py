"""A section's narrative XHTML, made safe to show, as a tree both renderers draw.

The document may not be ours (stored, forwarded, edited elsewhere), so its narrative is hostile
input. It is cleaned by nh3 (the ammonia HTML sanitiser) with an explicit allowlist, then read
into `Node`s. FHIR R4 Narrative (txt-1, txt-2) allows the basic HTML formatting elements, `<a>`,
`<img>` and `style` attributes, never scripts or event attributes. The letter keeps less: the
formatting elements it is read with and, on table cells, the attributes that shape the table.
No link, image, style, class or id survives: on a document that is not ours they could point the
reader or the browser elsewhere, or restyle the page (hide text, fake a heading).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any, Final

import nh3

from ..letter.narrative import clean

# Elements a narrative keeps; any other element is unwrapped to its text.
ALLOWED_TAGS: Final = frozenset(
    {"p", "br", "span", "b", "strong", "i", "em", "sub", "sup", "h1", "h2", "h3"}
    | {"ul", "ol", "li"}
    | {"table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td"}
)
# Attributes an element keeps, each with the values it may take.
ALLOWED_ATTRIBUTES: Final[Mapping[str, frozenset[str]]] = {
    "td": frozenset({"colspan", "rowspan"}),
    "th": frozenset({"colspan", "rowspan", "scope"}),
}
_SPANS: Final = frozenset(str(n) for n in range(1, 100))
_SCOPES: Final = frozenset({"row", "col", "rowgroup", "colgroup"})
# Elements whose content is never text to read: dropped with it (nh3 drops SVG and MathML too).
DROPPED_WITH_CONTENT: Final = frozenset(
    {"script", "style", "head", "title", "template", "noscript", "iframe", "object", "embed"}
    | {"svg", "math", "textarea", "select", "button", "canvas", "audio", "video"}
)
MAX_DEPTH: Final = 24  # deeper markup is flattened to its text (the PDF writer recurses)


@dataclass(frozen=True)
class Node:
    """A sanitised narrative element: an allowed tag, its allowed attributes, its children."""

    tag: str
    children: tuple[Node | str, ...]
    attributes: tuple[tuple[str, str], ...] = ()


def sanitise_narrative(div: Any) -> tuple[Node | str, ...]:
    """A Narrative div as allowed nodes (nothing for a value that is not a string)."""
    if not isinstance(div, str):
        return ()
    safe_html = nh3.clean(
        clean(div),
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=_allowed_value,
        strip_comments=True,
        url_schemes=set(),
    )
    tree = _Tree()
    tree.feed(safe_html)
    tree.close()
    return tree.nodes()


def _allowed_value(tag: str, attribute: str, value: str) -> str | None:
    if attribute in ("colspan", "rowspan"):
        return value if value in _SPANS else None
    if attribute == "scope":
        return value if value in _SCOPES else None
    return None


class _Tree(HTMLParser):
    """nh3's output (well-formed, allowed tags only) read back into Nodes. Character references
    are decoded here, so the text is cleaned again: `&#x202e;` is an override like any other."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        root: tuple[str, tuple[tuple[str, str], ...], list[Node | str]] = ("", (), [])
        self._open = [root]
        self._flattened = 0  # elements opened beyond MAX_DEPTH, shown as their text only

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            return
        if tag == "br":
            self._add(Node("br", ()))
        elif self._flattened or len(self._open) > MAX_DEPTH:
            self._flattened += 1
        else:
            allowed = ALLOWED_ATTRIBUTES.get(tag, frozenset())
            kept = tuple((k, clean(v)) for k, v in attrs if k in allowed and v is not None)
            self._open.append((tag, kept, []))

    def handle_endtag(self, tag: str) -> None:
        if tag not in ALLOWED_TAGS or tag == "br":
            return
        if self._flattened:
            self._flattened -= 1
        elif len(self._open) > 1 and self._open[-1][0] == tag:
            self._close()

    def handle_data(self, data: str) -> None:
        self._add(clean(data))

    def nodes(self) -> tuple[Node | str, ...]:
        while len(self._open) > 1:
            self._close()
        return tuple(self._open[0][2])

    def _close(self) -> None:
        tag, attributes, children = self._open.pop()
        self._add(Node(tag, tuple(children), attributes))

    def _add(self, child: Node | str) -> None:
        children = self._open[-1][2]
        if isinstance(child, str):
            if not child:
                return
            if children and isinstance(children[-1], str):
                children[-1] += child
                return
        children.append(child)
