"""Quiz item difficulty: the share correct in whole percent (half up), the hardest question
first by exact share, questions nobody answered last, and labels cut to one short line."""

from __future__ import annotations

from fractions import Fraction
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from elearn.domain.analytics.quiz_items import (
    PROMPT_IN_LABEL,
    QuestionDifficulty,
    hardest_first,
    question_label,
)

LESSON = uuid4()


def question(name: str, answered: int, correct: int) -> QuestionDifficulty:
    return QuestionDifficulty(
        lesson_id=LESSON, question_id=name, label=name, answered=answered, correct=correct
    )


@pytest.mark.parametrize(
    ("answered", "correct", "percent"),
    [(0, 0, 0), (1, 0, 0), (1, 1, 100), (3, 1, 33), (3, 2, 67), (8, 1, 13), (200, 1, 1)],
)
def test_the_share_correct_is_whole_percent_rounded_half_up(
    answered: int, correct: int, percent: int
) -> None:
    assert question("q", answered, correct).percent_correct == percent


def test_exact_shares_decide_where_rounded_ones_tie() -> None:
    # 1/3 and 33/100 both show 33 %; 33/100 is lower, so harder.
    third, nearly = question("third", 3, 1), question("nearly", 100, 33)
    assert [q.question_id for q in hardest_first([third, nearly])] == ["nearly", "third"]


def test_on_equal_shares_the_question_more_attempts_had_is_harder_then_the_given_order() -> None:
    ordered = hardest_first(
        [question("a", 2, 1), question("b", 4, 2), question("c", 2, 1), question("none", 0, 0)]
    )
    assert [q.question_id for q in ordered] == ["b", "a", "c", "none"]


@given(
    st.lists(
        st.integers(0, 50).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n))),
        max_size=12,
    )
)
def test_hardest_first_is_an_order_of_the_same_questions_by_share(
    counts: list[tuple[int, int]],
) -> None:
    given_order = [question(str(i), n, c) for i, (n, c) in enumerate(counts)]
    ordered = hardest_first(given_order)
    assert sorted(q.question_id for q in ordered) == sorted(q.question_id for q in given_order)
    answered = [q for q in ordered if q.answered]
    assert ordered[len(answered) :] == [q for q in given_order if not q.answered]
    shares = [Fraction(q.correct, q.answered) for q in answered]
    assert shares == sorted(shares)


def test_a_label_names_the_quiz_the_number_and_the_prompt_on_one_short_line() -> None:
    assert question_label("Check", 2, "Is  it\ntrue?") == "Check · Q2: Is it true?"
    long = question_label("Check", 1, "word " * 40)
    prompt = long.removeprefix("Check · Q1: ")
    assert len(prompt) <= PROMPT_IN_LABEL and prompt.endswith("word…")


@pytest.mark.parametrize(("answered", "correct"), [(1, 2), (0, 1), (3, -1)])
def test_more_correct_answers_than_answers_is_refused(answered: int, correct: int) -> None:
    with pytest.raises(ValueError, match="between 0 and the answers"):
        question("q", answered, correct)
