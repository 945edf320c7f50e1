"""Course forums and lesson comments: threads, nested replies, votes, accepted answers,
moderation and subscriptions.

Posting is limited per person (``CommunityPolicy``). A reply tells, through its event, the
readers it mentions and the subscribers due a notification (one per thread per hour each at
most), and is pushed live to every subscriber after commit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from enum import StrEnum
from uuid import UUID

from elearn.application.access import require_signed_in
from elearn.application.actor import Actor
from elearn.application.catalog.api import CourseNotFound
from elearn.application.community.deps import CommunityDeps, DiscussionNotFound, ForumAccess
from elearn.application.community.ports import (
    EditView,
    ReplyView,
    ThreadDetail,
    ThreadFilter,
    ThreadSort,
    ThreadView,
    VoteTarget,
)
from elearn.application.errors import NotFound, PermissionDenied
from elearn.application.paging import Page, check_limit, page_of
from elearn.application.realtime import RealtimePublisher
from elearn.domain.community.forum import (
    ReplyNotInThread,
    ReplyPosted,
    Thread,
    ThreadKind,
    ThreadStatus,
    notification_cutoff,
)
from elearn.domain.shared.errors import RuleViolation
from elearn.domain.shared.events import DomainEvent

FIRST_REPLIES = 50


class LessonNotFound(NotFound):
    code = "lesson-not-found"

    def __init__(self) -> None:
        super().__init__("there is no such lesson")


class LessonNotInCourse(RuleViolation):
    code = "lesson-not-in-course"

    def __init__(self) -> None:
        super().__init__("the lesson is not one of this course's")


class _UseCase:
    def __init__(self, deps: CommunityDeps) -> None:
        self._deps = deps

    async def _view(self, thread_id: UUID) -> ThreadView:
        view = await self._deps.queries.thread(thread_id)
        if view is None:  # deleted meanwhile
            raise DiscussionNotFound()
        return view


# ---- threads ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ThreadQuery:
    kind: ThreadKind | None = None
    status: ThreadStatus | None = None
    lesson_id: UUID | None = None
    q: str | None = None
    sort: ThreadSort = ThreadSort.ACTIVITY


class ListCourseThreads(_UseCase):
    """A course's discussions and questions, pinned ones first; hidden ones only for its
    moderators."""

    async def __call__(
        self,
        actor: Actor,
        course_key: UUID | str,
        query: ThreadQuery,
        *,
        limit: int = 20,
        cursor: str | None = None,
    ) -> Page[ThreadView]:
        deps = self._deps
        check_limit(limit)
        course_id = await deps.catalog.course_id(course_key)
        async with deps.uow(read_only=True) as uow:
            access = await deps.forum_access(uow, actor, course_id)
        kinds = (
            (query.kind,)
            if query.kind is not None
            else (ThreadKind.DISCUSSION, ThreadKind.QUESTION)
        )
        filters = ThreadFilter(
            course_id=course_id,
            lesson_id=query.lesson_id,
            kinds=kinds,
            status=query.status,
            q=(query.q or "").strip() or None,
            include_hidden=access.is_moderator,
        )
        return await page_of(deps.queries.threads(filters, query.sort, limit=limit, cursor=cursor))


@dataclass(frozen=True, slots=True)
class NewThread:
    kind: ThreadKind
    title: str
    body: str
    lesson_id: UUID | None = None


class StartThread(_UseCase):
    """Anyone in the course starts a discussion or asks a question, optionally about one of its
    lessons; they follow it from then on."""

    async def __call__(self, actor: Actor, course_key: UUID | str, new: NewThread) -> ThreadView:
        deps = self._deps
        course_id = await deps.catalog.course_id(course_key)
        async with deps.uow(read_only=True) as uow:
            access = await deps.forum_access(uow, actor, course_id)
        if new.lesson_id is not None:
            async with deps.uow(read_only=True) as uow:
                place = await deps.catalog.lesson_in_course(uow, new.lesson_id)
            if place is None or place.course.id != course_id:
                raise LessonNotInCourse()
        return await _start(deps, actor, access, new)


async def _start(
    deps: CommunityDeps, actor: Actor, access: ForumAccess, new: NewThread
) -> ThreadView:
    await deps.count_post(access.user_id)
    body = deps.body(new.body)
    now = deps.clock.now()
    async with deps.uow() as uow:
        access = await deps.forum_access(uow, actor, access.course.id)
        mentioned = await deps.mentioned(uow, access, new.body)
        thread = Thread.start(
            thread_id=deps.ids.new_id(),
            event_id=deps.ids.new_id(),
            course_id=access.course.id,
            lesson_id=new.lesson_id,
            kind=new.kind,
            author_id=access.user_id,
            title=new.title,
            body=body,
            mentioned=mentioned,
            now=now,
        )
        await uow.forum.threads.add(thread)
        await uow.forum.subscriptions.subscribe(thread.id, access.user_id, now)
        await uow.commit()
    view = await deps.queries.thread(thread.id)
    assert view is not None
    return view


class GetThread(_UseCase):
    """A thread with its first page of replies (oldest first, each after its parent); hidden
    posts only for the course's moderators."""

    async def __call__(self, actor: Actor, thread_id: UUID) -> ThreadDetail:
        deps = self._deps
        async with deps.uow(read_only=True) as uow:
            thread, access = await deps.thread_access(uow, actor, thread_id)
            voted = await uow.forum.votes.voted(VoteTarget.DISCUSSION, [thread.id], access.user_id)
            subscribed = await uow.forum.subscriptions.is_subscribed(thread.id, access.user_id)
        replies = await _replies(deps, thread, access, limit=FIRST_REPLIES, cursor=None)
        return ThreadDetail(
            thread=await self._view(thread.id),
            replies=replies,
            voted=thread.id in voted,
            subscribed=subscribed,
        )


