"""Quizzes: a definition an instructor writes, the paper a student sees, and attempts.

A quiz is a list of questions of five kinds — single choice, multiple choice, true/false, short
text and numeric — each worth whole points, with a pass mark in percent, an optional limit on
attempts and an optional time limit. The definition is checked as a whole when it is built, so
a quiz that exists can always be scored.

Scoring is exact (``Fraction``): partial credit on a multiple-choice question can award thirds,
and rounding happens only where a number is shown (``percent``, ``score_display``, feedback).

- single choice: full points when the chosen choice is the correct one;
- multiple choice: full points when the chosen set is exactly the correct set; with partial
  credit, ``points * max(0, hits - wrong picks) / correct choices``, so guessing everything
  earns nothing;
- true/false: full points for the right boolean;
- short text: full points when the answer equals one of the accepted answers after Unicode
  NFKC normalisation (full-width letters, ligatures and the like become their plain forms),
  trimming surrounding whitespace and case folding (``Straße`` matches ``STRASSE``);
- numeric: full points when ``|answer - expected| <= tolerance``, computed exactly in
  ``Decimal``. A float is read through its shortest repr, so ``0.1 + 0.2`` arrives as
  ``0.30000000000000004`` and misses ``0.3`` with tolerance 0 — instructors set a tolerance.

Unanswered questions score nothing; answers the quiz cannot have asked for (unknown questions,
unknown choices, a value of the wrong type) are refused rather than scored as wrong, because
they mean a broken client, not a wrong student.

A student never sees the definition: ``quiz_paper`` gives the questions and choices without
correct flags, accepted answers or explanations, shuffled by the attempt's seed when the quiz
says so (the same seed gives the same paper, so a reload does not reorder it). After
submission ``feedback_for`` reveals as much as the quiz's feedback mode allows.

Attempt::

    IN_PROGRESS ──submit (before deadline + GRACE)──▶ SUBMITTED

A timed attempt that runs out stays in progress but can no longer be submitted; it counts
towards the attempt limit like any other.
"""

from __future__ import annotations

import dataclasses
import random
import unicodedata
from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation, localcontext
from enum import StrEnum
from fractions import Fraction
from typing import ClassVar, TypeAlias
from uuid import UUID

from elearn.domain.shared.errors import Conflict, RuleViolation
from elearn.domain.shared.events import DomainEvent, RecordsEvents

# A submission up to this long after the time limit is still accepted: the student pressed
# submit in time, the request took a moment to arrive.
GRACE = timedelta(seconds=30)
MAX_QUESTIONS = 100
MAX_CHOICES = 20
MAX_POINTS = 1000
MAX_PROMPT = 5000
MAX_ANSWER_TEXT = 1000
MAX_ID = 64
MAX_ATTEMPTS = 100
MIN_TIME_LIMIT_SECONDS = 10
MAX_TIME_LIMIT_SECONDS = 24 * 3600

# Numbers (expected answers, tolerances, students' answers) stay below 10**40 in magnitude and
# have at most 40 digits after the point. Within those bounds a difference of two numbers has
# at most 82 digits, so the comparison below is exact at _EXACT_PRECISION; without them a
# student's ``1e999999999`` would overflow the context or turn into a billion-digit number.
_NUMBER_DIGITS = 40
_EXACT_PRECISION = 100
_TWO_PLACES = Decimal("0.01")


# ---- errors ----------------------------------------------------------------------------------
class InvalidQuiz(RuleViolation):
    """The definition breaks a rule; the message names the question."""

    code = "invalid-quiz"


class InvalidAnswers(RuleViolation):
    """Answers for unknown questions or choices, or of the wrong type for the question."""

    code = "invalid-answers"


class AttemptLimitReached(RuleViolation):
    code = "attempt-limit-reached"


class AttemptTimeOver(RuleViolation):
    code = "attempt-time-over"


class AttemptClosed(Conflict):
    """The attempt was already submitted (or, for ``result``, not yet)."""

    code = "attempt-closed"


