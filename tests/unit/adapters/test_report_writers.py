"""Report files: a CSV read back gives every cell as written, none of a user's text starting
like a formula, numbers and instants untouched; a PDF has its table and its totals."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from elearn.adapters.reporting.csv_writer import CsvReportWriter
from elearn.adapters.reporting.pdf_writer import PdfReportWriter
from elearn.application.report_sources import ColumnKind, ReportColumn
from elearn.application.reporting.ports import CurrencyTotal
from elearn.domain.reporting.reports import FORMULA_TRIGGERS

COLUMNS = (
    ReportColumn("note"),
    ReportColumn("at", ColumnKind.INSTANT),
    ReportColumn("amount", ColumnKind.MONEY),
    ReportColumn("currency", ColumnKind.CURRENCY),
)
AT = datetime(2026, 12, 7, 12, 30, tzinfo=UTC)
TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=20
) | st.sampled_from(["=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx", '=HYPERLINK("x")'])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(TEXT, st.integers(-(10**12), 10**12)), max_size=5))
def test_a_csv_neutralises_text_and_keeps_numbers(rows: list[tuple[str, int]]) -> None:
    writer = CsvReportWriter(COLUMNS)
    for note, amount in rows:
        writer.write((note, AT, amount, "USD"))
    with writer.finish(row_count=len(rows), totals=[]) as spool:
        data = spool.read()
    assert data.startswith(b"\xef\xbb\xbf")
    read = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert read[0] == ["note", "at", "amount", "currency"]
    assert len(read) == len(rows) + 1
    for (note, amount), (cell, at, written_amount, currency) in zip(rows, read[1:], strict=True):
        assert not cell.startswith(FORMULA_TRIGGERS)
        assert cell == ("'" + note if note.startswith(FORMULA_TRIGGERS) else note)
        assert (at, int(written_amount), currency) == (AT.isoformat(), amount, "USD")


def test_a_pdf_lists_its_first_rows_and_totals_them_all() -> None:
    writer = PdfReportWriter("Payments", COLUMNS, max_rows=2)
    for amount in (100, 250, 50):
        writer.write(("=cmd", AT, amount, "USD"))
    with writer.finish(row_count=3, totals=[CurrencyTotal("amount", "USD", 400)]) as spool:
        data = spool.read()
    assert data.startswith(b"%PDF-")
