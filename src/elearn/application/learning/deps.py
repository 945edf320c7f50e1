"""Everything learning use cases depend on, and who may reach a lesson.

Who may open a lesson is decided against the course and the actor: its instructors and staff
always, students with a live enrollment (active or completed) in a course they can see, and
everyone for a free-preview lesson of a published course. Whoever cannot see the course at all
is told the lesson does not exist; whoever can see it but is not enrolled is told to enroll.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from elearn.application.access import require_signed_in
from elearn.application.actor import Actor
from elearn.application.audit import Audits
from elearn.application.authorization import Authorizer, Permission
from elearn.application.catalog.api import (
    CatalogApi,
    CourseFacts,
    CourseNotFound,
    Lesson,
    LessonInCourse,
    LessonKind,
    OutlineEntry,
)
from elearn.application.errors import NotFound
from elearn.application.files import FileStorage
from elearn.application.identity.api import IdentityApi
from elearn.application.learning.ports import (
    CertificateRenderer,
    CoursePlan,
    LearningPolicy,
    LearningQueries,
    LearningUnitOfWork,
    LessonSight,
    MediaTokens,
    SpentLinks,
)
from elearn.application.ports import Clock, IdGenerator, TransactionFactory
from elearn.domain.learning.enrollment import Enrollment, NotEnrolled
from elearn.domain.learning.progress import LessonRequirement
from elearn.domain.shared.errors import RuleViolation


class LessonNotFound(NotFound):
    code = "lesson-not-found"

    def __init__(self) -> None:
        super().__init__("there is no such lesson")


@dataclass(frozen=True, slots=True)
class LessonAccess:
    """A lesson as one actor reaches it."""

    place: LessonInCourse
    is_instructor: bool
    views_any_course: bool
    enrollment: Enrollment | None  # a live one; None otherwise

    @property
    def course(self) -> CourseFacts:
        return self.place.course

    @property
    def lesson(self) -> Lesson:
        return self.place.lesson

    @property
    def may_open(self) -> bool:
        return (
            self.lesson.is_free_preview
            or self.is_instructor
            or self.views_any_course
            or self.enrollment is not None
        )

    def require_open(self) -> None:
        if not self.may_open:
            raise NotEnrolled("enroll in the course to open this lesson")

    def require_student(self) -> Enrollment:
        """Progress, attempts and hand-ins belong to students enrolled in the course."""
        if self.enrollment is None:
            raise NotEnrolled("only students enrolled in the course may do this")
        return self.enrollment


def requirements(outline: list[OutlineEntry]) -> list[LessonRequirement]:
    return [LessonRequirement(lesson.id, lesson.is_required) for lesson in outline]


@dataclass(frozen=True, kw_only=True)
class LearningDeps(Audits):
    uow: TransactionFactory[LearningUnitOfWork]
    clock: Clock
    ids: IdGenerator
    storage: FileStorage
    queries: LearningQueries
    catalog: CatalogApi
    identity: IdentityApi
    tokens: MediaTokens
    spent_links: SpentLinks
    renderer: CertificateRenderer
    policy: LearningPolicy
    authorizer: Authorizer

    async def course_id(self, key: UUID | str) -> UUID:
        return await self.catalog.course_id(key)

    async def lesson_access(
        self,
        uow: LearningUnitOfWork,
        actor: Actor,
        lesson_id: UUID,
        *,
        lock_enrollment: bool = False,
    ) -> LessonAccess:
        place = await self.lesson_place(uow, lesson_id)
        return await self.access_to(uow, actor, place, lock_enrollment=lock_enrollment)

    async def lesson_place(self, uow: LearningUnitOfWork, lesson_id: UUID) -> LessonInCourse:
        """The lesson and its course's facts (one statement); nobody's access checked yet."""
        place = await self.catalog.lesson_in_course(uow, lesson_id)
        if place is None:
            raise LessonNotFound()
        return place

    async def access_to(
        self,
        uow: LearningUnitOfWork,
        actor: Actor,
        place: LessonInCourse,
        *,
        lock_enrollment: bool = False,
    ) -> LessonAccess:
        """How ``actor`` reaches the lesson; ``lock_enrollment`` locks their enrollment until
        the transaction ends."""
        found = None
        if actor.user_id is not None and not place.course.is_instructor(actor.user_id):
            found = await uow.learning.enrollments.find(
                actor.user_id, place.course.id, for_update=lock_enrollment
            )
        return self.reach(actor, place, found)

    async def place_and_plan_of(
        self, lesson_id: UUID, user_id: UUID
    ) -> tuple[LessonInCourse, CoursePlan]:
        """The lesson, its course's facts and the course's plan for ``user_id``, read outside
        any transaction (one statement); nobody's access checked yet."""
        found = await self.queries.lesson_and_plan(lesson_id, user_id)
        if found is None:
            raise LessonNotFound()
        return found

    async def lesson_sight(self, actor: Actor, lesson_id: UUID) -> tuple[LessonAccess, LessonSight]:
        """How ``actor`` reaches the lesson, with their progress in it, read in one statement
        outside any transaction: for reading, never for changing."""
        sight = await self.queries.lesson_sight(actor.user_id, lesson_id)
        if sight is None:
            raise LessonNotFound()
        return self.reach(actor, sight.place, sight.enrollment), sight

    def reach(
        self, actor: Actor, place: LessonInCourse, enrollment: Enrollment | None
    ) -> LessonAccess:
        """How ``actor`` reaches the lesson, given their enrollment in its course (any)."""
        course = place.course
        is_instructor = course.is_instructor(actor.user_id)
        live = (
            enrollment
            if enrollment is not None and not is_instructor and enrollment.gives_access
            else None
        )
        views_any_course = self.authorizer.allows(actor, Permission.VIEW_ANY_COURSE)
        if not course.visible_to(
            actor.user_id, is_staff=views_any_course, is_enrolled=live is not None
        ):
            raise LessonNotFound()
        return LessonAccess(
            place=place,
            is_instructor=is_instructor,
            views_any_course=views_any_course,
            enrollment=live,
        )

    async def lesson_to_edit(
        self,
        uow: LearningUnitOfWork,
        actor: Actor,
        lesson_id: UUID,
        kind: LessonKind,
        wrong_kind: RuleViolation,
    ) -> CourseFacts:
        """The course of a lesson of ``kind``, locked, for one of its instructors to change
        what learning keeps for that lesson (its quiz, its assignment); ``wrong_kind`` refuses
        a lesson of another kind."""
        place = await self.catalog.lesson_to_edit(uow, actor, lesson_id)
        if place is None:
            raise LessonNotFound()
        if place.lesson.kind is not kind:
            raise wrong_kind
        return place.course

    async def course_for_instructor(
        self, uow: LearningUnitOfWork, actor: Actor, course_id: UUID, *, beyond_own: Permission
    ) -> CourseFacts:
        """The course, for its instructors and whoever holds ``beyond_own``; who cannot see
        it is told it does not exist."""
        require_signed_in(actor)
        course = await self.catalog.course_facts(uow, course_id)
        if course is None:
            raise CourseNotFound()
        if course.is_instructor(actor.user_id):
            return course
        if self.authorizer.holds(actor, beyond_own):
            self.authorizer.authorize(actor, beyond_own)
            return course
        await self.catalog.deny(actor, course, "only the course's instructors may do this")
