"""The catalog's part of the composition root: its adapters from settings, and its use cases."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, TypeAlias

from litestar.di import NamedDependency

from elearn.adapters.catalog_cache import CachedCatalogQueries
from elearn.adapters.persistence.catalog_queries import SqlaCatalogQueries
from elearn.adapters.persistence.learning_queries import SqlaLearningQueries
from elearn.adapters.security.reference_data import BabelReferenceData
from elearn.application.catalog import (
    authoring,
    categories,
    co_instructors,
    discovery,
    review,
)
from elearn.application.catalog.deps import CatalogDeps
from elearn.application.catalog.ports import CatalogPolicy, CatalogQueries
from elearn.application.identity.api import IdentityApi

if TYPE_CHECKING:
    from elearn.entrypoints.bootstrap import Container
    from elearn.entrypoints.settings import Settings

# Public images (course thumbnails) are served by key under this path.
IMAGES_PATH = "/api/v1/images"


def image_url(key: str) -> str:
    return f"{IMAGES_PATH}/{key}"


def build_catalog_deps(container: Container) -> CatalogDeps:
    settings = container.settings
    queries: CatalogQueries = SqlaCatalogQueries(
        container.engine, container.sessions, image_url=image_url
    )
    if settings.catalog_cache_seconds > 0:
        # Cleared after commits that change the catalog: the catalog module's after-commit hook.
        queries = CachedCatalogQueries(queries, ttl_seconds=settings.catalog_cache_seconds)
    return CatalogDeps(
        uow=container.uow,
        clock=container.clock,
        ids=container.ids,
        storage=container.storage,
        queries=queries,
        enrollments=SqlaLearningQueries(container.engine, container.sessions, image_url=image_url),
        reference=BabelReferenceData(),
        authorizer=container.authorizer,
        identity=IdentityApi(container.identity.deps),
        policy=catalog_policy(settings),
        image_url=image_url,
    )


class CatalogUseCases:
    """Every catalog use case, built on first use from one set of dependencies."""

    def __init__(self, deps: CatalogDeps) -> None:
        self.deps = deps

    # ---- discovery --------------------------------------------------------------------------
    @cached_property
    def browse_courses(self) -> discovery.BrowseCourses:
        return discovery.BrowseCourses(self.deps)

    @cached_property
    def get_course(self) -> discovery.GetCourse:
        return discovery.GetCourse(self.deps)

    @cached_property
    def list_my_courses(self) -> discovery.ListMyCourses:
        return discovery.ListMyCourses(self.deps)

    @cached_property
    def list_categories(self) -> discovery.ListCategories:
        return discovery.ListCategories(self.deps)

    @cached_property
    def list_tags(self) -> discovery.ListTags:
        return discovery.ListTags(self.deps)

    # ---- categories -------------------------------------------------------------------------
    @cached_property
    def create_category(self) -> categories.CreateCategory:
        return categories.CreateCategory(self.deps)

    @cached_property
    def update_category(self) -> categories.UpdateCategory:
        return categories.UpdateCategory(self.deps)

    @cached_property
    def delete_category(self) -> categories.DeleteCategory:
        return categories.DeleteCategory(self.deps)

    # ---- authoring --------------------------------------------------------------------------
    @cached_property
    def create_course(self) -> authoring.CreateCourse:
        return authoring.CreateCourse(self.deps)

    @cached_property
    def update_course(self) -> authoring.UpdateCourse:
        return authoring.UpdateCourse(self.deps)

    @cached_property
    def delete_course(self) -> authoring.DeleteCourse:
        return authoring.DeleteCourse(self.deps)

    @cached_property
    def set_thumbnail(self) -> authoring.SetThumbnail:
        return authoring.SetThumbnail(self.deps)

    @cached_property
    def add_section(self) -> authoring.AddSection:
        return authoring.AddSection(self.deps)

    @cached_property
    def update_section(self) -> authoring.UpdateSection:
        return authoring.UpdateSection(self.deps)

    @cached_property
    def delete_section(self) -> authoring.DeleteSection:
        return authoring.DeleteSection(self.deps)

    @cached_property
    def add_lesson(self) -> authoring.AddLesson:
        return authoring.AddLesson(self.deps)

    @cached_property
    def update_lesson(self) -> authoring.UpdateLesson:
        return authoring.UpdateLesson(self.deps)

    @cached_property
    def delete_lesson(self) -> authoring.DeleteLesson:
        return authoring.DeleteLesson(self.deps)

    @cached_property
    def set_lesson_file(self) -> authoring.SetLessonFile:
        return authoring.SetLessonFile(self.deps)

    @cached_property
    def reorder_outline(self) -> authoring.ReorderOutline:
        return authoring.ReorderOutline(self.deps)

    # ---- review -----------------------------------------------------------------------------
    @cached_property
    def submit_course(self) -> review.SubmitCourse:
        return review.SubmitCourse(self.deps)

    @cached_property
    def approve_course(self) -> review.ApproveCourse:
        return review.ApproveCourse(self.deps)

    @cached_property
    def reject_course(self) -> review.RejectCourse:
        return review.RejectCourse(self.deps)

    @cached_property
    def publish_course(self) -> review.PublishCourse:
        return review.PublishCourse(self.deps)

    @cached_property
    def archive_course(self) -> review.ArchiveCourse:
        return review.ArchiveCourse(self.deps)

    @cached_property
    def unpublish_course(self) -> review.UnpublishCourse:
        return review.UnpublishCourse(self.deps)

    # ---- revisions of published courses -----------------------------------------------------
    @cached_property
    def get_revision(self) -> discovery.GetRevision:
        return discovery.GetRevision(self.deps)

    @cached_property
    def submit_revision(self) -> review.SubmitRevision:
        return review.SubmitRevision(self.deps)

    @cached_property
    def approve_revision(self) -> review.ApproveRevision:
        return review.ApproveRevision(self.deps)

    @cached_property
    def reject_revision(self) -> review.RejectRevision:
        return review.RejectRevision(self.deps)

    @cached_property
    def discard_revision(self) -> review.DiscardRevision:
        return review.DiscardRevision(self.deps)

    @cached_property
    def list_revisions(self) -> review.ListRevisions:
        return review.ListRevisions(self.deps)

    @cached_property
    def list_courses_for_staff(self) -> review.ListCoursesForStaff:
        return review.ListCoursesForStaff(self.deps)

    @cached_property
    def count_courses_by_status(self) -> review.CountCoursesByStatus:
        return review.CountCoursesByStatus(self.deps)

    # ---- co-instructors ---------------------------------------------------------------------
    @cached_property
    def invite_co_instructor(self) -> co_instructors.InviteCoInstructor:
        return co_instructors.InviteCoInstructor(self.deps)

    @cached_property
    def accept_invitation(self) -> co_instructors.AnswerInvitation:
        return co_instructors.AnswerInvitation(self.deps, accept=True)

    @cached_property
    def decline_invitation(self) -> co_instructors.AnswerInvitation:
        return co_instructors.AnswerInvitation(self.deps, accept=False)

    @cached_property
    def withdraw_invitation(self) -> co_instructors.WithdrawInvitation:
        return co_instructors.WithdrawInvitation(self.deps)

    @cached_property
    def remove_co_instructor(self) -> co_instructors.RemoveCoInstructor:
        return co_instructors.RemoveCoInstructor(self.deps)

    @cached_property
    def list_course_invitations(self) -> co_instructors.ListCourseInvitations:
        return co_instructors.ListCourseInvitations(self.deps)

    @cached_property
    def list_my_invitations(self) -> co_instructors.ListMyInvitations:
        return co_instructors.ListMyInvitations(self.deps)


# The catalog's use cases, as a route parameter: ``catalog: Catalog``.
Catalog: TypeAlias = NamedDependency[CatalogUseCases]


def catalog_policy(settings: Settings) -> CatalogPolicy:
    """The catalog's section of the settings."""
    return CatalogPolicy(
        publish_on_approval=settings.publish_courses_on_approval,
        default_currency=settings.default_currency,
    )
