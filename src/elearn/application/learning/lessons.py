"""Opening a lesson, streaming its file, recording progress, and the study streak.

A lesson's file is never at a guessable address: the lesson answer carries a URL with a signed
token bound to the viewer, the lesson and the file, valid for a few minutes. Redeeming it
checks the signature and the expiry, that it is the caller's own token, and that its holder may
still open the lesson (an enrollment revoked since counts). Storage that can presign URLs (S3)
serves the bytes itself.

A lesson's media link is a bearer URL (a video element cannot send a header); a submitted file
is private work, so its link also needs its holder's own authorization: a leaked link alone
serves nothing. Where no header can be sent (a new tab, a download), the holder, signed in,
exchanges their link for a one-time link: bound to them and the file, valid for a minute, and
spent by its first use, so a copy replayed later serves nothing either.

Progress is the student's: each report updates the lesson, recomputes the course's progress and
completes the enrollment when the last required lesson is done and the required quizzes are
passed. Each report also marks the day, in the student's time zone, for the streak.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from elearn.application.access import require_signed_in
from elearn.application.actor import Actor
from elearn.application.authorization import Permission
from elearn.application.catalog.api import FILE_KINDS, CourseFacts, LessonKind
from elearn.application.errors import Gone, NotAuthenticated, NotFound, PermissionDenied
from elearn.application.learning.deps import LearningDeps, LessonAccess, requirements
from elearn.application.learning.ports import (
    CoursePlan,
    LearningUnitOfWork,
    MediaFile,
    MediaGrant,
    MediaSubject,
    ProgressStanding,
    QuizSummary,
)
from elearn.application.learning.quiz_views import QuizDefinition, number, quiz_definition
from elearn.domain.learning.assignment import Assignment, Submission
from elearn.domain.learning.enrollment import Enrollment, EnrollmentStatus
from elearn.domain.learning.progress import (
    CompletedBy,
    LessonProgress,
    course_progress,
    study_quarter_hour,
)
from elearn.domain.learning.quiz import AttemptStatus, Quiz
from elearn.domain.learning.streak import Streak, activity_day, streak

# Streaks longer than this are not counted further back (a bound on the rows read).
STREAK_HORIZON_DAYS = 3 * 366


class InvalidMediaToken(PermissionDenied):
    """Forged, malformed, expired or someone else's: the caller is not told which."""

    code = "media-token-invalid"

    def __init__(self) -> None:
        super().__init__("this media link is not valid; open the lesson again for a new one")


class MediaLinkUsed(Gone):
    code = "media-link-used"

    def __init__(self) -> None:
        super().__init__("this one-time link was used already; ask for a new one")


# ---- views -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class MediaLink:
    url: str
    expires_at: datetime
    content_type: str
    filename: str
    size: int


@dataclass(frozen=True, slots=True)
class ProgressView:
    lesson_id: UUID
    completed: bool
    completed_at: datetime | None
    position_seconds: int
    seconds_spent: int
    course_progress_percent: int
    enrollment_status: EnrollmentStatus


@dataclass(frozen=True, slots=True)
class SubmittedFileView:
    filename: str | None
    content_type: str
    size: int
    url: str


@dataclass(frozen=True, slots=True)
class SubmissionView:
    id: UUID
    lesson_id: UUID
    user_id: UUID
    text: str | None
    files: list[SubmittedFileView]
    late: bool
    submission_count: int
    submitted_at: datetime
    points: int | None
    max_points: int
    feedback: str | None
    graded_at: datetime | None
    student_name: str | None = None


@dataclass(frozen=True, slots=True)
class QuizInfo:
    pass_mark_percent: int
    max_attempts: int | None
    time_limit_seconds: int | None
    required: bool
    question_count: int
    max_score: int
    mine: QuizSummary | None  # the student's standing
    definition: QuizDefinition | None  # instructors and staff only: with the answers


@dataclass(frozen=True, slots=True)
class LessonView:
    id: UUID
    course_id: UUID
    section_id: UUID
    kind: LessonKind
    title: str
    duration_seconds: int
    is_free_preview: bool
    is_required: bool
    text: str | None
    video_url: str | None
    media: MediaLink | None
    quiz: QuizInfo | None
    assignment: Assignment | None
    my_submission: SubmissionView | None
    progress: ProgressView | None


