"""Catalog tables: categories, courses with their slugs, instructors, tags, prerequisites,
sections, lessons and review history; invitations of co-instructors; revisions of published
courses.

The course row carries what the catalog list shows, so a page is one indexed scan: derived
outline figures (lesson count, duration) written with the outline, and the counters the learning
context keeps (enrollments, rating). Free courses store a price of 0 so price filters and sorts
need no special case. Each list order has a partial index over published courses only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from advanced_alchemy.base import DefaultBase
from advanced_alchemy.types import JsonB
from sqlalchemy import BigInteger, Float, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from elearn.adapters.persistence.integrity import ConstraintErrors
from elearn.adapters.persistence.models.base import Base
from elearn.domain.catalog.category import CategoryTaken
from elearn.domain.catalog.co_instructors import AlreadyInvited
from elearn.domain.catalog.course import SlugTaken

_PUBLISHED = text("status = 'published'")


def _published_index(name: str, *columns: str) -> Index:
    return Index(name, *columns, postgresql_where=_PUBLISHED, sqlite_where=_PUBLISHED)


class CategoryRow(Base):
    __tablename__ = "categories"

    name: Mapped[str] = mapped_column(String(80))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    icon: Mapped[str | None] = mapped_column(String(64))
    parent_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("categories.id", ondelete="RESTRICT"), index=True
    )


class CourseRow(Base):
    __tablename__ = "courses"
    __table_args__ = (
        # Scanned backwards for the descending orders.
        _published_index("ix_courses_published_newest", "published_at", "id"),
        _published_index("ix_courses_published_popular", "enrollment_count", "id"),
        _published_index("ix_courses_published_rating", "rating_average", "id"),
        _published_index("ix_courses_published_price", "price_amount", "id"),
        Index("ix_courses_status_updated_at", "status", "updated_at"),
    )

    owner_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(120))
    subtitle: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(35))
    level: Mapped[str] = mapped_column(String(16))
    # NULL amount: no price decided yet; 0 with no currency: free.
    price_amount: Mapped[int | None] = mapped_column(BigInteger)
    price_currency: Mapped[str | None] = mapped_column(String(3))
    category_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("categories.id", ondelete="RESTRICT"), index=True
    )
    tags: Mapped[list[str]] = mapped_column(JsonB, default=list)
    learning_outcomes: Mapped[list[str]] = mapped_column(JsonB, default=list)
    requirements: Mapped[list[str]] = mapped_column(JsonB, default=list)
    thumbnail_key: Mapped[str | None] = mapped_column(String(255))
    preview_lesson_id: Mapped[UUID | None]
    status: Mapped[str] = mapped_column(String(16))
    submitted_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    first_published_at: Mapped[datetime | None]
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    lesson_count: Mapped[int] = mapped_column(default=0)
    duration_seconds: Mapped[int] = mapped_column(default=0)
    enrollment_count: Mapped[int] = mapped_column(default=0)
    rating_count: Mapped[int] = mapped_column(default=0)
    # 0 while unrated, so the rating order needs no NULL handling; rating_count tells them apart.
    rating_average: Mapped[float] = mapped_column(Float, default=0.0)


class CourseSlugRow(DefaultBase):
    """Every slug a course has had: the current one and those that must keep resolving."""

    __tablename__ = "course_slugs"

    slug: Mapped[str] = mapped_column(String(80), primary_key=True)
    course_id: Mapped[UUID] = mapped_column(
        ForeignKey("courses.id", ondelete="CASCADE"), index=True
    )


class CourseInstructorRow(DefaultBase):
    """The owner (position 0) and co-instructors of a course."""

    __tablename__ = "course_instructors"

    course_id: Mapped[UUID] = mapped_column(
        ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[UUID] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"), primary_key=True, index=True
    )
    position: Mapped[int]


class CourseTagRow(DefaultBase):
    """The tag filter's index; the course row's ``tags`` keep their order for display."""

    __tablename__ = "course_tags"
    __table_args__ = (Index("ix_course_tags_tag_course_id", "tag", "course_id"),)

    course_id: Mapped[UUID] = mapped_column(
        ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(30), primary_key=True)


class CoursePrerequisiteRow(DefaultBase):
    __tablename__ = "course_prerequisites"

    course_id: Mapped[UUID] = mapped_column(
        ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True
    )
    prerequisite_id: Mapped[UUID] = mapped_column(
        ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[int]


class SectionRow(Base):
    __tablename__ = "course_sections"

    course_id: Mapped[UUID] = mapped_column(
        ForeignKey("courses.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))


class LessonRow(Base):
    __tablename__ = "lessons"
    __table_args__ = (Index("ix_lessons_course_id_position", "course_id", "position"),)

    course_id: Mapped[UUID] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    section_id: Mapped[UUID] = mapped_column(
        ForeignKey("course_sections.id", ondelete="CASCADE"), index=True
    )
    # Position within the whole course, so one ordered scan gives the outline.
    position: Mapped[int]
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    duration_seconds: Mapped[int] = mapped_column(default=0)
    is_free_preview: Mapped[bool] = mapped_column(default=False)
    is_required: Mapped[bool] = mapped_column(default=True)
    text: Mapped[str | None] = mapped_column(Text)
    video_url: Mapped[str | None] = mapped_column(String(2048))
    file_key: Mapped[str | None] = mapped_column(String(255))
    file_name: Mapped[str | None] = mapped_column(String(255))
    file_content_type: Mapped[str | None] = mapped_column(String(100))
    file_size: Mapped[int | None] = mapped_column(BigInteger)


class CourseTransitionRow(Base):
    """The review history: who moved a course, when, from what to what, and why."""

    __tablename__ = "course_transitions"
    __table_args__ = (Index("ix_course_transitions_course_id_at", "course_id", "at"),)

    course_id: Mapped[UUID] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    at: Mapped[datetime]
    actor_id: Mapped[UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)


_INVITATION_PENDING = text("status = 'pending'")


class CoInstructorInvitationRow(Base):
    """An invitation to co-teach a course; at most one pending per course and invitee."""

    __tablename__ = "co_instructor_invitations"
    __table_args__ = (
        Index(
            "uq_co_instructor_invitations_course_id",
            "course_id",
            "invitee_id",
            unique=True,
            postgresql_where=_INVITATION_PENDING,
            sqlite_where=_INVITATION_PENDING,
        ),
        Index("ix_co_instructor_invitations_course_id_created_at", "course_id", "created_at"),
        Index("ix_co_instructor_invitations_invitee_id_created_at", "invitee_id", "created_at"),
    )

    course_id: Mapped[UUID] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    invitee_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    invited_by: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16))
    responded_at: Mapped[datetime | None]


class CourseRevisionRow(DefaultBase):
    """The staged changes of a published course: a working copy of its content as JSON, read
    by its instructors and reviewers only; the catalog's public reads never touch it."""

    __tablename__ = "course_revisions"

    course_id: Mapped[UUID] = mapped_column(
        ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True
    )
    status: Mapped[str] = mapped_column(String(16), index=True)
    content: Mapped[dict[str, Any]] = mapped_column(JsonB)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    submitted_at: Mapped[datetime | None]
    rejection_reason: Mapped[str | None] = mapped_column(Text)


class CourseRevisionItemRow(DefaultBase):
    """The sections and lessons of revisions, so an edit by a section's or a lesson's id finds
    its course also when the item exists only in the revision."""

    __tablename__ = "course_revision_items"

    item_id: Mapped[UUID] = mapped_column(primary_key=True)
    course_id: Mapped[UUID] = mapped_column(
        ForeignKey("course_revisions.course_id", ondelete="CASCADE"), index=True
    )


# The constraints above that stand for a domain conflict (see `integrity`).
CONSTRAINT_ERRORS: ConstraintErrors = {
    "uq_courses_slug": lambda: SlugTaken("that slug is taken; try again"),
    "pk_course_slugs": lambda: SlugTaken("that slug is taken; try again"),
    "uq_course_slugs_slug": lambda: SlugTaken("that slug is taken; try again"),
    "uq_categories_slug": lambda: CategoryTaken("that category slug is taken"),
    "uq_co_instructor_invitations_course_id": lambda: AlreadyInvited(
        "that tutor already has a pending invitation to the course"
    ),
}
