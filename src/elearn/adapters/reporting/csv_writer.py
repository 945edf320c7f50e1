"""Reports as CSV: RFC 4180, UTF-8 with a byte-order mark (so spreadsheet programs read it as
UTF-8), written row by row into a spooled temporary file, so memory stays flat whatever the
number of rows. Text cells that a spreadsheet would take for a formula are neutralised."""

from __future__ import annotations

import codecs
import csv
import tempfile
from collections.abc import Sequence
from datetime import datetime
from typing import IO

from elearn.application.report_sources import Cell, ReportColumn
from elearn.application.reporting.ports import CurrencyTotal
from elearn.domain.reporting.reports import neutralise_cell

# Past this size the file is on disk rather than in memory.
_SPOOL_BYTES = 4 * 1024 * 1024


def csv_cell(value: Cell) -> str:
    """A cell as written: instants in RFC 3339 UTC, numbers as they are, and every text
    neutralised (a negative amount the report computed is a number, not a formula)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return neutralise_cell(str(value))


class CsvReportWriter:
    def __init__(self, columns: Sequence[ReportColumn]) -> None:
        self._spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES)
        self._spool.write(codecs.BOM_UTF8)
        self._text = codecs.getwriter("utf-8")(self._spool)
        self._csv = csv.writer(self._text, lineterminator="\r\n")
        self._csv.writerow([neutralise_cell(column.name) for column in columns])

    def write(self, row: Sequence[Cell]) -> None:
        self._csv.writerow([csv_cell(value) for value in row])

    def finish(self, *, row_count: int, totals: Sequence[CurrencyTotal]) -> IO[bytes]:
        # Totals are not rows of a CSV (a program reading it would take them for data): the
        # report's view and its PDF carry them.
        self._text.flush()
        self._spool.flush()
        self._spool.seek(0)
        return self._spool