class ListReplies(_UseCase):
    async def __call__(
        self,
        actor: Actor,
        thread_id: UUID,
        *,
        limit: int = FIRST_REPLIES,
        cursor: str | None = None,
    ) -> Page[ReplyView]:
        check_limit(limit)
        async with self._deps.uow(read_only=True) as uow:
            thread, access = await self._deps.thread_access(uow, actor, thread_id)
        return await _replies(self._deps, thread, access, limit=limit, cursor=cursor)


async def _replies(
    deps: CommunityDeps, thread: Thread, access: ForumAccess, *, limit: int, cursor: str | None
) -> Page[ReplyView]:
    page = await page_of(
        deps.queries.replies(
            thread.id, include_hidden=access.is_moderator, limit=limit, cursor=cursor
        )
    )
    async with deps.uow(read_only=True) as uow:
        voted = await uow.forum.votes.voted(
            VoteTarget.REPLY, [reply.id for reply in page.items], access.user_id
        )
    items = [
        replace(reply, accepted=reply.id == thread.accepted_reply_id, voted=reply.id in voted)
        for reply in page.items
    ]
    return Page(items, page.next_cursor)


@dataclass(frozen=True, slots=True)
class ThreadChanges:
    title: str | None = None
    body: str | None = None


class EditThread(_UseCase):
    """Its author within 30 minutes of posting, the course's moderators at any time; what it
    said before is kept in its history."""

    async def __call__(self, actor: Actor, thread_id: UUID, changes: ThreadChanges) -> ThreadView:
        deps = self._deps
        body = deps.body(changes.body) if changes.body is not None else None
        async with deps.uow() as uow:
            thread, access = await deps.thread_access(uow, actor, thread_id, for_update=True)
            _require_author_or_moderator(thread.author_id, access)
            edit = thread.edit(
                access.user_id,
                title=changes.title,
                body=body,
                is_moderator=access.is_moderator,
                now=deps.clock.now(),
            )
            await uow.forum.edits.add(edit, deps.ids.new_id())
            await uow.commit()
        return await self._view(thread_id)