# ---- definition ------------------------------------------------------------------------------
class QuestionKind(StrEnum):
    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    TRUE_FALSE = "true_false"
    SHORT_TEXT = "short_text"
    NUMERIC = "numeric"


CHOICE_KINDS = frozenset({QuestionKind.SINGLE_CHOICE, QuestionKind.MULTIPLE_CHOICE})


class FeedbackMode(StrEnum):
    NONE = "none"  # only the total score and pass/fail
    CORRECTNESS = "correctness"  # + per question: correct or not, points awarded
    FULL = "full"  # + the correct answer and the explanation (see AnswerReveal)


class AnswerReveal(StrEnum):
    """When FULL feedback shows a student the correct answers and explanations. Until then it
    says right or wrong only: the key shown after a failed attempt would pass the next one."""

    AFTER_PASSING = "after_passing"  # once passed, or once no attempt remains
    AFTER_LAST_ATTEMPT = "after_last_attempt"  # only once no attempt remains


@dataclasses.dataclass(frozen=True, slots=True)
class Choice:
    id: str
    text: str
    correct: bool = False


@dataclasses.dataclass(frozen=True, slots=True)
class Question:
    """One question. Only the fields of its kind may be set; ``Quiz`` checks the rules.

    Values as they come from a stored JSON definition are accepted and converted: the kind as
    its string, lists for tuples, numbers as int, float or string for ``Decimal``.
    """

    id: str
    kind: QuestionKind
    prompt: str
    points: int = 1
    choices: tuple[Choice, ...] = ()  # single and multiple choice
    partial_credit: bool = False  # multiple choice only
    correct_boolean: bool | None = None  # true/false
    accepted_answers: tuple[str, ...] = ()  # short text
    numeric_answer: Decimal | None = None  # numeric
    tolerance: Decimal = Decimal(0)  # numeric, >= 0
    explanation: str = ""

    def __post_init__(self) -> None:
        # Conversions only: the rules need the question's position, which only Quiz knows.
        # object.__setattr__ because the dataclass is frozen.
        if not isinstance(self.kind, QuestionKind):
            try:
                object.__setattr__(self, "kind", QuestionKind(self.kind))
            except ValueError:
                raise InvalidQuiz(
                    f"question {self.id!r}: unknown kind {self.kind!r}; one of "
                    + ", ".join(kind.value for kind in QuestionKind)
                ) from None
        if isinstance(self.choices, list):
            object.__setattr__(self, "choices", tuple(self.choices))
        if isinstance(self.accepted_answers, list):
            object.__setattr__(self, "accepted_answers", tuple(self.accepted_answers))
        if self.numeric_answer is not None:
            number = _definition_number(self.numeric_answer, self.id, "numeric_answer")
            object.__setattr__(self, "numeric_answer", number)
        object.__setattr__(
            self, "tolerance", _definition_number(self.tolerance, self.id, "tolerance")
        )


def _definition_number(value: object, question_id: str, field: str) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(str(value))  # the shortest repr: 0.1 stays 0.1
    if isinstance(value, int | str) and not isinstance(value, bool):
        try:
            return Decimal(value)
        except InvalidOperation:
            pass
    raise InvalidQuiz(f"question {question_id!r}: {field} must be a number")


