"""Declarative tables. Importing this package registers every table on ``metadata``."""

from elearn.adapters.persistence.models.base import Base, metadata
from elearn.adapters.persistence.models.catalog import (
    CategoryRow,
    CourseInstructorRow,
    CoursePrerequisiteRow,
    CourseRow,
    CourseSlugRow,
    CourseTagRow,
    CourseTransitionRow,
    LessonRow,
    SectionRow,
)
from elearn.adapters.persistence.models.identity import (
    AuditEntryRow,
    OneTimeTokenRow,
    RefreshFamilyRow,
    StudentProfileRow,
    TutorApplicationRow,
    TutorProfileRow,
    UserRow,
)
from elearn.adapters.persistence.models.jobs import (
    DeadJobRow,
    OutboxDeliveryRow,
    OutboxMessageRow,
    ScheduledRunRow,
)
from elearn.adapters.persistence.models.learning import (
    AssignmentRow,
    CertificateRow,
    CourseReviewRow,
    EnrollmentRow,
    LearningDayRow,
    LessonProgressRow,
    QuizAttemptRow,
    QuizRow,
    SubmissionRow,
)

__all__ = [
    "AssignmentRow",
    "AuditEntryRow",
    "Base",
    "CategoryRow",
    "CertificateRow",
    "CourseInstructorRow",
    "CoursePrerequisiteRow",
    "CourseReviewRow",
    "CourseRow",
    "CourseSlugRow",
    "CourseTagRow",
    "CourseTransitionRow",
    "DeadJobRow",
    "EnrollmentRow",
    "LearningDayRow",
    "LessonProgressRow",
    "LessonRow",
    "OneTimeTokenRow",
    "OutboxDeliveryRow",
    "OutboxMessageRow",
    "QuizAttemptRow",
    "QuizRow",
    "RefreshFamilyRow",
    "ScheduledRunRow",
    "SectionRow",
    "StudentProfileRow",
    "SubmissionRow",
    "TutorApplicationRow",
    "TutorProfileRow",
    "UserRow",
    "metadata",
]
