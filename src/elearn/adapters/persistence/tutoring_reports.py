"""Tutoring's staff report: lessons booked to start in the period, over tutoring's own tables
(no meeting links: staff lists never show them)."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select

from elearn.adapters.persistence.models.tutoring import BookingRow
from elearn.adapters.persistence.report_rows import ANY_ID, SelectReport, choices
from elearn.application.authorization import Permission
from elearn.application.report_sources import ColumnKind as K
from elearn.application.report_sources import ReportColumn, ReportSource
from elearn.domain.tutoring.booking import BookingStatus

_BOOKINGS = SelectReport(
    permission=Permission.VIEW_ANY_BOOKING,
    columns=(
        ReportColumn("booking_id", K.ID),
        ReportColumn("starts_at", K.INSTANT),
        ReportColumn("ends_at", K.INSTANT),
        ReportColumn("status"),
        ReportColumn("tutor_id", K.ID),
        ReportColumn("student_id", K.ID),
        ReportColumn("order_id", K.ID),
        ReportColumn("price", K.MONEY),
        ReportColumn("currency", K.CURRENCY),
    ),
    instant=BookingRow.starts_at,
    select=lambda: select(
        BookingRow.id,
        BookingRow.starts_at,
        BookingRow.ends_at,
        BookingRow.status,
        BookingRow.tutor_id,
        BookingRow.student_id,
        BookingRow.order_id,
        BookingRow.price_amount,
        BookingRow.price_currency,
    ),
    row=tuple,
    filters={
        "status": choices(*(status.value for status in BookingStatus)),
        "tutor_id": ANY_ID,
        "student_id": ANY_ID,
    },
    filter_columns={
        "status": BookingRow.status,
        "tutor_id": BookingRow.tutor_id,
        "student_id": BookingRow.student_id,
    },
)


def tutoring_reports() -> Mapping[str, ReportSource]:
    return {"bookings": _BOOKINGS}