# ---- shared steps ----------------------------------------------------------------------------
async def media_link(
    deps: LearningDeps,
    user_id: UUID | None,
    subject: MediaSubject,
    subject_id: UUID,
    *,
    key: str,
    content_type: str,
    filename: str,
    size: int,
) -> MediaLink:
    expires_in = deps.policy.media_token_seconds
    expires_at = deps.clock.now() + timedelta(seconds=expires_in)
    # A storage's presigned URL is a bearer URL: fine for a lesson's media, never for a
    # submitted file, which is served only to its holder signed in (OpenMedia).
    presigned = (
        await deps.storage.presigned_url(key, expires_in_seconds=expires_in)
        if subject is MediaSubject.LESSON
        else None
    )
    if presigned is None:
        token = deps.tokens.issue(MediaGrant(user_id, subject, subject_id, key, expires_at))
        presigned = f"{MEDIA_PATH}/{token}"
    return MediaLink(presigned, expires_at, content_type, filename, size)


MEDIA_PATH = "/api/v1/media"


async def submission_view(
    deps: LearningDeps,
    viewer_id: UUID | None,
    submission: Submission,
    assignment: Assignment,
    *,
    student_name: str | None = None,
) -> SubmissionView:
    files = []
    for file in submission.files:
        link = await media_link(
            deps,
            viewer_id,
            MediaSubject.SUBMISSION,
            submission.id,
            key=file.key,
            content_type=file.content_type,
            filename=file.filename or "file",
            size=file.size,
        )
        files.append(SubmittedFileView(file.filename, file.content_type, file.size, link.url))
    return SubmissionView(
        id=submission.id,
        lesson_id=submission.lesson_id,
        user_id=submission.user_id,
        text=submission.text,
        files=files,
        late=submission.late,
        submission_count=submission.submission_count,
        submitted_at=submission.submitted_at,
        points=submission.points,
        max_points=assignment.max_points,
        feedback=submission.feedback,
        graded_at=submission.graded_at,
        student_name=student_name,
    )


async def course_plan(
    deps: LearningDeps, uow: LearningUnitOfWork, course_id: UUID, user_id: UUID
) -> CoursePlan:
    """The plan read inside a transaction (``LearningQueries.lesson_and_plan`` reads the same
    in one statement outside any)."""
    outline = await deps.catalog.outline(uow, course_id)
    lesson_ids = {lesson.id for lesson in outline}
    required_quizzes = await uow.learning.quizzes.required_lessons(course_id) & lesson_ids
    zone = await uow.learning.days.time_zone(user_id)
    return CoursePlan(requirements(outline), required_quizzes, zone)


async def advance(
    deps: LearningDeps,
    uow: LearningUnitOfWork,
    course: CourseFacts,
    enrollment: Enrollment,
    progress: LessonProgress,
    plan: CoursePlan | None = None,
    standing: ProgressStanding | None = None,
) -> int:
    """After the student did something in a lesson: the course's progress, completion of the
    enrollment when it is done, and today's mark for the streak. Returns the progress. ``plan``
    read before the enrollment was locked keeps the lock shorter, and so does ``standing`` read
    with the lesson's progress; each is read here otherwise."""
    now = deps.clock.now()
    learning = uow.learning
    if plan is None:
        plan = await course_plan(deps, uow, course.id, enrollment.user_id)
    if standing is None:
        completed = await learning.progress.completed_lessons(enrollment.user_id, course.id)
        passed = await learning.attempts.passed_lessons(enrollment.user_id, course.id)
    else:
        completed, passed = set(standing.completed_lessons), set(standing.passed_quizzes)
    # The repository sees the stored rows; this lesson's new state is in memory.
    completed.discard(progress.lesson_id)
    if progress.completed:
        completed.add(progress.lesson_id)
    percent = course_progress(plan.requirements, completed)
    enrollment.record_activity(
        lesson_id=progress.lesson_id,
        progress_percent=percent,
        required_quizzes_passed=plan.required_quizzes <= passed,
        now=now,
        event_id=deps.ids.new_id(),
    )
    day = activity_day(now, plan.time_zone)
    if standing is None or standing.marked_day != day:
        await learning.days.record(enrollment.user_id, day)
    return percent


