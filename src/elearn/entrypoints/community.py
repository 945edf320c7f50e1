"""Community's part of the composition root: its policy from settings, its adapters (the
Markdown renderer, the posting limit in the rate-limit store), and its use cases."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, TypeAlias

from litestar.di import NamedDependency

from elearn.adapters.markdown import SanitisingMarkdownRenderer
from elearn.adapters.persistence.community_repositories import SqlaForumQueries
from elearn.adapters.realtime.viewers import InMemoryThreadViewers, RedisThreadViewers
from elearn.adapters.security.rate_limits import InMemoryRateLimiter, RedisRateLimiter
from elearn.application.catalog.api import CatalogApi
from elearn.application.community import forums, moderation
from elearn.application.community.deps import CommunityDeps
from elearn.application.community.ports import CommunityPolicy, ThreadViewers
from elearn.application.identity.api import IdentityApi
from elearn.application.learning.api import LearningApi
from elearn.entrypoints.settings import Settings

if TYPE_CHECKING:
    from elearn.entrypoints.bootstrap import Container


def community_policy(settings: Settings) -> CommunityPolicy:
    return CommunityPolicy(
        posts_per_window=settings.forum_posts_per_window,
        post_window_seconds=settings.forum_post_window_seconds,
    )


def _thread_viewers(container: Container) -> ThreadViewers:
    """In Redis when there is one (a view recorded by one API process is read by the worker
    that pushes the reply); else one registry for the process's socket and in-process worker."""
    if container.redis is not None:
        return RedisThreadViewers(container.redis)
    return InMemoryThreadViewers()


def build_community_deps(container: Container) -> CommunityDeps:
    redis = container.redis
    return CommunityDeps(
        uow=container.uow,
        clock=container.clock,
        ids=container.ids,
        queries=SqlaForumQueries(container.engine, container.sessions),
        catalog=CatalogApi(container.catalog.deps),
        learning=LearningApi(container.learning.deps),
        identity=IdentityApi(container.identity.deps),
        renderer=SanitisingMarkdownRenderer(),
        # In Redis when there is one, so the limit holds across API processes.
        limiter=RedisRateLimiter(redis) if redis else InMemoryRateLimiter(),
        viewers=_thread_viewers(container),
        policy=community_policy(container.settings),
        authorizer=container.authorizer,
    )


class CommunityUseCases:
    def __init__(self, deps: CommunityDeps, container: Container) -> None:
        self.deps = deps
        self._container = container

    @cached_property
    def list_threads(self) -> forums.ListCourseThreads:
        return forums.ListCourseThreads(self.deps)

    @cached_property
    def start_thread(self) -> forums.StartThread:
        return forums.StartThread(self.deps)

    @cached_property
    def get_thread(self) -> forums.GetThread:
        return forums.GetThread(self.deps)

    @cached_property
    def list_replies(self) -> forums.ListReplies:
        return forums.ListReplies(self.deps)

    @cached_property
    def edit_thread(self) -> forums.EditThread:
        return forums.EditThread(self.deps)

    @cached_property
    def edit_reply(self) -> forums.EditReply:
        return forums.EditReply(self.deps)

    @cached_property
    def delete_thread(self) -> forums.DeleteThread:
        return forums.DeleteThread(self.deps)

    @cached_property
    def list_edits(self) -> forums.ListEdits:
        return forums.ListEdits(self.deps)

    @cached_property
    def post_reply(self) -> forums.PostReply:
        return forums.PostReply(self.deps)

    @cached_property
    def push_new_reply(self) -> forums.PushNewReply:
        return forums.PushNewReply(self.deps, self._container.realtime)

    @cached_property
    def view_thread(self) -> forums.ViewThread:
        return forums.ViewThread(self.deps)

    @cached_property
    def leave_thread(self) -> forums.LeaveThread:
        return forums.LeaveThread(self.deps)

    @cached_property
    def vote(self) -> forums.Vote:
        return forums.Vote(self.deps)

    @cached_property
    def accept_answer(self) -> forums.AcceptAnswer:
        return forums.AcceptAnswer(self.deps)

    @cached_property
    def moderate(self) -> forums.ModerateThread:
        return forums.ModerateThread(self.deps)

    @cached_property
    def follow(self) -> forums.Follow:
        return forums.Follow(self.deps)

    @cached_property
    def lesson_comments(self) -> forums.ListLessonComments:
        return forums.ListLessonComments(self.deps)

    @cached_property
    def comment_on_lesson(self) -> forums.CommentOnLesson:
        return forums.CommentOnLesson(self.deps)

    @cached_property
    def report(self) -> moderation.ReportContent:
        return moderation.ReportContent(self.deps)

    @cached_property
    def list_reports(self) -> moderation.ListReports:
        return moderation.ListReports(self.deps)

    @cached_property
    def resolve_report(self) -> moderation.ResolveReport:
        return moderation.ResolveReport(self.deps)


# Community's use cases, as a route parameter: ``community: Community``.
Community: TypeAlias = NamedDependency[CommunityUseCases]