@dataclasses.dataclass(frozen=True, slots=True)
class Quiz:
    questions: tuple[Question, ...]
    pass_mark_percent: int = 70  # 0..100
    max_attempts: int | None = None  # None: unlimited
    time_limit_seconds: int | None = None  # None: untimed
    shuffle_questions: bool = False
    shuffle_choices: bool = False
    feedback: FeedbackMode = FeedbackMode.CORRECTNESS
    required: bool = False  # must be passed for the course to complete
    reveal_answers: AnswerReveal = AnswerReveal.AFTER_PASSING  # FULL feedback only

    def __post_init__(self) -> None:
        if isinstance(self.questions, list):
            object.__setattr__(self, "questions", tuple(self.questions))
        if not isinstance(self.feedback, FeedbackMode):
            try:
                object.__setattr__(self, "feedback", FeedbackMode(self.feedback))
            except ValueError:
                raise InvalidQuiz(
                    "feedback is one of " + ", ".join(mode.value for mode in FeedbackMode)
                ) from None
        if not isinstance(self.reveal_answers, AnswerReveal):
            try:
                object.__setattr__(self, "reveal_answers", AnswerReveal(self.reveal_answers))
            except ValueError:
                raise InvalidQuiz(
                    "reveal_answers is one of " + ", ".join(when.value for when in AnswerReveal)
                ) from None
        _check_quiz(self)

    @property
    def max_score(self) -> int:
        return sum(question.points for question in self.questions)

    def question(self, question_id: str) -> Question:
        for question in self.questions:
            if question.id == question_id:
                return question
        raise InvalidAnswers(f"there is no question {question_id!r} in this quiz")


# ---- definition rules ------------------------------------------------------------------------
def _whole(value: object, low: int, high: int) -> bool:
    # bool is an int subclass: True must not pass as 1 point.
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _valid_id(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip()) and len(value) <= MAX_ID


def _check_quiz(quiz: Quiz) -> None:
    if not isinstance(quiz.questions, tuple) or not 1 <= len(quiz.questions) <= MAX_QUESTIONS:
        raise InvalidQuiz(f"a quiz has 1 to {MAX_QUESTIONS} questions")
    seen: set[str] = set()
    for position, question in enumerate(quiz.questions, start=1):
        if not isinstance(question, Question):
            raise InvalidQuiz(f"question {position} is not a question")
        if not _valid_id(question.id):
            raise InvalidQuiz(f"question {position}: the id is 1 to {MAX_ID} characters")
        if question.id in seen:
            raise InvalidQuiz(f"question {position}: the id {question.id!r} is used twice")
        seen.add(question.id)
        _check_question(question, f"question {position} ({question.id!r})")
    if not _whole(quiz.pass_mark_percent, 0, 100):
        raise InvalidQuiz("the pass mark is a whole percentage from 0 to 100")
    if quiz.max_attempts is not None and not _whole(quiz.max_attempts, 1, MAX_ATTEMPTS):
        raise InvalidQuiz(f"the attempt limit is a whole number from 1 to {MAX_ATTEMPTS}")
    if quiz.time_limit_seconds is not None and not _whole(
        quiz.time_limit_seconds, MIN_TIME_LIMIT_SECONDS, MAX_TIME_LIMIT_SECONDS
    ):
        raise InvalidQuiz(
            f"the time limit is {MIN_TIME_LIMIT_SECONDS} to {MAX_TIME_LIMIT_SECONDS} seconds"
        )
    for flag in ("shuffle_questions", "shuffle_choices", "required"):
        if not isinstance(getattr(quiz, flag), bool):
            raise InvalidQuiz(f"{flag} is true or false")