async def lesson_progress(
    uow: LearningUnitOfWork,
    user_id: UUID,
    course_id: UUID,
    lesson_id: UUID,
    now: datetime,
    standing: ProgressStanding | None = None,
) -> LessonProgress:
    """The student's progress in the lesson (found in ``standing`` when it was read); a new one
    is stored as of ``now`` even when the activity (a failed quiz) changes nothing in it."""
    if standing is None:
        found = await uow.learning.progress.get(user_id, lesson_id)
    else:
        found = standing.progress
    if found is not None:
        return found
    progress = LessonProgress(
        user_id=user_id, lesson_id=lesson_id, course_id=course_id, updated_at=now
    )
    await uow.learning.progress.add(progress)
    return progress


def progress_view(progress: LessonProgress, enrollment: Enrollment) -> ProgressView:
    return ProgressView(
        lesson_id=progress.lesson_id,
        completed=progress.completed,
        completed_at=progress.completed_at,
        position_seconds=progress.position_seconds,
        seconds_spent=progress.seconds_spent,
        course_progress_percent=enrollment.progress_percent,
        enrollment_status=enrollment.status,
    )


async def quiz_summary(
    uow: LearningUnitOfWork, quiz: Quiz, user_id: UUID, lesson_id: UUID, now: datetime
) -> QuizSummary:
    attempts = await uow.learning.attempts.for_student(user_id, lesson_id)
    submitted = [a for a in attempts if a.status is AttemptStatus.SUBMITTED]
    percents = [a.percent for a in submitted if a.percent is not None]
    open_attempt = next((a for a in attempts if a.is_open(now)), None)
    return QuizSummary(
        attempts_used=len(attempts),
        attempts_left=None
        if quiz.max_attempts is None
        else max(0, quiz.max_attempts - len(attempts)),
        best_percent=number(max(percents)) if percents else None,
        passed=any(a.passed for a in submitted),
        open_attempt_id=open_attempt.id if open_attempt else None,
    )


# ---- use cases -------------------------------------------------------------------------------
_READS_MORE = frozenset({LessonKind.QUIZ, LessonKind.ASSIGNMENT})


class GetLesson:
    """A lesson with its content for whoever may open it; file lessons carry a short-lived
    media link, quiz and assignment lessons what a student needs to take them."""

    def __init__(self, deps: LearningDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, lesson_id: UUID) -> LessonView:
        deps = self._deps
        # The lesson, the actor's enrollment and progress in one statement; quizzes and
        # assignments read what a student needs to take them in a transaction of their own.
        access, sight = await deps.lesson_sight(actor, lesson_id)
        access.require_open()
        if access.lesson.kind not in _READS_MORE:
            return await self._view(None, actor, access, sight.progress)
        async with deps.uow(read_only=True) as uow:
            return await self._view(uow, actor, access, sight.progress)

    async def _view(
        self,
        uow: LearningUnitOfWork | None,
        actor: Actor,
        access: LessonAccess,
        found: LessonProgress | None,
    ) -> LessonView:
        deps = self._deps
        lesson = access.lesson
        media = None
        if lesson.kind in FILE_KINDS and lesson.file is not None:
            media = await media_link(
                deps,
                actor.user_id,
                MediaSubject.LESSON,
                lesson.id,
                key=lesson.file.key,
                content_type=lesson.file.content_type,
                filename=lesson.file.filename,
                size=lesson.file.size,
            )
        enrollment = access.enrollment
        progress = None
        if enrollment is not None and actor.user_id is not None:
            progress = progress_view(
                found
                or LessonProgress(
                    user_id=actor.user_id, lesson_id=lesson.id, course_id=access.course.id
                ),
                enrollment,
            )
        quiz_info = None
        if lesson.kind is LessonKind.QUIZ and uow is not None:
            quiz = await uow.learning.quizzes.get(lesson.id)
            if quiz is not None:
                mine = None
                if enrollment is not None and actor.user_id is not None:
                    mine = await quiz_summary(uow, quiz, actor.user_id, lesson.id, deps.clock.now())
                quiz_info = QuizInfo(
                    pass_mark_percent=quiz.pass_mark_percent,
                    max_attempts=quiz.max_attempts,
                    time_limit_seconds=quiz.time_limit_seconds,
                    required=quiz.required,
                    question_count=len(quiz.questions),
                    max_score=quiz.max_score,
                    mine=mine,
                    definition=quiz_definition(quiz)
                    if access.is_instructor or access.views_any_course
                    else None,
                )
        assignment = None
        my_submission = None
        if lesson.kind is LessonKind.ASSIGNMENT and uow is not None:
            assignment = await uow.learning.assignments.get(lesson.id)
            if assignment is not None and enrollment is not None and actor.user_id is not None:
                submission = await uow.learning.submissions.find(lesson.id, actor.user_id)
                if submission is not None:
                    my_submission = await submission_view(
                        deps, actor.user_id, submission, assignment
                    )
        return LessonView(
            id=lesson.id,
            course_id=access.course.id,
            section_id=access.place.section_id,
            kind=lesson.kind,
            title=lesson.title,
            duration_seconds=lesson.duration_seconds,
            is_free_preview=lesson.is_free_preview,
            is_required=lesson.is_required,
            text=lesson.text,
            video_url=lesson.video_url,
            media=media,
            quiz=quiz_info,
            assignment=assignment,
            my_submission=my_submission,
            progress=progress,
        )


