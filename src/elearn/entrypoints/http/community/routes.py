"""/api/v1 community routes: a course's discussions and questions, replies, votes, accepted
answers, moderation, following, content reports and lesson comments.

Handlers only translate; who may read, post or moderate a course's forum is decided by the use
cases, against the course (its students, instructors and staff).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated
from uuid import UUID

import msgspec
from litestar import Controller, delete, get, patch, post
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.types import ControllerRouterHandler

from elearn.application.community.forums import (
    ModerationAction,
    NewThread,
    SubscriptionView,
    ThreadChanges,
    ThreadQuery,
    VoteView,
)
from elearn.application.community.moderation import NewReport
from elearn.application.community.ports import (
    ContentReportView,
    EditView,
    ReplyView,
    ThreadDetail,
    ThreadSort,
    ThreadView,
    VoteTarget,
)
from elearn.application.paging import Page
from elearn.domain.community.forum import (
    MAX_BODY,
    MAX_TITLE,
    ReportAction,
    ReportStatus,
    ReportTarget,
    ThreadKind,
    ThreadStatus,
)
from elearn.entrypoints.community import Community
from elearn.entrypoints.http.auth import CurrentActor, signed_in
from elearn.entrypoints.http.bodies import RequestBody
from elearn.entrypoints.http.identity.admin_routes import Cursor, Limit
from elearn.entrypoints.http.problem_codes import problems

# PostgreSQL text cannot hold NUL: the schema says so, rather than the body check alone.
_NO_NUL = "^[^\\x00]*$"
Title = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_TITLE, pattern=_NO_NUL)]
Markdown = Annotated[
    str,
    msgspec.Meta(min_length=1, max_length=MAX_BODY, pattern=_NO_NUL, description="Markdown source"),
]


class DiscussionKind(StrEnum):
    DISCUSSION = "discussion"
    QUESTION = "question"


class NewDiscussionBody(RequestBody):
    title: Title
    body: Markdown
    kind: DiscussionKind = DiscussionKind.DISCUSSION
    # One of the course's lessons the thread is about.
    lesson_id: UUID | None = None


class DiscussionChangesBody(RequestBody):
    title: Title | None = None
    body: Markdown | None = None


class ReplyBody(RequestBody):
    body: Markdown
    # The reply answered; a reply at the deepest level (5) gets the new one beside it.
    parent_id: UUID | None = None


class ReplyChangesBody(RequestBody):
    body: Markdown


class AcceptBody(RequestBody):
    reply_id: UUID


class CommentBody(RequestBody):
    body: Markdown


class ReportBody(RequestBody):
    target_type: ReportTarget
    target_id: UUID
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=2000, pattern=_NO_NUL)]


class ResolveReportBody(RequestBody):
    action: ReportAction


_READ = ("discussion-not-found",)
_POST = ("discussion-not-found", "invalid-post", "rate-limited")


class DiscussionsController(Controller):
    path = "/"
    tags = ["community"]
    guards = [signed_in]

    @problems("course-not-found")
    @get(
        "/courses/{course_key:str}/discussions",
        operation_id="list_discussions",
        summary="A course's discussions",
    )
    async def list_discussions(
        self,
        course_key: FromPath[str],
        actor: CurrentActor,
        community: Community,
        kind: FromQuery[DiscussionKind | None] = None,
        status: FromQuery[ThreadStatus | None] = None,
        lesson_id: FromQuery[UUID | None] = None,
        q: Annotated[str | None, QueryParameter(max_length=200, description="search words")] = None,
        sort: FromQuery[ThreadSort] = ThreadSort.ACTIVITY,
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> Page[ThreadView]:
        """For the course's students (active or completed), instructors and staff; pinned
        threads first, then by `sort` (`activity`: latest reply first, `newest`, `votes`,
        `unanswered`: open threads without replies, then open ones). `q` searches titles and
        bodies. Hidden threads show only to the course's instructors and staff."""
        query = ThreadQuery(
            kind=None if kind is None else ThreadKind(kind.value),
            status=status,
            lesson_id=lesson_id,
            q=q,
            sort=sort,
        )
        return await community.list_threads(actor, course_key, query, limit=limit, cursor=cursor)

    @problems("course-not-found", "invalid-post", "lesson-not-in-course", "rate-limited")
    @post(
        "/courses/{course_key:str}/discussions",
        operation_id="start_discussion",
        summary="Start a discussion or ask a question",
        status_code=201,
    )
    async def start(
        self,
        course_key: FromPath[str],
        actor: CurrentActor,
        community: Community,
        data: JSONBody[NewDiscussionBody],
    ) -> ThreadView:
        """The body is Markdown, answered also as sanitised HTML (`body_html`). `@<user id>`
        mentions people who can read the forum. You follow your own threads."""
        new = NewThread(ThreadKind(data.kind.value), data.title, data.body, data.lesson_id)
        return await community.start_thread(actor, course_key, new)

    @problems(*_READ)
    @get(
        "/discussions/{discussion_id:uuid}",
        operation_id="get_discussion",
        summary="A discussion with its first replies",
    )
    async def show(
        self, discussion_id: FromPath[UUID], actor: CurrentActor, community: Community
    ) -> ThreadDetail:
        """With the first 50 replies oldest first (each after its parent, `depth` 1 to 5);
        `GET …/replies` pages on."""
        return await community.get_thread(actor, discussion_id)

    @problems("discussion-not-found", "edit-window-closed", "invalid-post")
    @patch(
        "/discussions/{discussion_id:uuid}",
        operation_id="edit_discussion",
        summary="Edit a discussion",
    )
    async def edit(
        self,
        discussion_id: FromPath[UUID],
        actor: CurrentActor,
        community: Community,
        data: JSONBody[DiscussionChangesBody],
    ) -> ThreadView:
        """Its author within 30 minutes of posting (then 409 `edit-window-closed`), the
        course's instructors and staff at any time. What it said before is in `…/edits`."""
        changes = ThreadChanges(title=data.title, body=data.body)
        return await community.edit_thread(actor, discussion_id, changes)

    @problems(*_READ)
    @delete(
        "/discussions/{discussion_id:uuid}",
        operation_id="delete_discussion",
        summary="Delete a discussion",
    )
    async def remove(
        self, discussion_id: FromPath[UUID], actor: CurrentActor, community: Community
    ) -> None:
        """Its author, the course's instructors and staff."""
        await community.delete_thread(actor, discussion_id)

    @problems(*_READ)
    @get(
        "/discussions/{discussion_id:uuid}/edits",
        operation_id="list_discussion_edits",
        summary="A discussion's edit history",
    )
    async def edits(
        self,
        discussion_id: FromPath[UUID],
        actor: CurrentActor,
        community: Community,
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> Page[EditView]:
        """What the thread and its replies said before each edit, newest first."""
        return await community.list_edits(actor, discussion_id, limit=limit, cursor=cursor)

    @problems(*_READ)
    @get(
        "/discussions/{discussion_id:uuid}/replies",
        operation_id="list_replies",
        summary="A discussion's replies",
    )
    async def replies(
        self,
        discussion_id: FromPath[UUID],
        actor: CurrentActor,
        community: Community,
        limit: Annotated[int, QueryParameter(ge=1, le=100, description="page size")] = 50,
        cursor: Cursor = None,
    ) -> Page[ReplyView]:
        """Oldest first, each reply after its parent."""
        return await community.list_replies(actor, discussion_id, limit=limit, cursor=cursor)

    @problems(*_POST, "thread-locked", "reply-not-in-thread")
    @post(
        "/discussions/{discussion_id:uuid}/replies",
        operation_id="post_reply",
        summary="Reply",
        status_code=201,
    )
    async def reply(
        self,
        discussion_id: FromPath[UUID],
        actor: CurrentActor,
        community: Community,
        data: JSONBody[ReplyBody],
    ) -> ReplyView:
        """To the thread or to one of its replies (`parent_id`); replies nest five deep. A
        locked thread answers 409 `thread-locked`. Subscribers are told (at most once an hour
        each) and see it live (`discussion.reply_created`)."""
        return await community.post_reply(actor, discussion_id, data.body, data.parent_id)

    @problems(*_READ)
    @post(
        "/discussions/{discussion_id:uuid}/vote",
        operation_id="vote_for_discussion",
        summary="Vote for a discussion",
        status_code=200,
    )
    async def vote(
        self, discussion_id: FromPath[UUID], actor: CurrentActor, community: Community
    ) -> VoteView:
        """One vote per person: voting again changes nothing."""
        return await community.vote(actor, VoteTarget.DISCUSSION, discussion_id, up=True)

    @problems(*_READ)
    @delete(
        "/discussions/{discussion_id:uuid}/vote",
        operation_id="withdraw_discussion_vote",
        summary="Take back a vote for a discussion",
        status_code=200,
    )
    async def unvote(
        self, discussion_id: FromPath[UUID], actor: CurrentActor, community: Community
    ) -> VoteView:
        return await community.vote(actor, VoteTarget.DISCUSSION, discussion_id, up=False)

    @problems("discussion-not-found", "not-a-question", "reply-not-in-thread", "illegal-transition")
    @post(
        "/discussions/{discussion_id:uuid}/accept",
        operation_id="accept_answer",
        summary="Accept an answer",
        status_code=200,
    )
    async def accept(
        self,
        discussion_id: FromPath[UUID],
        actor: CurrentActor,
        community: Community,
        data: JSONBody[AcceptBody],
    ) -> ThreadView:
        """The asker, the course's instructors or staff mark a reply of a question as its
        answer; the thread becomes `answered` (422 `not-a-question` for a discussion)."""
        return await community.accept_answer(actor, discussion_id, data.reply_id)

    @problems(*_READ)
    @post(
        "/discussions/{discussion_id:uuid}/subscribe",
        operation_id="subscribe_to_discussion",
        summary="Follow a discussion",
        status_code=200,
    )
    async def subscribe(
        self, discussion_id: FromPath[UUID], actor: CurrentActor, community: Community
    ) -> SubscriptionView:
        """New replies are notified, at most once an hour per discussion."""
        return await community.follow(actor, discussion_id, follow=True)

    @problems(*_READ)
    @post(
        "/discussions/{discussion_id:uuid}/unsubscribe",
        operation_id="unsubscribe_from_discussion",
        summary="Stop following a discussion",
        status_code=200,
    )
    async def unsubscribe(
        self, discussion_id: FromPath[UUID], actor: CurrentActor, community: Community
    ) -> SubscriptionView:
        return await community.follow(actor, discussion_id, follow=False)

    @problems("reply-not-found", "edit-window-closed", "invalid-post")
    @patch("/replies/{reply_id:uuid}", operation_id="edit_reply", summary="Edit a reply")
    async def edit_reply(
        self,
        reply_id: FromPath[UUID],
        actor: CurrentActor,
        community: Community,
        data: JSONBody[ReplyChangesBody],
    ) -> ReplyView:
        """Its author within 30 minutes of posting, the course's instructors and staff at any
        time; the discussion's `…/edits` keeps what it said before."""
        return await community.edit_reply(actor, reply_id, data.body)

    @problems("reply-not-found")
    @post(
        "/replies/{reply_id:uuid}/vote",
        operation_id="vote_for_reply",
        summary="Vote for a reply",
        status_code=200,
    )
    async def vote_reply(
        self, reply_id: FromPath[UUID], actor: CurrentActor, community: Community
    ) -> VoteView:
        """One vote per person: voting again changes nothing."""
        return await community.vote(actor, VoteTarget.REPLY, reply_id, up=True)

    @problems("reply-not-found")
    @delete(
        "/replies/{reply_id:uuid}/vote",
        operation_id="withdraw_reply_vote",
        summary="Take back a vote for a reply",
        status_code=200,
    )
    async def unvote_reply(
        self, reply_id: FromPath[UUID], actor: CurrentActor, community: Community
    ) -> VoteView:
        return await community.vote(actor, VoteTarget.REPLY, reply_id, up=False)

    @problems("discussion-not-found", "reply-not-found", "already-reported", "invalid-post")
    @post(
        "/content-reports",
        operation_id="report_content",
        summary="Report a post",
        status_code=201,
    )
    async def report(
        self, actor: CurrentActor, community: Community, data: JSONBody[ReportBody]
    ) -> ContentReportView:
        """A discussion or reply you can read, once while the report is open (409
        `already-reported`); staff decide."""
        return await community.report(
            actor, NewReport(data.target_type, data.target_id, data.reason)
        )

    @problems("lesson-not-found")
    @get(
        "/lessons/{lesson_id:uuid}/comments",
        operation_id="list_lesson_comments",
        summary="Comments under a lesson",
    )
    async def lesson_comments(
        self,
        lesson_id: FromPath[UUID],
        actor: CurrentActor,
        community: Community,
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> Page[ThreadView]:
        """Newest first (pinned ones before); each is a discussion of kind `lesson_comment`,
        replied to, voted on and moderated through `/discussions/{id}`."""
        return await community.lesson_comments(actor, lesson_id, limit=limit, cursor=cursor)

    @problems("lesson-not-found", "invalid-post", "rate-limited")
    @post(
        "/lessons/{lesson_id:uuid}/comments",
        operation_id="comment_on_lesson",
        summary="Comment on a lesson",
        status_code=201,
    )
    async def comment(
        self,
        lesson_id: FromPath[UUID],
        actor: CurrentActor,
        community: Community,
        data: JSONBody[CommentBody],
    ) -> ThreadView:
        """For the course's students, instructors and staff; Markdown like every post."""
        return await community.comment_on_lesson(actor, lesson_id, data.body)


class ContentReportsAdminController(Controller):
    path = "/admin/content-reports"
    tags = ["community"]
    guards = [signed_in]

    @get("", operation_id="list_content_reports", summary="Reports to decide")
    async def list_reports(
        self,
        actor: CurrentActor,
        community: Community,
        status: FromQuery[ReportStatus | None] = ReportStatus.OPEN,
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> Page[ContentReportView]:
        """Staff; newest first, open ones unless `status` says otherwise."""
        return await community.list_reports(actor, status, limit=limit, cursor=cursor)

    @problems("report-not-found", "illegal-transition")
    @post(
        "/{content_report_id:uuid}/resolve",
        operation_id="resolve_content_report",
        summary="Hide the post or dismiss the report",
        status_code=200,
    )
    async def resolve(
        self,
        content_report_id: FromPath[UUID],
        actor: CurrentActor,
        community: Community,
        data: JSONBody[ResolveReportBody],
    ) -> ContentReportView:
        """Staff: `hide` makes the post vanish for everyone but the course's instructors and
        staff; `dismiss` leaves it. A report is resolved once (409)."""
        return await community.resolve_report(actor, content_report_id, data.action)


def _moderation_route(action: ModerationAction, summary: str, effect: str) -> HTTPRouteHandler:
    @problems("discussion-not-found", "illegal-transition")
    @post(
        f"/discussions/{{discussion_id:uuid}}/{action.value}",
        operation_id=f"{action.value}_discussion",
        summary=summary,
        description=f"The course's instructors and staff: {effect}",
        status_code=200,
        guards=[signed_in],
        tags=["community"],
    )
    async def moderate(
        discussion_id: FromPath[UUID], actor: CurrentActor, community: Community
    ) -> ThreadView:
        return await community.moderate(actor, discussion_id, action)

    return moderate


MODERATION_ROUTES = [
    _moderation_route(ModerationAction.PIN, "Pin a discussion", "it is listed first."),
    _moderation_route(ModerationAction.UNPIN, "Unpin a discussion", "it is listed in order."),
    _moderation_route(ModerationAction.LOCK, "Lock a discussion", "it takes no new replies (409)."),
    _moderation_route(ModerationAction.UNLOCK, "Unlock a discussion", "it takes replies again."),
    _moderation_route(
        ModerationAction.RESOLVE,
        "Resolve a discussion",
        "it is `resolved` (409 when it already is).",
    ),
    _moderation_route(
        ModerationAction.REOPEN,
        "Reopen a discussion",
        "a resolved thread is open again, or answered if it has an accepted answer.",
    ),
]

COMMUNITY_CONTROLLERS: list[ControllerRouterHandler] = [
    DiscussionsController,
    ContentReportsAdminController,
    *MODERATION_ROUTES,
]