def _check_question(question: Question, name: str) -> None:
    kind = question.kind
    if not isinstance(question.prompt, str) or not question.prompt.strip():
        raise InvalidQuiz(f"{name}: the prompt cannot be empty")
    if len(question.prompt) > MAX_PROMPT:
        raise InvalidQuiz(f"{name}: the prompt is at most {MAX_PROMPT} characters")
    if not _whole(question.points, 1, MAX_POINTS):
        raise InvalidQuiz(f"{name}: points are a whole number from 1 to {MAX_POINTS}")
    if not isinstance(question.explanation, str) or len(question.explanation) > MAX_PROMPT:
        raise InvalidQuiz(f"{name}: the explanation is text of at most {MAX_PROMPT} characters")
    if not isinstance(question.partial_credit, bool):
        raise InvalidQuiz(f"{name}: partial_credit is true or false")

    # Fields of other kinds must stay empty: a stray correct_boolean on a numeric question is
    # an editor bug that would otherwise be stored and shown back as if it meant something.
    if kind in CHOICE_KINDS:
        _check_choices(question, name)
    elif question.choices:
        raise InvalidQuiz(f"{name}: only choice questions have choices")
    if question.partial_credit and kind is not QuestionKind.MULTIPLE_CHOICE:
        raise InvalidQuiz(f"{name}: partial credit is only for multiple-choice questions")

    if kind is QuestionKind.TRUE_FALSE:
        if not isinstance(question.correct_boolean, bool):
            raise InvalidQuiz(f"{name}: a true/false question needs its correct answer")
    elif question.correct_boolean is not None:
        raise InvalidQuiz(f"{name}: only true/false questions have a correct boolean")

    if kind is QuestionKind.SHORT_TEXT:
        if not question.accepted_answers:
            raise InvalidQuiz(f"{name}: a short-text question needs an accepted answer")
        for accepted in question.accepted_answers:
            # A blank accepted answer would give full marks for submitting nothing.
            if not isinstance(accepted, str) or not accepted.strip():
                raise InvalidQuiz(f"{name}: accepted answers cannot be blank")
            if len(accepted) > MAX_ANSWER_TEXT:
                raise InvalidQuiz(
                    f"{name}: accepted answers are at most {MAX_ANSWER_TEXT} characters"
                )
    elif question.accepted_answers:
        raise InvalidQuiz(f"{name}: only short-text questions have accepted answers")

    if kind is QuestionKind.NUMERIC:
        if question.numeric_answer is None or not _bounded(question.numeric_answer):
            raise InvalidQuiz(f"{name}: a numeric question needs a finite expected answer")
        if not _bounded(question.tolerance) or question.tolerance < 0:
            raise InvalidQuiz(f"{name}: the tolerance is a finite number, zero or more")
    elif question.numeric_answer is not None or not question.tolerance.is_zero():
        raise InvalidQuiz(f"{name}: only numeric questions have a numeric answer or tolerance")


def _check_choices(question: Question, name: str) -> None:
    choices = question.choices
    if not isinstance(choices, tuple) or not 2 <= len(choices) <= MAX_CHOICES:
        raise InvalidQuiz(f"{name}: a choice question has 2 to {MAX_CHOICES} choices")
    seen: set[str] = set()
    for choice in choices:
        if not isinstance(choice, Choice):
            raise InvalidQuiz(f"{name}: every choice must be a choice")
        if not _valid_id(choice.id):
            raise InvalidQuiz(f"{name}: choice ids are 1 to {MAX_ID} characters")
        if choice.id in seen:
            raise InvalidQuiz(f"{name}: the choice id {choice.id!r} is used twice")
        seen.add(choice.id)
        if not isinstance(choice.text, str) or not choice.text.strip():
            raise InvalidQuiz(f"{name}: choice {choice.id!r} needs a text")
        if len(choice.text) > MAX_ANSWER_TEXT:
            raise InvalidQuiz(
                f"{name}: choice {choice.id!r} is at most {MAX_ANSWER_TEXT} characters"
            )
        if not isinstance(choice.correct, bool):
            raise InvalidQuiz(f"{name}: choice {choice.id!r}: correct is true or false")
    correct = sum(1 for choice in choices if choice.correct)
    if question.kind is QuestionKind.SINGLE_CHOICE and correct != 1:
        raise InvalidQuiz(f"{name}: a single-choice question has exactly one correct choice")
    if question.kind is QuestionKind.MULTIPLE_CHOICE and correct < 1:
        raise InvalidQuiz(f"{name}: a multiple-choice question has at least one correct choice")


def _bounded(number: Decimal) -> bool:
    """Finite, below 10**40 in magnitude and at most 40 digits after the point."""
    if not number.is_finite():
        return False
    if number.is_zero():
        return True  # 0E-50 is still zero
    exponent = number.as_tuple().exponent
    assert isinstance(exponent, int)  # finite numbers have an int exponent
    return number.adjusted() < _NUMBER_DIGITS and exponent >= -_NUMBER_DIGITS


