"""Course reviews: what students who took a course say about it.

Only students enrolled in the course (active or completed) review it, once each, with a rating
from 1 to 5 and optional text they may edit. One of the course's instructors may reply once.
Staff may hide a review that breaks the rules: a hidden review leaves the public list and the
course's rating, and comes back when staff show it again.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from uuid import UUID

from elearn.domain.shared.errors import Conflict, RuleViolation

MIN_RATING = 1
MAX_RATING = 5
MAX_REVIEW_TEXT = 5000
MAX_REPLY_TEXT = 5000
MAX_HIDE_REASON = 1000


class InvalidReview(RuleViolation):
    code = "invalid-review"


class AlreadyReviewed(Conflict):
    code = "already-reviewed"


class AlreadyReplied(Conflict):
    code = "already-replied"


def review_rating(rating: int) -> int:
    if isinstance(rating, bool) or not MIN_RATING <= rating <= MAX_RATING:
        raise InvalidReview(f"a rating is a whole number from {MIN_RATING} to {MAX_RATING}")
    return rating


def _text(text: str | None, field: str, maximum: int, *, required: bool = False) -> str | None:
    cleaned = (text or "").strip()
    if len(cleaned) > maximum:
        raise InvalidReview(f"{field} is longer than {maximum} characters")
    if required and not cleaned:
        raise InvalidReview(f"{field} must not be empty")
    return cleaned or None


@dataclasses.dataclass(eq=False, kw_only=True)
class Review:
    id: UUID
    course_id: UUID
    user_id: UUID
    rating: int
    created_at: datetime
    updated_at: datetime
    text: str | None = None
    reply: str | None = None
    replied_by: UUID | None = None
    replied_at: datetime | None = None
    hidden: bool = False
    hidden_reason: str | None = None
    hidden_by: UUID | None = None

    @classmethod
    def write(
        cls,
        *,
        review_id: UUID,
        course_id: UUID,
        user_id: UUID,
        rating: int,
        text: str | None,
        now: datetime,
    ) -> Review:
        return cls(
            id=review_id,
            course_id=course_id,
            user_id=user_id,
            rating=review_rating(rating),
            text=_text(text, "text", MAX_REVIEW_TEXT),
            created_at=now,
            updated_at=now,
        )

    @property
    def counts_in_rating(self) -> bool:
        return not self.hidden

    def edit(
        self, *, rating: int | None, text: str | None, clear_text: bool, now: datetime
    ) -> None:
        new_rating = review_rating(rating) if rating is not None else self.rating
        new_text = None if clear_text else _text(text, "text", MAX_REVIEW_TEXT)
        self.rating = new_rating
        if clear_text or text is not None:
            self.text = new_text
        self.updated_at = now

    def answer(self, *, instructor_id: UUID, text: str, now: datetime) -> None:
        if self.reply is not None:
            raise AlreadyReplied("the instructors have already replied to this review")
        self.reply = _text(text, "reply", MAX_REPLY_TEXT, required=True)
        self.replied_by = instructor_id
        self.replied_at = now

    def hide(self, *, staff_id: UUID, reason: str | None, now: datetime) -> None:
        cleaned = _text(reason, "reason", MAX_HIDE_REASON)
        self.hidden = True
        self.hidden_reason = cleaned
        self.hidden_by = staff_id
        self.updated_at = now

    def show(self, *, now: datetime) -> None:
        self.hidden = False
        self.hidden_reason = None
        self.hidden_by = None
        self.updated_at = now
