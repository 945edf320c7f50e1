"""What other contexts may call of learning: this module and nothing else (import-linter says so).

Functions here take the caller's transaction and work on learning's own stores within it, so a
cross-context step commits or rolls back with the caller's use case.
"""

from __future__ import annotations

from uuid import UUID

from elearn.application.learning import enrollments
from elearn.application.learning.deps import LearningDeps
from elearn.application.learning.ports import LearningUnitOfWork
from elearn.application.ports import Transaction, UnitOfWork
from elearn.domain.learning.enrollment import EnrollmentSource

__all__ = ["LearningApi"]


class LearningApi:
    """Learning's facade for other contexts, built by the composition root."""

    def __init__(self, deps: LearningDeps) -> None:
        self._deps = deps

    # ---- courses bought and refunded (billing) ------------------------------------------------
    async def has_access(self, transaction: Transaction, user_id: UUID, course_id: UUID) -> bool:
        """Whether the user is in the course now (enrolled or completed, not revoked)."""
        enrollments_of = transaction.as_context(LearningUnitOfWork).learning.enrollments
        enrollment = await enrollments_of.find(user_id, course_id)
        return enrollment is not None and enrollment.gives_access

    async def grant_enrollment(
        self, transaction: Transaction, user_id: UUID, course_id: UUID
    ) -> None:
        """Puts a buyer in the course they paid for (a revoked enrollment is made live again)."""
        await enrollments.grant_enrollment(
            # Learning's enrollment steps still read the course through the wide unit of work.
            transaction.as_context(UnitOfWork),
            self._deps.clock,
            self._deps.ids,
            user_id=user_id,
            course_id=course_id,
            source=EnrollmentSource.PURCHASE,
        )

    async def revoke_enrollment(
        self, transaction: Transaction, user_id: UUID, course_id: UUID, *, reason: str
    ) -> None:
        """Takes a course back (it was refunded); the certificate stops being valid."""
        await enrollments.revoke_enrollment(
            transaction.as_context(UnitOfWork),
            self._deps.clock,
            self._deps.ids,
            user_id=user_id,
            course_id=course_id,
            reason=reason,
        )
