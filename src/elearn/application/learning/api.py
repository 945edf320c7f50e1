"""What other contexts may call of learning: this module and nothing else (import-linter says so).

Functions here take the caller's transaction and work on learning's own stores within it, so a
cross-context step commits or rolls back with the caller's use case.
"""

from __future__ import annotations

from uuid import UUID

from elearn.application.learning.deps import LearningDeps
from elearn.application.learning.enrollments import grant_enrollment, revoke_enrollment
from elearn.application.learning.ports import LearningUnitOfWork
from elearn.application.ports import Transaction
from elearn.domain.learning.enrollment import EnrollmentSource

__all__ = ["EnrollmentSource", "LearningApi"]


def _learning(uow: Transaction) -> LearningUnitOfWork:
    """The caller's transaction with this context's stores. (mypy refuses a Protocol where a
    ``type[...]`` is expected; here the class only names the stores, it is never built.)"""
    return uow.as_context(LearningUnitOfWork)  # type: ignore[type-abstract]


class LearningApi:
    """Learning as other contexts see it, built by the composition root from its deps."""

    def __init__(self, deps: LearningDeps) -> None:
        self._deps = deps

    # ---- for billing: access to a course bought or refunded --------------------------------
    async def grant_enrollment(
        self, uow: Transaction, *, user_id: UUID, course_id: UUID, source: EnrollmentSource
    ) -> UUID:
        """Puts a student in a course inside the caller's transaction (a new enrollment, or a
        revoked one made live again); a live one is a conflict. Returns the enrollment's id."""
        enrollment = await grant_enrollment(
            self._deps,
            _learning(uow),
            user_id=user_id,
            course_id=course_id,
            source=source,
        )
        return enrollment.id

    async def revoke_enrollment(
        self, uow: Transaction, *, user_id: UUID, course_id: UUID, reason: str | None = None
    ) -> UUID:
        """Takes a course back (a refund) inside the caller's transaction. Returns the
        enrollment's id."""
        enrollment = await revoke_enrollment(
            self._deps,
            _learning(uow),
            user_id=user_id,
            course_id=course_id,
            reason=reason,
        )
        return enrollment.id
