"""Tutoring's staff report: lessons booked to start in the period, over tutoring's own tables
(no meeting links: staff lists never show them)."""

from __future__ import annotations

from collections.abc import Mapping

from elearn.adapters.persistence.models.tutoring import BookingRow
from elearn.adapters.persistence.report_rows import ANY_ID, SelectReport, cell, choices
from elearn.application.authorization import Permission
from elearn.application.report_sources import ColumnKind as K
from elearn.application.report_sources import ReportSource
from elearn.domain.tutoring.booking import BookingStatus

_BOOKINGS = SelectReport(
    permission=Permission.VIEW_ANY_BOOKING,
    cells=(
        cell("booking_id", BookingRow.id, K.ID),
        cell("starts_at", BookingRow.starts_at, K.INSTANT),
        cell("ends_at", BookingRow.ends_at, K.INSTANT),
        cell("status", BookingRow.status),
        cell("tutor_id", BookingRow.tutor_id, K.ID),
        cell("student_id", BookingRow.student_id, K.ID),
        cell("order_id", BookingRow.order_id, K.ID),
        cell("price", BookingRow.price_amount, K.MONEY),
        cell("currency", BookingRow.price_currency, K.CURRENCY),
    ),
    instant=BookingRow.starts_at,
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
