"""What other contexts may call of learning: this module and nothing else (import-linter says so).

Functions here take the caller's transaction and work on learning's own stores within it, so a
cross-context step commits or rolls back with the caller's use case.
"""

from __future__ import annotations

from uuid import UUID

from elearn.application.learning.deps import LearningDeps
from elearn.application.learning.enrollments import (
    grant_enrollment,
    grant_over,
    revoke_enrollment,
)
from elearn.application.learning.ports import LearningUnitOfWork
from elearn.application.ports import Transaction
from elearn.domain.learning.assignment import AssignmentGraded
from elearn.domain.learning.certificate import CertificateIssued
from elearn.domain.learning.enrollment import EnrollmentSource, EnrollmentStarted
from elearn.domain.learning.quiz import QuizSubmitted

__all__ = [
    "AssignmentGraded",
    "CertificateIssued",
    "EnrollmentStarted",
    "LearningApi",
    "QuizSubmitted",
]


def _learning(uow: Transaction) -> LearningUnitOfWork:
    """The caller's transaction with this context's stores. (mypy refuses a Protocol where a
    ``type[...]`` is expected; here the class only names the stores, it is never built.)"""
    return uow.as_context(LearningUnitOfWork)  # type: ignore[type-abstract]


class LearningApi:
    """Learning as other contexts see it, built by the composition root from its deps."""

    def __init__(self, deps: LearningDeps) -> None:
        self._deps = deps

    # ---- courses bought and refunded (billing) ------------------------------------------------
    async def has_access(self, transaction: Transaction, user_id: UUID, course_id: UUID) -> bool:
        """Whether the user is in the course now (enrolled or completed, not revoked)."""
        enrollment = await _learning(transaction).learning.enrollments.find(user_id, course_id)
        return enrollment is not None and enrollment.gives_access

    # ---- communication: who may talk ------------------------------------------------------------
    async def courses_learned_by(self, transaction: Transaction, user_id: UUID) -> set[UUID]:
        """The courses the user is in now (enrolled or completed, not revoked)."""
        return await _learning(transaction).learning.enrollments.courses_learned_by(user_id)

    async def grant_enrollment(
        self, transaction: Transaction, user_id: UUID, course_id: UUID
    ) -> None:
        """Puts a buyer in the course they paid for (a revoked enrollment is made live again)."""
        await grant_enrollment(
            self._deps,
            _learning(transaction),
            user_id=user_id,
            course_id=course_id,
            source=EnrollmentSource.PURCHASE,
        )

    async def grant_purchase(
        self, transaction: Transaction, user_id: UUID, course_id: UUID
    ) -> bool:
        """Puts a buyer in the course they paid for unless they are in it now (then False, and
        nothing changes): the enrollment looked up once, locked."""
        learning = _learning(transaction)
        existing = await learning.learning.enrollments.find(user_id, course_id, for_update=True)
        if existing is not None and existing.gives_access:
            return False
        await grant_over(
            self._deps,
            learning,
            existing,
            user_id=user_id,
            course_id=course_id,
            source=EnrollmentSource.PURCHASE,
        )
        return True

    async def revoke_enrollment(
        self, transaction: Transaction, user_id: UUID, course_id: UUID, *, reason: str
    ) -> None:
        """Takes a course back (it was refunded); the certificate stops being valid."""
        await revoke_enrollment(
            self._deps, _learning(transaction), user_id=user_id, course_id=course_id, reason=reason
        )

    # ---- communication: announcements reach a course's students -----------------------------
    async def learners_after(
        self, transaction: Transaction, course_id: UUID, after: UUID | None, limit: int
    ) -> list[UUID]:
        """A batch of the course's students who may learn in it now, in user id order."""
        return await _learning(transaction).learning.enrollments.learners_after(
            course_id, after, limit
        )
