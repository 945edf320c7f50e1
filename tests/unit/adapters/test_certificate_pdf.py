"""FpdfCertificateRenderer: one extractable A4 landscape page naming the student, the course, its
instructors, the date, the serial and a clickable verification link, whatever the input."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader

from elearn.adapters.certificates.pdf import (
    FpdfCertificateRenderer,
    issue_date,
    joined_names,
    latin1_fallback,
)
from elearn.domain.learning.certificate import Certificate

DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
DEJAVU_BOLD = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
needs_dejavu = pytest.mark.skipif(not DEJAVU.is_file(), reason="DejaVuSans.ttf is not installed")

URL = "https://elearn.example/certificates/verify/7KQ2M9XHABCDEFGH"
ISSUED = datetime(2026, 11, 22, 10, 30, tzinfo=UTC)
A4_LANDSCAPE = (841.89, 595.28)  # points


def certificate(**overrides: object) -> Certificate:
    fields: dict[str, object] = {
        "id": uuid.uuid4(),
        "enrollment_id": uuid.uuid4(),
        "user_id": uuid.uuid4(),
        "course_id": uuid.uuid4(),
        "serial": "EL-2026-7KQ2M9XH",
        "verification_code": "7KQ2M9XHABCDEFGH",
        "student_name": "Ada Lovelace",
        "course_title": "Analytical Engines for Beginners",
        "instructor_names": ("Charles Babbage", "Mary Somerville"),
        "issued_at": ISSUED,
    }
    fields.update(overrides)
    return Certificate(**fields)  # type: ignore[arg-type]


def render(cert: Certificate, renderer: FpdfCertificateRenderer | None = None) -> bytes:
    return (renderer or FpdfCertificateRenderer()).render(cert, verification_url=URL)


def read(pdf: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(pdf))


def text_of(pdf: bytes) -> str:
    reader = read(pdf)
    assert len(reader.pages) == 1
    return reader.pages[0].extract_text()


def flat(text: str) -> str:
    """Extracted text with line breaks as spaces (wrapped titles come back in lines)."""
    return " ".join(text.split())


# ---- the document ----------------------------------------------------------------------------
def test_is_a_complete_pdf_of_one_a4_landscape_page() -> None:
    pdf = render(certificate())
    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")
    reader = read(pdf)
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (float(box.width), float(box.height)) == pytest.approx(A4_LANDSCAPE, abs=0.5)


def test_text_names_everything() -> None:
    text = text_of(render(certificate()))
    for expected in (
        "Certificate of Completion",
        "This certifies that",
        "Ada Lovelace",
        "has completed",
        "Analytical Engines for Beginners",
        "Taught by Charles Babbage and Mary Somerville",
        "22 November 2026",
        "EL-2026-7KQ2M9XH",
        f"Verify at {URL}",
    ):
        assert expected in text, expected


def test_verification_link_is_clickable() -> None:
    page = read(render(certificate())).pages[0]
    uris = [annot.get_object()["/A"]["/URI"] for annot in page.get("/Annots", [])]
    assert URL in uris


def test_metadata() -> None:
    metadata = read(render(certificate())).metadata
    assert metadata is not None
    assert metadata.author == "elearn"
    assert metadata.creator == "elearn"
    assert metadata.title is not None and "Certificate of Completion" in metadata.title
    assert "Analytical Engines for Beginners" in metadata.title


def test_same_certificate_same_bytes() -> None:
    cert = certificate()
    assert render(cert) == render(cert)


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        ((), ""),
        (("Ann",), "Ann"),
        (("Ann", "Bob"), "Ann and Bob"),
        (("Ann", "Bob", "Cy"), "Ann, Bob and Cy"),
    ],
)
def test_instructor_names_are_joined(names: tuple[str, ...], expected: str) -> None:
    assert joined_names(names) == expected


def test_no_instructors_means_no_taught_by_line() -> None:
    assert "Taught by" not in text_of(render(certificate(instructor_names=())))


def test_three_instructors() -> None:
    cert = certificate(instructor_names=("Ann Lee", "Bob Roe", "Cy Poe"))
    assert "Taught by Ann Lee, Bob Roe and Cy Poe" in text_of(render(cert))


def test_issue_date_is_english_whatever_the_locale() -> None:
    assert issue_date(datetime(2026, 1, 5, tzinfo=UTC)) == "5 January 2026"
    assert issue_date(datetime(2026, 11, 22, 23, 59, tzinfo=UTC)) == "22 November 2026"


# ---- long text -------------------------------------------------------------------------------
def text_positions(pdf: bytes) -> list[tuple[float, float]]:
    """Where each piece of text starts, in points from the bottom left."""
    page = read(pdf).pages[0]
    found: list[tuple[float, float]] = []

    def visit(text: str, cm: list[float], tm: list[float], *_: object) -> None:
        if text.strip():
            found.append((tm[4] * cm[0] + cm[4], tm[5] * cm[3] + cm[5]))

    page.extract_text(visitor_text=visit)
    return found


def test_a_very_long_course_title_wraps_and_stays_on_one_page() -> None:
    title = "Advanced Distributed Systems Engineering with Practical Labs " * 12
    pdf = render(certificate(course_title=title.strip(), student_name="N " * 200))
    text = flat(text_of(pdf))
    assert "Advanced Distributed Systems Engineering" in text
    assert "..." in text  # cut, not overflowing
    assert "EL-2026-7KQ2M9XH" in text and URL in text
    width, height = A4_LANDSCAPE
    for x, y in text_positions(pdf):
        assert 0 <= x <= width and 0 <= y <= height


def test_a_title_of_a_few_lines_wraps_whole() -> None:
    title = "From Zero to Production: Building, Testing and Deploying Web Services in Python"
    text = flat(text_of(render(certificate(course_title=f"{title} ({title})"))))
    assert f"{title} ({title})" in text


def test_an_unbreakable_word_does_not_overflow() -> None:
    pdf = render(certificate(course_title="X" * 600, student_name="Y" * 300))
    assert len(read(pdf).pages) == 1
    width, height = A4_LANDSCAPE
    for x, y in text_positions(pdf):
        assert 0 <= x <= width and 0 <= y <= height


def test_control_characters_do_not_break_the_layout() -> None:
    cert = certificate(student_name="Ada\nLovelace\t\u202e", course_title="Line\r\nbreak")
    text = text_of(render(cert))
    assert "Ada Lovelace" in text
    assert "Line break" in text


# ---- Unicode ---------------------------------------------------------------------------------
def test_latin1_fallback() -> None:
    assert latin1_fallback("Łukasz Żółć") == "Lukasz Zólc"
    assert latin1_fallback("李小龙") == "???"
    assert latin1_fallback("\u201cŒuvre\u201d \u2013 naïve ﬁx") == '"OEuvre" - naïve fix'
    assert latin1_fallback("Ærøskøbing Straße") == "Ærøskøbing Straße"


@pytest.mark.parametrize(
    ("name", "printed"),
    [("Łukasz Żółć", "Lukasz Zólc"), ("李小龙", "???"), ("Nguyễn Thị Minh Khai", "Nguyen Thi")],
)
def test_non_latin_names_fall_back_with_core_fonts(name: str, printed: str) -> None:
    cert = certificate(
        student_name=name,
        course_title="Grundlagen der Programmierung — “Python”",
        instructor_names=("Dvořák",),
    )
    text = text_of(render(cert))
    assert printed in text
    assert 'Grundlagen der Programmierung - "Python"' in text
    assert "Taught by Dvorák" in text


@needs_dejavu
def test_unicode_name_prints_exactly_with_a_truetype_font() -> None:
    renderer = FpdfCertificateRenderer(DEJAVU)
    cert = certificate(student_name="Łukasz Żółć", instructor_names=("Dvořák", "Ἀριστοτέλης"))
    pdf = render(cert, renderer)
    text = text_of(pdf)
    assert "Łukasz Żółć" in text
    assert "Taught by Dvořák and Ἀριστοτέλης" in text
    assert "EL-2026-7KQ2M9XH" in text and URL in text


@needs_dejavu
def test_glyphs_the_font_lacks_fall_back_rather_than_vanish() -> None:
    renderer = FpdfCertificateRenderer(DEJAVU)
    text = text_of(render(certificate(student_name="Żółć 李小龙"), renderer))
    assert "Żółć ???" in text


@pytest.mark.skipif(not DEJAVU_BOLD.is_file(), reason="DejaVuSans-Bold.ttf is not installed")
def test_a_bold_face_may_be_added() -> None:
    renderer = FpdfCertificateRenderer(DEJAVU, bold_font_path=DEJAVU_BOLD)
    assert "Łukasz Żółć" in text_of(render(certificate(student_name="Łukasz Żółć"), renderer))


def test_missing_font_file_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        FpdfCertificateRenderer(tmp_path / "nope.ttf")
