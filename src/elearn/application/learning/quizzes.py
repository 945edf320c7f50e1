"""Quizzes: instructors set them, enrolled students take them.

An attempt is started by the student and timed by the server from that moment; its paper has no
answers in it. Submitting scores it with the domain's pure scoring and returns as much feedback
as the instructor chose. A passed quiz completes its lesson. Attempts beyond the limit and
submissions past the time limit (plus a short grace) are refused with 422.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from elearn.application.access import require_signed_in
from elearn.application.actor import Actor
from elearn.application.authorization import Permission
from elearn.application.catalog.api import LessonKind
from elearn.application.errors import NotFound
from elearn.application.learning.deps import LearningDeps
from elearn.application.learning.lessons import advance, lesson_progress
from elearn.application.learning.ports import AnswersMap, LearningUnitOfWork
from elearn.application.learning.quiz_views import (
    AnswerView,
    QuestionFeedbackView,
    QuizDefinition,
    answer_view,
    feedback_view,
    number,
    quiz_definition,
)
from elearn.domain.learning.quiz import (
    AttemptStatus,
    InvalidAnswers,
    PaperQuestion,
    Quiz,
    QuizAttempt,
    feedback_for,
    quiz_paper,
)
from elearn.domain.shared.errors import RuleViolation


class AttemptNotFound(NotFound):
    code = "attempt-not-found"

    def __init__(self) -> None:
        super().__init__("there is no such attempt")


class QuizNotSet(NotFound):
    code = "quiz-not-found"

    def __init__(self) -> None:
        super().__init__("this lesson has no quiz yet")


class NotAQuizLesson(RuleViolation):
    code = "not-a-quiz-lesson"


@dataclass(frozen=True, slots=True)
class AttemptView:
    id: UUID
    lesson_id: UUID
    number: int
    status: AttemptStatus
    started_at: datetime
    deadline: datetime | None
    submitted_at: datetime | None
    questions: tuple[PaperQuestion, ...]
    answers: dict[str, AnswerView] | None
    score: float | None
    max_score: int
    percent: float | None
    passed: bool | None
    pass_mark_percent: int
    feedback: list[QuestionFeedbackView] | None


def attempt_view(quiz: Quiz, attempt: QuizAttempt) -> AttemptView:
    submitted = attempt.status is AttemptStatus.SUBMITTED
    result = None
    if submitted:
        try:
            result = attempt.result(quiz)
        except InvalidAnswers:
            pass  # the quiz changed since: the score stands, per-question feedback cannot
    return AttemptView(
        id=attempt.id,
        lesson_id=attempt.lesson_id,
        number=attempt.number,
        status=attempt.status,
        started_at=attempt.started_at,
        deadline=attempt.deadline,
        submitted_at=attempt.submitted_at,
        questions=quiz_paper(quiz, attempt.seed),
        answers={question: answer_view(answer) for question, answer in attempt.answers.items()}
        if submitted
        else None,
        score=None if attempt.score_display is None else number(attempt.score_display),
        max_score=attempt.max_score or quiz.max_score,
        percent=None if attempt.percent is None else number(attempt.percent),
        passed=attempt.passed,
        pass_mark_percent=quiz.pass_mark_percent,
        feedback=[feedback_view(each) for each in feedback_for(quiz, result)] if result else None,
    )


async def _quiz(uow: LearningUnitOfWork, lesson_id: UUID) -> Quiz:
    quiz = await uow.learning.quizzes.get(lesson_id)
    if quiz is None:
        raise QuizNotSet()
    return quiz


class SetQuiz:
    """An instructor sets (or replaces) the quiz of a quiz lesson. Attempts already submitted
    keep the score they had; feedback shown later follows the quiz as it is now."""

    def __init__(self, deps: LearningDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, lesson_id: UUID, quiz: Quiz) -> QuizDefinition:
        deps = self._deps
        async with deps.uow() as uow:
            course = await deps.lesson_to_edit(
                uow,
                actor,
                lesson_id,
                LessonKind.QUIZ,
                NotAQuizLesson("only quiz lessons have a quiz"),
            )
            await uow.learning.quizzes.put(lesson_id, course.id, quiz, deps.clock.now())
            await uow.commit()
        return quiz_definition(quiz)


class StartAttempt:
    """An enrolled student starts an attempt, or gets back the one still open."""

    def __init__(self, deps: LearningDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, lesson_id: UUID) -> tuple[AttemptView, bool]:
        """The attempt, and whether it was started now."""
        deps = self._deps
        user_id = require_signed_in(actor)
        now = deps.clock.now()
        async with deps.uow() as uow:
            # Locking the enrollment makes one student's attempts start one at a time.
            access = await deps.lesson_access(uow, actor, lesson_id, lock_enrollment=True)
            access.require_student()
            quiz = await _quiz(uow, lesson_id)
            attempts = await uow.learning.attempts.for_student(user_id, lesson_id)
            open_attempt = next((a for a in attempts if a.is_open(now)), None)
            if open_attempt is not None:
                return attempt_view(quiz, open_attempt), False
            attempt = QuizAttempt.start(
                quiz,
                attempt_id=deps.ids.new_id(),
                lesson_id=lesson_id,
                course_id=access.course.id,
                user_id=user_id,
                attempts_so_far=len(attempts),
                now=now,
                seed=deps.ids.new_id().int & 0x7FFF_FFFF,
            )
            await uow.learning.attempts.add(attempt)
            await uow.commit()
        return attempt_view(quiz, attempt), True


class SubmitAttempt:
    """The student hands in their answers; a pass completes the lesson."""

    def __init__(self, deps: LearningDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, attempt_id: UUID, answers: AnswersMap) -> AttemptView:
        deps = self._deps
        user_id = require_signed_in(actor)
        async with deps.uow() as uow:
            attempt = await uow.learning.attempts.get(attempt_id, for_update=True)
            if attempt is None or attempt.user_id != user_id:
                raise AttemptNotFound()
            access = await deps.lesson_access(uow, actor, attempt.lesson_id, lock_enrollment=True)
            enrollment = access.require_student()
            quiz = await _quiz(uow, attempt.lesson_id)
            result = attempt.submit(quiz, answers, now=deps.clock.now(), event_id=deps.ids.new_id())
            progress = await lesson_progress(
                uow, user_id, access.course.id, attempt.lesson_id, deps.clock.now()
            )
            if result.passed and not progress.completed:
                progress.record(
                    now=deps.clock.now(),
                    is_video=False,
                    duration_seconds=access.lesson.duration_seconds,
                    completed=True,
                )
            await advance(deps, uow, access.course, enrollment, progress)
            await uow.commit()
        return attempt_view(quiz, attempt)


class GetAttempt:
    """An attempt, for the student who made it and for the course's instructors and staff."""

    def __init__(self, deps: LearningDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, attempt_id: UUID) -> AttemptView:
        deps = self._deps
        user_id = require_signed_in(actor)
        async with deps.uow(read_only=True) as uow:
            attempt = await uow.learning.attempts.get(attempt_id)
            if attempt is None:
                raise AttemptNotFound()
            if attempt.user_id != user_id:
                course = await deps.catalog.course_facts(uow, attempt.course_id)
                if course is None or not course.is_instructor(user_id):
                    deps.authorizer.authorize(
                        actor, Permission.VIEW_ANY_QUIZ_ATTEMPT, otherwise=AttemptNotFound()
                    )
            quiz = await _quiz(uow, attempt.lesson_id)
        return attempt_view(quiz, attempt)
