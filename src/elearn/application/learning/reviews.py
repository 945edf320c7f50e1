"""Course reviews by the students who took the course.

Every change that can move the course's rating takes the course's lock first, then recounts the
rating from the visible reviews in the same transaction: the average and count are exact however
many students review at once.
"""

from __future__ import annotations

from uuid import UUID

from elearn.application.access import require_signed_in
from elearn.application.actor import Actor
from elearn.application.authorization import Permission
from elearn.application.catalog.api import CourseFacts, CourseNotFound
from elearn.application.errors import NotFound, PermissionDenied
from elearn.application.learning.deps import LearningDeps
from elearn.application.learning.ports import LearningUnitOfWork, ReviewView, StaffReviewFilters
from elearn.application.paging import Page, check_limit, page_of
from elearn.domain.learning.enrollment import NotEnrolled
from elearn.domain.learning.review import AlreadyReviewed, Review
from elearn.domain.shared.audit import AuditAction


class ReviewNotFound(NotFound):
    code = "review-not-found"

    def __init__(self) -> None:
        super().__init__("there is no such review")


async def _visible_course(
    deps: LearningDeps, uow: LearningUnitOfWork, actor: Actor, course_id: UUID
) -> CourseFacts:
    course = await deps.catalog.course_facts(uow, course_id)
    if course is None:
        raise CourseNotFound()
    if actor.user_id is not None and not course.is_instructor(actor.user_id):
        enrollment = await uow.learning.enrollments.find(actor.user_id, course.id)
        enrolled = enrollment is not None and enrollment.gives_access
    else:
        enrolled = False
    if not course.visible_to(
        actor.user_id,
        is_staff=deps.authorizer.allows(actor, Permission.VIEW_ANY_COURSE),
        is_enrolled=enrolled,
    ):
        raise CourseNotFound()
    return course


async def _review(uow: LearningUnitOfWork, review_id: UUID) -> Review:
    review = await uow.learning.reviews.get(review_id, for_update=True)
    if review is None:
        raise ReviewNotFound()
    return review


async def _lock_course_of(uow: LearningUnitOfWork, review_id: UUID) -> Review:
    """The review, loaded under its course's lock: every change to a course's reviews holds it,
    so what is read here is what the change applies to."""
    course_id = await uow.learning.reviews.course_of(review_id)
    if course_id is None:
        raise ReviewNotFound()
    await uow.learning.reviews.lock_course(course_id)
    return await _review(uow, review_id)


async def _view(deps: LearningDeps, review_id: UUID) -> ReviewView:
    view = await deps.queries.review(review_id)
    if view is None:
        raise ReviewNotFound()
    return view


class ListReviews:
    """A course's reviews, newest first; its instructors and staff also see hidden ones."""

    def __init__(self, deps: LearningDeps) -> None:
        self._deps = deps

    async def __call__(
        self, actor: Actor, course_key: UUID | str, *, limit: int = 20, cursor: str | None = None
    ) -> Page[ReviewView]:
        deps = self._deps
        check_limit(limit)
        course_id = await deps.course_id(course_key)
        async with deps.uow(read_only=True) as uow:
            course = await _visible_course(deps, uow, actor, course_id)
        include_hidden = course.is_instructor(actor.user_id) or deps.authorizer.allows(
            actor, Permission.MODERATE_REVIEWS
        )
        return await page_of(
            deps.queries.reviews(
                course_id, include_hidden=include_hidden, limit=limit, cursor=cursor
            )
        )


class WriteReview:
    """A student enrolled in the course (active or completed) reviews it, once."""

    def __init__(self, deps: LearningDeps) -> None:
        self._deps = deps

    async def __call__(
        self, actor: Actor, course_key: UUID | str, rating: int, text: str | None
    ) -> ReviewView:
        deps = self._deps
        user_id = require_signed_in(actor)
        course_id = await deps.course_id(course_key)
        async with deps.uow() as uow:
            reviews = uow.learning.reviews
            await reviews.lock_course(course_id)
            course = await _visible_course(deps, uow, actor, course_id)
            enrollment = await uow.learning.enrollments.find(user_id, course.id)
            if enrollment is None or not enrollment.gives_access:
                raise NotEnrolled("only students enrolled in the course may review it")
            if await reviews.find(course.id, user_id) is not None:
                raise AlreadyReviewed("you have already reviewed this course; edit your review")
            review = Review.write(
                review_id=deps.ids.new_id(),
                course_id=course.id,
                user_id=user_id,
                rating=rating,
                text=text,
                now=deps.clock.now(),
            )
            await reviews.add(review)
            await reviews.refresh_course_rating(course.id)
            await uow.commit()
        return await _view(deps, review.id)


