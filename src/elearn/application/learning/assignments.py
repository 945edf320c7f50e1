"""Assignments: instructors set them, students hand work in, instructors grade it.

Files handed in go through storage's upload checks (size, type judged from the bytes) before
the assignment's own list of accepted kinds. Handing in again replaces the earlier work (its
files are deleted after the commit) until it is graded. Handing in counts as doing the lesson.
A grade is emailed to the student by a worker.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from elearn.application.access import require_signed_in
from elearn.application.actor import Actor
from elearn.application.authorization import Permission
from elearn.application.catalog.api import LessonKind
from elearn.application.errors import NotFound
from elearn.application.files import Upload, UploadPurpose, delete_quietly
from elearn.application.learning.deps import LearningDeps
from elearn.application.learning.lessons import (
    SubmissionView,
    advance,
    lesson_progress,
    submission_view,
)
from elearn.application.learning.ports import LearningUnitOfWork
from elearn.application.mail import EmailTemplates, MailAbout, PersonalMailer
from elearn.application.paging import Page, check_limit, page_of
from elearn.domain.learning.assignment import (
    MAX_FILES,
    Assignment,
    AssignmentGraded,
    InvalidSubmission,
    Submission,
    SubmittedFile,
)
from elearn.domain.shared.errors import RuleViolation
from elearn.domain.shared.events import DomainEvent


class AssignmentNotSet(NotFound):
    code = "assignment-not-found"

    def __init__(self) -> None:
        super().__init__("this lesson has no assignment yet")


class SubmissionNotFound(NotFound):
    code = "submission-not-found"

    def __init__(self) -> None:
        super().__init__("there is no such submission")


class NotAnAssignmentLesson(RuleViolation):
    code = "not-an-assignment-lesson"


async def _assignment(uow: LearningUnitOfWork, lesson_id: UUID) -> Assignment:
    assignment = await uow.learning.assignments.get(lesson_id)
    if assignment is None:
        raise AssignmentNotSet()
    return assignment


class SetAssignment:
    def __init__(self, deps: LearningDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, lesson_id: UUID, assignment: Assignment) -> Assignment:
        deps = self._deps
        async with deps.uow() as uow:
            course = await deps.lesson_to_edit(
                uow,
                actor,
                lesson_id,
                LessonKind.ASSIGNMENT,
                NotAnAssignmentLesson("only assignment lessons have an assignment"),
            )
            await uow.learning.assignments.put(lesson_id, course.id, assignment, deps.clock.now())
            await uow.commit()
        return assignment


class SubmitWork:
    """An enrolled student hands in text and/or files, or replaces what they handed in."""

    def __init__(self, deps: LearningDeps) -> None:
        self._deps = deps

    async def __call__(
        self, actor: Actor, lesson_id: UUID, text: str | None, uploads: Sequence[Upload]
    ) -> SubmissionView:
        deps = self._deps
        user_id = require_signed_in(actor)
        if len(uploads) > MAX_FILES:
            raise InvalidSubmission(f"at most {MAX_FILES} files")
        # Check access before storing anything a stranger sends.
        async with deps.uow(read_only=True) as uow:
            access = await deps.lesson_access(uow, actor, lesson_id)
            access.require_student()
            await _assignment(uow, lesson_id)
        files = await self._store(uploads)
        replaced: tuple[SubmittedFile, ...] = ()
        try:
            async with deps.uow() as uow:
                access = await deps.lesson_access(uow, actor, lesson_id, lock_enrollment=True)
                enrollment = access.require_student()
                assignment = await _assignment(uow, lesson_id)
                now = deps.clock.now()
                submission = await uow.learning.submissions.find(
                    lesson_id, user_id, for_update=True
                )
                if submission is None:
                    submission = Submission.hand_in(
                        assignment,
                        submission_id=deps.ids.new_id(),
                        lesson_id=lesson_id,
                        course_id=access.course.id,
                        user_id=user_id,
                        text=text,
                        files=files,
                        now=now,
                    )
                    await uow.learning.submissions.add(submission)
                else:
                    replaced = submission.resubmit(assignment, text=text, files=files, now=now)
                progress = await lesson_progress(uow, user_id, access.course.id, lesson_id, now)
                if not progress.completed:
                    progress.record(now=now, is_video=False, duration_seconds=0, completed=True)
                await advance(deps, uow, access.course, enrollment, progress)
                await uow.commit()
        except BaseException:
            await delete_quietly(deps.storage, *(file.key for file in files))
            raise
        await delete_quietly(deps.storage, *(file.key for file in replaced))
        return await submission_view(deps, user_id, submission, assignment)

    async def _store(self, uploads: Sequence[Upload]) -> tuple[SubmittedFile, ...]:
        stored: list[SubmittedFile] = []
        try:
            for upload in uploads:
                saved = await self._deps.storage.save(
                    upload.chunks, purpose=UploadPurpose.ATTACHMENT, original_name=upload.filename
                )
                stored.append(
                    SubmittedFile(saved.key, saved.original_name, saved.media_type, saved.size)
                )
        except BaseException:
            await delete_quietly(self._deps.storage, *(file.key for file in stored))
            raise
        return tuple(stored)


class ListSubmissions:
    """The work handed in for an assignment, for the course's instructors and staff."""

    def __init__(self, deps: LearningDeps) -> None:
        self._deps = deps

    async def __call__(
        self, actor: Actor, lesson_id: UUID, *, limit: int = 20, cursor: str | None = None
    ) -> Page[SubmissionView]:
        deps = self._deps
        check_limit(limit)
        async with deps.uow(read_only=True) as uow:
            access = await deps.lesson_access(uow, actor, lesson_id)
            if not access.is_instructor:
                if not deps.authorizer.holds(actor, Permission.VIEW_ANY_SUBMISSION):
                    await deps.catalog.deny(
                        actor, access.course, "only the course's instructors see submissions"
                    )
                deps.authorizer.authorize(actor, Permission.VIEW_ANY_SUBMISSION)
            assignment = await _assignment(uow, lesson_id)
        page = await page_of(deps.queries.submissions(lesson_id, limit=limit, cursor=cursor))
        return Page(
            [
                await submission_view(
                    deps, actor.user_id, row.submission, assignment, student_name=row.student_name
                )
                for row in page.items
            ],
            page.next_cursor,
        )


