"""Announcements: an instructor (or staff) tells every student of a course something. Each
student gets it as a notification; the fan-out runs in batches, each its own transaction, and
remembers where it is, so a course of any size never holds one transaction and a fan-out that
dies midway resumes where it stopped."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import ClassVar
from uuid import UUID

from elearn.domain.shared.errors import RuleViolation
from elearn.domain.shared.events import DomainEvent, RecordsEvents

TITLE_MAX = 150
BODY_MAX = 5000


class InvalidAnnouncement(RuleViolation):
    code = "invalid-announcement"


@dataclasses.dataclass(frozen=True, kw_only=True)
class AnnouncementPosted(DomainEvent):
    event_type: ClassVar[str] = "communication.announcement_posted"
    announcement_id: UUID
    course_id: UUID


@dataclasses.dataclass(kw_only=True, eq=False)
class Announcement(RecordsEvents):
    id: UUID
    course_id: UUID
    author_id: UUID
    title: str
    body: str
    posted_at: datetime
    # The fan-out's place: the last student (by id) told, and when everyone was.
    fanned_out_to: UUID | None = None
    fanned_out_at: datetime | None = None
    recipients: int = 0

    @classmethod
    def post(
        cls,
        *,
        announcement_id: UUID,
        event_id: UUID,
        course_id: UUID,
        author_id: UUID,
        title: str,
        body: str,
        now: datetime,
    ) -> Announcement:
        title, body = title.strip(), body.strip()
        if not title or len(title) > TITLE_MAX:
            raise InvalidAnnouncement(
                f"an announcement needs a title of 1 to {TITLE_MAX} characters"
            )
        if not body or len(body) > BODY_MAX:
            raise InvalidAnnouncement(f"an announcement needs a body of 1 to {BODY_MAX} characters")
        announcement = cls(
            id=announcement_id,
            course_id=course_id,
            author_id=author_id,
            title=title,
            body=body,
            posted_at=now,
        )
        announcement.record(
            AnnouncementPosted(
                event_id=event_id,
                occurred_at=now,
                announcement_id=announcement_id,
                course_id=course_id,
            )
        )
        return announcement

    @property
    def is_fanned_out(self) -> bool:
        return self.fanned_out_at is not None

    def told(self, last_student: UUID, count: int) -> None:
        """One batch of students told, up to ``last_student`` (students are told in id order)."""
        if self.fanned_out_to is not None and last_student <= self.fanned_out_to:
            raise ValueError("a fan-out only moves forward")
        self.fanned_out_to = last_student
        self.recipients += count

    def everyone_told(self, now: datetime) -> None:
        self.fanned_out_at = now