class EditReview:
    def __init__(self, deps: LearningDeps) -> None:
        self._deps = deps

    async def __call__(
        self,
        actor: Actor,
        review_id: UUID,
        *,
        rating: int | None,
        text: str | None,
        clear_text: bool = False,
    ) -> ReviewView:
        deps = self._deps
        user_id = require_signed_in(actor)
        async with deps.uow() as uow:
            review = await _lock_course_of(uow, review_id)
            if review.user_id != user_id:
                raise (
                    ReviewNotFound()
                    if review.hidden
                    else PermissionDenied("only its author may edit a review")
                )
            review.edit(rating=rating, text=text, clear_text=clear_text, now=deps.clock.now())
            await uow.learning.reviews.refresh_course_rating(review.course_id)
            await uow.commit()
        return await _view(deps, review_id)


class DeleteReview:
    """Its author deletes a review; staff may too."""

    def __init__(self, deps: LearningDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, review_id: UUID) -> None:
        deps = self._deps
        user_id = require_signed_in(actor)
        async with deps.uow() as uow:
            review = await _lock_course_of(uow, review_id)
            if review.user_id != user_id:
                deps.authorizer.authorize(
                    actor,
                    Permission.MODERATE_REVIEWS,
                    otherwise=PermissionDenied("only its author may delete a review"),
                )
            await uow.learning.reviews.remove(review)
            await uow.learning.reviews.refresh_course_rating(review.course_id)
            await uow.commit()


class ReplyToReview:
    """One of the course's instructors answers a review, once."""

    def __init__(self, deps: LearningDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, review_id: UUID, text: str) -> ReviewView:
        deps = self._deps
        user_id = require_signed_in(actor)
        async with deps.uow() as uow:
            review = await _review(uow, review_id)
            course = await _visible_course(deps, uow, actor, review.course_id)
            if not course.is_instructor(user_id):
                raise PermissionDenied("only the course's instructors may reply to its reviews")
            review.answer(instructor_id=user_id, text=text, now=deps.clock.now())
            await uow.commit()
        return await _view(deps, review_id)


class HideReview:
    """Staff hide a review that breaks the rules (or show it again); audited."""

    def __init__(self, deps: LearningDeps) -> None:
        self._deps = deps

    async def __call__(
        self, actor: Actor, review_id: UUID, *, hidden: bool, reason: str | None
    ) -> ReviewView:
        deps = self._deps
        staff_id = deps.authorizer.require(actor, Permission.MODERATE_REVIEWS)
        async with deps.uow() as uow:
            review = await _lock_course_of(uow, review_id)
            now = deps.clock.now()
            if hidden:
                review.hide(staff_id=staff_id, reason=reason, now=now)
            else:
                review.show(now=now)
            await uow.learning.reviews.refresh_course_rating(review.course_id)
            deps.audit(
                uow,
                actor,
                AuditAction.REVIEW_HIDDEN if hidden else AuditAction.REVIEW_SHOWN,
                target_type="review",
                target_id=review.id,
                course_id=str(review.course_id),
                reason=reason,
            )
            await uow.commit()
        return await _view(deps, review_id)


class ListAllReviews:
    """Moderators list every course's reviews, hidden ones too, newest first, by course,
    author, visibility and rating."""

    def __init__(self, deps: LearningDeps) -> None:
        self._deps = deps

    async def __call__(
        self,
        actor: Actor,
        filters: StaffReviewFilters,
        *,
        limit: int = 20,
        cursor: str | None = None,
    ) -> Page[ReviewView]:
        self._deps.authorizer.authorize(actor, Permission.MODERATE_REVIEWS)
        check_limit(limit)
        return await page_of(self._deps.queries.all_reviews(filters, limit=limit, cursor=cursor))
