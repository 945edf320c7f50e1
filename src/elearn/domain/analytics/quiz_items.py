"""Quiz item difficulty: the share of submitted attempts that earned a question's full points.

The hardest question is the one with the lowest share among those answered at least once, the
exact fractions compared (not their rounded percents); ties go to the question more attempts
had, then to the course's order. A question nobody submitted has no share: it is listed after
every answered one (its share shows as 0, as every empty figure does) and is never the hardest.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from uuid import UUID

# A question's label: its quiz's title, its number in the quiz and the start of its prompt.
PROMPT_IN_LABEL = 60


@dataclass(frozen=True, slots=True)
class QuestionDifficulty:
    """A quiz question over a range: submitted attempts that had it (``answered``), those that
    earned its full points (``correct``) and their share in whole percent, half up (0 when
    nobody answered)."""

    lesson_id: UUID  # the quiz's lesson
    question_id: str
    label: str
    answered: int
    correct: int
    percent_correct: int = field(init=False)

    def __post_init__(self) -> None:
        if not 0 <= self.correct <= self.answered:
            raise ValueError("correct answers must be between 0 and the answers")
        share = (200 * self.correct + self.answered) // (2 * self.answered) if self.answered else 0
        object.__setattr__(self, "percent_correct", share)


def question_label(quiz_title: str, position: int, prompt: str) -> str:
    """``<quiz> · Q<n>: <prompt>``, the prompt on one line and cut at ``PROMPT_IN_LABEL``
    characters with an ellipsis."""
    text = " ".join(prompt.split())
    if len(text) > PROMPT_IN_LABEL:
        text = text[: PROMPT_IN_LABEL - 1].rstrip() + "…"
    return f"{quiz_title} · Q{position}: {text}"


def hardest_first(questions: Iterable[QuestionDifficulty]) -> list[QuestionDifficulty]:
    """The questions from the hardest (lowest share correct) to the easiest, then the ones
    nobody answered, each group otherwise in the order given."""
    ordered = list(questions)
    answered = [q for q in ordered if q.answered]
    unanswered = [q for q in ordered if not q.answered]
    # A stable sort: equal keys keep the order given (the course's).
    answered.sort(key=lambda q: (Fraction(q.correct, q.answered), -q.answered))
    return answered + unanswered
