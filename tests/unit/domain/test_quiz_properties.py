"""Properties of quiz scoring and papers over random valid quizzes and random valid answers:
scores stay in range and do not depend on the order answers arrive in, the answer key earns
full marks, partial credit never punishes a better answer, and the paper is a deterministic,
answer-free permutation of the quiz."""

from __future__ import annotations

import dataclasses
import operator
from decimal import Decimal
from fractions import Fraction
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from elearn.domain.learning.quiz import (
    MAX_ANSWER_TEXT,
    MAX_CHOICES,
    MAX_POINTS,
    Choice,
    FeedbackMode,
    PaperChoice,
    PaperQuestion,
    Question,
    QuestionKind,
    Quiz,
    feedback_for,
    normalized_answers,
    quiz_paper,
    score_quiz,
)

K = QuestionKind
PROPERTY = settings(max_examples=60, deadline=None)

# ---- strategies ------------------------------------------------------------------------------
ids = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=8)
# A letter first keeps texts non-blank without a filter (filters slow generation down).
texts = st.builds(operator.add, st.sampled_from("aZß"), st.text(max_size=12))
points = st.integers(min_value=1, max_value=MAX_POINTS)
numbers = st.decimals(
    min_value=-1_000_000, max_value=1_000_000, places=4, allow_nan=False, allow_infinity=False
)
tolerances = st.decimals(min_value=0, max_value=10, places=3, allow_nan=False, allow_infinity=False)


@st.composite
def choice_lists(draw: st.DrawFn, kind: QuestionKind) -> tuple[Choice, ...]:
    choice_ids = draw(st.lists(ids, min_size=2, max_size=min(8, MAX_CHOICES), unique=True))
    if kind is K.SINGLE_CHOICE:
        right = {draw(st.integers(0, len(choice_ids) - 1))}
    else:
        right = set(
            draw(
                st.lists(
                    st.integers(0, len(choice_ids) - 1),
                    min_size=1,
                    max_size=len(choice_ids),
                    unique=True,
                )
            )
        )
    return tuple(
        Choice(id=choice_id, text=draw(texts), correct=i in right)
        for i, choice_id in enumerate(choice_ids)
    )


@st.composite
def questions(draw: st.DrawFn, question_id: str, kind: QuestionKind | None = None) -> Question:
    kind = kind or draw(st.sampled_from(list(QuestionKind)))
    fields: dict[str, Any] = {
        "id": question_id,
        "kind": kind,
        "prompt": draw(texts),
        "points": draw(points),
        "explanation": draw(st.sampled_from(["", "Because."])),
    }
    if kind in (K.SINGLE_CHOICE, K.MULTIPLE_CHOICE):
        fields["choices"] = draw(choice_lists(kind))
    if kind is K.MULTIPLE_CHOICE:
        fields["partial_credit"] = draw(st.booleans())
    if kind is K.TRUE_FALSE:
        fields["correct_boolean"] = draw(st.booleans())
    if kind is K.SHORT_TEXT:
        fields["accepted_answers"] = tuple(draw(st.lists(texts, min_size=1, max_size=3)))
    if kind is K.NUMERIC:
        fields["numeric_answer"] = draw(numbers)
        fields["tolerance"] = draw(tolerances)
    return Question(**fields)


@st.composite
def quizzes(draw: st.DrawFn, max_questions: int = 6) -> Quiz:
    question_ids = draw(st.lists(ids, min_size=1, max_size=max_questions, unique=True))
    return Quiz(
        questions=tuple(draw(questions(question_id)) for question_id in question_ids),
        pass_mark_percent=draw(st.integers(0, 100)),
        max_attempts=draw(st.none() | st.integers(1, 100)),
        time_limit_seconds=draw(st.none() | st.integers(10, 86_400)),
        shuffle_questions=draw(st.booleans()),
        shuffle_choices=draw(st.booleans()),
        feedback=draw(st.sampled_from(list(FeedbackMode))),
        required=draw(st.booleans()),
    )


def _varied_case(draw: st.DrawFn, text: str) -> str:
    """The same text as a student might type it: other case, stray whitespace."""
    cased = draw(st.sampled_from([text, text.upper(), text.lower(), text.swapcase()]))
    return draw(st.sampled_from(["", " ", "\t"])) + cased + draw(st.sampled_from(["", " \n"]))


