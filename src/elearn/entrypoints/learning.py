"""The learning context's part of the composition root: its adapters from settings, and its use
cases."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

from litestar.di import NamedDependency

from elearn.adapters.certificates.pdf import FpdfCertificateRenderer
from elearn.adapters.persistence.learning_queries import SqlaLearningQueries
from elearn.adapters.security.deny_list import InMemoryRevokedAccessTokens, RedisRevokedAccessTokens
from elearn.adapters.security.media_tokens import HmacMediaTokens
from elearn.application.catalog.api import CatalogApi
from elearn.application.identity.api import IdentityApi
from elearn.application.learning import (
    assignments,
    certificates,
    enrollments,
    lessons,
    quizzes,
    reviews,
)
from elearn.application.learning.deps import LearningDeps
from elearn.application.learning.ports import LearningPolicy
from elearn.entrypoints.catalog import image_url

if TYPE_CHECKING:
    from elearn.entrypoints.bootstrap import Container
    from elearn.entrypoints.settings import Settings


def build_learning_deps(container: Container) -> LearningDeps:
    settings = container.settings
    return LearningDeps(
        uow=container.uow,
        clock=container.clock,
        ids=container.ids,
        storage=container.storage,
        queries=SqlaLearningQueries(container.engine, container.sessions, image_url=image_url),
        catalog=CatalogApi(container.catalog.deps),
        identity=IdentityApi(container.identity.deps),
        authorizer=container.authorizer,
        # Outside production the JWT secret signs media too (the adapter derives its own key).
        tokens=HmacMediaTokens(settings.media_signing_key or settings.jwt_secret),
        # Several API processes must agree on which one-time links are spent: Redis when set.
        spent_links=RedisRevokedAccessTokens(
            container.redis, prefix="elearn:media-link:", clock=container.clock
        )
        if container.redis
        else InMemoryRevokedAccessTokens(container.clock),
        renderer=FpdfCertificateRenderer(
            Path(settings.certificate_font) if settings.certificate_font else None
        ),
        policy=learning_policy(settings),
    )


class LearningUseCases:
    """Every learning use case, built on first use from one set of dependencies."""

    def __init__(self, deps: LearningDeps) -> None:
        self.deps = deps

    # ---- enrollment -------------------------------------------------------------------------
    @cached_property
    def enroll(self) -> enrollments.Enroll:
        return enrollments.Enroll(self.deps)

    @cached_property
    def leave_course(self) -> enrollments.LeaveCourse:
        return enrollments.LeaveCourse(self.deps)

    @cached_property
    def grant_enrollment(self) -> enrollments.GrantEnrollment:
        return enrollments.GrantEnrollment(self.deps)

    @cached_property
    def revoke_enrollment(self) -> enrollments.RevokeEnrollment:
        return enrollments.RevokeEnrollment(self.deps)

    @cached_property
    def all_enrollments(self) -> enrollments.ListAllEnrollments:
        return enrollments.ListAllEnrollments(self.deps)

    @cached_property
    def my_enrollments(self) -> enrollments.ListMyEnrollments:
        return enrollments.ListMyEnrollments(self.deps)

    @cached_property
    def course_students(self) -> enrollments.ListCourseStudents:
        return enrollments.ListCourseStudents(self.deps)

    # ---- lessons ----------------------------------------------------------------------------
    @cached_property
    def get_lesson(self) -> lessons.GetLesson:
        return lessons.GetLesson(self.deps)

    @cached_property
    def open_media(self) -> lessons.OpenMedia:
        return lessons.OpenMedia(self.deps)

    @cached_property
    def one_time_media_link(self) -> lessons.IssueOneTimeMediaLink:
        return lessons.IssueOneTimeMediaLink(self.deps, self.open_media)

    @cached_property
    def record_progress(self) -> lessons.RecordProgress:
        return lessons.RecordProgress(self.deps)

    @cached_property
    def my_streak(self) -> lessons.GetMyStreak:
        return lessons.GetMyStreak(self.deps)

    # ---- quizzes ----------------------------------------------------------------------------
    @cached_property
    def set_quiz(self) -> quizzes.SetQuiz:
        return quizzes.SetQuiz(self.deps)

    @cached_property
    def start_attempt(self) -> quizzes.StartAttempt:
        return quizzes.StartAttempt(self.deps)

    @cached_property
    def submit_attempt(self) -> quizzes.SubmitAttempt:
        return quizzes.SubmitAttempt(self.deps)

    @cached_property
    def get_attempt(self) -> quizzes.GetAttempt:
        return quizzes.GetAttempt(self.deps)

    # ---- assignments ------------------------------------------------------------------------
    @cached_property
    def set_assignment(self) -> assignments.SetAssignment:
        return assignments.SetAssignment(self.deps)

    @cached_property
    def submit_work(self) -> assignments.SubmitWork:
        return assignments.SubmitWork(self.deps)

    @cached_property
    def list_submissions(self) -> assignments.ListSubmissions:
        return assignments.ListSubmissions(self.deps)

    @cached_property
    def grade_submission(self) -> assignments.GradeSubmission:
        return assignments.GradeSubmission(self.deps)

    # ---- certificates -----------------------------------------------------------------------
    @cached_property
    def issue_certificate(self) -> certificates.IssueCertificate:
        return certificates.IssueCertificate(self.deps)

    @cached_property
    def my_certificates(self) -> certificates.ListMyCertificates:
        return certificates.ListMyCertificates(self.deps)

    @cached_property
    def certificate_pdf(self) -> certificates.GetCertificatePdf:
        return certificates.GetCertificatePdf(self.deps)

    @cached_property
    def verify_certificate(self) -> certificates.VerifyCertificate:
        return certificates.VerifyCertificate(self.deps)

    # ---- reviews ----------------------------------------------------------------------------
    @cached_property
    def list_reviews(self) -> reviews.ListReviews:
        return reviews.ListReviews(self.deps)

    @cached_property
    def all_reviews(self) -> reviews.ListAllReviews:
        return reviews.ListAllReviews(self.deps)

    @cached_property
    def write_review(self) -> reviews.WriteReview:
        return reviews.WriteReview(self.deps)

    @cached_property
    def edit_review(self) -> reviews.EditReview:
        return reviews.EditReview(self.deps)

    @cached_property
    def delete_review(self) -> reviews.DeleteReview:
        return reviews.DeleteReview(self.deps)

    @cached_property
    def reply_to_review(self) -> reviews.ReplyToReview:
        return reviews.ReplyToReview(self.deps)

    @cached_property
    def hide_review(self) -> reviews.HideReview:
        return reviews.HideReview(self.deps)


# The learning use cases, as a route parameter: ``learning: Learning``.
Learning: TypeAlias = NamedDependency[LearningUseCases]


def learning_policy(settings: Settings) -> LearningPolicy:
    """The learning context's section of the settings."""
    return LearningPolicy(
        media_token_seconds=settings.media_url_seconds,
        one_time_link_seconds=settings.media_one_time_link_seconds,
        public_url=settings.public_url,
        links=settings.front_end,
    )
