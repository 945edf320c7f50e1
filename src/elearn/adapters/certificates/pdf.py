"""Certificates as PDF documents, drawn with fpdf2.

One A4 landscape page: "Certificate of Completion", the student's name, the course, its
instructors, the date of issue, the serial and a clickable verification link. Everything is
real text (selectable, searchable, extractable), never outlines. Long names and titles wrap and
shrink to fit; past a few lines they are cut with "...", so the page never overflows and there is
always exactly one.

Fonts and Unicode — read this before deploying:

* With ``font_path`` (a TrueType/OpenType file, e.g. DejaVuSans.ttf or a Noto font) that font is
  embedded (subset) and used for all text, so every character the font has a glyph for prints
  as is; the few it lacks get the fallback below instead of printing as blank boxes. Complex
  scripts (Arabic, Indic) need text shaping, which this renderer does not turn on.
  ``bold_font_path`` optionally adds a bold face; without it, emphasis is by size and colour.
* Without ``font_path`` the PDF core font Helvetica is used, which covers **latin-1 only**, so
  every other character gets the fallback: typographic quotes and dashes become their ASCII
  forms, a few letters without a decomposition are spelled out (Ł → L, Œ → OE, € → EUR), other
  letters are decomposed (NFKD) and lose their accents, and whatever is still not printable
  becomes "?". Accented letters that *are* latin-1 stay: "Łukasz Żółć" prints as
  "Lukasz Zólc" and "李小龙" as "???". Deployments with international students should
  configure a Unicode font.

The date is the issue date as stored (``issued_at``'s own calendar day, normally UTC), written
in English without the locale ("22 November 2026"). The PDF's creation date is set to the issue
time, so rendering the same certificate twice gives the same bytes.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from elearn.domain.learning.certificate import Certificate

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_PT = 25.4 / 72  # millimetres per point
_LINE = 1.25  # line height as a multiple of the font size

# Page geometry (mm), A4 landscape.
_PAGE_W, _PAGE_H = 297.0, 210.0
_CONTENT_X = 30.0
_CONTENT_W = _PAGE_W - 2 * _CONTENT_X
_BODY_TOP = 56.0  # below the title and its rule
_BODY_BOTTOM = 150.0  # above the footer
_FOOTER_Y = 156.0

_NAVY = (31, 56, 100)
_GOLD = (184, 146, 61)
_INK = (40, 40, 40)
_GREY = (110, 110, 110)
_LINK = (30, 80, 170)

_CORE_FAMILY = "Helvetica"
_EMBEDDED_FAMILY = "CertificateSans"
_ELLIPSIS = "..."

# Characters with no NFKD decomposition into latin-1, spelled the way readers expect.
_SPELLED = str.maketrans(
    {
        "\u0141": "L",  # latin capital letter l with stroke
        "\u0142": "l",  # latin small letter l with stroke
        "\u0110": "D",  # latin capital letter d with stroke
        "\u0111": "d",  # latin small letter d with stroke
        "\u0126": "H",  # latin capital letter h with stroke
        "\u0127": "h",  # latin small letter h with stroke
        "\u0131": "i",  # latin small letter dotless i
        "\u0152": "OE",  # latin capital ligature oe
        "\u0153": "oe",  # latin small ligature oe
        "\u0149": "'n",  # latin small letter n preceded by apostrophe
        "\u014a": "N",  # latin capital letter eng
        "\u014b": "n",  # latin small letter eng
        "\u017f": "s",  # latin small letter long s
        "\u0166": "T",  # latin capital letter t with stroke
        "\u0167": "t",  # latin small letter t with stroke
        "\u2018": "'",  # left single quotation mark
        "\u2019": "'",  # right single quotation mark
        "\u201a": "'",  # single low-9 quotation mark
        "\u201b": "'",  # single high-reversed-9 quotation mark
        "\u201c": '"',  # left double quotation mark
        "\u201d": '"',  # right double quotation mark
        "\u201e": '"',  # double low-9 quotation mark
        "\u201f": '"',  # double high-reversed-9 quotation mark
        "\u2039": "<",  # single left-pointing angle quotation mark
        "\u203a": ">",  # single right-pointing angle quotation mark
        "\u2010": "-",  # hyphen
        "\u2011": "-",  # non-breaking hyphen
        "\u2012": "-",  # figure dash
        "\u2013": "-",  # en dash
        "\u2014": "-",  # em dash
        "\u2015": "-",  # horizontal bar
        "\u2212": "-",  # minus sign
        "\u2022": "-",  # bullet
        "\u20ac": "EUR",  # euro sign
        "\u2122": "TM",  # trade mark sign
    }
)


def fallback(text: str, printable: Callable[[str], bool]) -> str:
    """``text`` with every character that is not ``printable`` replaced by a readable stand-in
    made of printable ones (see the module docstring), or "?" when there is none."""
    out: list[str] = []
    for char in text:
        if printable(char):
            out.append(char)
            continue
        spelled = char.translate(_SPELLED)
        if spelled != char and all(printable(c) for c in spelled):
            out.append(spelled)
            continue
        decomposed = unicodedata.normalize("NFKD", char).translate(_SPELLED)
        kept = "".join(c for c in decomposed if not unicodedata.combining(c))
        out.append(kept if kept and all(printable(c) for c in kept) else "?")
    return "".join(out)


def latin1_fallback(text: str) -> str:
    """``text`` as Helvetica can print it: characters outside latin-1 replaced."""
    return fallback(text, _is_latin1)


def _is_latin1(char: str) -> bool:
    return ord(char) < 0x100


def _one_line(text: str) -> str:
    """Whitespace of any kind as single spaces, control and format characters dropped: a name
    with a newline or a bidi override must not break the layout."""
    cleaned = "".join(
        " " if char.isspace() else char
        for char in text
        if char.isspace() or unicodedata.category(char) not in {"Cc", "Cf", "Cs", "Co", "Cn"}
    )
    return " ".join(cleaned.split())


def issue_date(moment: datetime) -> str:
    """``22 November 2026``: English, whatever the process locale."""
    return f"{moment.day} {_MONTHS[moment.month - 1]} {moment.year}"


def joined_names(names: Sequence[str]) -> str:
    """``A``, ``A and B``, ``A, B and C``."""
    names = [name for name in names if name]
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


def _uri(url: str) -> str:
    """The link target in ASCII (an IRI's non-ASCII characters percent-encoded, RFC 3987)."""
    return quote(url, safe="".join(chr(c) for c in range(0x21, 0x7F)))


class FpdfCertificateRenderer:
    """`CertificateRenderer` with fpdf2; see the module docstring for fonts and Unicode."""

    def __init__(
        self, font_path: Path | None = None, *, bold_font_path: Path | None = None
    ) -> None:
        if font_path is None and bold_font_path is not None:
            raise ValueError("bold_font_path needs font_path")
        for path in (font_path, bold_font_path):
            if path is not None and not Path(path).is_file():
                raise ValueError(f"font file not found: {path}")
        self._font_path = font_path
        self._bold_font_path = bold_font_path

    def render(self, certificate: Certificate, *, verification_url: str) -> bytes:
        return _Page(self._font_path, self._bold_font_path).draw(certificate, verification_url)


class _Page:
    """One certificate being drawn (fpdf2 documents are stateful and single use)."""

    def __init__(self, font_path: Path | None, bold_font_path: Path | None) -> None:
        # fpdf2 is imported where a certificate is drawn, not when the API starts: it holds
        # ~30 MiB that an API process which never renders a certificate should not carry.
        from fpdf import FPDF
        from fpdf.fonts import TTFFont

        pdf = FPDF(orientation="landscape", unit="mm", format="A4")
        pdf.set_auto_page_break(False)
        pdf.set_margins(_CONTENT_X, 20, _CONTENT_X)
        pdf.c_margin = 0
        self._printable: Callable[[str], bool]
        if font_path is None:
            self._family = _CORE_FAMILY
            self._has_bold = True
            self._printable = _is_latin1
        else:
            pdf.add_font(_EMBEDDED_FAMILY, "", str(font_path))
            if bold_font_path is not None:
                pdf.add_font(_EMBEDDED_FAMILY, "B", str(bold_font_path))
            self._family = _EMBEDDED_FAMILY
            self._has_bold = bold_font_path is not None
            # Characters every face has a glyph for; the others get the fallback rather than
            # printing as blank boxes.
            glyphs = set.intersection(
                *(set(font.cmap) for font in pdf.fonts.values() if isinstance(font, TTFFont))
            )
            self._printable = lambda char: ord(char) in glyphs
        self._pdf = pdf

    def draw(self, certificate: Certificate, verification_url: str) -> bytes:
        pdf = self._pdf
        title = f"Certificate of Completion: {_one_line(certificate.course_title)}"
        pdf.set_title(title)
        pdf.set_subject(f"Certificate {_one_line(certificate.serial)}")
        pdf.set_author("elearn")
        pdf.set_creator("elearn")
        pdf.set_lang("en")
        pdf.set_creation_date(certificate.issued_at)
        pdf.add_page()

        self._frame()
        pdf.set_y(24)
        self._print(["Certificate of Completion"], 30, bold=True, color=_NAVY)
        rule_y = pdf.get_y() + 3
        pdf.set_draw_color(*_GOLD)
        pdf.set_line_width(0.6)
        pdf.line(_PAGE_W / 2 - 40, rule_y, _PAGE_W / 2 + 40, rule_y)

        self._body(certificate)
        self._footer(certificate, verification_url)
        return bytes(pdf.output())

    # ---- parts ---------------------------------------------------------------------------
    def _frame(self) -> None:
        pdf = self._pdf
        pdf.set_draw_color(*_NAVY)
        pdf.set_line_width(1.2)
        pdf.rect(10, 10, _PAGE_W - 20, _PAGE_H - 20)
        pdf.set_draw_color(*_GOLD)
        pdf.set_line_width(0.4)
        pdf.rect(14, 14, _PAGE_W - 28, _PAGE_H - 28)

    def _body(self, certificate: Certificate) -> None:
        """The middle block, measured first and then centred between title and footer."""
        name = self._text(certificate.student_name)
        name_fit = self._fit(name, _sizes(32, 20), max_lines=1, bold=True, truncate=False)
        if name_fit is None:
            name_fit = self._fit(name, _sizes(20, 14), max_lines=2, bold=True)
        course = self._text(certificate.course_title)
        course_fit = self._fit(course, _sizes(22, 13), max_lines=3, bold=True)
        instructors = self._text(joined_names([_one_line(n) for n in certificate.instructor_names]))
        taught_fit = (
            self._fit(f"Taught by {instructors}", _sizes(13, 9), max_lines=2)
            if instructors
            else None
        )
        assert name_fit is not None and course_fit is not None

        blocks: list[tuple[float, list[str], bool, tuple[int, int, int], float]] = [
            (14, ["This certifies that"], False, _GREY, 3),
            (*name_fit, True, _INK, 3),
            (14, ["has completed"], False, _GREY, 3),
            (*course_fit, True, _NAVY, 4),
        ]
        if taught_fit is not None:
            blocks.append((*taught_fit, False, _GREY, 0))
        height = sum(size * _PT * _LINE * len(lines) + gap for size, lines, _, _, gap in blocks)
        top = _BODY_TOP + max(0.0, (_BODY_BOTTOM - _BODY_TOP - height) / 2)
        self._pdf.set_y(top)
        for size, lines, bold, color, gap in blocks:
            self._print(lines, size, bold=bold, color=color)
            self._pdf.set_y(self._pdf.get_y() + gap)

    def _footer(self, certificate: Certificate, verification_url: str) -> None:
        from fpdf.enums import Align, XPos, YPos

        pdf = self._pdf
        column = 100.0
        for x, label, value, align in (
            (_CONTENT_X, "Date of issue", issue_date(certificate.issued_at), Align.L),
            (
                _PAGE_W - _CONTENT_X - column,
                "Certificate serial",
                self._text(certificate.serial),
                Align.R,
            ),
        ):
            pdf.set_xy(x, _FOOTER_Y)
            self._font(9)
            pdf.set_text_color(*_GREY)
            pdf.cell(column, 9 * _PT * _LINE, label, align=align, new_x=XPos.LEFT, new_y=YPos.NEXT)
            size, lines = self._fit(value, _sizes(13, 8), max_lines=1) or (13, [value])
            self._font(size, bold=True)
            pdf.set_text_color(*_INK)
            pdf.cell(column, size * _PT * _LINE, lines[0], align=align)

        url = self._text(_one_line(verification_url))
        fit = self._fit(f"Verify at {url}", _sizes(10, 7), max_lines=2)
        assert fit is not None
        size, lines = fit
        pdf.set_y(_PAGE_H - 24 - size * _PT * _LINE * len(lines))
        self._print(lines, size, color=_LINK, link=_uri(verification_url.strip()))

    # ---- text ----------------------------------------------------------------------------
    def _text(self, text: str) -> str:
        return fallback(_one_line(text), self._printable)

    def _font(self, size: float, *, bold: bool = False, underline: bool = False) -> None:
        style = ("B" if bold and self._has_bold else "") + ("U" if underline else "")
        self._pdf.set_font(self._family, style, size)

    def _fit(
        self,
        text: str,
        sizes: Sequence[float],
        *,
        max_lines: int,
        bold: bool = False,
        truncate: bool = True,
    ) -> tuple[float, list[str]] | None:
        """The largest size at which ``text`` wraps into at most ``max_lines`` lines of the
        content width, with those lines; past the smallest size the text is cut with "..."
        (or None when ``truncate`` is off)."""
        lines: list[str] = []
        for size in sizes:
            self._font(size, bold=bold)
            lines = self._wrap(text)
            if len(lines) <= max_lines:
                return size, lines
        if not truncate:
            return None
        size = sizes[-1]
        self._font(size, bold=bold)
        kept = lines[:max_lines]
        last = kept[-1].rstrip()
        while last and self._pdf.get_string_width(last + _ELLIPSIS) > _CONTENT_W:
            last = last[:-1].rstrip()
        kept[-1] = last + _ELLIPSIS
        return size, kept

    def _wrap(self, text: str) -> list[str]:
        from fpdf.enums import MethodReturnValue, WrapMode, XPos

        lines = self._pdf.multi_cell(  # a list of lines, as `output` asks
            _CONTENT_W,
            text=text,
            dry_run=True,
            output=MethodReturnValue.LINES,
            wrapmode=WrapMode.WORD,
            new_x=XPos.LMARGIN,
        )
        assert isinstance(lines, list)
        return [str(line) for line in lines] or [""]

    def _print(
        self,
        lines: Sequence[str],
        size: float,
        *,
        bold: bool = False,
        color: tuple[int, int, int] = _INK,
        link: str = "",
    ) -> None:
        from fpdf.enums import Align, XPos, YPos

        pdf = self._pdf
        self._font(size, bold=bold, underline=bool(link))
        pdf.set_text_color(*color)
        for line in lines:
            pdf.set_x(_CONTENT_X)
            pdf.cell(
                _CONTENT_W,
                size * _PT * _LINE,
                line,
                align=Align.C,
                link=link,
                new_x=XPos.LMARGIN,
                new_y=YPos.NEXT,
            )


def _sizes(largest: int, smallest: int) -> list[float]:
    return [float(size) for size in range(largest, smallest - 1, -1)]