class EditReply(_UseCase):
    """As a thread: its author within 30 minutes, moderators at any time, history kept."""

    async def __call__(self, actor: Actor, reply_id: UUID, body: str) -> ReplyView:
        deps = self._deps
        new_body = deps.body(body)
        async with deps.uow() as uow:
            reply, thread, access = await deps.reply_access(uow, actor, reply_id, for_update=True)
            _require_author_or_moderator(reply.author_id, access)
            edit = reply.edit(
                access.user_id, new_body, is_moderator=access.is_moderator, now=deps.clock.now()
            )
            await uow.forum.edits.add(edit, deps.ids.new_id())
            await uow.commit()
        page = await deps.queries.replies(
            thread.id, include_hidden=True, limit=1, cursor=None, only=reply_id
        )
        (view,) = page.items
        return replace(view, accepted=reply_id == thread.accepted_reply_id)


def _require_author_or_moderator(author_id: UUID, access: ForumAccess) -> None:
    if author_id != access.user_id and not access.is_moderator:
        raise PermissionDenied("only its author and the course's moderators change a post")


class DeleteThread(_UseCase):
    """Its author or the course's moderators; it vanishes for everyone."""

    async def __call__(self, actor: Actor, thread_id: UUID) -> None:
        deps = self._deps
        async with deps.uow() as uow:
            thread, access = await deps.thread_access(uow, actor, thread_id, for_update=True)
            _require_author_or_moderator(thread.author_id, access)
            thread.delete(deps.clock.now())
            await uow.commit()


class ListEdits(_UseCase):
    """What a thread and its replies said before each edit, newest first."""

    async def __call__(
        self, actor: Actor, thread_id: UUID, *, limit: int = 20, cursor: str | None = None
    ) -> Page[EditView]:
        check_limit(limit)
        async with self._deps.uow(read_only=True) as uow:
            await self._deps.thread_access(uow, actor, thread_id)
        return await page_of(self._deps.queries.edits(thread_id, limit=limit, cursor=cursor))


# ---- replies ---------------------------------------------------------------------------------
class PostReply(_UseCase):
    """Anyone in the course replies to a thread that is not locked (409), at the top or under
    another reply; replies nest five deep, and a reply to one at the deepest level goes beside
    it. The readers it mentions and the subscribers due a notification are named in its event."""

    async def __call__(
        self, actor: Actor, thread_id: UUID, body: str, parent_id: UUID | None = None
    ) -> ReplyView:
        deps = self._deps
        async with deps.uow(read_only=True) as uow:
            thread, access = await deps.thread_access(uow, actor, thread_id)
            thread.require_open_to_replies()
        await deps.count_post(access.user_id)
        new_body = deps.body(body)
        now = deps.clock.now()
        async with deps.uow() as uow:
            thread, access = await deps.thread_access(uow, actor, thread_id)
            parent = None
            if parent_id is not None:
                parent = await uow.forum.replies.get(parent_id)
                if parent is None or (parent.hidden and not access.is_moderator):
                    raise ReplyNotInThread("the parent")
            author = access.user_id
            mentioned = await deps.mentioned(uow, access, body, thread)
            others = [
                p for p in await uow.forum.subscriptions.subscribers(thread.id) if p != author
            ]
            due = await uow.forum.subscriptions.claim_notifications(
                thread.id,
                [p for p in others if p not in mentioned],
                cutoff=notification_cutoff(now),
                now=now,
            )
            reply = thread.reply(
                reply_id=deps.ids.new_id(),
                event_id=deps.ids.new_id(),
                parent=parent,
                author_id=author,
                body=new_body,
                mentioned=mentioned,
                notify=tuple(p for p in others if p in due),
                live_audience=tuple(others),
                now=now,
            )
            await uow.forum.replies.add(reply)
            await uow.forum.threads.count_reply(thread.id)
            await uow.commit()
        page = await deps.queries.replies(
            thread.id, include_hidden=True, limit=1, cursor=None, only=reply.id
        )
        return page.items[0]


