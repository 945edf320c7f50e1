"""What community use cases need: the forum's stores and read side, a Markdown renderer, and
a posting limit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol
from uuid import UUID

from elearn.application.paging import Page
from elearn.application.ports import Transaction
from elearn.domain.community.forum import (
    ContentReport,
    Edit,
    Reply,
    ReportStatus,
    ReportTarget,
    Thread,
    ThreadKind,
    ThreadStatus,
)


class MarkdownRenderer(Protocol):
    def render(self, source: str) -> str:
        """Sanitised HTML of Markdown: no raw HTML, scripts, event attributes or
        ``javascript:`` links survive."""
        ...


class PostingLimiter(Protocol):
    async def hit(self, key: str, *, limit: int, window_seconds: int) -> int | None:
        """Counts one post; the seconds to wait when over ``limit`` in the window."""
        ...


class ThreadViewers(Protocol):
    """Who has a thread on screen now (the socket's ``discussion.view``), to push its new
    replies to them."""

    async def watch(self, thread_id: UUID, person: UUID, *, until: datetime) -> None:
        """The person views the thread until ``until`` (a later watch renews it)."""
        ...

    async def leave(self, thread_id: UUID, person: UUID) -> None: ...

    async def viewers(self, thread_id: UUID, *, now: datetime) -> set[UUID]:
        """Those whose watch has not ended at ``now``."""
        ...


class ThreadRepository(Protocol):
    async def add(self, thread: Thread) -> None: ...

    async def get(self, thread_id: UUID, *, for_update: bool = False) -> Thread | None: ...

    async def count_reply(self, thread_id: UUID) -> None:
        """One more reply, counted in the database (replies posted at once all count)."""
        ...


class ReplyRepository(Protocol):
    async def add(self, reply: Reply) -> None: ...

    async def get(self, reply_id: UUID, *, for_update: bool = False) -> Reply | None: ...

    async def authors_in(self, thread_id: UUID, *, limit: int) -> list[UUID]:
        """Who replied in the thread, each once (at most ``limit``)."""
        ...


class VoteTarget(StrEnum):
    DISCUSSION = "discussion"
    REPLY = "reply"


class VoteStore(Protocol):
    async def cast(self, target: VoteTarget, target_id: UUID, voter: UUID) -> int:
        """Records the voter's vote unless it stands already; the post's count after."""
        ...

    async def withdraw(self, target: VoteTarget, target_id: UUID, voter: UUID) -> int:
        """Takes the voter's vote back if it stands; the post's count after."""
        ...

    async def voted(self, target: VoteTarget, target_ids: Sequence[UUID], voter: UUID) -> set[UUID]:
        """Which of the posts the voter's vote stands on."""
        ...


class SubscriptionStore(Protocol):
    async def subscribe(self, thread_id: UUID, user_id: UUID, now: datetime) -> None: ...

    async def unsubscribe(self, thread_id: UUID, user_id: UUID) -> None: ...

    async def is_subscribed(self, thread_id: UUID, user_id: UUID) -> bool: ...

    async def subscribers(self, thread_id: UUID) -> list[UUID]: ...

    async def claim_notifications(
        self, thread_id: UUID, people: Sequence[UUID], *, cutoff: datetime, now: datetime
    ) -> list[UUID]:
        """Of ``people`` (subscribers), those last told of this thread at or before ``cutoff``
        (or never), marked as told ``now`` in the same statement: two replies posted at once
        never both notify one person."""
        ...


class EditHistory(Protocol):
    async def add(self, edit: Edit, edit_id: UUID) -> None: ...


class ReportRepository(Protocol):
    async def add(self, report: ContentReport) -> None: ...

    async def get(self, report_id: UUID, *, for_update: bool = False) -> ContentReport | None: ...

    async def open_report_by(
        self, reporter_id: UUID, target_type: ReportTarget, target_id: UUID
    ) -> ContentReport | None: ...


class ForumStore(Protocol):
    threads: ThreadRepository
    replies: ReplyRepository
    votes: VoteStore
    subscriptions: SubscriptionStore
    edits: EditHistory
    reports: ReportRepository


class CommunityUnitOfWork(Transaction, Protocol):
    """The community context's unit of work: its own stores and nothing else."""

    forum: ForumStore


# ---- read side -------------------------------------------------------------------------------
class ThreadSort(StrEnum):
    ACTIVITY = "activity"
    NEWEST = "newest"
    VOTES = "votes"
    UNANSWERED = "unanswered"


@dataclass(frozen=True, slots=True)
class ThreadFilter:
    course_id: UUID | None = None
    lesson_id: UUID | None = None
    kinds: tuple[ThreadKind, ...] = (ThreadKind.DISCUSSION, ThreadKind.QUESTION)
    status: ThreadStatus | None = None
    q: str | None = None
    include_hidden: bool = False


@dataclass(frozen=True, slots=True)
class ThreadView:
    id: UUID
    course_id: UUID
    lesson_id: UUID | None
    kind: ThreadKind
    status: ThreadStatus
    title: str
    body: str
    body_html: str
    author_id: UUID
    author_name: str
    created_at: datetime
    last_activity_at: datetime
    edited_at: datetime | None
    pinned: bool
    locked: bool
    hidden: bool
    accepted_reply_id: UUID | None
    reply_count: int
    vote_count: int


@dataclass(frozen=True, slots=True)
class ReplyView:
    id: UUID
    thread_id: UUID
    parent_id: UUID | None
    depth: int
    body: str
    body_html: str
    author_id: UUID
    author_name: str
    created_at: datetime
    edited_at: datetime | None
    hidden: bool
    vote_count: int
    accepted: bool = False
    voted: bool = False


@dataclass(frozen=True, slots=True)
class ThreadDetail:
    thread: ThreadView
    replies: Page[ReplyView]
    # The reader's own: whether their vote on the thread stands, whether they follow it.
    voted: bool
    subscribed: bool


@dataclass(frozen=True, slots=True)
class EditView:
    editor_id: UUID
    edited_at: datetime
    reply_id: UUID | None
    previous_title: str | None
    previous_body: str


@dataclass(frozen=True, slots=True)
class ContentReportView:
    id: UUID
    course_id: UUID
    thread_id: UUID
    target_type: ReportTarget
    target_id: UUID
    reporter_id: UUID
    reason: str
    status: ReportStatus
    created_at: datetime
    resolved_by: UUID | None
    resolved_at: datetime | None

    @classmethod
    def of(cls, report: ContentReport) -> ContentReportView:
        return cls(
            id=report.id,
            course_id=report.course_id,
            thread_id=report.thread_id,
            target_type=report.target_type,
            target_id=report.target_id,
            reporter_id=report.reporter_id,
            reason=report.reason,
            status=report.status,
            created_at=report.created_at,
            resolved_by=report.resolved_by,
            resolved_at=report.resolved_at,
        )


class ForumQueries(Protocol):
    async def threads(
        self, filters: ThreadFilter, sort: ThreadSort, *, limit: int, cursor: str | None
    ) -> Page[ThreadView]: ...

    async def thread(self, thread_id: UUID) -> ThreadView | None: ...

    async def replies(
        self,
        thread_id: UUID,
        *,
        include_hidden: bool,
        limit: int,
        cursor: str | None,
        only: UUID | None = None,
    ) -> Page[ReplyView]:
        """Oldest first, so every reply comes after its parent (``only``: that one reply)."""
        ...

    async def edits(self, thread_id: UUID, *, limit: int, cursor: str | None) -> Page[EditView]: ...

    async def reports(
        self, status: ReportStatus | None, *, limit: int, cursor: str | None
    ) -> Page[ContentReportView]: ...


@dataclass(frozen=True, slots=True)
class CommunityPolicy:
    # Threads, replies and comments one person may post per window.
    posts_per_window: int = 30
    post_window_seconds: int = 600
    # How long one ``discussion.view`` lasts: a client viewing a thread renews it sooner.
    view_seconds: int = 60