@st.composite
def answer_to(draw: st.DrawFn, question: Question) -> object:
    """Any answer the question can be given, right or wrong, in any accepted raw form."""
    choice_ids = [choice.id for choice in question.choices]
    match question.kind:
        case K.SINGLE_CHOICE:
            return draw(st.sampled_from(choice_ids))
        case K.MULTIPLE_CHOICE:
            picked = draw(st.lists(st.sampled_from(choice_ids), max_size=len(choice_ids) + 2))
            container = draw(st.sampled_from([list, tuple, set, frozenset]))
            return container(picked)
        case K.TRUE_FALSE:
            return draw(st.booleans())
        case K.SHORT_TEXT:
            accepted = draw(st.sampled_from(question.accepted_answers))
            form = draw(st.sampled_from(["exact", "retyped", "other"]))
            if form == "exact":
                return accepted
            if form == "retyped":
                return _varied_case(draw, accepted)
            return draw(st.text(max_size=MAX_ANSWER_TEXT // 50))
        case K.NUMERIC:
            assert question.numeric_answer is not None
            near = question.numeric_answer + draw(st.sampled_from([-1, 0, 1])) * (
                question.tolerance + draw(st.sampled_from([Decimal(0), Decimal("0.001")]))
            )
            return draw(
                st.just(near)
                | numbers
                | st.integers(-1_000_000, 1_000_000)
                | st.floats(-1e6, 1e6).map(lambda x: 0.0 if abs(x) < 1e-6 else x)
            )
    raise AssertionError(question.kind)


@st.composite
def quizzes_and_answers(draw: st.DrawFn) -> tuple[Quiz, dict[str, object]]:
    quiz = draw(quizzes())
    answered = [q for q in quiz.questions if draw(st.booleans())]
    return quiz, {q.id: draw(answer_to(q)) for q in answered}


def answer_key(quiz: Quiz) -> dict[str, object]:
    """The correct answers, as a student would send them."""
    key: dict[str, object] = {}
    for question in quiz.questions:
        correct = [choice.id for choice in question.choices if choice.correct]
        match question.kind:
            case K.SINGLE_CHOICE:
                key[question.id] = correct[0]
            case K.MULTIPLE_CHOICE:
                key[question.id] = correct
            case K.TRUE_FALSE:
                key[question.id] = question.correct_boolean
            case K.SHORT_TEXT:
                key[question.id] = question.accepted_answers[-1]
            case K.NUMERIC:
                key[question.id] = question.numeric_answer
    return key


# ---- scores ----------------------------------------------------------------------------------
@PROPERTY
@given(quizzes_and_answers())
def test_scores_stay_in_range(case: tuple[Quiz, dict[str, object]]) -> None:
    quiz, answers = case
    result = score_quiz(quiz, answers)
    assert 0 <= result.score <= result.max_score == quiz.max_score
    assert 0 <= result.percent <= 100
    assert [q.question_id for q in result.questions] == [q.id for q in quiz.questions]
    for question, scored in zip(quiz.questions, result.questions, strict=True):
        assert 0 <= scored.points_awarded <= scored.points_possible == question.points
        assert scored.correct == (scored.points_awarded == question.points)
        assert scored.answered == (question.id in answers)
    assert result.score == sum(q.points_awarded for q in result.questions)
    assert result.passed == (
        result.score / result.max_score >= Fraction(quiz.pass_mark_percent, 100)
    )


@PROPERTY
@given(quizzes_and_answers(), st.data())
def test_scores_do_not_depend_on_the_order_of_answers(
    case: tuple[Quiz, dict[str, object]], data: st.DataObject
) -> None:
    quiz, answers = case
    order = data.draw(st.permutations(list(answers)))
    reordered: dict[str, object] = {}
    for question_id in order:
        answer = answers[question_id]
        if isinstance(answer, list | tuple):
            answer = type(answer)(data.draw(st.permutations(list(answer))))
        reordered[question_id] = answer
    assert score_quiz(quiz, reordered) == score_quiz(quiz, answers)


@PROPERTY
@given(quizzes())
def test_the_answer_key_gets_full_marks_and_passes(quiz: Quiz) -> None:
    result = score_quiz(quiz, answer_key(quiz))
    assert result.score == quiz.max_score
    assert result.passed
    assert result.percent == Decimal("100.00")
    assert all(q.correct and q.answered for q in result.questions)


@PROPERTY
@given(quizzes_and_answers())
def test_stored_answers_score_the_same_again(case: tuple[Quiz, dict[str, object]]) -> None:
    # An attempt stores the normalized answers and re-scores them for feedback later.
    quiz, answers = case
    stored = normalized_answers(quiz, answers)
    assert normalized_answers(quiz, stored) == stored
    assert score_quiz(quiz, stored) == score_quiz(quiz, answers)


@PROPERTY
@given(quizzes_and_answers(), st.booleans())
def test_feedback_agrees_with_the_score(
    case: tuple[Quiz, dict[str, object]], answers_shown: bool
) -> None:
    quiz, answers = case
    result = score_quiz(quiz, answers)
    feedback = feedback_for(quiz, result, answers=answers_shown)
    if quiz.feedback is FeedbackMode.NONE:
        assert feedback == ()
        return
    assert [f.question_id for f in feedback] == [q.id for q in quiz.questions]
    for item, scored in zip(feedback, result.questions, strict=True):
        assert item.correct == scored.correct
        assert abs(Fraction(item.points_awarded) - scored.points_awarded) <= Fraction(1, 200)
        assert (item.correct_answer is not None) == (
            quiz.feedback is FeedbackMode.FULL and answers_shown
        )


# ---- partial credit --------------------------------------------------------------------------
@st.composite
def partial_credit_picks(draw: st.DrawFn) -> tuple[Question, frozenset[str]]:
    question = draw(questions("q", K.MULTIPLE_CHOICE))
    question = dataclasses.replace(question, partial_credit=True)
    picked = draw(st.sets(st.sampled_from([choice.id for choice in question.choices])))
    return question, frozenset(picked)


def _points(question: Question, picked: frozenset[str]) -> Fraction:
    return score_quiz(Quiz(questions=(question,)), {question.id: sorted(picked)}).score


@PROPERTY
@given(partial_credit_picks(), st.data())
def test_partial_credit_never_drops_for_a_better_answer(
    case: tuple[Question, frozenset[str]], data: st.DataObject
) -> None:
    question, picked = case
    before = _points(question, picked)
    correct = {choice.id for choice in question.choices if choice.correct}
    missing = sorted(correct - picked)
    wrong = sorted(picked - correct)
    if missing:
        added = data.draw(st.sampled_from(missing))
        after = _points(question, picked | {added})
        assert after >= before
        if before > 0:  # hits outnumber wrong picks: one more hit is worth more
            assert after > before
    if wrong:
        removed = data.draw(st.sampled_from(wrong))
        assert _points(question, picked - {removed}) >= before
    assert 0 <= before <= question.points


# ---- the paper -------------------------------------------------------------------------------
SECRET_FIELDS = {"correct", "correct_boolean", "accepted_answers", "numeric_answer", "tolerance"}
SECRET_FIELDS |= {"explanation", "partial_credit"}


@PROPERTY
@given(quizzes(), st.integers(min_value=-(2**63), max_value=2**63 - 1))
def test_the_paper_is_a_deterministic_answer_free_permutation(quiz: Quiz, seed: int) -> None:
    paper = quiz_paper(quiz, seed)
    assert quiz_paper(quiz, seed) == paper

    by_id = {question.id: question for question in quiz.questions}
    assert sorted(q.id for q in paper) == sorted(by_id)
    if not quiz.shuffle_questions:
        assert [q.id for q in paper] == [q.id for q in quiz.questions]
    for shown in paper:
        assert type(shown) is PaperQuestion
        assert not {f.name for f in dataclasses.fields(shown)} & SECRET_FIELDS
        question = by_id[shown.id]
        assert (shown.kind, shown.prompt, shown.points) == (
            question.kind,
            question.prompt,
            question.points,
        )
        expected = [PaperChoice(id=c.id, text=c.text) for c in question.choices]
        assert sorted(shown.choices, key=lambda c: c.id) == sorted(expected, key=lambda c: c.id)
        if not quiz.shuffle_choices:
            assert list(shown.choices) == expected
        for choice in shown.choices:
            assert type(choice) is PaperChoice
            assert not {f.name for f in dataclasses.fields(choice)} & SECRET_FIELDS
