"""Markdown to sanitised HTML: markdown-it-py renders CommonMark (with tables and
strikethrough) with raw HTML turned off, so what an author types as HTML is shown as text; nh3
(the Rust ``ammonia`` sanitiser) then keeps only the tags, attributes and URL schemes listed
here, whatever the renderer let through. Two layers, so a bug in one is not an XSS."""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

_TAGS = frozenset(
    {
        "a", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
        "img", "li", "ol", "p", "pre", "s", "strong", "table", "tbody", "td", "th", "thead",
        "tr", "ul",
    }
)  # fmt: skip
_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "code": {"class"},
    "ol": {"start"},
    "th": {"style"},
    "td": {"style"},
}
_SCHEMES = frozenset({"http", "https", "mailto"})


class SanitisingMarkdownRenderer:
    def __init__(self) -> None:
        self._markdown = MarkdownIt("commonmark", {"html": False}).enable(
            ["table", "strikethrough"]
        )

    def render(self, source: str) -> str:
        return nh3.clean(
            self._markdown.render(source),
            tags=set(_TAGS),
            attributes={tag: set(names) for tag, names in _ATTRIBUTES.items()},
            url_schemes=set(_SCHEMES),
            link_rel="nofollow noopener noreferrer",
            # Only text-align, which the table extension writes.
            filter_style_properties={"text-align"},
        )
