"""Community tables: forum threads (discussions, questions, lesson comments), replies, votes,
subscriptions, edit history and content reports.

The database carries the rules that must hold under concurrency: one vote per person and post
(the primary key), one subscription per person and thread, one open report per person and
post. Vote and reply counters are changed only by single-statement increments. On PostgreSQL
threads also carry a full-text ``search_document`` (made by the migration, like the catalog's).
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from advanced_alchemy.base import DefaultBase
from sqlalchemy import ForeignKey, Index, SmallInteger, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from elearn.adapters.persistence.integrity import ConstraintErrors
from elearn.adapters.persistence.models.base import Base
from elearn.domain.shared.errors import Conflict

_OPEN = "status = 'open'"


class ForumThreadRow(Base):
    __tablename__ = "forum_threads"
    __table_args__ = (
        Index("ix_forum_threads_course_id_last_activity_at", "course_id", "last_activity_at"),
        Index("ix_forum_threads_course_id_created_at", "course_id", "created_at"),
        Index("ix_forum_threads_lesson_id_created_at", "lesson_id", "created_at"),
    )

    course_id: Mapped[UUID] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    # No foreign key: a comment outlives a lesson moved or removed by its instructors.
    lesson_id: Mapped[UUID | None]
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    author_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    body_source: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    pinned: Mapped[bool] = mapped_column(default=False)
    locked: Mapped[bool] = mapped_column(default=False)
    hidden: Mapped[bool] = mapped_column(default=False)
    deleted_at: Mapped[datetime | None]
    accepted_reply_id: Mapped[UUID | None]
    edited_at: Mapped[datetime | None]
    last_activity_at: Mapped[datetime]
    reply_count: Mapped[int] = mapped_column(default=0)
    vote_count: Mapped[int] = mapped_column(default=0)


class ForumReplyRow(Base):
    __tablename__ = "forum_replies"
    __table_args__ = (
        Index("ix_forum_replies_thread_id_created_at", "thread_id", "created_at", "id"),
    )

    thread_id: Mapped[UUID] = mapped_column(ForeignKey("forum_threads.id", ondelete="CASCADE"))
    parent_id: Mapped[UUID | None]
    depth: Mapped[int] = mapped_column(SmallInteger)
    author_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    body_source: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    hidden: Mapped[bool] = mapped_column(default=False)
    edited_at: Mapped[datetime | None]
    vote_count: Mapped[int] = mapped_column(default=0)


class ForumVoteRow(DefaultBase):
    __tablename__ = "forum_votes"
    __table_args__ = (Index("ix_forum_votes_voter_id", "voter_id"),)

    target_type: Mapped[str] = mapped_column(String(16), primary_key=True)
    target_id: Mapped[UUID] = mapped_column(primary_key=True)
    voter_id: Mapped[UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    voted_at: Mapped[datetime]


class ForumSubscriptionRow(DefaultBase):
    __tablename__ = "forum_subscriptions"
    __table_args__ = (Index("ix_forum_subscriptions_user_id", "user_id"),)

    thread_id: Mapped[UUID] = mapped_column(
        ForeignKey("forum_threads.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    subscribed_at: Mapped[datetime]
    # When this person was last told of new replies here (at most once an hour).
    last_notified_at: Mapped[datetime | None]


class ForumEditRow(Base):
    __tablename__ = "forum_edits"
    __table_args__ = (Index("ix_forum_edits_thread_id_edited_at", "thread_id", "edited_at", "id"),)

    thread_id: Mapped[UUID] = mapped_column(ForeignKey("forum_threads.id", ondelete="CASCADE"))
    reply_id: Mapped[UUID | None]
    editor_id: Mapped[UUID]
    edited_at: Mapped[datetime]
    previous_title: Mapped[str | None] = mapped_column(String(200))
    previous_source: Mapped[str] = mapped_column(Text)


class ContentReportRow(Base):
    __tablename__ = "content_reports"
    __table_args__ = (
        Index("ix_content_reports_status_created_at", "status", "created_at", "id"),
        Index(
            "uq_content_reports_open_by_reporter",
            "reporter_id",
            "target_type",
            "target_id",
            unique=True,
            sqlite_where=text(_OPEN),
            postgresql_where=text(_OPEN),
        ),
    )

    course_id: Mapped[UUID] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    thread_id: Mapped[UUID] = mapped_column(ForeignKey("forum_threads.id", ondelete="CASCADE"))
    target_type: Mapped[str] = mapped_column(String(16))
    target_id: Mapped[UUID]
    reporter_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(2000))
    status: Mapped[str] = mapped_column(String(16))
    resolved_by: Mapped[UUID | None]
    resolved_at: Mapped[datetime | None]


CONSTRAINT_ERRORS: ConstraintErrors = {
    "uq_content_reports_open_by_reporter": lambda: Conflict(
        "you reported this post already; staff will look at it", code="already-reported"
    ),
}