class GradeSubmission:
    """One of the course's instructors grades handed-in work (or corrects a grade)."""

    def __init__(self, deps: LearningDeps) -> None:
        self._deps = deps

    async def __call__(
        self, actor: Actor, submission_id: UUID, points: int, feedback: str | None
    ) -> SubmissionView:
        deps = self._deps
        user_id = require_signed_in(actor)
        async with deps.uow() as uow:
            submission = await uow.learning.submissions.get(submission_id, for_update=True)
            if submission is None:
                raise SubmissionNotFound()
            course = await deps.catalog.course_facts(uow, submission.course_id)
            if course is None:
                raise SubmissionNotFound()
            if not course.is_instructor(user_id):
                if deps.authorizer.holds(actor, Permission.VIEW_ANY_SUBMISSION):
                    await deps.catalog.deny(actor, course, "only the course's instructors grade")
                raise SubmissionNotFound()
            assignment = await _assignment(uow, submission.lesson_id)
            submission.grade(
                assignment,
                grader_id=user_id,
                points=points,
                feedback=feedback,
                now=deps.clock.now(),
                event_id=deps.ids.new_id(),
            )
            await uow.commit()
        return await submission_view(deps, user_id, submission, assignment)


class SendGradeEmail:
    """Tells the student their work was graded (an outbox handler)."""

    def __init__(
        self, deps: LearningDeps, mailer: PersonalMailer, templates: EmailTemplates
    ) -> None:
        self._deps = deps
        self._mailer = mailer
        self._templates = templates

    async def __call__(self, event: DomainEvent) -> None:
        assert isinstance(event, AssignmentGraded)
        async with self._deps.uow(read_only=True) as uow:
            student = await self._deps.identity.recipient(uow, event.user_id)
            course = await self._deps.catalog.course_facts(uow, event.course_id)
            place = await self._deps.catalog.lesson_in_course(uow, event.lesson_id)
            submission = await uow.learning.submissions.get(event.submission_id)
        if student is None or course is None or submission is None:
            return  # gone since: nobody to tell
        lesson = place.lesson if place is not None and place.course.id == course.id else None
        context: dict[str, object] = {
            "full_name": student.full_name,
            "course_title": course.title,
            "lesson_title": lesson.title if lesson else "your assignment",
            # The grade as of the event (a later correction sends its own email).
            "points": event.points,
            "max_points": event.max_points,
            "feedback": event.feedback or "",
            "lesson_url": self._deps.policy.links.lesson(event.lesson_id),
        }
        message = self._templates.render(
            "assignment_graded", context, to=[student.email], language=student.language
        )
        await self._mailer.send(message, MailAbout(event.user_id, "learning", str(event.event_id)))