# ---- answers ---------------------------------------------------------------------------------
Answers: TypeAlias = Mapping[str, object]
NormalizedAnswer: TypeAlias = str | frozenset[str] | bool | Decimal


def normalized_answers(quiz: Quiz, answers: Mapping[str, object]) -> dict[str, NormalizedAnswer]:
    """Checks raw answers (as decoded from JSON) against the quiz and converts them to the
    values stored on an attempt. Questions left out are unanswered."""
    if not isinstance(answers, Mapping):
        raise InvalidAnswers("answers map question ids to answers")
    normalized: dict[str, NormalizedAnswer] = {}
    for question_id, raw in answers.items():
        if not isinstance(question_id, str):
            raise InvalidAnswers(f"there is no question {question_id!r} in this quiz")
        question = quiz.question(question_id)
        normalized[question_id] = _normalized(question, raw)
    return normalized


def _normalized(question: Question, raw: object) -> NormalizedAnswer:
    name = f"question {question.id!r}"
    match question.kind:
        case QuestionKind.SINGLE_CHOICE:
            if not isinstance(raw, str):
                raise InvalidAnswers(f"{name}: the answer is one choice id")
            _check_choice_ids(question, (raw,))
            return raw
        case QuestionKind.MULTIPLE_CHOICE:
            if not isinstance(raw, list | tuple | set | frozenset) or not all(
                isinstance(item, str) for item in raw
            ):
                raise InvalidAnswers(f"{name}: the answer is a list of choice ids")
            picked = frozenset(raw)
            _check_choice_ids(question, picked)
            return picked
        case QuestionKind.TRUE_FALSE:
            if not isinstance(raw, bool):
                raise InvalidAnswers(f"{name}: the answer is true or false")
            return raw
        case QuestionKind.SHORT_TEXT:
            if not isinstance(raw, str):
                raise InvalidAnswers(f"{name}: the answer is text")
            text = raw.strip()
            if len(text) > MAX_ANSWER_TEXT:
                raise InvalidAnswers(f"{name}: the answer is at most {MAX_ANSWER_TEXT} characters")
            return text
        case QuestionKind.NUMERIC:
            return _answer_number(raw, name)
    raise AssertionError(f"unhandled question kind {question.kind!r}")  # pragma: no cover


def _check_choice_ids(question: Question, picked: frozenset[str] | tuple[str, ...]) -> None:
    known = {choice.id for choice in question.choices}
    for choice_id in picked:
        if choice_id not in known:
            raise InvalidAnswers(f"question {question.id!r} has no choice {choice_id!r}")


def _answer_number(raw: object, name: str) -> Decimal:
    # bool before int: True is an int and must not count as the answer 1.
    if isinstance(raw, bool) or not isinstance(raw, int | float | Decimal):
        raise InvalidAnswers(f"{name}: the answer is a number")
    # str(float) is the shortest repr that reads back as the same float: 0.1 stays 0.1 rather
    # than becoming 0.1000000000000000055511151231257827.
    number = Decimal(str(raw)) if isinstance(raw, float) else Decimal(raw)
    if not number.is_finite():
        raise InvalidAnswers(f"{name}: the answer must be a finite number")
    if not _bounded(number):
        raise InvalidAnswers(
            f"{name}: the answer is below 10^{_NUMBER_DIGITS} with at most {_NUMBER_DIGITS} "
            "digits after the point"
        )
    return number


def _text_key(text: str) -> str:
    # NFKC folds compatibility forms (full-width letters, the "fi" ligature) into plain ones;
    # casefold is the caseless match Unicode defines; NFKC again because casefolding can leave
    # a string unnormalised.
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).strip().casefold())


# ---- scoring ---------------------------------------------------------------------------------
def _round2(value: Fraction) -> Decimal:
    # round() on a Fraction rounds half to even, exactly, without a trip through float.
    return Decimal(round(value * 100)).scaleb(-2)


