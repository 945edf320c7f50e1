"""Announcements: posted by a course's instructors (or staff), read by its students,
instructors and staff, and fanned out to every student as a notification by the worker."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from elearn.application.access import require_signed_in
from elearn.application.actor import Actor
from elearn.application.authorization import Permission
from elearn.application.catalog.api import CourseFacts, CourseNotFound
from elearn.application.communication.notification_deps import NotificationsDeps
from elearn.application.communication.notification_ports import NotificationsUnitOfWork
from elearn.application.communication.notification_texts import words
from elearn.application.communication.notifications import NotificationDraft, store_notifications
from elearn.application.paging import Page, check_limit, page_of
from elearn.domain.communication.announcements import Announcement, AnnouncementPosted
from elearn.domain.communication.notifications import Category, LinkTarget
from elearn.domain.shared.events import DomainEvent


@dataclass(frozen=True, slots=True)
class AnnouncementView:
    id: UUID
    course_id: UUID
    author_id: UUID
    title: str
    body: str
    posted_at: datetime

    @classmethod
    def of(cls, announcement: Announcement) -> AnnouncementView:
        return cls(
            id=announcement.id,
            course_id=announcement.course_id,
            author_id=announcement.author_id,
            title=announcement.title,
            body=announcement.body,
            posted_at=announcement.posted_at,
        )


@dataclass(frozen=True, slots=True)
class NewAnnouncement:
    title: str
    body: str


async def _course(
    deps: NotificationsDeps, uow: NotificationsUnitOfWork, key: UUID | str
) -> CourseFacts:
    course = await deps.catalog.course_facts(uow, await deps.catalog.course_id(key))
    if course is None:
        raise CourseNotFound()
    return course


async def _beyond_own(
    deps: NotificationsDeps,
    actor: Actor,
    course: CourseFacts,
    permission: Permission,
    refusal: str,
) -> None:
    """Lets staff who hold ``permission`` through (a second factor they lack is said); refuses
    anyone else the way the catalog does (who cannot see the course is told it is not there)."""
    if deps.authorizer.holds(actor, permission):
        deps.authorizer.authorize(actor, permission)
        return
    await deps.catalog.deny(actor, course, refusal)


class PostAnnouncement:
    """The course's instructors, and staff, announce to its students: stored at once, told to
    every student in the background."""

    def __init__(self, deps: NotificationsDeps) -> None:
        self._deps = deps

    async def __call__(
        self, actor: Actor, course_key: UUID | str, command: NewAnnouncement
    ) -> AnnouncementView:
        author = require_signed_in(actor)
        deps = self._deps
        async with deps.uow() as uow:
            course = await _course(deps, uow, course_key)
            if not course.is_instructor(author):
                await _beyond_own(
                    deps,
                    actor,
                    course,
                    Permission.ANNOUNCE_TO_ANY_COURSE,
                    "only the course's instructors and staff announce to it",
                )
            announcement = Announcement.post(
                announcement_id=deps.ids.new_id(),
                event_id=deps.ids.new_id(),
                course_id=course.id,
                author_id=author,
                title=command.title,
                body=command.body,
                now=deps.clock.now(),
            )
            await uow.notifications.announcements.add(announcement)
            await uow.commit()
        return AnnouncementView.of(announcement)


class ListCourseAnnouncements:
    """Newest first, for the course's students (while they may learn in it), its instructors
    and staff; anyone else is told the course does not exist or may not read them."""

    def __init__(self, deps: NotificationsDeps) -> None:
        self._deps = deps

    async def __call__(
        self, actor: Actor, course_key: UUID | str, *, limit: int = 20, cursor: str | None = None
    ) -> Page[AnnouncementView]:
        reader = require_signed_in(actor)
        check_limit(limit)
        deps = self._deps
        async with deps.uow(read_only=True) as uow:
            course = await _course(deps, uow, course_key)
            if not (
                course.is_instructor(reader)
                or await deps.learning.has_access(uow, reader, course.id)
            ):
                await _beyond_own(
                    deps,
                    actor,
                    course,
                    Permission.VIEW_ANY_COURSE,
                    "only the course's students, instructors and staff read its announcements",
                )
        page = await page_of(deps.queries.announcements_of(course.id, limit=limit, cursor=cursor))
        return Page([AnnouncementView.of(a) for a in page.items], page.next_cursor)


class FanOutAnnouncement:
    """The outbox handler: tells the course's students, a batch per transaction, each batch
    committed with the place it reached. Run again (a retry, a second worker, one that died
    midway) it goes on from that place, and the notifications' unique key makes whatever a
    dead run left half done count once."""

    def __init__(self, deps: NotificationsDeps) -> None:
        self._deps = deps

    async def __call__(self, event: DomainEvent) -> None:
        assert isinstance(event, AnnouncementPosted)
        while not await self.next_batch(event.announcement_id):
            pass

    async def next_batch(self, announcement_id: UUID) -> bool:
        """Tells one batch; True when everyone has been told."""
        deps = self._deps
        async with deps.uow() as uow:
            # Locked: two runs at once take turns, the second going on from the first's place.
            announcement = await uow.notifications.announcements.get(
                announcement_id, for_update=True
            )
            if announcement is None or announcement.is_fanned_out:
                return True
            students = await deps.learning.learners_after(
                uow,
                announcement.course_id,
                announcement.fanned_out_to,
                deps.policy.announcement_batch,
            )
            if not students:
                announcement.everyone_told(deps.clock.now())
                await uow.commit()
                return True
            course = await deps.catalog.course_facts(uow, announcement.course_id)
            title, body = words(
                "announcement",
                None,
                course=course.title if course else "",
                title=announcement.title,
                body=announcement.body,
            )
            made = await store_notifications(
                deps,
                uow,
                [
                    NotificationDraft(
                        recipient_id=student,
                        category=Category.ANNOUNCEMENT,
                        title=title,
                        body=body,
                        link=LinkTarget("announcement", announcement.id),
                        metadata={"course_id": str(announcement.course_id)},
                        source_key=f"announcement:{announcement.id}",
                    )
                    for student in students
                ],
            )
            announcement.told(students[-1], made)
            await uow.commit()
        return False