class PushNewReply:
    """The outbox handler: a new reply, live to the thread's subscribers and to whoever is
    viewing it (``discussion.view``), each asked afresh whether they may still read the forum
    (a revoked enrollment hears nothing more). Best effort: who is not connected reads it from
    the thread."""

    def __init__(self, deps: CommunityDeps, realtime: RealtimePublisher) -> None:
        self._deps = deps
        self._realtime = realtime

    async def __call__(self, event: DomainEvent) -> None:
        assert isinstance(event, ReplyPosted)
        deps = self._deps
        viewers = await deps.viewers.viewers(event.thread_id, now=deps.clock.now())
        audience = [
            p for p in dict.fromkeys((*event.live_audience, *viewers)) if p != event.author_id
        ]
        if not audience:
            return
        async with deps.uow(read_only=True) as uow:
            course = await deps.catalog.course_facts(uow, event.course_id)
            if course is None:
                return
            readers = await deps.readers_among(uow, course, audience)
        if not readers:
            return
        await self._realtime.publish(
            readers,
            "discussion.reply_created",
            {
                "event_id": str(event.event_id),
                "discussion_id": str(event.thread_id),
                "reply_id": str(event.reply_id),
                "parent_id": None if event.parent_id is None else str(event.parent_id),
                "depth": event.depth,
                "author_id": str(event.author_id),
                "body_html": event.body_html,
                "created_at": event.occurred_at.isoformat(),
            },
        )


class ViewThread(_UseCase):
    """A reader has the thread on screen (the socket's ``{type: "discussion.view",
    discussion_id}``): its new replies reach them live for ``view_seconds``, renewed by asking
    again; whoever may not read the thread is refused as over HTTP."""

    async def __call__(self, actor: Actor, thread_id: UUID) -> int:
        deps = self._deps
        async with deps.uow(read_only=True) as uow:
            thread, access = await deps.thread_access(uow, actor, thread_id)
        seconds = deps.policy.view_seconds
        await deps.viewers.watch(
            thread.id, access.user_id, until=deps.clock.now() + timedelta(seconds=seconds)
        )
        return seconds


class LeaveThread(_UseCase):
    """The reader left the thread (``discussion.leave``): no more live replies from it."""

    async def __call__(self, actor: Actor, thread_id: UUID) -> None:
        await self._deps.viewers.leave(thread_id, require_signed_in(actor))


# ---- votes -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class VoteView:
    target_id: UUID
    vote_count: int
    voted: bool


class Vote(_UseCase):
    """One vote per person on a thread or a reply: voting again changes nothing, taking back a
    vote never cast changes nothing; counts are exact whatever arrives at once."""

    async def __call__(
        self, actor: Actor, target: VoteTarget, target_id: UUID, *, up: bool
    ) -> VoteView:
        deps = self._deps
        async with deps.uow() as uow:
            if target is VoteTarget.REPLY:
                _, _, access = await deps.reply_access(uow, actor, target_id)
            else:
                _, access = await deps.thread_access(uow, actor, target_id)
            votes = uow.forum.votes
            if up:
                count = await votes.cast(target, target_id, access.user_id)
            else:
                count = await votes.withdraw(target, target_id, access.user_id)
            await uow.commit()
        return VoteView(target_id, count, up)


# ---- answers and moderation ------------------------------------------------------------------
class AcceptAnswer(_UseCase):
    """The asker or the course's instructors (and staff) mark a reply as the answer to a
    question; the thread becomes answered and the reply's author is told."""

    async def __call__(self, actor: Actor, thread_id: UUID, reply_id: UUID) -> ThreadView:
        deps = self._deps
        async with deps.uow() as uow:
            thread, access = await deps.thread_access(uow, actor, thread_id, for_update=True)
            _require_author_or_moderator(thread.author_id, access)
            reply = await uow.forum.replies.get(reply_id)
            if reply is None:
                raise ReplyNotInThread()
            thread.accept(
                reply, by=access.user_id, event_id=deps.ids.new_id(), now=deps.clock.now()
            )
            await uow.commit()
        return await self._view(thread_id)


