"""A course's facts and its lessons as read from catalog's rows: the columns to select and how
the rows become `CourseFacts` and `Lesson`. Catalog's repository reads them by themselves;
learning's hottest read joins them with a learner's own rows (see `learning_queries`), so a
lesson opens in one statement while the mapping stays catalog's, in one place.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, literal_column, select, union_all

from elearn.adapters.persistence.models.catalog import (
    CourseInstructorRow,
    CoursePrerequisiteRow,
    CourseRow,
)
from elearn.application.catalog.ports import CourseFacts
from elearn.domain.catalog.course import CourseStatus, Lesson, LessonFile, LessonKind

# A course's instructors and prerequisites as one list of links, so its facts are one query.
_INSTRUCTOR = "instructor"
_PREREQUISITE = "prerequisite"
_COURSE_LINKS = union_all(
    select(
        CourseInstructorRow.course_id,
        literal_column(f"'{_INSTRUCTOR}'").label("link"),
        CourseInstructorRow.user_id.label("linked_id"),
        CourseInstructorRow.position,
    ),
    select(
        CoursePrerequisiteRow.course_id,
        literal_column(f"'{_PREREQUISITE}'").label("link"),
        CoursePrerequisiteRow.prerequisite_id.label("linked_id"),
        CoursePrerequisiteRow.position,
    ),
).subquery("course_links")

FACT_COLUMNS = (
    CourseRow.id,
    CourseRow.owner_id,
    CourseRow.status,
    CourseRow.title,
    CourseRow.price_amount,
    _COURSE_LINKS.c.link,
    _COURSE_LINKS.c.linked_id,
)


# Where a link stands among the course's links of its kind: a statement whose rows come in
# another order (a union's part) selects it and orders by it.
LINK_POSITION = _COURSE_LINKS.c.position


def linked(stmt: Select[Any]) -> Select[Any]:
    """``stmt`` (selecting from the courses table) with one row per link of the course, in no
    order: the caller orders by ``link`` and ``LINK_POSITION``."""
    return stmt.outerjoin(_COURSE_LINKS, _COURSE_LINKS.c.course_id == CourseRow.id)


def with_links(stmt: Select[Any]) -> Select[Any]:
    """``stmt`` (selecting from the courses table) with one row per link of the course."""
    return linked(stmt).order_by(_COURSE_LINKS.c.link, LINK_POSITION)


def course_facts(rows: Sequence[Any]) -> CourseFacts:
    """The facts of one course from its rows of ``FACT_COLUMNS`` (read by attribute), one row
    per link."""
    first = rows[0]
    linked = {
        kind: [row.linked_id for row in rows if row.link == kind]
        for kind in (_INSTRUCTOR, _PREREQUISITE)
    }
    co_instructors = [i for i in linked[_INSTRUCTOR] if i != first.owner_id]
    return CourseFacts(
        id=first.id,
        owner_id=first.owner_id,
        instructor_ids=(first.owner_id, *co_instructors),
        status=CourseStatus(first.status),
        title=first.title,
        is_free=first.price_amount == 0,
        prerequisite_ids=tuple(linked[_PREREQUISITE]),
    )


# The lessons table's columns `lesson_of` reads, and where the lesson sits.
LESSON_COLUMNS = (
    "id", "section_id", "kind", "title", "duration_seconds", "is_free_preview", "is_required",
    "text", "video_url", "file_key", "file_name", "file_content_type", "file_size",
)  # fmt: skip


def lesson_of(row: Any) -> Lesson:
    """A lesson from a row of the lessons table's columns (read by attribute)."""
    file = (
        LessonFile(
            key=row.file_key,
            filename=row.file_name or "",
            content_type=row.file_content_type or "application/octet-stream",
            size=row.file_size or 0,
        )
        if row.file_key
        else None
    )
    return Lesson(
        id=row.id,
        kind=LessonKind(row.kind),
        title=row.title,
        duration_seconds=row.duration_seconds,
        is_free_preview=row.is_free_preview,
        is_required=row.is_required,
        text=row.text,
        video_url=row.video_url,
        file=file,
    )
