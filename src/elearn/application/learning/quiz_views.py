"""Quizzes as the API shows them: numbers are JSON numbers (never decimal strings), and an
answer is one of four JSON types a schema can tell apart."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from elearn.domain.learning.quiz import (
    Choice,
    FeedbackMode,
    NormalizedAnswer,
    Question,
    QuestionFeedback,
    QuestionKind,
    Quiz,
)

# An answer as the API shows it: a choice id or a text, the chosen ids (sorted), true/false,
# or a number. Four JSON types, so a schema can tell them apart.
AnswerView = str | list[str] | bool | float


def answer_view(answer: NormalizedAnswer | list[str]) -> AnswerView:
    if isinstance(answer, bool | str):
        return answer
    if isinstance(answer, Decimal):
        return number(answer)
    return sorted(answer)


def number(value: Decimal) -> float:
    """A decimal of the quiz domain (a score, points, a percentage, a numeric answer or its
    tolerance) as a JSON number: the API shows no number as a string."""
    return float(value)


@dataclass(frozen=True, slots=True)
class QuestionFeedbackView:
    question_id: str
    correct: bool
    points_awarded: float
    points_possible: int
    # FULL feedback only (see the domain's QuestionFeedback).
    correct_answer: AnswerView | None
    explanation: str | None


def feedback_view(feedback: QuestionFeedback) -> QuestionFeedbackView:
    return QuestionFeedbackView(
        question_id=feedback.question_id,
        correct=feedback.correct,
        points_awarded=number(feedback.points_awarded),
        points_possible=feedback.points_possible,
        correct_answer=None
        if feedback.correct_answer is None
        else answer_view(feedback.correct_answer),
        explanation=feedback.explanation,
    )


@dataclass(frozen=True, slots=True)
class QuestionDefinition:
    """A question with its key, for the quiz's instructors and staff."""

    id: str
    kind: QuestionKind
    prompt: str
    points: int
    choices: list[Choice]
    partial_credit: bool
    correct_boolean: bool | None
    accepted_answers: list[str]
    numeric_answer: float | None
    tolerance: float
    explanation: str


@dataclass(frozen=True, slots=True)
class QuizDefinition:
    """A whole quiz as its instructors set it (the body of ``PUT /lessons/{id}/quiz``)."""

    questions: list[QuestionDefinition]
    pass_mark_percent: int
    max_attempts: int | None
    time_limit_seconds: int | None
    shuffle_questions: bool
    shuffle_choices: bool
    feedback: FeedbackMode
    required: bool


def _question_definition(question: Question) -> QuestionDefinition:
    return QuestionDefinition(
        id=question.id,
        kind=question.kind,
        prompt=question.prompt,
        points=question.points,
        choices=list(question.choices),
        partial_credit=question.partial_credit,
        correct_boolean=question.correct_boolean,
        accepted_answers=list(question.accepted_answers),
        numeric_answer=None if question.numeric_answer is None else number(question.numeric_answer),
        tolerance=number(question.tolerance),
        explanation=question.explanation,
    )


def quiz_definition(quiz: Quiz) -> QuizDefinition:
    return QuizDefinition(
        questions=[_question_definition(question) for question in quiz.questions],
        pass_mark_percent=quiz.pass_mark_percent,
        max_attempts=quiz.max_attempts,
        time_limit_seconds=quiz.time_limit_seconds,
        shuffle_questions=quiz.shuffle_questions,
        shuffle_choices=quiz.shuffle_choices,
        feedback=quiz.feedback,
        required=quiz.required,
    )
