"""Course forums: threads (discussions, questions and lesson comments), nested replies, edit
history, moderation and what readers are told.

Every post keeps its Markdown source and the sanitised HTML rendered from it (rendering is an
adapter's job; the domain only keeps both together). Vote and reply counters are kept by the
store with atomic increments, so the aggregates read them but never write them back.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from elearn.domain.shared.errors import Conflict, IllegalTransition, RuleViolation
from elearn.domain.shared.events import DomainEvent, RecordsEvents

MAX_REPLY_DEPTH = 5
# How long an author may still change what they wrote; moderators may at any time.
EDIT_WINDOW = timedelta(minutes=30)
# A subscriber hears of new replies in a thread at most this often.
NOTIFY_AT_MOST_EVERY = timedelta(hours=1)
MAX_TITLE = 200
MAX_BODY = 20_000
MAX_MENTIONS = 20

_MENTION = re.compile(
    r"(?<![\w@])@([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\b"
)


class ThreadKind(StrEnum):
    DISCUSSION = "discussion"
    QUESTION = "question"
    LESSON_COMMENT = "lesson_comment"


class ThreadStatus(StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
    RESOLVED = "resolved"


class ThreadLocked(Conflict):
    code = "thread-locked"

    def __init__(self) -> None:
        super().__init__("this thread is locked: it takes no new replies")


class EditWindowClosed(Conflict):
    code = "edit-window-closed"

    def __init__(self) -> None:
        super().__init__(
            f"authors may edit for {int(EDIT_WINDOW.total_seconds() // 60)} minutes after "
            "posting; ask a moderator"
        )


class NotAQuestion(RuleViolation):
    code = "not-a-question"

    def __init__(self) -> None:
        super().__init__("only a question has an accepted answer")


class ReplyNotInThread(RuleViolation):
    code = "reply-not-in-thread"

    def __init__(self, what: str = "the reply") -> None:
        super().__init__(f"{what} is not a visible reply of this thread")


class InvalidPost(RuleViolation):
    code = "invalid-post"


@dataclass(frozen=True, slots=True)
class PostBody:
    """What an author wrote (Markdown) and what readers are shown (sanitised HTML of it)."""

    source: str
    html: str

    def __post_init__(self) -> None:
        if not self.source.strip():
            raise InvalidPost("a post says something")
        if len(self.source) > MAX_BODY:
            raise InvalidPost(f"a post is at most {MAX_BODY} characters")


def clean_title(title: str) -> str:
    title = " ".join(title.split())
    if not title:
        raise InvalidPost("a thread has a title")
    if len(title) > MAX_TITLE:
        raise InvalidPost(f"a title is at most {MAX_TITLE} characters")
    return title


def mentioned_ids(source: str) -> list[UUID]:
    """The people a post mentions as ``@<their id>`` (what a front end inserts when the author
    picks someone), in order, each once, at most ``MAX_MENTIONS``."""
    found: list[UUID] = []
    for match in _MENTION.finditer(source):
        person = UUID(match.group(1))
        if person not in found:
            found.append(person)
        if len(found) == MAX_MENTIONS:
            break
    return found


# ``@name`` as people type it: a word (letters, digits, ``_ . -`` inside), or a whole display
# name in brackets, ``@[Ana Lima]``. A uuid is the other form, read by ``mentioned_ids``.
_NAMED_MENTION = re.compile(r"(?<![\w@])@(?:\[([^\]\n]{1,100})\]|(\w(?:[\w.-]{0,62}\w)?))")


def _folded(name: str) -> str:
    return " ".join(name.casefold().split())


def mentioned_names(source: str) -> list[str]:
    """The ``@name`` and ``@[Full Name]`` mentions of a post, folded (case and spaces), in
    order, each once, at most ``MAX_MENTIONS``. A uuid after ``@`` is an id, not a name."""
    found: list[str] = []
    for match in _NAMED_MENTION.finditer(source):
        bracketed, word = match.groups()
        name = _folded(bracketed if bracketed is not None else word)
        if not name or (word is not None and _MENTION.fullmatch("@" + word)):
            continue
        if name not in found:
            found.append(name)
        if len(found) == MAX_MENTIONS:
            break
    return found


def resolve_mentions(names: Sequence[str], people: Mapping[UUID, str]) -> list[UUID]:
    """Who each mentioned name means among ``people`` (id → display name): the one person
    whose whole name it is (``@[Ana Lima]``, ``@ana.lima``, ``@AnaLima``: case, spaces, dots,
    dashes and underscores aside), else the one whose first name it is (``@ana``). A name two
    people answer to equally is ambiguous and means nobody: a wrong person is never told."""
    whole: dict[str, list[UUID]] = {}
    first: dict[str, list[UUID]] = {}
    for person, display_name in people.items():
        folded = _folded(display_name)
        if not folded:
            continue
        whole.setdefault(_squeezed(folded), []).append(person)
        first.setdefault(_squeezed(folded.split(" ")[0]), []).append(person)
    found: list[UUID] = []
    for name in names:
        key = _squeezed(name)
        candidates = whole.get(key) or first.get(key) or []
        if len(candidates) == 1 and candidates[0] not in found:
            found.append(candidates[0])
    return found


def _squeezed(name: str) -> str:
    return "".join(char for char in name if char not in " ._-")


def may_edit(*, is_author: bool, is_moderator: bool, posted_at: datetime, now: datetime) -> bool:
    return is_moderator or (is_author and now - posted_at <= EDIT_WINDOW)


def notification_cutoff(now: datetime) -> datetime:
    """A subscriber last told of this thread at or before this instant may be told again."""
    return now - NOTIFY_AT_MOST_EVERY


# ---- replies in a tree -----------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ReplyPlace:
    """Where a reply sits: its parent (None at the top) and its depth (1 at the top)."""

    parent_id: UUID | None
    depth: int


def place_under(parent: Reply | None) -> ReplyPlace:
    """Where a reply to ``parent`` goes: under it, or, when it is already as deep as replies
    go, beside it (under its own parent), so the tree never grows past ``MAX_REPLY_DEPTH``."""
    if parent is None:
        return ReplyPlace(None, 1)
    if parent.depth < MAX_REPLY_DEPTH:
        return ReplyPlace(parent.id, parent.depth + 1)
    return ReplyPlace(parent.parent_id, parent.depth)


# ---- events ----------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, kw_only=True)
class ThreadStarted(DomainEvent):
    event_type = "community.thread_started"
    thread_id: UUID
    course_id: UUID
    lesson_id: UUID | None
    kind: str
    author_id: UUID
    mentioned_ids: tuple[UUID, ...] = ()


@dataclasses.dataclass(frozen=True, kw_only=True)
class ReplyPosted(DomainEvent):
    """A new reply. ``mentioned_ids``: readers of the thread the reply mentions;
    ``notify_ids``: subscribers due a notification (at most one per thread per hour each; the
    mentioned and the author left out); ``live_audience``: every subscriber but the author, to
    whom the reply is pushed live."""

    event_type = "community.reply_posted"
    thread_id: UUID
    reply_id: UUID
    course_id: UUID
    parent_id: UUID | None
    depth: int
    author_id: UUID
    title: str
    body_html: str
    mentioned_ids: tuple[UUID, ...] = ()
    notify_ids: tuple[UUID, ...] = ()
    live_audience: tuple[UUID, ...] = ()


@dataclasses.dataclass(frozen=True, kw_only=True)
class AnswerAccepted(DomainEvent):
    """The asker (or an instructor) marked a reply as the answer: its author is to be told,
    and the asker when someone else marked it."""

    event_type = "community.answer_accepted"
    thread_id: UUID
    reply_id: UUID
    course_id: UUID
    accepted_by: UUID
    asker_id: UUID
    answerer_id: UUID


@dataclasses.dataclass(frozen=True, kw_only=True)
class ContentReported(DomainEvent):
    event_type = "community.content_reported"
    report_id: UUID
    course_id: UUID
    target_type: str
    target_id: UUID


# ---- aggregates ------------------------------------------------------------------------------
@dataclass(kw_only=True, eq=False)
class Reply(RecordsEvents):
    id: UUID
    thread_id: UUID
    parent_id: UUID | None
    depth: int
    author_id: UUID
    body: PostBody
    created_at: datetime
    edited_at: datetime | None = None
    hidden: bool = False
    vote_count: int = 0

    def __post_init__(self) -> None:
        if not 1 <= self.depth <= MAX_REPLY_DEPTH:
            raise ValueError(f"a reply sits at depth 1 to {MAX_REPLY_DEPTH}")

    def edit(self, editor_id: UUID, body: PostBody, *, is_moderator: bool, now: datetime) -> Edit:
        if not may_edit(
            is_author=editor_id == self.author_id,
            is_moderator=is_moderator,
            posted_at=self.created_at,
            now=now,
        ):
            raise EditWindowClosed()
        previous = Edit(
            thread_id=self.thread_id,
            reply_id=self.id,
            editor_id=editor_id,
            edited_at=now,
            previous_title=None,
            previous_source=self.body.source,
        )
        self.body = body
        self.edited_at = now
        return previous


@dataclass(frozen=True, slots=True, kw_only=True)
class Edit:
    """One change to a post: who made it, when, and what the post said before."""

    thread_id: UUID
    reply_id: UUID | None
    editor_id: UUID
    edited_at: datetime
    previous_title: str | None
    previous_source: str


@dataclass(kw_only=True, eq=False)
class Thread(RecordsEvents):
    id: UUID
    course_id: UUID
    lesson_id: UUID | None
    kind: ThreadKind
    author_id: UUID
    title: str
    body: PostBody
    created_at: datetime
    last_activity_at: datetime
    status: ThreadStatus = ThreadStatus.OPEN
    pinned: bool = False
    locked: bool = False
    hidden: bool = False
    deleted_at: datetime | None = None
    accepted_reply_id: UUID | None = None
    edited_at: datetime | None = None
    reply_count: int = 0
    vote_count: int = 0

    @classmethod
    def start(
        cls,
        *,
        thread_id: UUID,
        event_id: UUID,
        course_id: UUID,
        lesson_id: UUID | None,
        kind: ThreadKind,
        author_id: UUID,
        title: str,
        body: PostBody,
        mentioned: tuple[UUID, ...],
        now: datetime,
    ) -> Thread:
        if kind is ThreadKind.LESSON_COMMENT:
            if lesson_id is None:
                raise InvalidPost("a lesson comment belongs to a lesson")
            title = " ".join(title.split())[:MAX_TITLE]
        else:
            title = clean_title(title)
        thread = cls(
            id=thread_id,
            course_id=course_id,
            lesson_id=lesson_id,
            kind=kind,
            author_id=author_id,
            title=title,
            body=body,
            created_at=now,
            last_activity_at=now,
        )
        thread.record(
            ThreadStarted(
                event_id=event_id,
                occurred_at=now,
                thread_id=thread_id,
                course_id=course_id,
                lesson_id=lesson_id,
                kind=kind.value,
                author_id=author_id,
                mentioned_ids=mentioned,
            )
        )
        return thread

    @property
    def is_question(self) -> bool:
        return self.kind is ThreadKind.QUESTION

    def edit(
        self,
        editor_id: UUID,
        *,
        title: str | None,
        body: PostBody | None,
        is_moderator: bool,
        now: datetime,
    ) -> Edit:
        if not may_edit(
            is_author=editor_id == self.author_id,
            is_moderator=is_moderator,
            posted_at=self.created_at,
            now=now,
        ):
            raise EditWindowClosed()
        previous = Edit(
            thread_id=self.id,
            reply_id=None,
            editor_id=editor_id,
            edited_at=now,
            previous_title=self.title,
            previous_source=self.body.source,
        )
        if title is not None and self.kind is not ThreadKind.LESSON_COMMENT:
            self.title = clean_title(title)
        if body is not None:
            self.body = body
        self.edited_at = now
        return previous

    def delete(self, now: datetime) -> None:
        self.deleted_at = now

    def require_open_to_replies(self) -> None:
        if self.locked:
            raise ThreadLocked()

    def reply(
        self,
        *,
        reply_id: UUID,
        event_id: UUID,
        parent: Reply | None,
        author_id: UUID,
        body: PostBody,
        mentioned: tuple[UUID, ...],
        notify: tuple[UUID, ...],
        live_audience: tuple[UUID, ...],
        now: datetime,
    ) -> Reply:
        self.require_open_to_replies()
        if parent is not None and (parent.thread_id != self.id or parent.hidden):
            raise ReplyNotInThread("the parent")
        place = place_under(parent)
        # Never before its parent, whatever the clocks of the processes that wrote them say.
        created_at = now if parent is None else max(now, parent.created_at)
        reply = Reply(
            id=reply_id,
            thread_id=self.id,
            parent_id=place.parent_id,
            depth=place.depth,
            author_id=author_id,
            body=body,
            created_at=created_at,
        )
        self.last_activity_at = now
        self.record(
            ReplyPosted(
                event_id=event_id,
                occurred_at=now,
                thread_id=self.id,
                reply_id=reply_id,
                course_id=self.course_id,
                parent_id=place.parent_id,
                depth=place.depth,
                author_id=author_id,
                title=self.title,
                body_html=body.html,
                mentioned_ids=mentioned,
                notify_ids=notify,
                live_audience=live_audience,
            )
        )
        return reply

    def accept(self, reply: Reply, *, by: UUID, event_id: UUID, now: datetime) -> None:
        if not self.is_question:
            raise NotAQuestion()
        if reply.thread_id != self.id or reply.hidden:
            raise ReplyNotInThread()
        if self.status is ThreadStatus.RESOLVED:
            raise IllegalTransition("thread", self.status.value, "accept an answer of")
        self.accepted_reply_id = reply.id
        self.status = ThreadStatus.ANSWERED
        self.last_activity_at = now
        self.record(
            AnswerAccepted(
                event_id=event_id,
                occurred_at=now,
                thread_id=self.id,
                reply_id=reply.id,
                course_id=self.course_id,
                accepted_by=by,
                asker_id=self.author_id,
                answerer_id=reply.author_id,
            )
        )

    # ---- moderation ---------------------------------------------------------------------------
    def pin(self) -> None:
        self.pinned = True

    def unpin(self) -> None:
        self.pinned = False

    def lock(self) -> None:
        self.locked = True

    def unlock(self) -> None:
        self.locked = False

    def resolve(self) -> None:
        if self.status is ThreadStatus.RESOLVED:
            raise IllegalTransition("thread", self.status.value, "resolve")
        self.status = ThreadStatus.RESOLVED

    def reopen(self) -> None:
        if self.status is not ThreadStatus.RESOLVED:
            raise IllegalTransition("thread", self.status.value, "reopen")
        self.status = (
            ThreadStatus.ANSWERED if self.accepted_reply_id is not None else ThreadStatus.OPEN
        )


# ---- reports ---------------------------------------------------------------------------------
class ReportTarget(StrEnum):
    DISCUSSION = "discussion"
    REPLY = "reply"


class ReportStatus(StrEnum):
    OPEN = "open"
    HIDDEN = "hidden"
    DISMISSED = "dismissed"


class ReportAction(StrEnum):
    HIDE = "hide"
    DISMISS = "dismiss"


@dataclass(kw_only=True, eq=False)
class ContentReport(RecordsEvents):
    id: UUID
    course_id: UUID
    thread_id: UUID
    target_type: ReportTarget
    target_id: UUID
    reporter_id: UUID
    reason: str
    created_at: datetime
    status: ReportStatus = ReportStatus.OPEN
    resolved_by: UUID | None = None
    resolved_at: datetime | None = None

    @classmethod
    def file(
        cls,
        *,
        report_id: UUID,
        event_id: UUID,
        course_id: UUID,
        thread_id: UUID,
        target_type: ReportTarget,
        target_id: UUID,
        reporter_id: UUID,
        reason: str,
        now: datetime,
    ) -> ContentReport:
        reason = reason.strip()
        if not reason:
            raise InvalidPost("say what is wrong with the post")
        report = cls(
            id=report_id,
            course_id=course_id,
            thread_id=thread_id,
            target_type=target_type,
            target_id=target_id,
            reporter_id=reporter_id,
            reason=reason,
            created_at=now,
        )
        report.record(
            ContentReported(
                event_id=event_id,
                occurred_at=now,
                report_id=report_id,
                course_id=course_id,
                target_type=target_type.value,
                target_id=target_id,
            )
        )
        return report

    def resolve(self, action: ReportAction, *, by: UUID, now: datetime) -> None:
        if self.status is not ReportStatus.OPEN:
            raise IllegalTransition("report", self.status.value, "resolve")
        self.status = ReportStatus.HIDDEN if action is ReportAction.HIDE else ReportStatus.DISMISSED
        self.resolved_by = by
        self.resolved_at = now
