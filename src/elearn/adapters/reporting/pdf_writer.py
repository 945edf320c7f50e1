"""Reports as PDF, drawn with fpdf2 (already the platform's PDF library, for certificates): a
title, a table with a header repeated on every page, and the totals per currency.

A PDF is for reading, not for processing: past ``max_rows`` it lists the first rows and says
how many it left out (the CSV has them all); the totals are always over every row. The core
fonts cover Latin-1 only, so other characters print as "?" (the CSV keeps them)."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from datetime import datetime
from typing import IO

from elearn.adapters.reporting.csv_writer import CsvReportWriter
from elearn.application.report_sources import Cell, ColumnKind, ReportColumn
from elearn.application.reporting.ports import CurrencyTotal

_FONT = "Helvetica"
_ROW_MM = 5.0
_MAX_CELL_CHARS = 40


def _latin1(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1")


def _cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    text = _latin1(str(value))
    return text if len(text) <= _MAX_CELL_CHARS else text[: _MAX_CELL_CHARS - 1] + "..."


class PdfReportWriter:
    def __init__(self, title: str, columns: Sequence[ReportColumn], *, max_rows: int) -> None:
        self._columns = list(columns)
        self._max_rows = max_rows
        self._written = 0
        # fpdf2 weighs ~25 MiB: loaded by the first PDF report, not by every API process.
        from fpdf import FPDF

        pdf = FPDF(orientation="landscape", unit="mm", format="A4")
        pdf.set_auto_page_break(auto=True, margin=12)
        pdf.set_title(_latin1(title))
        pdf.add_page()
        pdf.set_font(_FONT, style="B", size=13)
        pdf.cell(0, 8, _latin1(title), new_x="LMARGIN", new_y="NEXT")
        self._pdf = pdf
        self._widths = self._column_widths()
        self._header()

    def _column_widths(self) -> list[float]:
        weights = [
            0.6 if c.kind in (ColumnKind.CURRENCY, ColumnKind.COUNT) else 1.0 for c in self._columns
        ]
        usable = self._pdf.epw
        return [usable * w / sum(weights) for w in weights]

    def _header(self) -> None:
        pdf = self._pdf
        pdf.set_font(_FONT, style="B", size=7)
        for column, width in zip(self._columns, self._widths, strict=True):
            pdf.cell(width, _ROW_MM, _latin1(column.name), border=1)
        pdf.ln(_ROW_MM)
        pdf.set_font(_FONT, size=7)

    def write(self, row: Sequence[Cell]) -> None:
        self._written += 1
        if self._written > self._max_rows:
            return
        pdf = self._pdf
        if pdf.will_page_break(_ROW_MM):
            pdf.add_page()
            self._header()
        for value, column, width in zip(row, self._columns, self._widths, strict=True):
            numeric = column.kind in (ColumnKind.MONEY, ColumnKind.COUNT)
            pdf.cell(width, _ROW_MM, _cell(value), border=1, align="R" if numeric else "L")
        pdf.ln(_ROW_MM)

    def finish(self, *, row_count: int, totals: Sequence[CurrencyTotal]) -> IO[bytes]:
        pdf = self._pdf
        pdf.ln(2)
        pdf.set_font(_FONT, style="B", size=9)
        shown = min(row_count, self._max_rows)
        summary = f"{row_count} rows"
        if shown < row_count:
            summary += f" (the first {shown} are listed; the CSV export has every row)"
        pdf.cell(0, 6, summary, new_x="LMARGIN", new_y="NEXT")
        for total in totals:
            line = f"Total {total.column}: {total.amount} {total.currency} (minor units)"
            pdf.cell(0, 6, _latin1(line), new_x="LMARGIN", new_y="NEXT")
        spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
        spool.write(bytes(pdf.output()))
        spool.seek(0)
        return spool


class ReportWriters:
    """`ReportFileWriters`: a CSV or PDF writer for one report."""

    def __init__(self, *, pdf_max_rows: int) -> None:
        self._pdf_max_rows = pdf_max_rows

    def open(
        self, format: str, title: str, columns: Sequence[ReportColumn]
    ) -> CsvReportWriter | PdfReportWriter:
        if format == "pdf":
            return PdfReportWriter(title, columns, max_rows=self._pdf_max_rows)
        return CsvReportWriter(columns)
