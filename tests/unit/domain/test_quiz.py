"""Quizzes: the definition refuses what cannot be scored, each kind of question scores as the
module's docstring says, students see no answers before submitting and only as much as the
feedback mode allows after, and attempts respect their limits and deadlines."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from elearn.domain.learning.quiz import (
    GRACE,
    MAX_ANSWER_TEXT,
    MAX_CHOICES,
    MAX_POINTS,
    MAX_PROMPT,
    MAX_QUESTIONS,
    AnswerReveal,
    AttemptClosed,
    AttemptLimitReached,
    AttemptStatus,
    AttemptTimeOver,
    Choice,
    FeedbackMode,
    InvalidAnswers,
    InvalidQuiz,
    PaperChoice,
    PaperQuestion,
    Question,
    QuestionFeedback,
    QuestionKind,
    QuestionOutcome,
    Quiz,
    QuizAttempt,
    QuizResult,
    QuizSubmitted,
    answers_revealed,
    feedback_for,
    normalized_answers,
    quiz_paper,
    score_quiz,
)
from elearn.domain.shared.errors import Conflict, RuleViolation

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
ATTEMPT_ID = UUID(int=1)
LESSON_ID = UUID(int=2)
COURSE_ID = UUID(int=3)
USER_ID = UUID(int=4)
EVENT_ID = UUID(int=5)
K = QuestionKind


# ---- builders --------------------------------------------------------------------------------
def choices(n: int, correct: set[int], prefix: str = "c") -> tuple[Choice, ...]:
    return tuple(
        Choice(id=f"{prefix}{i}", text=f"Option {i}", correct=i in correct) for i in range(n)
    )


def single(qid: str = "q1", *, points: int = 1, **overrides: Any) -> Question:
    values: dict[str, Any] = {
        "id": qid,
        "kind": K.SINGLE_CHOICE,
        "prompt": "Which one?",
        "points": points,
        "choices": choices(3, {1}),
    }
    values.update(overrides)
    return Question(**values)


def multiple(qid: str = "q2", *, points: int = 1, **overrides: Any) -> Question:
    """Choices c0..c4, the correct ones c0, c1 and c2."""
    values: dict[str, Any] = {
        "id": qid,
        "kind": K.MULTIPLE_CHOICE,
        "prompt": "Which ones?",
        "points": points,
        "choices": choices(5, {0, 1, 2}),
    }
    values.update(overrides)
    return Question(**values)


def true_false(qid: str = "q3", *, points: int = 1, **overrides: Any) -> Question:
    values: dict[str, Any] = {
        "id": qid,
        "kind": K.TRUE_FALSE,
        "prompt": "True?",
        "points": points,
        "correct_boolean": True,
    }
    values.update(overrides)
    return Question(**values)


def short_text(qid: str = "q4", *, points: int = 1, **overrides: Any) -> Question:
    values: dict[str, Any] = {
        "id": qid,
        "kind": K.SHORT_TEXT,
        "prompt": "Capital of France?",
        "points": points,
        "accepted_answers": ("Paris",),
    }
    values.update(overrides)
    return Question(**values)


def numeric(qid: str = "q5", *, points: int = 1, **overrides: Any) -> Question:
    values: dict[str, Any] = {
        "id": qid,
        "kind": K.NUMERIC,
        "prompt": "Pi to two places?",
        "points": points,
        "numeric_answer": Decimal("3.14"),
    }
    values.update(overrides)
    return Question(**values)


def quiz(*questions: Question, **overrides: Any) -> Quiz:
    return Quiz(questions=questions or (single(),), **overrides)


def one(question: Question, answer: object) -> Fraction:
    """The points one answer to one question earns."""
    return score_quiz(quiz(question), {question.id: answer}).score


def attempt(target: Quiz, *, attempts_so_far: int = 0, now: datetime = T0) -> QuizAttempt:
    return QuizAttempt.start(
        target,
        attempt_id=ATTEMPT_ID,
        lesson_id=LESSON_ID,
        course_id=COURSE_ID,
        user_id=USER_ID,
        attempts_so_far=attempts_so_far,
        now=now,
        seed=42,
    )


def snapshot(target: QuizAttempt) -> dict[str, Any]:
    return {f.name: getattr(target, f.name) for f in dataclasses.fields(target)}


# ---- errors ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("error", "base", "code"),
    [
        (InvalidQuiz, RuleViolation, "invalid-quiz"),
        (InvalidAnswers, RuleViolation, "invalid-answers"),
        (AttemptLimitReached, RuleViolation, "attempt-limit-reached"),
        (AttemptTimeOver, RuleViolation, "attempt-time-over"),
        (AttemptClosed, Conflict, "attempt-closed"),
    ],
)
def test_errors_have_stable_codes(error: type[Exception], base: type[Exception], code: str) -> None:
    assert issubclass(error, base)
    assert error.code == code  # type: ignore[attr-defined]


# ---- definition ------------------------------------------------------------------------------
def test_a_quiz_of_every_kind_is_valid() -> None:
    target = quiz(single(), multiple(), true_false(), short_text(), numeric())
    assert target.max_score == 5
    assert target.question("q4").kind is K.SHORT_TEXT
    assert (target.pass_mark_percent, target.max_attempts, target.time_limit_seconds) == (
        70,
        None,
        None,
    )
    assert target.feedback is FeedbackMode.CORRECTNESS
    assert not target.required


def test_max_score_sums_points() -> None:
    assert quiz(single(points=3), true_false(points=MAX_POINTS)).max_score == 3 + MAX_POINTS


def test_an_unknown_question_is_invalid_answers_not_key_error() -> None:
    with pytest.raises(InvalidAnswers, match="nope"):
        quiz().question("nope")


# Each builds a definition that breaks one rule; the message must say which question and why.
INVALID: dict[str, tuple[Callable[[], object], str]] = {
    "no questions": (lambda: Quiz(questions=()), "1 to 100 questions"),
    "too many questions": (
        lambda: Quiz(questions=tuple(true_false(f"q{i}") for i in range(MAX_QUESTIONS + 1))),
        "1 to 100 questions",
    ),
    "empty question id": (lambda: quiz(single("")), "question 1: the id"),
    "blank question id": (lambda: quiz(single("   ")), "question 1: the id"),
    "long question id": (lambda: quiz(single("x" * 65)), "question 1: the id"),
    "duplicate question id": (lambda: quiz(single("a"), true_false("a")), "question 2.*twice"),
    "empty choice id": (
        lambda: quiz(single(choices=(Choice("", "A", True), Choice("b", "B")))),
        "'q1'.*choice ids",
    ),
    "long choice id": (
        lambda: quiz(single(choices=(Choice("x" * 65, "A", True), Choice("b", "B")))),
        "'q1'.*choice ids",
    ),
    "duplicate choice id": (
        lambda: quiz(single(choices=(Choice("a", "A", True), Choice("a", "B")))),
        "'q1'.*'a' is used twice",
    ),
    "blank choice text": (
        lambda: quiz(single(choices=(Choice("a", " ", True), Choice("b", "B")))),
        "'q1'.*choice 'a' needs a text",
    ),
    "long choice text": (
        lambda: quiz(
            single(choices=(Choice("a", "x" * (MAX_ANSWER_TEXT + 1), True), Choice("b", "B")))
        ),
        "'q1'.*choice 'a' is at most",
    ),
    "blank prompt": (lambda: quiz(single(prompt=" \n")), "'q1'.*prompt cannot be empty"),
    "long prompt": (lambda: quiz(single(prompt="x" * (MAX_PROMPT + 1))), "'q1'.*prompt is at"),
    "zero points": (lambda: quiz(single(points=0)), "'q1'.*points"),
    "too many points": (lambda: quiz(single(points=MAX_POINTS + 1)), "'q1'.*points"),
    "boolean points": (lambda: quiz(single(points=True)), "'q1'.*points"),
    "fractional points": (
        lambda: quiz(single(points=1.5)),  # type: ignore[arg-type]
        "'q1'.*points",
    ),
    "long explanation": (
        lambda: quiz(single(explanation="x" * (MAX_PROMPT + 1))),
        "'q1'.*explanation",
    ),
    "single with one choice": (lambda: quiz(single(choices=choices(1, {0}))), "'q1'.*2 to 20"),
    "single with too many choices": (
        lambda: quiz(single(choices=choices(MAX_CHOICES + 1, {0}))),
        "'q1'.*2 to 20",
    ),
    "single with no correct choice": (
        lambda: quiz(single(choices=choices(3, set()))),
        "'q1'.*exactly one correct",
    ),
    "single with two correct choices": (
        lambda: quiz(single(choices=choices(3, {0, 2}))),
        "'q1'.*exactly one correct",
    ),
    "multiple with one choice": (
        lambda: quiz(multiple(choices=choices(1, {0}))),
        "'q2'.*2 to 20",
    ),
    "multiple with too many choices": (
        lambda: quiz(multiple(choices=choices(MAX_CHOICES + 1, {0}))),
        "'q2'.*2 to 20",
    ),
    "multiple with no correct choice": (
        lambda: quiz(multiple(choices=choices(3, set()))),
        "'q2'.*at least one correct",
    ),
    "true/false without its answer": (
        lambda: quiz(true_false(correct_boolean=None)),
        "'q3'.*needs its correct answer",
    ),
    "true/false with choices": (
        lambda: quiz(true_false(choices=choices(2, {0}))),
        "'q3'.*only choice questions",
    ),
    "short text without accepted answers": (
        lambda: quiz(short_text(accepted_answers=())),
        "'q4'.*needs an accepted answer",
    ),
    "short text with a blank accepted answer": (
        lambda: quiz(short_text(accepted_answers=("Paris", "  "))),
        "'q4'.*cannot be blank",
    ),
    "short text with a long accepted answer": (
        lambda: quiz(short_text(accepted_answers=("x" * (MAX_ANSWER_TEXT + 1),))),
        "'q4'.*at most 1000",
    ),
    "numeric without its answer": (
        lambda: quiz(numeric(numeric_answer=None)),
        "'q5'.*finite expected answer",
    ),
    "numeric answer NaN": (
        lambda: quiz(numeric(numeric_answer=Decimal("NaN"))),
        "'q5'.*finite expected answer",
    ),
    "numeric answer infinite": (
        lambda: quiz(numeric(numeric_answer=Decimal("-Infinity"))),
        "'q5'.*finite expected answer",
    ),
    "numeric answer absurdly large": (
        lambda: quiz(numeric(numeric_answer=Decimal("1e50"))),
        "'q5'.*finite expected answer",
    ),
    "negative tolerance": (
        lambda: quiz(numeric(tolerance=Decimal("-0.01"))),
        "'q5'.*tolerance",
    ),
    "infinite tolerance": (
        lambda: quiz(numeric(tolerance=Decimal("Infinity"))),
        "'q5'.*tolerance",
    ),
    "partial credit on single choice": (
        lambda: quiz(single(partial_credit=True)),
        "'q1'.*partial credit",
    ),
    "partial credit on numeric": (
        lambda: quiz(numeric(partial_credit=True)),
        "'q5'.*partial credit",
    ),
    "choices on numeric": (
        lambda: quiz(numeric(choices=choices(2, {0}))),
        "'q5'.*only choice questions",
    ),
    "choices on short text": (
        lambda: quiz(short_text(choices=choices(2, {0}))),
        "'q4'.*only choice questions",
    ),
    "correct boolean on single choice": (
        lambda: quiz(single(correct_boolean=False)),
        "'q1'.*only true/false",
    ),
    "accepted answers on numeric": (
        lambda: quiz(numeric(accepted_answers=("3.14",))),
        "'q5'.*only short-text",
    ),
    "numeric answer on short text": (
        lambda: quiz(short_text(numeric_answer=Decimal(1))),
        "'q4'.*only numeric",
    ),
    "tolerance on true/false": (
        lambda: quiz(true_false(tolerance=Decimal("0.5"))),
        "'q3'.*only numeric",
    ),
    "unknown kind": (lambda: single(kind="essay"), "unknown kind 'essay'"),
    "pass mark below 0": (lambda: quiz(pass_mark_percent=-1), "pass mark"),
    "pass mark above 100": (lambda: quiz(pass_mark_percent=101), "pass mark"),
    "no attempts": (lambda: quiz(max_attempts=0), "attempt limit"),
    "too many attempts": (lambda: quiz(max_attempts=101), "attempt limit"),
    "time limit too short": (lambda: quiz(time_limit_seconds=9), "time limit"),
    "time limit too long": (lambda: quiz(time_limit_seconds=86_401), "time limit"),
    "unknown feedback mode": (lambda: quiz(feedback="some"), "feedback"),
}


@pytest.mark.parametrize(("build", "message"), INVALID.values(), ids=INVALID.keys())
def test_invalid_definitions_are_refused(build: Callable[[], object], message: str) -> None:
    with pytest.raises(InvalidQuiz, match=message):
        build()


VALID: dict[str, Callable[[], Quiz]] = {
    "one question": lambda: quiz(true_false()),
    "the most questions": lambda: Quiz(
        questions=tuple(true_false(f"q{i}") for i in range(MAX_QUESTIONS))
    ),
    "64-character ids": lambda: quiz(
        single("x" * 64, choices=(Choice("y" * 64, "A", True), Choice("b", "B")))
    ),
    "the same choice ids in two questions": lambda: quiz(single("a"), single("b")),
    "the longest prompt": lambda: quiz(single(prompt="x" * MAX_PROMPT)),
    "one point": lambda: quiz(single(points=1)),
    "the most points": lambda: quiz(single(points=MAX_POINTS)),
    "two choices": lambda: quiz(single(choices=choices(2, {0}))),
    "the most choices": lambda: quiz(multiple(choices=choices(MAX_CHOICES, {0}))),
    "every choice correct": lambda: quiz(multiple(choices=choices(4, {0, 1, 2, 3}))),
    "partial credit on multiple choice": lambda: quiz(multiple(partial_credit=True)),
    "false is correct": lambda: quiz(true_false(correct_boolean=False)),
    "a negative numeric answer": lambda: quiz(numeric(numeric_answer=Decimal("-273.15"))),
    "a tolerance": lambda: quiz(numeric(tolerance=Decimal("0.005"))),
    "pass mark 0": lambda: quiz(pass_mark_percent=0),
    "pass mark 100": lambda: quiz(pass_mark_percent=100),
    "one attempt": lambda: quiz(max_attempts=1),
    "the most attempts": lambda: quiz(max_attempts=100),
    "shortest time limit": lambda: quiz(time_limit_seconds=10),
    "longest time limit": lambda: quiz(time_limit_seconds=86_400),
}


@pytest.mark.parametrize("build", VALID.values(), ids=VALID.keys())
def test_valid_definitions_at_the_edges_are_accepted(build: Callable[[], Quiz]) -> None:
    assert isinstance(build(), Quiz)


def test_definitions_as_decoded_from_json_are_converted() -> None:
    question = Question(
        id="q",
        kind="numeric",  # type: ignore[arg-type]
        prompt="How many?",
        numeric_answer=2.5,  # type: ignore[arg-type]
        tolerance="0.1",  # type: ignore[arg-type]
    )
    assert question.kind is K.NUMERIC
    assert question.numeric_answer == Decimal("2.5")
    assert question.tolerance == Decimal("0.1")
    listed = Question(
        id="m",
        kind=K.MULTIPLE_CHOICE,
        prompt="Which?",
        choices=[Choice("a", "A", True), Choice("b", "B")],  # type: ignore[arg-type]
    )
    text = Question(id="t", kind=K.SHORT_TEXT, prompt="?", accepted_answers=["x"])  # type: ignore[arg-type]
    target = Quiz(questions=[listed, text], feedback="full")  # type: ignore[arg-type]
    assert isinstance(target.questions, tuple)
    assert isinstance(listed.choices, tuple)
    assert text.accepted_answers == ("x",)
    assert target.feedback is FeedbackMode.FULL


def test_a_numeric_answer_that_is_not_a_number_is_refused() -> None:
    with pytest.raises(InvalidQuiz, match=r"'q5'.*numeric_answer must be a number"):
        numeric(numeric_answer="three")
    with pytest.raises(InvalidQuiz, match="tolerance must be a number"):
        numeric(tolerance=True)


# ---- answers ---------------------------------------------------------------------------------
def test_missing_questions_are_unanswered_and_score_nothing() -> None:
    target = quiz(single(), true_false())
    result = score_quiz(target, {"q3": True})
    assert result.score == 1
    assert [(q.question_id, q.answered, q.correct) for q in result.questions] == [
        ("q1", False, False),
        ("q3", True, True),
    ]
    assert score_quiz(target, {}).score == 0


def test_results_follow_the_quiz_order_not_the_answers_order() -> None:
    target = quiz(single(), multiple(), true_false())
    result = score_quiz(target, {"q3": False, "q1": "c1", "q2": ["c0"]})
    assert [q.question_id for q in result.questions] == ["q1", "q2", "q3"]


@pytest.mark.parametrize("key", ["nope", "", 1, None])
def test_answers_for_unknown_questions_are_refused(key: object) -> None:
    with pytest.raises(InvalidAnswers, match="no question"):
        score_quiz(quiz(), {key: "c1"})  # type: ignore[dict-item]


def test_answers_must_be_a_mapping() -> None:
    with pytest.raises(InvalidAnswers):
        normalized_answers(quiz(), [("q1", "c1")])  # type: ignore[arg-type]


WRONG_TYPES: list[tuple[Question, object]] = [
    (single(), ["c1"]),
    (single(), 1),
    (single(), None),
    (single(), "c9"),  # not among its choices
    (multiple(), "c0"),  # a string is iterable but is not a list of ids
    (multiple(), ["c0", 1]),
    (multiple(), ["c0", "c9"]),
    (multiple(), {"c0": True}),
    (multiple(), None),
    (true_false(), "true"),
    (true_false(), 1),
    (true_false(), None),
    (short_text(), ["Paris"]),
    (short_text(), 1),
    (short_text(), "x" * (MAX_ANSWER_TEXT + 1)),
    (numeric(), True),  # bool is an int subclass
    (numeric(), False),
    (numeric(), "3.14"),
    (numeric(), None),
    (numeric(), float("nan")),
    (numeric(), float("inf")),
    (numeric(), float("-inf")),
    (numeric(), Decimal("NaN")),
    (numeric(), Decimal("sNaN")),
    (numeric(), Decimal("Infinity")),
    (numeric(), Decimal("1e999999999")),
    (numeric(), 10**50),
    (numeric(), Decimal("1e-50")),
]


@pytest.mark.parametrize(("question", "answer"), WRONG_TYPES)
def test_answers_of_the_wrong_type_are_refused_naming_the_question(
    question: Question, answer: object
) -> None:
    with pytest.raises(InvalidAnswers, match=repr(question.id)):
        score_quiz(quiz(question), {question.id: answer})


def test_normalized_answers_are_the_stored_form() -> None:
    target = quiz(single(), multiple(), true_false(), short_text(), numeric())
    raw = {"q1": "c1", "q2": ["c1", "c0", "c1"], "q3": False, "q4": "  paris ", "q5": 0.1}
    stored = normalized_answers(target, raw)
    assert stored == {
        "q1": "c1",
        "q2": frozenset({"c0", "c1"}),
        "q3": False,
        "q4": "paris",
        "q5": Decimal("0.1"),
    }
    # The stored form is accepted again unchanged: an attempt re-scores what it stored.
    assert normalized_answers(target, stored) == stored
    assert score_quiz(target, stored) == score_quiz(target, raw)


def test_integers_become_decimals() -> None:
    stored = normalized_answers(quiz(numeric()), {"q5": 3})
    assert stored["q5"] == Decimal(3)
    assert isinstance(stored["q5"], Decimal)


# ---- scoring by kind -------------------------------------------------------------------------
def test_single_choice_scores_only_the_correct_choice() -> None:
    question = single(points=4)
    assert one(question, "c1") == 4
    assert one(question, "c0") == 0
    assert one(question, "c2") == 0


@pytest.mark.parametrize("container", [list, tuple, set, frozenset])
def test_multiple_choice_accepts_any_collection_of_ids(container: Callable[..., object]) -> None:
    assert one(multiple(), container(["c2", "c0", "c1"])) == 1


@pytest.mark.parametrize(
    ("picked", "points"),
    [
        (["c0", "c1", "c2"], 2),
        (["c2", "c1", "c0", "c0"], 2),  # duplicates collapse
        (["c0", "c1"], 0),  # missing one
        (["c0", "c1", "c2", "c3"], 0),  # one too many
        (["c0", "c1", "c2", "c3", "c4"], 0),  # everything
        ([], 0),
    ],
)
def test_multiple_choice_is_all_or_nothing_without_partial_credit(
    picked: list[str], points: int
) -> None:
    assert one(multiple(points=2), picked) == points


@pytest.mark.parametrize(
    ("picked", "points"),
    [
        (["c0", "c1", "c2"], Fraction(6)),
        (["c0", "c1"], Fraction(4)),  # 2 hits of 3
        (["c0"], Fraction(2)),
        (["c0", "c1", "c3"], Fraction(2)),  # 2 hits - 1 wrong pick
        (["c0", "c1", "c2", "c3"], Fraction(4)),
        (["c0", "c3"], Fraction(0)),
        (["c0", "c3", "c4"], Fraction(0)),  # never below zero
        (["c0", "c1", "c2", "c3", "c4"], Fraction(2)),  # everything: 3 - 2
        (["c3", "c4"], Fraction(0)),
        ([], Fraction(0)),
    ],
)
def test_multiple_choice_partial_credit(picked: list[str], points: Fraction) -> None:
    assert one(multiple(points=6, partial_credit=True), picked) == points


def test_partial_credit_is_exact_thirds() -> None:
    question = multiple(points=1, partial_credit=True)
    result = score_quiz(quiz(question), {"q2": ["c0"]})
    assert result.score == Fraction(1, 3)
    assert not result.questions[0].correct
    assert result.score_display == Decimal("0.33")
    assert result.percent == Decimal("33.33")


@pytest.mark.parametrize("correct", [True, False])
def test_true_false_is_equality(correct: bool) -> None:
    question = true_false(correct_boolean=correct)
    assert one(question, correct) == 1
    assert one(question, not correct) == 0


FULL_WIDTH_PARIS = "\uff30\uff41\uff52\uff49\uff53"


@pytest.mark.parametrize(
    "answer",
    ["Paris", "paris", "PARIS", "  Paris\n", "\tpArIs ", FULL_WIDTH_PARIS],
)
def test_short_text_ignores_case_surrounding_whitespace_and_compatibility_forms(
    answer: str,
) -> None:
    assert one(short_text(), answer) == 1


@pytest.mark.parametrize("answer", ["Pariss", "Par is", "", "   ", "London", "Paris."])
def test_short_text_other_answers_are_wrong(answer: str) -> None:
    assert one(short_text(), answer) == 0


def test_short_text_matches_any_accepted_answer_casefolded() -> None:
    question = short_text(accepted_answers=("Straße", "  Gasse "))
    assert one(question, "STRASSE") == 1
    assert one(question, "strasse") == 1
    assert one(question, "gasse") == 1
    assert one(question, "Weg") == 0


def test_short_text_ligatures_are_normalised() -> None:
    assert one(short_text(accepted_answers=("\ufb01le",)), "FILE") == 1  # the "fi" ligature


@pytest.mark.parametrize(
    ("answer", "points"),
    [
        (Decimal("3.14"), 1),
        (Decimal("3.140"), 1),
        (3.14, 1),
        (Decimal("3.15"), 1),  # exactly at the tolerance
        (Decimal("3.13"), 1),  # exactly at the tolerance, below
        (3.15, 1),
        (Decimal("3.1500000000000000000000000000000000001"), 0),  # beyond, past 28 digits
        (Decimal("3.1299999999999999999999999999999999999"), 0),
        (Decimal("3.16"), 0),
        (3, 0),
    ],
)
def test_numeric_within_tolerance_inclusive(answer: object, points: int) -> None:
    assert one(numeric(tolerance=Decimal("0.01")), answer) == points


def test_numeric_without_tolerance_is_exact() -> None:
    question = numeric(numeric_answer=Decimal("0.3"))
    assert one(question, 0.3) == 1
    assert one(question, Decimal("0.30")) == 1
    # Float arithmetic is read as the float it is: 0.30000000000000004 is not 0.3.
    assert one(question, 0.1 + 0.2) == 0
    assert one(numeric(numeric_answer=Decimal("0.3"), tolerance=Decimal("1e-9")), 0.1 + 0.2) == 1


def test_numeric_accepts_integers_and_negative_numbers() -> None:
    question = numeric(numeric_answer=Decimal(-40))
    assert one(question, -40) == 1
    assert one(question, -40.0) == 1
    assert one(question, 40) == 0


def test_numeric_far_from_the_answer_is_wrong_not_an_error() -> None:
    question = numeric(numeric_answer=Decimal(0), tolerance=Decimal(1))
    assert one(question, Decimal("9" * 39)) == 0
    assert one(question, Decimal("-1e39")) == 0
    assert one(question, Decimal("1e-40")) == 1


# ---- totals ----------------------------------------------------------------------------------
def test_pass_mark_is_exact() -> None:
    # 7 of 10 points passes a 70 % pass mark; 69.99... does not pass.
    questions = [true_false(f"q{i}") for i in range(10)]
    answers = {f"q{i}": True for i in range(7)}
    assert score_quiz(Quiz(questions=tuple(questions)), answers).passed
    answers.pop("q0")
    assert not score_quiz(Quiz(questions=tuple(questions)), answers).passed
    # 2/3 is 66.666...%: below a 67 % pass mark although it displays as 66.67.
    three = tuple(true_false(f"q{i}") for i in range(3))
    result = score_quiz(Quiz(questions=three, pass_mark_percent=67), {"q0": True, "q1": True})
    assert result.percent == Decimal("66.67")
    assert not result.passed
    assert score_quiz(Quiz(questions=three, pass_mark_percent=66), {"q0": True, "q1": True}).passed


def test_pass_mark_zero_passes_with_nothing_and_100_needs_everything() -> None:
    assert score_quiz(quiz(single(), pass_mark_percent=0), {}).passed
    full = quiz(single(), true_false(), pass_mark_percent=100)
    assert not score_quiz(full, {"q1": "c1"}).passed
    assert score_quiz(full, {"q1": "c1", "q3": True}).passed


def test_percent_and_score_display_round_half_to_even() -> None:
    eight = multiple(points=1, partial_credit=True, choices=choices(8, set(range(8))))
    rest = true_false(points=99)
    one_eighth = score_quiz(quiz(eight, rest), {"q2": ["c0"]})
    assert one_eighth.score == Fraction(1, 8)
    assert one_eighth.percent == Decimal("0.12")  # 0.125 → 0.12
    assert one_eighth.score_display == Decimal("0.12")
    three_eighths = score_quiz(quiz(eight, rest), {"q2": ["c0", "c1", "c2"]})
    assert three_eighths.percent == Decimal("0.38")  # 0.375 → 0.38
    assert three_eighths.score_display == Decimal("0.38")
    whole = score_quiz(quiz(eight), {"q2": ["c0"]})
    assert whole.percent == Decimal("12.50")
    assert str(whole.percent) == "12.50"
    assert str(score_quiz(quiz(single()), {"q1": "c1"}).percent) == "100.00"


def test_question_results() -> None:
    target = quiz(single(points=2), multiple(points=3, partial_credit=True), numeric())
    result = score_quiz(target, {"q1": "c1", "q2": ["c0", "c1"]})
    assert result == QuizResult(
        score=Fraction(4),
        max_score=6,
        passed=False,
        questions=result.questions,
    )
    assert [
        (q.question_id, q.points_awarded, q.points_possible, q.correct, q.answered)
        for q in result.questions
    ] == [
        ("q1", Fraction(2), 2, True, True),
        ("q2", Fraction(2), 3, False, True),
        ("q5", Fraction(0), 1, False, False),
    ]


# ---- the paper -------------------------------------------------------------------------------
SECRETS = ("SECRET-EXPLANATION", "SECRET-ACCEPTED", Decimal("271828.5"), Decimal("0.123"))


def secretive_quiz(**overrides: Any) -> Quiz:
    return quiz(
        single(explanation="SECRET-EXPLANATION"),
        multiple(explanation="SECRET-EXPLANATION"),
        true_false(correct_boolean=False),
        short_text(accepted_answers=("SECRET-ACCEPTED",)),
        numeric(numeric_answer=Decimal("271828.5"), tolerance=Decimal("0.123")),
        **overrides,
    )


def test_the_paper_has_no_fields_that_could_hold_an_answer() -> None:
    assert [f.name for f in dataclasses.fields(PaperQuestion)] == [
        "id",
        "kind",
        "prompt",
        "points",
        "choices",
    ]
    assert [f.name for f in dataclasses.fields(PaperChoice)] == ["id", "text"]


def _values(node: object) -> list[object]:
    if dataclasses.is_dataclass(node):
        return [v for f in dataclasses.fields(node) for v in _values(getattr(node, f.name))]
    if isinstance(node, tuple):
        return [v for item in node for v in _values(item)]
    return [node]


@pytest.mark.parametrize("shuffle", [False, True])
def test_the_paper_leaks_no_answer(shuffle: bool) -> None:
    target = secretive_quiz(shuffle_questions=shuffle, shuffle_choices=shuffle)
    paper = quiz_paper(target, seed=7)
    values = _values(paper)
    for secret in SECRETS:
        assert secret not in values
        assert str(secret) not in repr(paper)
    assert not any(isinstance(value, bool) for value in values)  # no correct flags


def test_the_paper_without_shuffling_is_the_quiz_in_order() -> None:
    target = secretive_quiz()
    paper = quiz_paper(target, seed=123)
    assert [q.id for q in paper] == ["q1", "q2", "q3", "q4", "q5"]
    assert paper[0] == PaperQuestion(
        id="q1",
        kind=K.SINGLE_CHOICE,
        prompt="Which one?",
        points=1,
        choices=(
            PaperChoice("c0", "Option 0"),
            PaperChoice("c1", "Option 1"),
            PaperChoice("c2", "Option 2"),
        ),
    )
    assert paper[2].choices == ()  # true/false: the client draws its own two buttons
    assert paper[4].choices == ()


def test_the_paper_shuffles_by_seed() -> None:
    many = Quiz(
        questions=tuple(single(f"q{i}", choices=choices(6, {0})) for i in range(10)),
        shuffle_questions=True,
        shuffle_choices=True,
    )
    assert quiz_paper(many, seed=1) == quiz_paper(many, seed=1)
    papers = {quiz_paper(many, seed=seed) for seed in range(10)}
    assert len(papers) > 1
    orders = {tuple(q.id for q in paper) for paper in papers}
    assert len(orders) > 1
    first = quiz_paper(many, seed=1)
    assert sorted(q.id for q in first) == sorted(q.id for q in many.questions)


def test_the_paper_shuffles_only_what_the_quiz_says() -> None:
    many = tuple(single(f"q{i}", choices=choices(6, {0})) for i in range(10))
    questions_only = Quiz(questions=many, shuffle_questions=True)
    for seed in range(5):
        for paper_question in quiz_paper(questions_only, seed):
            assert [c.id for c in paper_question.choices] == [f"c{i}" for i in range(6)]
    choices_only = Quiz(questions=many, shuffle_choices=True)
    for seed in range(5):
        assert [q.id for q in quiz_paper(choices_only, seed)] == [f"q{i}" for i in range(10)]


# ---- feedback --------------------------------------------------------------------------------
def _result(target: Quiz) -> QuizResult:
    return score_quiz(target, {"q1": "c0", "q2": ["c0", "c1"], "q3": False, "q4": " paris "})


def test_feedback_none_shows_only_the_total() -> None:
    target = secretive_quiz(feedback=FeedbackMode.NONE)
    assert feedback_for(target, _result(target), answers=True) == ()


def test_feedback_correctness_shows_points_but_no_answers() -> None:
    target = quiz(
        single(explanation="Because."),
        multiple(points=3, partial_credit=True),
        true_false(correct_boolean=False),
        short_text(),
        numeric(),
    )
    feedback = feedback_for(target, _result(target), answers=True)
    assert feedback == (
        QuestionFeedback("q1", correct=False, points_awarded=Decimal("0.00"), points_possible=1),
        QuestionFeedback("q2", correct=False, points_awarded=Decimal("2.00"), points_possible=3),
        QuestionFeedback("q3", correct=True, points_awarded=Decimal("1.00"), points_possible=1),
        QuestionFeedback("q4", correct=True, points_awarded=Decimal("1.00"), points_possible=1),
        QuestionFeedback("q5", correct=False, points_awarded=Decimal("0.00"), points_possible=1),
    )
    assert all(f.correct_answer is None and f.explanation is None for f in feedback)


def test_feedback_points_are_rounded_to_two_places() -> None:
    target = quiz(multiple(partial_credit=True))
    (feedback,) = feedback_for(target, score_quiz(target, {"q2": ["c0", "c1"]}), answers=True)
    assert feedback.points_awarded == Decimal("0.67")
    assert str(feedback.points_awarded) == "0.67"


def test_feedback_full_shows_answers_and_explanations() -> None:
    target = quiz(
        single(explanation="Because."),
        multiple(choices=(Choice("z", "Z", True), Choice("a", "A", True), Choice("m", "M"))),
        true_false(correct_boolean=False, explanation="  "),
        short_text(accepted_answers=("Paris", "Lutetia")),
        numeric(),
        feedback=FeedbackMode.FULL,
    )
    answers = {"q1": "c0", "q2": ["a", "z"], "q3": False, "q4": " paris "}
    feedback = feedback_for(target, score_quiz(target, answers), answers=True)
    assert [f.correct_answer for f in feedback] == [
        "c1",
        ["a", "z"],
        False,
        ["Paris", "Lutetia"],
        Decimal("3.14"),
    ]
    assert [f.explanation for f in feedback] == ["Because.", None, None, None, None]
    assert [f.correct for f in feedback] == [False, True, True, True, False]


# ---- attempts --------------------------------------------------------------------------------
def test_starting_an_untimed_attempt() -> None:
    started = attempt(quiz(), attempts_so_far=2)
    assert started.number == 3
    assert started.deadline is None
    assert started.status is AttemptStatus.IN_PROGRESS
    assert (started.id, started.lesson_id, started.course_id, started.user_id) == (
        ATTEMPT_ID,
        LESSON_ID,
        COURSE_ID,
        USER_ID,
    )
    assert started.seed == 42
    assert started.started_at == T0
    assert started.submitted_at is None
    assert started.answers == {}
    assert (started.score, started.max_score, started.passed) == (None, None, None)
    assert started.pull_events() == []
    assert started.is_open(T0 + timedelta(days=365))


def test_starting_a_timed_attempt_sets_its_deadline() -> None:
    started = attempt(quiz(time_limit_seconds=600))
    assert started.deadline == T0 + timedelta(minutes=10)


def test_the_attempt_limit_boundary() -> None:
    limited = quiz(max_attempts=3)
    assert attempt(limited, attempts_so_far=2).number == 3
    with pytest.raises(AttemptLimitReached, match="3 attempts"):
        attempt(limited, attempts_so_far=3)
    with pytest.raises(AttemptLimitReached, match=r"1 attempt$"):
        attempt(quiz(max_attempts=1), attempts_so_far=1)
    assert attempt(quiz(), attempts_so_far=10_000).number == 10_001


def test_start_refuses_programming_errors() -> None:
    with pytest.raises(ValueError, match="time zone"):
        attempt(quiz(), now=datetime(2025, 1, 1))
    with pytest.raises(ValueError, match="negative"):
        attempt(quiz(), attempts_so_far=-1)


def test_submitting_scores_stores_and_records() -> None:
    target = quiz(single(), multiple(partial_credit=True), true_false())
    started = attempt(target)
    later = T0 + timedelta(minutes=5)
    result = started.submit(
        target, {"q1": "c1", "q2": ["c0"], "q3": False}, now=later, event_id=EVENT_ID
    )
    assert result.score == Fraction(4, 3)
    assert started.status is AttemptStatus.SUBMITTED
    assert started.submitted_at == later
    assert started.answers == {"q1": "c1", "q2": frozenset({"c0"}), "q3": False}
    assert (started.score, started.max_score, started.passed) == (Fraction(4, 3), 3, False)
    assert not started.is_open(later)
    assert started.pull_events() == [
        QuizSubmitted(
            event_id=EVENT_ID,
            occurred_at=later,
            attempt_id=ATTEMPT_ID,
            lesson_id=LESSON_ID,
            course_id=COURSE_ID,
            user_id=USER_ID,
            passed=False,
            percent=Decimal("44.44"),
            # Partial credit is not correct: only full points are.
            questions=(
                QuestionOutcome("q1", correct=True),
                QuestionOutcome("q2", correct=False),
                QuestionOutcome("q3", correct=False),
            ),
        )
    ]
    assert started.pull_events() == []
    assert QuizSubmitted.event_type == "learning.quiz_submitted"


def test_a_passing_submission_says_so_in_its_event() -> None:
    target = quiz()
    started = attempt(target)
    started.submit(target, {"q1": "c1"}, now=T0, event_id=EVENT_ID)
    (event,) = started.pull_events()
    assert isinstance(event, QuizSubmitted)
    assert event.passed
    assert event.percent == Decimal("100.00")


def test_the_time_limit_boundary() -> None:
    target = quiz(time_limit_seconds=60)
    deadline = T0 + timedelta(seconds=60)
    on_time = attempt(target)
    assert on_time.is_open(deadline + GRACE)
    on_time.submit(target, {"q1": "c1"}, now=deadline + GRACE, event_id=EVENT_ID)
    assert on_time.status is AttemptStatus.SUBMITTED

    late = attempt(target)
    too_late = deadline + GRACE + timedelta(microseconds=1)
    assert not late.is_open(too_late)
    before = snapshot(late)
    with pytest.raises(AttemptTimeOver):
        late.submit(target, {"q1": "c1"}, now=too_late, event_id=EVENT_ID)
    assert snapshot(late) == before
    assert late.status is AttemptStatus.IN_PROGRESS
    assert late.pull_events() == []


def test_grace_is_thirty_seconds() -> None:
    assert timedelta(seconds=30) == GRACE


def test_invalid_answers_leave_the_attempt_unchanged() -> None:
    target = quiz()
    started = attempt(target)
    before = snapshot(started)
    with pytest.raises(InvalidAnswers):
        started.submit(target, {"q1": "c1", "zz": 1}, now=T0, event_id=EVENT_ID)
    assert snapshot(started) == before
    assert started.pull_events() == []
    started.submit(target, {"q1": "c1"}, now=T0, event_id=EVENT_ID)
    assert started.passed


def test_submitting_twice_is_refused() -> None:
    target = quiz()
    started = attempt(target)
    started.submit(target, {"q1": "c0"}, now=T0, event_id=EVENT_ID)
    started.pull_events()
    before = snapshot(started)
    with pytest.raises(AttemptClosed, match="already been submitted"):
        started.submit(target, {"q1": "c1"}, now=T0, event_id=UUID(int=99))
    assert snapshot(started) == before
    assert started.pull_events() == []


def test_a_closed_submission_is_refused_before_the_time_check() -> None:
    target = quiz(time_limit_seconds=60)
    started = attempt(target)
    started.submit(target, {}, now=T0, event_id=EVENT_ID)
    with pytest.raises(AttemptClosed):
        started.submit(target, {}, now=T0 + timedelta(days=1), event_id=EVENT_ID)


def test_the_result_is_available_only_after_submission() -> None:
    target = quiz(single(), multiple(partial_credit=True), numeric(), feedback=FeedbackMode.FULL)
    started = attempt(target)
    with pytest.raises(AttemptClosed, match="not been submitted"):
        started.result(target)
    submitted = started.submit(
        target, {"q1": "c1", "q2": ("c1", "c3"), "q5": 3.14}, now=T0, event_id=EVENT_ID
    )
    assert started.result(target) == submitted
    assert feedback_for(target, started.result(target), answers=True)[2].correct_answer == Decimal(
        "3.14"
    )


# ---- when full feedback shows the answers (issue 15, finding 10) -----------------------------
@pytest.mark.parametrize(
    ("reveal", "max_attempts", "attempts_left", "passed", "attempt_open", "shown"),
    [
        # Attempts remain and the student has not passed: the key would pass the next one.
        (AnswerReveal.AFTER_PASSING, 3, 2, False, False, False),
        (AnswerReveal.AFTER_PASSING, None, None, False, False, False),
        (AnswerReveal.AFTER_LAST_ATTEMPT, None, None, False, False, False),
        # Passed: shown when the quiz says so.
        (AnswerReveal.AFTER_PASSING, 3, 2, True, False, True),
        (AnswerReveal.AFTER_PASSING, None, None, True, False, True),
        (AnswerReveal.AFTER_LAST_ATTEMPT, 3, 2, True, False, False),
        # No attempt left: shown either way, unless the last one is still being taken.
        (AnswerReveal.AFTER_LAST_ATTEMPT, 3, 0, False, False, True),
        (AnswerReveal.AFTER_PASSING, 1, 0, False, False, True),
        (AnswerReveal.AFTER_LAST_ATTEMPT, 3, 0, False, True, False),
        (AnswerReveal.AFTER_PASSING, 3, 0, True, True, False),
    ],
)
def test_full_feedback_shows_the_answers_only_when_they_can_no_longer_pass_an_attempt(
    reveal: AnswerReveal,
    max_attempts: int | None,
    attempts_left: int | None,
    passed: bool,
    attempt_open: bool,
    shown: bool,
) -> None:
    target = quiz(
        single(explanation="Because."),
        feedback=FeedbackMode.FULL,
        max_attempts=max_attempts,
        reveal_answers=reveal,
    )
    revealed = answers_revealed(
        target, passed=passed, attempts_left=attempts_left, attempt_open=attempt_open
    )
    assert revealed is shown
    (feedback,) = feedback_for(target, score_quiz(target, {"q1": "c0"}), answers=revealed)
    assert feedback.correct is False  # right or wrong is always said
    assert (feedback.correct_answer, feedback.explanation) == (
        ("c1", "Because.") if shown else (None, None)
    )


@given(
    reveal=st.sampled_from(AnswerReveal),
    mode=st.sampled_from(FeedbackMode),
    max_attempts=st.none() | st.integers(min_value=1, max_value=5),
    used=st.integers(min_value=0, max_value=6),
    passed=st.booleans(),
    attempt_open=st.booleans(),
)
def test_answers_never_show_while_an_unpassed_attempt_can_still_be_taken(
    reveal: AnswerReveal,
    mode: FeedbackMode,
    max_attempts: int | None,
    used: int,
    passed: bool,
    attempt_open: bool,
) -> None:
    target = quiz(single(), feedback=mode, max_attempts=max_attempts, reveal_answers=reveal)
    left = None if max_attempts is None else max(0, max_attempts - used)
    revealed = answers_revealed(
        target, passed=passed, attempts_left=left, attempt_open=attempt_open
    )
    another_attempt_possible = attempt_open or left is None or left > 0
    if revealed:
        assert mode is FeedbackMode.FULL
        assert not attempt_open
        assert passed or not another_attempt_possible
        if another_attempt_possible:
            assert reveal is AnswerReveal.AFTER_PASSING


def test_a_stored_quiz_without_the_setting_reveals_after_passing() -> None:
    assert quiz(single()).reveal_answers is AnswerReveal.AFTER_PASSING
    assert Quiz(questions=(single(),), reveal_answers="after_last_attempt").reveal_answers is (  # type: ignore[arg-type]
        AnswerReveal.AFTER_LAST_ATTEMPT
    )
    with pytest.raises(InvalidQuiz, match="reveal_answers"):
        Quiz(questions=(single(),), reveal_answers="always")  # type: ignore[arg-type]