@dataclasses.dataclass(frozen=True, slots=True)
class QuestionResult:
    question_id: str
    points_awarded: Fraction
    points_possible: int
    correct: bool  # full marks
    answered: bool


@dataclasses.dataclass(frozen=True, slots=True)
class QuizResult:
    score: Fraction
    max_score: int
    passed: bool
    questions: tuple[QuestionResult, ...]

    @property
    def percent(self) -> Decimal:
        """The score as a percentage, two places, half to even."""
        return _round2(self.score * 100 / self.max_score)

    @property
    def score_display(self) -> Decimal:
        return _round2(self.score)


def score_quiz(quiz: Quiz, answers: Mapping[str, object]) -> QuizResult:
    normalized = normalized_answers(quiz, answers)
    results = tuple(
        _score_question(question, normalized.get(question.id)) for question in quiz.questions
    )
    score = sum((result.points_awarded for result in results), Fraction(0))
    max_score = quiz.max_score
    return QuizResult(
        score=score,
        max_score=max_score,
        # Exact: a pass mark of 70 is passed by 7/10 and not by 6.995/10.
        passed=score * 100 >= quiz.pass_mark_percent * max_score,
        questions=results,
    )


def _score_question(question: Question, answer: NormalizedAnswer | None) -> QuestionResult:
    awarded = Fraction(0) if answer is None else _points(question, answer)
    return QuestionResult(
        question_id=question.id,
        points_awarded=awarded,
        points_possible=question.points,
        correct=awarded == question.points,
        answered=answer is not None,
    )


def _points(question: Question, answer: NormalizedAnswer) -> Fraction:
    full = Fraction(question.points)
    match question.kind:
        case QuestionKind.SINGLE_CHOICE:
            return full if answer == _correct_ids(question)[0] else Fraction(0)
        case QuestionKind.MULTIPLE_CHOICE:
            assert isinstance(answer, frozenset)
            correct = frozenset(_correct_ids(question))
            if not question.partial_credit:
                return full if answer == correct else Fraction(0)
            hits = len(answer & correct)
            wrong_picks = len(answer - correct)
            return full * max(0, hits - wrong_picks) / len(correct)
        case QuestionKind.TRUE_FALSE:
            return full if answer is question.correct_boolean else Fraction(0)
        case QuestionKind.SHORT_TEXT:
            assert isinstance(answer, str)
            key = _text_key(answer)
            accepted = {_text_key(text) for text in question.accepted_answers}
            return full if key in accepted else Fraction(0)
        case QuestionKind.NUMERIC:
            assert isinstance(answer, Decimal) and question.numeric_answer is not None
            close = _close(answer, question.numeric_answer, question.tolerance)
            return full if close else Fraction(0)
    raise AssertionError(f"unhandled question kind {question.kind!r}")  # pragma: no cover


def _close(answer: Decimal, expected: Decimal, tolerance: Decimal) -> bool:
    # All three are _bounded, so at this precision the subtraction is exact and an answer
    # exactly at the tolerance counts.
    with localcontext() as context:
        context.prec = _EXACT_PRECISION
        return abs(answer - expected) <= tolerance


def _correct_ids(question: Question) -> list[str]:
    return sorted(choice.id for choice in question.choices if choice.correct)


# ---- what the student sees -------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, slots=True)
class PaperChoice:
    id: str
    text: str


@dataclasses.dataclass(frozen=True, slots=True)
class PaperQuestion:
    id: str
    kind: QuestionKind
    prompt: str
    points: int
    choices: tuple[PaperChoice, ...]


