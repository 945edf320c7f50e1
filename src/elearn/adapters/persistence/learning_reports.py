"""Learning's staff report: enrollments made in the period, over learning's own tables."""

from __future__ import annotations

from collections.abc import Mapping

from elearn.adapters.persistence.models.learning import EnrollmentRow
from elearn.adapters.persistence.report_rows import ANY_ID, SelectReport, cell, choices
from elearn.application.authorization import Permission
from elearn.application.report_sources import ColumnKind as K
from elearn.application.report_sources import ReportSource
from elearn.domain.learning.enrollment import EnrollmentSource, EnrollmentStatus

_ENROLLMENTS = SelectReport(
    permission=Permission.VIEW_ANY_COURSE_STUDENTS,
    cells=(
        cell("enrollment_id", EnrollmentRow.id, K.ID),
        cell("enrolled_at", EnrollmentRow.enrolled_at, K.INSTANT),
        cell("student_id", EnrollmentRow.user_id, K.ID),
        cell("course_id", EnrollmentRow.course_id, K.ID),
        cell("source", EnrollmentRow.source),
        cell("status", EnrollmentRow.status),
        cell("progress_percent", EnrollmentRow.progress_percent, K.COUNT),
        cell("completed_at", EnrollmentRow.completed_at, K.INSTANT),
        cell("revoked_at", EnrollmentRow.revoked_at, K.INSTANT),
    ),
    instant=EnrollmentRow.enrolled_at,
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