class ModerationAction(StrEnum):
    PIN = "pin"
    UNPIN = "unpin"
    LOCK = "lock"
    UNLOCK = "unlock"
    RESOLVE = "resolve"
    REOPEN = "reopen"


_MOVES: dict[ModerationAction, Callable[[Thread], None]] = {
    ModerationAction.PIN: Thread.pin,
    ModerationAction.UNPIN: Thread.unpin,
    ModerationAction.LOCK: Thread.lock,
    ModerationAction.UNLOCK: Thread.unlock,
    ModerationAction.RESOLVE: Thread.resolve,
    ModerationAction.REOPEN: Thread.reopen,
}


class ModerateThread(_UseCase):
    """The course's instructors and staff pin, lock, resolve a thread and undo it; resolving a
    resolved thread or reopening one that is not resolved answers 409."""

    async def __call__(self, actor: Actor, thread_id: UUID, action: ModerationAction) -> ThreadView:
        deps = self._deps
        async with deps.uow() as uow:
            thread, access = await deps.thread_access(uow, actor, thread_id, for_update=True)
            if not access.is_moderator:
                raise PermissionDenied("only the course's instructors and staff moderate its forum")
            _MOVES[action](thread)
            await uow.commit()
        return await self._view(thread_id)


@dataclass(frozen=True, slots=True)
class SubscriptionView:
    discussion_id: UUID
    subscribed: bool


class Follow(_UseCase):
    """Follow a thread (new replies are told, at most once an hour) or stop following it."""

    async def __call__(self, actor: Actor, thread_id: UUID, *, follow: bool) -> SubscriptionView:
        deps = self._deps
        async with deps.uow() as uow:
            _, access = await deps.thread_access(uow, actor, thread_id)
            if follow:
                await uow.forum.subscriptions.subscribe(thread_id, access.user_id, deps.clock.now())
            else:
                await uow.forum.subscriptions.unsubscribe(thread_id, access.user_id)
            await uow.commit()
        return SubscriptionView(thread_id, follow)


# ---- lesson comments -------------------------------------------------------------------------
class ListLessonComments(_UseCase):
    """The comments under a lesson, newest first, for whoever may use its course's forum."""

    async def __call__(
        self, actor: Actor, lesson_id: UUID, *, limit: int = 20, cursor: str | None = None
    ) -> Page[ThreadView]:
        deps = self._deps
        check_limit(limit)
        access = await _lesson_forum(deps, actor, lesson_id)
        filters = ThreadFilter(
            course_id=access.course.id,
            lesson_id=lesson_id,
            kinds=(ThreadKind.LESSON_COMMENT,),
            include_hidden=access.is_moderator,
        )
        return await page_of(
            deps.queries.threads(filters, ThreadSort.NEWEST, limit=limit, cursor=cursor)
        )


class CommentOnLesson(_UseCase):
    """A comment under a lesson: a thread of its own kind, replied to, voted on and moderated
    like any other."""

    async def __call__(self, actor: Actor, lesson_id: UUID, body: str) -> ThreadView:
        deps = self._deps
        access = await _lesson_forum(deps, actor, lesson_id)
        new = NewThread(ThreadKind.LESSON_COMMENT, "", body, lesson_id)
        return await _start(deps, actor, access, new)


async def _lesson_forum(deps: CommunityDeps, actor: Actor, lesson_id: UUID) -> ForumAccess:
    async with deps.uow(read_only=True) as uow:
        place = await deps.catalog.lesson_in_course(uow, lesson_id)
        if place is None:
            raise LessonNotFound()
        try:
            return await deps.forum_access(uow, actor, place.course.id)
        except CourseNotFound:
            raise LessonNotFound() from None