def quiz_paper(quiz: Quiz, seed: int) -> tuple[PaperQuestion, ...]:
    """The questions as the student sees them: no correct flags, accepted or expected answers,
    tolerances or explanations. Shuffled by ``seed`` when the quiz says so, the same way every
    time for the same seed."""
    rng = random.Random(seed)  # noqa: S311 - an order of questions, not a secret
    questions = list(quiz.questions)
    if quiz.shuffle_questions:
        rng.shuffle(questions)
    paper = []
    for question in questions:
        choices = [PaperChoice(id=choice.id, text=choice.text) for choice in question.choices]
        if quiz.shuffle_choices:
            rng.shuffle(choices)
        paper.append(
            PaperQuestion(
                id=question.id,
                kind=question.kind,
                prompt=question.prompt,
                points=question.points,
                choices=tuple(choices),
            )
        )
    return tuple(paper)


@dataclasses.dataclass(frozen=True, slots=True)
class QuestionFeedback:
    question_id: str
    correct: bool
    points_awarded: Decimal  # two places
    points_possible: int
    # FULL only: single choice → the choice id, multiple choice → the sorted correct ids,
    # true/false → the boolean, short text → the accepted answers, numeric → the number.
    correct_answer: str | list[str] | bool | Decimal | None = None
    explanation: str | None = None  # FULL only, None when the question has none (or blank)


def answers_revealed(
    quiz: Quiz, *, passed: bool, attempts_left: int | None, attempt_open: bool
) -> bool:
    """Whether a student's feedback may show the correct answers: FULL feedback, no attempt
    being taken, and either none left (``attempts_left`` 0; None is unlimited) or the quiz
    passed when the quiz reveals after passing."""
    if quiz.feedback is not FeedbackMode.FULL or attempt_open:
        return False
    return attempts_left == 0 or (passed and quiz.reveal_answers is AnswerReveal.AFTER_PASSING)


def feedback_for(quiz: Quiz, result: QuizResult, *, answers: bool) -> tuple[QuestionFeedback, ...]:
    """Per-question feedback after submission, as much as the quiz's feedback mode shows; the
    correct answers and explanations only with ``answers`` (see ``answers_revealed``)."""
    if quiz.feedback is FeedbackMode.NONE:
        return ()
    full = quiz.feedback is FeedbackMode.FULL and answers
    feedback = []
    for scored in result.questions:
        question = quiz.question(scored.question_id)
        feedback.append(
            QuestionFeedback(
                question_id=question.id,
                correct=scored.correct,
                points_awarded=_round2(scored.points_awarded),
                points_possible=scored.points_possible,
                correct_answer=_correct_answer(question) if full else None,
                explanation=_explanation(question) if full else None,
            )
        )
    return tuple(feedback)


def _explanation(question: Question) -> str | None:
    return question.explanation if question.explanation.strip() else None


def _correct_answer(question: Question) -> str | list[str] | bool | Decimal | None:
    match question.kind:
        case QuestionKind.SINGLE_CHOICE:
            return _correct_ids(question)[0]
        case QuestionKind.MULTIPLE_CHOICE:
            return _correct_ids(question)
        case QuestionKind.TRUE_FALSE:
            return question.correct_boolean
        case QuestionKind.SHORT_TEXT:
            return list(question.accepted_answers)
        case QuestionKind.NUMERIC:
            return question.numeric_answer
    raise AssertionError(f"unhandled question kind {question.kind!r}")  # pragma: no cover


# ---- attempts --------------------------------------------------------------------------------
class AttemptStatus(StrEnum):
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"


@dataclasses.dataclass(frozen=True, slots=True)
class QuestionOutcome:
    """Whether one question of a submitted attempt earned its full points."""

    question_id: str
    correct: bool


@dataclasses.dataclass(frozen=True, kw_only=True)
class QuizSubmitted(DomainEvent):
    event_type: ClassVar[str] = "learning.quiz_submitted"
    attempt_id: UUID
    lesson_id: UUID
    course_id: UUID
    user_id: UUID
    passed: bool
    percent: Decimal
    # Every question of the quiz in its order, answered or not (unanswered is not correct):
    # what analytics counts per question. Events stored before it was added decode as none.
    questions: tuple[QuestionOutcome, ...] = ()


