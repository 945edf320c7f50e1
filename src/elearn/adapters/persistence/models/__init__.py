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

__all__ = [
    "AuditEntryRow",
    "Base",
    "CategoryRow",
    "CourseInstructorRow",
    "CoursePrerequisiteRow",
    "CourseRow",
    "CourseSlugRow",
    "CourseTagRow",
    "CourseTransitionRow",
    "DeadJobRow",
    "LessonRow",
    "OneTimeTokenRow",
    "OutboxDeliveryRow",
    "OutboxMessageRow",
    "RefreshFamilyRow",
    "ScheduledRunRow",
    "SectionRow",
    "StudentProfileRow",
    "TutorApplicationRow",
    "TutorProfileRow",
    "UserRow",
    "metadata",
]