class OpenMedia:
    """Redeems a media token for the file it grants, after checking that its holder may still
    reach it."""

    def __init__(self, deps: LearningDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, token: str) -> MediaFile:
        deps = self._deps
        grant = deps.tokens.read(token, deps.clock.now())
        one_time = grant.link_id is not None
        if grant.subject is MediaSubject.SUBMISSION and actor.user_id is None and not one_time:
            raise NotAuthenticated("a submitted file is served to its holder signed in")
        file = await self.granted_file(actor, grant)
        # Spent only once everything else held: a refused attempt leaves the link to its owner.
        if grant.link_id is not None and not await deps.spent_links.spend(
            grant.link_id.hex, grant.expires_at
        ):
            raise MediaLinkUsed()
        return file

    async def granted_file(self, actor: Actor, grant: MediaGrant) -> MediaFile:
        """The file a grant names, when the caller (if signed in) is its holder and the holder
        may still reach it."""
        if grant.user_id is not None and actor.user_id not in (None, grant.user_id):
            raise InvalidMediaToken()
        if grant.subject is MediaSubject.LESSON:
            if grant.user_id is None:
                return await self._lesson_file(Actor.anonymous(), grant)
            if actor.user_id is not None:
                # The holder themselves, signed in, as authentication read them for this request.
                return await self._lesson_file(actor, grant)
            async with self._deps.uow(read_only=True) as uow:
                holder = await self._holder(uow, grant.user_id)
            return await self._lesson_file(holder, grant)
        async with self._deps.uow(read_only=True) as uow:
            holder = await self._holder(uow, grant.user_id)
            return await self._submission_file(uow, holder, grant)

    async def _holder(self, uow: LearningUnitOfWork, user_id: UUID | None) -> Actor:
        """The token's user as they are now (their role may have changed since)."""
        if user_id is None:
            return Actor.anonymous()
        user = await self._deps.identity.user(uow, user_id)
        if user is None or not user.is_active:
            raise InvalidMediaToken()
        return user.as_actor()

    async def _lesson_file(self, holder: Actor, grant: MediaGrant) -> MediaFile:
        try:
            access, _ = await self._deps.lesson_sight(holder, grant.subject_id)
        except NotFound:  # the lesson is gone, or its course is no longer visible to them
            raise InvalidMediaToken() from None
        file = access.lesson.file
        if not access.may_open or file is None or file.key != grant.key:
            raise InvalidMediaToken()
        return MediaFile(file.key, file.content_type, file.filename, file.size)

    async def _submission_file(
        self, uow: LearningUnitOfWork, holder: Actor, grant: MediaGrant
    ) -> MediaFile:
        submission = await uow.learning.submissions.get(grant.subject_id)
        if submission is None:
            raise InvalidMediaToken()
        course = await self._deps.catalog.course_facts(uow, submission.course_id)
        allowed = (
            holder.user_id == submission.user_id
            or self._deps.authorizer.allows(holder, Permission.VIEW_ANY_SUBMISSION)
            or (course is not None and course.is_instructor(holder.user_id))
        )
        file = next((f for f in submission.files if f.key == grant.key), None)
        if not allowed or file is None:
            raise InvalidMediaToken()
        return MediaFile(file.key, file.content_type, file.filename, file.size)


