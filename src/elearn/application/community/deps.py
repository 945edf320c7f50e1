"""Everything community use cases depend on, and who may take part in a course's forum.

A course's forum is for its students with a live enrollment (active or completed), its
instructors and staff; a revoked enrollment shuts its student out at once, as every request
asks learning afresh. Its instructors and staff moderate it. Whoever cannot see the course is
told the thread does not exist; whoever can see it but is not in it is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from elearn.application.access import require_signed_in
from elearn.application.actor import Actor
from elearn.application.authorization import Authorizer, Permission
from elearn.application.catalog.api import CatalogApi, CourseFacts, CourseNotFound
from elearn.application.community.ports import (
    CommunityPolicy,
    CommunityUnitOfWork,
    ForumQueries,
    MarkdownRenderer,
    PostingLimiter,
    ThreadViewers,
)
from elearn.application.errors import NotFound, RateLimited
from elearn.application.identity.api import IdentityApi
from elearn.application.learning.api import LearningApi
from elearn.application.ports import Clock, IdGenerator, TransactionFactory
from elearn.domain.community.forum import (
    MAX_MENTIONS,
    PostBody,
    Reply,
    Thread,
    mentioned_ids,
    mentioned_names,
    resolve_mentions,
)

# The most people a name mention is looked for among (a thread's people, its instructors).
_NAME_CANDIDATES = 200


class DiscussionNotFound(NotFound):
    code = "discussion-not-found"

    def __init__(self) -> None:
        super().__init__("there is no such discussion")


class ReplyNotFound(NotFound):
    code = "reply-not-found"

    def __init__(self) -> None:
        super().__init__("there is no such reply")


@dataclass(frozen=True, slots=True)
class ForumAccess:
    """A course's forum as one signed-in person reaches it."""

    course: CourseFacts
    user_id: UUID
    is_instructor: bool
    is_staff: bool

    @property
    def is_moderator(self) -> bool:
        return self.is_instructor or self.is_staff


@dataclass(frozen=True, kw_only=True)
class CommunityDeps:
    uow: TransactionFactory[CommunityUnitOfWork]
    clock: Clock
    ids: IdGenerator
    queries: ForumQueries
    catalog: CatalogApi
    learning: LearningApi
    identity: IdentityApi
    renderer: MarkdownRenderer
    limiter: PostingLimiter
    viewers: ThreadViewers
    policy: CommunityPolicy
    authorizer: Authorizer

    def body(self, source: str) -> PostBody:
        return PostBody(source, self.renderer.render(source))

    async def count_post(self, user_id: UUID) -> None:
        retry_after = await self.limiter.hit(
            f"forum-posts:{user_id}",
            limit=self.policy.posts_per_window,
            window_seconds=self.policy.post_window_seconds,
        )
        if retry_after is not None:
            raise RateLimited(
                "you are posting too fast; wait a little", retry_after_seconds=retry_after
            )

    async def forum_access(
        self, uow: CommunityUnitOfWork, actor: Actor, course_id: UUID
    ) -> ForumAccess:
        user_id = require_signed_in(actor)
        course = await self.catalog.course_facts(uow, course_id)
        if course is None:
            raise CourseNotFound()
        is_instructor = course.is_instructor(user_id)
        is_staff = self.authorizer.allows(actor, Permission.MODERATE_FORUMS)
        if not (is_instructor or is_staff) and not await self.learning.has_access(
            uow, user_id, course.id
        ):
            await self.catalog.deny(
                actor, course, "only the course's students, instructors and staff use its forum"
            )
        return ForumAccess(course, user_id, is_instructor, is_staff)

    async def thread_access(
        self, uow: CommunityUnitOfWork, actor: Actor, thread_id: UUID, *, for_update: bool = False
    ) -> tuple[Thread, ForumAccess]:
        require_signed_in(actor)
        thread = await uow.forum.threads.get(thread_id, for_update=for_update)
        if thread is None or thread.deleted_at is not None:
            raise DiscussionNotFound()
        try:
            access = await self.forum_access(uow, actor, thread.course_id)
        except CourseNotFound:
            raise DiscussionNotFound() from None
        if thread.hidden and not access.is_moderator:
            raise DiscussionNotFound()
        return thread, access

    async def reply_access(
        self, uow: CommunityUnitOfWork, actor: Actor, reply_id: UUID, *, for_update: bool = False
    ) -> tuple[Reply, Thread, ForumAccess]:
        require_signed_in(actor)
        reply = await uow.forum.replies.get(reply_id, for_update=for_update)
        if reply is None:
            raise ReplyNotFound()
        try:
            thread, access = await self.thread_access(uow, actor, reply.thread_id)
        except DiscussionNotFound:
            raise ReplyNotFound() from None
        if reply.hidden and not access.is_moderator:
            raise ReplyNotFound()
        return reply, thread, access

    async def mentioned(
        self,
        uow: CommunityUnitOfWork,
        access: ForumAccess,
        source: str,
        thread: Thread | None = None,
    ) -> tuple[UUID, ...]:
        """The readers of the forum a post mentions, its author aside: by id (``@<user id>``, what
        a front end inserts when the author picks someone) and by name as people type it
        (``@ana``, ``@ana.lima``, ``@[Ana Lima]``), a name being looked for among the course's
        instructors and the thread's people (its author, who replied, its followers)."""
        author = access.user_id
        people = [p for p in mentioned_ids(source) if p != author]
        names = mentioned_names(source)
        if names:
            candidates = list(access.course.instructor_ids)
            if thread is not None:
                candidates += [thread.author_id]
                candidates += await uow.forum.replies.authors_in(thread.id, limit=_NAME_CANDIDATES)
                candidates += await uow.forum.subscriptions.subscribers(thread.id)
            named: dict[UUID, str] = {}
            for person in list(dict.fromkeys(candidates))[:_NAME_CANDIDATES]:
                if person == author:
                    continue
                facts = await self.identity.user(uow, person)
                if facts is not None and facts.is_active:
                    named[person] = facts.full_name
            people += [p for p in resolve_mentions(names, named) if p not in people]
        return await self.readers_among(uow, access.course, people[:MAX_MENTIONS])

    async def readers_among(
        self, uow: CommunityUnitOfWork, course: CourseFacts, people: list[UUID]
    ) -> tuple[UUID, ...]:
        """Those of ``people`` who may read the course's forum (mentions of anyone else are
        left as text)."""
        readers: list[UUID] = []
        for person in people:
            if course.is_instructor(person):
                readers.append(person)
                continue
            facts = await self.identity.user(uow, person)
            if facts is None or not facts.is_active:
                continue
            if self.authorizer.allows(
                facts.as_actor(), Permission.MODERATE_FORUMS
            ) or await self.learning.has_access(uow, person, course.id):
                readers.append(person)
        return tuple(readers)
