"""Staff reports: a period is a year at most and runs forward; a report moves queued → running
→ ready or failed and nothing else; a cell a spreadsheet would evaluate is neutralised."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from elearn.domain.reporting.reports import (
    FORMULA_TRIGGERS,
    MAX_PERIOD,
    InvalidReportPeriod,
    Report,
    ReportFormat,
    ReportKind,
    ReportPeriod,
    ReportReady,
    ReportRequested,
    ReportStatus,
    neutralise_cell,
)
from elearn.domain.shared.errors import IllegalTransition

NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)


def _report() -> Report:
    return Report.request(
        report_id=uuid4(),
        event_id=uuid4(),
        requested_by=uuid4(),
        kind=ReportKind.PAYMENTS,
        format=ReportFormat.CSV,
        period=ReportPeriod(NOW - timedelta(days=30), NOW),
        filters={},
        now=NOW,
    )


def test_a_period_runs_forward_for_at_most_a_year() -> None:
    ReportPeriod(NOW - MAX_PERIOD, NOW)
    for start, end in (
        (NOW, NOW),
        (NOW, NOW - timedelta(seconds=1)),
        (NOW - MAX_PERIOD, NOW + timedelta(seconds=1)),
    ):
        with pytest.raises(InvalidReportPeriod):
            ReportPeriod(start, end)
    with pytest.raises(InvalidReportPeriod):
        ReportPeriod(NOW.replace(tzinfo=None), NOW.replace(tzinfo=None) + timedelta(days=1))


def test_a_report_is_queued_then_runs_then_is_ready_once() -> None:
    report = _report()
    assert [type(e) for e in report.pull_events()] == [ReportRequested]
    report.start(NOW)
    report.advance(40)
    report.advance(20)  # progress never goes back
    assert report.progress == 40
    report.advance(100)
    assert report.progress == 99  # 100 % is for a finished report
    report.complete(
        file_key="k", size=10, row_count=3, now=NOW, keep_for=timedelta(days=7), event_id=uuid4()
    )
    assert report.status is ReportStatus.READY and report.progress == 100
    assert [type(e) for e in report.pull_events()] == [ReportReady]
    assert report.is_downloadable(NOW + timedelta(days=6))
    assert not report.is_downloadable(NOW + timedelta(days=7))
    for move in (
        lambda: report.start(NOW),
        lambda: report.fail("x", NOW),
        lambda: report.advance(1),
    ):
        with pytest.raises(IllegalTransition):
            move()


def test_a_queued_report_that_cannot_be_built_fails() -> None:
    report = _report()
    report.fail("no such kind here", NOW)
    assert report.status is ReportStatus.FAILED
    with pytest.raises(IllegalTransition):
        report.start(NOW)


@settings(max_examples=200)
@given(st.text(max_size=30))
def test_no_neutralised_cell_starts_like_a_formula(text: str) -> None:
    cell = neutralise_cell(text)
    assert not cell.startswith(FORMULA_TRIGGERS)
    # What was typed is all there: an apostrophe is only ever put in front.
    assert cell in (text, "'" + text)
    assert (cell != text) == text.startswith(FORMULA_TRIGGERS)
