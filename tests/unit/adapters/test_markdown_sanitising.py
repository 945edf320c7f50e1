"""Posts are Markdown rendered to HTML that no browser runs code from: known XSS payloads and
generated markup never leave a script, an event handler or a ``javascript:`` URL in the
output, while ordinary Markdown keeps its formatting."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from hypothesis import example, given, settings
from hypothesis import strategies as st

from elearn.adapters.markdown import SanitisingMarkdownRenderer

RENDERER = SanitisingMarkdownRenderer()

# From the OWASP XSS filter evasion cheat sheet and PortSwigger's list, as Markdown and HTML.
PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//xss.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<svg/onload=alert(1)>",
    "<body onload=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](  javascript:alert(1))",
    "[click](java\tscript:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](javascript&#58;alert(1))",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](javascript:alert(1))",
    '![x](https://example.com/a.png"onerror="alert(1))',
    '[x](https://example.com "title" onmouseover=alert(1))',
    "<iframe src=javascript:alert(1)></iframe>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<details open ontoggle=alert(1)>",
    '<div style="background:url(javascript:alert(1))">',
    "<<script>script>alert(1)<</script>/script>",
    "`<script>` and ```\n<script>alert(1)</script>\n```",
    '<a href="&#x6A;avascript:alert(1)">x</a>',
    "[a](<javascript:alert(1)>)",
    "[ref]\n\n[ref]: javascript:alert(1)",
    "<object data=javascript:alert(1)>",
    "<input autofocus onfocus=alert(1)>",
]

_EVENT_ATTRIBUTE = re.compile(r"^on", re.IGNORECASE)
_BAD_SCHEME = re.compile(r"^\s*(javascript|vbscript|data):", re.IGNORECASE)
_RUNNABLE_TAGS = {"script", "iframe", "object", "embed", "svg", "math", "style", "body", "form"}


class _Inspector(HTMLParser):
    """Reads the output as a browser would and lists anything that could run code."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _RUNNABLE_TAGS:
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            if _EVENT_ATTRIBUTE.match(name):
                self.problems.append(f"{tag} {name}")
            if name in {"href", "src", "style", "action", "formaction", "xlink:href"}:
                if _BAD_SCHEME.match(value or "") or "javascript" in (value or "").lower():
                    self.problems.append(f"{tag} {name}={value}")


def _runnable(html: str) -> list[str]:
    inspector = _Inspector()
    inspector.feed(html)
    inspector.close()
    return inspector.problems


_MARKUP = st.sampled_from(
    [
        "<", ">", "/", "=", '"', "'", "`", " ", "\n", "(", ")", "[", "]", "!", ":", "&#", ";",
        "script", "img", "svg", "a", "href", "src", "onerror", "onload", "javascript",
        "JavaScript", "alert(1)", "x", "**", "#", "<script>", "</script>", "](", "data:",
        "&#106;", "\t", "\x00",
    ]
)  # fmt: skip


@settings(max_examples=300)
@given(st.lists(_MARKUP, max_size=40).map("".join))
@example("".join(PAYLOADS))
def test_generated_markup_never_runs(source: str) -> None:
    assert _runnable(RENDERER.render(source)) == []


@given(st.sampled_from(PAYLOADS), st.text(max_size=30), st.text(max_size=30))
def test_known_payloads_never_run_wherever_they_sit(payload: str, before: str, after: str) -> None:
    assert _runnable(RENDERER.render(before + payload + after)) == []


def test_ordinary_markdown_keeps_its_formatting() -> None:
    html = RENDERER.render(
        "# Title\n\n**bold** _it_ `code` [site](https://example.com)\n\n- one\n- two"
    )
    assert "<h1>Title</h1>" in html
    assert "<strong>bold</strong>" in html and "<em>it</em>" in html
    assert '<a href="https://example.com" rel="nofollow noopener noreferrer">site</a>' in html
    assert "<li>one</li>" in html


def test_raw_html_is_shown_as_text() -> None:
    assert RENDERER.render("<b>hi</b>") == "<p>&lt;b&gt;hi&lt;/b&gt;</p>\n"