@dataclasses.dataclass(eq=False)
class QuizAttempt(RecordsEvents):
    """One try at a quiz by one student. ``seed`` fixes the order of their paper."""

    id: UUID
    lesson_id: UUID
    course_id: UUID
    user_id: UUID
    number: int  # 1-based, per student and quiz
    seed: int
    started_at: datetime
    deadline: datetime | None
    status: AttemptStatus = AttemptStatus.IN_PROGRESS
    submitted_at: datetime | None = None
    answers: dict[str, NormalizedAnswer] = dataclasses.field(default_factory=dict)
    score: Fraction | None = None
    max_score: int | None = None
    passed: bool | None = None

    @classmethod
    def start(
        cls,
        quiz: Quiz,
        *,
        attempt_id: UUID,
        lesson_id: UUID,
        course_id: UUID,
        user_id: UUID,
        attempts_so_far: int,
        now: datetime,
        seed: int,
    ) -> QuizAttempt:
        """``attempts_so_far`` counts every earlier attempt, finished or not: abandoning an
        attempt must not buy a fresh one."""
        if now.tzinfo is None:
            raise ValueError("now needs a time zone")
        if attempts_so_far < 0:
            raise ValueError("attempts_so_far cannot be negative")
        if quiz.max_attempts is not None and attempts_so_far >= quiz.max_attempts:
            raise AttemptLimitReached(
                f"this quiz allows {quiz.max_attempts} attempt"
                + ("" if quiz.max_attempts == 1 else "s")
            )
        deadline = (
            None
            if quiz.time_limit_seconds is None
            else now + timedelta(seconds=quiz.time_limit_seconds)
        )
        return cls(
            id=attempt_id,
            lesson_id=lesson_id,
            course_id=course_id,
            user_id=user_id,
            number=attempts_so_far + 1,
            seed=seed,
            started_at=now,
            deadline=deadline,
        )

    def _in_time(self, now: datetime) -> bool:
        return self.deadline is None or now <= self.deadline + GRACE

    def is_open(self, now: datetime) -> bool:
        return self.status == AttemptStatus.IN_PROGRESS and self._in_time(now)

    def submit(
        self, quiz: Quiz, answers: Mapping[str, object], *, now: datetime, event_id: UUID
    ) -> QuizResult:
        if self.status != AttemptStatus.IN_PROGRESS:
            raise AttemptClosed("this attempt has already been submitted")
        if not self._in_time(now):
            raise AttemptTimeOver("the time for this attempt is over")
        # Everything that can fail happens before the first assignment, so a refused
        # submission leaves the attempt as it was and the student can correct and resend.
        normalized = normalized_answers(quiz, answers)
        result = score_quiz(quiz, normalized)
        self.answers = normalized
        self.score = result.score
        self.max_score = result.max_score
        self.passed = result.passed
        self.submitted_at = now
        self.status = AttemptStatus.SUBMITTED
        self.record(
            QuizSubmitted(
                event_id=event_id,
                occurred_at=now,
                attempt_id=self.id,
                lesson_id=self.lesson_id,
                course_id=self.course_id,
                user_id=self.user_id,
                passed=result.passed,
                percent=result.percent,
                questions=tuple(
                    QuestionOutcome(scored.question_id, scored.correct)
                    for scored in result.questions
                ),
            )
        )
        return result

    @property
    def score_display(self) -> Decimal | None:
        return None if self.score is None else _round2(self.score)

    @property
    def percent(self) -> Decimal | None:
        """The score it got when submitted, whatever the quiz has become since."""
        if self.score is None or not self.max_score:
            return None
        return _round2(self.score * 100 / self.max_score)

    def result(self, quiz: Quiz) -> QuizResult:
        """The stored answers scored again, for feedback after submission. Raises
        `InvalidAnswers` when the quiz has changed so that they no longer fit it."""
        if self.status != AttemptStatus.SUBMITTED:
            raise AttemptClosed("this attempt has not been submitted")
        return score_quiz(quiz, self.answers)
