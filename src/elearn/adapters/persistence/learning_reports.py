"""Learning's staff report: enrollments made in the period, over learning's own tables."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select

from elearn.adapters.persistence.models.learning import EnrollmentRow
from elearn.adapters.persistence.report_rows import ANY_ID, SelectReport, choices
from elearn.application.authorization import Permission
from elearn.application.report_sources import ColumnKind as K
from elearn.application.report_sources import ReportColumn, ReportSource
from elearn.domain.learning.enrollment import EnrollmentSource, EnrollmentStatus

_ENROLLMENTS = SelectReport(
    permission=Permission.VIEW_ANY_COURSE_STUDENTS,
    columns=(
        ReportColumn("enrollment_id", K.ID),
        ReportColumn("enrolled_at", K.INSTANT),
        ReportColumn("student_id", K.ID),
        ReportColumn("course_id", K.ID),
        ReportColumn("source"),
        ReportColumn("status"),
        ReportColumn("progress_percent", K.COUNT),
        ReportColumn("completed_at", K.INSTANT),
        ReportColumn("revoked_at", K.INSTANT),
    ),
    instant=EnrollmentRow.enrolled_at,
    select=lambda: select(
        EnrollmentRow.id,
        EnrollmentRow.enrolled_at,
        EnrollmentRow.user_id,
        EnrollmentRow.course_id,
        EnrollmentRow.source,
        EnrollmentRow.status,
        EnrollmentRow.progress_percent,
        EnrollmentRow.completed_at,
        EnrollmentRow.revoked_at,
    ),
    row=tuple,
    filters={
        "course_id": ANY_ID,
        "student_id": ANY_ID,
        "status": choices(*(status.value for status in EnrollmentStatus)),
        "source": choices(*(source.value for source in EnrollmentSource)),
    },
    filter_columns={
        "course_id": EnrollmentRow.course_id,
        "student_id": EnrollmentRow.user_id,
        "status": EnrollmentRow.status,
        "source": EnrollmentRow.source,
    },
)


def learning_reports() -> Mapping[str, ReportSource]:
    return {"enrollments": _ENROLLMENTS}