class IssueOneTimeMediaLink:
    """A signed-in holder exchanges their own media link for a one-time link to the same file:
    bound to them and the file, short-lived, and served once (without the Authorization
    header); a second use is refused. Only a link issued to a person can be exchanged, by
    that person, while they may still reach the file."""

    def __init__(self, deps: LearningDeps, open_media: OpenMedia) -> None:
        self._deps = deps
        self._open_media = open_media

    async def __call__(self, actor: Actor, token: str) -> MediaLink:
        deps = self._deps
        user_id = require_signed_in(actor)
        now = deps.clock.now()
        grant = deps.tokens.read(token, now)
        if grant.user_id != user_id or grant.link_id is not None:
            raise InvalidMediaToken()
        file = await self._open_media.granted_file(actor, grant)
        expires_at = now + timedelta(seconds=deps.policy.one_time_link_seconds)
        once = MediaGrant(
            user_id,
            grant.subject,
            grant.subject_id,
            grant.key,
            expires_at,
            link_id=deps.ids.new_id(),
        )
        url = f"{MEDIA_PATH}/{deps.tokens.issue(once)}"
        return MediaLink(url, expires_at, file.content_type, file.filename or "file", file.size)


@dataclass(frozen=True, slots=True)
class ProgressReport:
    completed: bool | None = None
    position_seconds: int | None = None
    seconds_spent: int | None = None


# Lessons the student's own report cannot complete, and what completes them instead.
COMPLETED_BY = {
    LessonKind.QUIZ: CompletedBy.PASSING_THE_QUIZ,
    LessonKind.ASSIGNMENT: CompletedBy.HANDING_IN_THE_ASSIGNMENT,
}


class RecordProgress:
    """An enrolled student reports what they did in a lesson: its position, the time spent
    (credited up to the time the server saw pass since their previous activity) and, for the
    lessons the student's word completes, whether it is done."""

    def __init__(self, deps: LearningDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, lesson_id: UUID, report: ProgressReport) -> ProgressView:
        deps = self._deps
        user_id = require_signed_in(actor)
        # One student's reports queue on their enrollment's lock (held until commit): what
        # their reports do not change (the lesson, the course's plan) is read before the
        # transaction, in one statement, so the lock is held for fewer statements.
        place, plan = await deps.place_and_plan_of(lesson_id, user_id)
        async with deps.uow() as uow:
            access = await deps.access_to(uow, actor, place, lock_enrollment=True)
            enrollment = access.require_student()
            lesson = access.lesson
            # One statement under the lock, read before this report touches a progress row
            # (its last activity is the previous one); it also tells whether today is marked
            # already (``advance`` marks the day it finds, should midnight pass meanwhile).
            today = activity_day(deps.clock.now(), plan.time_zone)
            standing = await uow.learning.progress.standing(
                user_id, access.course.id, lesson.id, today
            )
            last_seen = standing.last_activity
            progress = await lesson_progress(
                uow, user_id, access.course.id, lesson.id, deps.clock.now(), standing
            )
            seconds_before = progress.seconds_spent
            progress.record(
                now=deps.clock.now(),
                is_video=lesson.kind is LessonKind.VIDEO,
                duration_seconds=lesson.duration_seconds,
                completed=report.completed,
                position_seconds=report.position_seconds,
                seconds_spent=report.seconds_spent,
                active_since=max(filter(None, (last_seen, enrollment.enrolled_at))),
                completes_by=COMPLETED_BY.get(lesson.kind),
            )
            # What this report added (never less than nothing): the student's study time.
            if (gained := progress.seconds_spent - seconds_before) > 0:
                await uow.learning.days.add_study_time(
                    user_id, study_quarter_hour(deps.clock.now()), gained
                )
            await advance(deps, uow, access.course, enrollment, progress, plan, standing)
            await uow.commit()
        return progress_view(progress, enrollment)


class GetMyStreak:
    """Consecutive days with learning, counted in the student's time zone."""

    def __init__(self, deps: LearningDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor) -> tuple[Streak, str]:
        deps = self._deps
        user_id = require_signed_in(actor)
        zone = await deps.queries.time_zone(user_id)
        today = activity_day(deps.clock.now(), zone)
        days = await deps.queries.learning_days(
            user_id, since=today - timedelta(days=STREAK_HORIZON_DAYS)
        )
        return streak(days, today), zone
