"""/api/v1/conversations: two people who may talk write to each other; and
/api/v1/admin/conversation-reports: what people reported, for staff."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import msgspec
from litestar import Controller, delete, get, patch, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, JSONBody, QueryParameter
from litestar.response import Stream

from elearn.application.communication.conversation_ports import (
    AttachmentView,
    ConversationView,
    MessageView,
    ReportView,
)
from elearn.application.communication.conversations import MAX_REPORT_REASON, StartConversation
from elearn.application.files import DEFAULT_UPLOAD_POLICIES, UploadPurpose
from elearn.application.paging import Page
from elearn.domain.communication.conversations import MAX_ATTACHMENTS, MAX_BODY_LENGTH
from elearn.entrypoints.conversations import Conversations
from elearn.entrypoints.http.auth import CurrentActor, signed_in
from elearn.entrypoints.http.billing.routes import IdempotencyKey
from elearn.entrypoints.http.bodies import RequestBody, upload_of
from elearn.entrypoints.http.catalog.routes import FileForm
from elearn.entrypoints.http.docs import binary
from elearn.entrypoints.http.downloads import private_download
from elearn.entrypoints.http.identity.admin_routes import Cursor, Limit
from elearn.entrypoints.http.problem_codes import problems

# PostgreSQL text cannot hold NUL (the API refuses it in any body): the schema says so.
NO_NUL = r"^[^\x00]*$"
MessageText = Annotated[
    str,
    msgspec.Meta(
        max_length=MAX_BODY_LENGTH,
        pattern=NO_NUL,
        description="Plain text, shown as text (never rendered as HTML).",
        examples=["Hello! Could we go over chapter 3 next time?"],
    ),
]
MessageAnchor = Annotated[
    UUID | None,
    QueryParameter(description="a message of the conversation to page from"),
]

_SENDING = (
    "may-not-converse",
    "conversation-blocked",
    "invalid-message",
    "rate-limited",
    "user-not-found",
)


class StartConversationBody(RequestBody):
    participant_id: UUID
    body: MessageText


class MessageBody(RequestBody):
    body: MessageText = ""
    # Files uploaded to the conversation first (POST …/attachments), sent with this message.
    attachment_ids: Annotated[list[UUID], msgspec.Meta(max_length=MAX_ATTACHMENTS)] = []


class EditBody(RequestBody):
    body: MessageText


class ReadBody(RequestBody):
    up_to_message_id: UUID


class ReportBody(RequestBody):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_REPORT_REASON, pattern=NO_NUL)]


class ConversationsController(Controller):
    path = "/conversations"
    tags = ["conversations"]
    guards = [signed_in]

    @get("", operation_id="list_my_conversations", summary="Your conversations")
    async def list_mine(
        self,
        actor: CurrentActor,
        conversations: Conversations,
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> Page[ConversationView]:
        """Newest activity first, each with the other person, its last message, how many you
        have not read, and how far each side has read."""
        return await conversations.my_conversations(actor, limit=limit, cursor=cursor)

    @problems(*_SENDING, "conversation-started-meanwhile")
    @post("", operation_id="start_conversation", summary="Write to someone", status_code=201)
    async def start(
        self,
        data: JSONBody[StartConversationBody],
        actor: CurrentActor,
        conversations: Conversations,
    ) -> ConversationView:
        """Opens a conversation with a first message, or adds the message to the one you
        already have with that person. A student may write to a tutor they booked (in any state
        but expired) or whose course they take, and that tutor to them; staff to anyone, and
        anyone back to staff. Anyone else answers 403 `may-not-converse`."""
        view, _ = await conversations.start(
            actor, StartConversation(participant_id=data.participant_id, body=data.body)
        )
        return view

    @problems("conversation-not-found")
    @get("/{conversation_id:uuid}", operation_id="get_conversation", summary="A conversation")
    async def get_one(
        self, conversation_id: FromPath[UUID], actor: CurrentActor, conversations: Conversations
    ) -> ConversationView:
        """For its two people; 404 for anyone else."""
        return await conversations.conversation(actor, conversation_id)

    @problems("conversation-not-found", "message-not-found")
    @get(
        "/{conversation_id:uuid}/messages",
        operation_id="list_messages",
        summary="A conversation's messages",
    )
    async def list_messages(
        self,
        conversation_id: FromPath[UUID],
        actor: CurrentActor,
        conversations: Conversations,
        before: MessageAnchor = None,
        after: MessageAnchor = None,
        limit: Limit = 50,
        cursor: Cursor = None,
    ) -> Page[MessageView]:
        """Newest first, going back (from `before` a message, if given); or oldest first from
        `after` a message, going on (up to `before`, when both are given). `next_cursor`
        continues the same way. A deleted message stays in its place as a tombstone
        (`deleted`, empty `body`)."""
        return await conversations.messages(
            actor, conversation_id, before=before, after=after, limit=limit, cursor=cursor
        )

    @problems(
        "conversation-not-found",
        *_SENDING,
        "invalid-attachment",
        "invalid-parameter",
        "idempotency-key-in-use",
        "idempotency-key-reused",
    )
    @post(
        "/{conversation_id:uuid}/messages",
        operation_id="send_message",
        summary="Send a message",
        status_code=201,
    )
    async def send(
        self,
        conversation_id: FromPath[UUID],
        data: JSONBody[MessageBody],
        actor: CurrentActor,
        conversations: Conversations,
        idempotency_key: IdempotencyKey = None,
    ) -> MessageView:
        """Plain text, up to 5,000 characters, with files uploaded first (`attachment_ids`;
        the text may be empty then). A blocked conversation answers 403
        `conversation-blocked` and stores nothing; sending too fast 429 `rate-limited`. The
        same `Idempotency-Key` again answers the first message and sends nothing new."""
        return await conversations.send(
            actor,
            conversation_id,
            data.body,
            attachment_ids=data.attachment_ids,
            idempotency_key=idempotency_key,
        )

    @problems("conversation-not-found", "conversation-blocked")
    @post(
        "/{conversation_id:uuid}/attachments",
        operation_id="upload_message_attachment",
        summary="Upload a file to send",
        status_code=201,
        request_max_body_size=26 * 1024 * 1024,
    )
    async def upload(
        self,
        conversation_id: FromPath[UUID],
        data: Annotated[FileForm, Body(media_type=RequestEncodingType.MULTI_PART)],
        actor: CurrentActor,
        conversations: Conversations,
    ) -> AttachmentView:
        """A PDF, an image (JPEG, PNG, GIF, WebP), a zip or plain text of at most 25 MiB in
        the `file` field, its type read from its bytes (415 otherwise). Send it with your next
        message in `attachment_ids`."""
        return await conversations.upload(actor, conversation_id, upload_of(data.file))

    @problems("conversation-not-found", "attachment-not-found", "attachment-link-invalid")
    @binary(*sorted(DEFAULT_UPLOAD_POLICIES[UploadPurpose.ATTACHMENT].allowed_media_types))
    @get(
        "/{conversation_id:uuid}/attachments/{attachment_id:uuid}",
        operation_id="download_message_attachment",
        summary="Download a message's file",
    )
    async def download(
        self,
        conversation_id: FromPath[UUID],
        attachment_id: FromPath[UUID],
        actor: CurrentActor,
        conversations: Conversations,
        expires: Annotated[int, QueryParameter(ge=0, le=253_402_300_799)],
        signature: Annotated[str, QueryParameter(min_length=1, max_length=64)],
    ) -> Stream:
        """With a message's `attachments[].url`: signed for the person it was listed for, for
        a few minutes, and served only to them signed in while they are in the conversation
        (403 `attachment-link-invalid` for an expired, forged or someone else's link)."""
        file = await conversations.open_attachment(
            actor, conversation_id, attachment_id, expires=expires, signature=signature
        )
        return private_download(conversations.deps.storage, file)

    @problems(
        "conversation-not-found",
        "message-not-found",
        "not-your-message",
        "message-deleted",
        "edit-window-closed",
        "invalid-message",
    )
    @patch(
        "/{conversation_id:uuid}/messages/{message_id:uuid}",
        operation_id="edit_message",
        summary="Edit a message you sent",
    )
    async def edit(
        self,
        conversation_id: FromPath[UUID],
        message_id: FromPath[UUID],
        data: JSONBody[EditBody],
        actor: CurrentActor,
        conversations: Conversations,
    ) -> MessageView:
        """By its sender, within 15 minutes of sending (409 `edit-window-closed` after)."""
        return await conversations.edit(actor, conversation_id, message_id, data.body)

    @problems(
        "conversation-not-found",
        "message-not-found",
        "not-your-message",
        "message-deleted",
        "edit-window-closed",
    )
    @delete(
        "/{conversation_id:uuid}/messages/{message_id:uuid}",
        operation_id="delete_message",
        summary="Delete a message you sent",
        status_code=200,
    )
    async def remove(
        self,
        conversation_id: FromPath[UUID],
        message_id: FromPath[UUID],
        actor: CurrentActor,
        conversations: Conversations,
    ) -> MessageView:
        """By its sender, within 15 minutes of sending. Answers the tombstone that keeps its
        place: no words, no files."""
        return await conversations.delete(actor, conversation_id, message_id)

    @problems("conversation-not-found", "message-not-found")
    @post(
        "/{conversation_id:uuid}/read",
        operation_id="mark_conversation_read",
        summary="Say how far you have read",
        status_code=200,
    )
    async def read(
        self,
        conversation_id: FromPath[UUID],
        data: JSONBody[ReadBody],
        actor: CurrentActor,
        conversations: Conversations,
    ) -> ConversationView:
        """Your read mark moves to the message if it is further on (never back); the other
        person gets the receipt live."""
        return await conversations.read(actor, conversation_id, data.up_to_message_id)

    @problems("conversation-not-found")
    @post(
        "/{conversation_id:uuid}/block",
        operation_id="block_conversation",
        summary="Block the other person",
        status_code=200,
    )
    async def block(
        self, conversation_id: FromPath[UUID], actor: CurrentActor, conversations: Conversations
    ) -> ConversationView:
        """No new message either way from now on, until you unblock."""
        return await conversations.block(actor, conversation_id)

    @problems("conversation-not-found")
    @post(
        "/{conversation_id:uuid}/unblock",
        operation_id="unblock_conversation",
        summary="Lift your block",
        status_code=200,
    )
    async def unblock(
        self, conversation_id: FromPath[UUID], actor: CurrentActor, conversations: Conversations
    ) -> ConversationView:
        """Lifts your own block; one by the other person stays."""
        return await conversations.unblock(actor, conversation_id)

    @problems("conversation-not-found", "invalid-report")
    @post(
        "/{conversation_id:uuid}/report",
        operation_id="report_conversation",
        summary="Report the other person to staff",
        status_code=201,
    )
    async def report(
        self,
        conversation_id: FromPath[UUID],
        data: JSONBody[ReportBody],
        actor: CurrentActor,
        conversations: Conversations,
    ) -> ReportView:
        """Staff get the report with the last 20 messages as they are now."""
        return await conversations.report(actor, conversation_id, data.reason)


class ConversationReportsController(Controller):
    path = "/admin/conversation-reports"
    tags = ["conversations"]
    guards = [signed_in]

    @get("", operation_id="list_conversation_reports", summary="Reported conversations")
    async def list_reports(
        self,
        actor: CurrentActor,
        conversations: Conversations,
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> Page[ReportView]:
        """Managers and admins; newest first, each with the messages it was reported with."""
        return await conversations.reports(actor, limit=limit, cursor=cursor)

    @problems("report-not-found")
    @get(
        "/{report_id:uuid}",
        operation_id="get_conversation_report",
        summary="A reported conversation",
    )
    async def get_report(
        self, report_id: FromPath[UUID], actor: CurrentActor, conversations: Conversations
    ) -> ReportView:
        """Managers and admins."""
        return await conversations.get_report(actor, report_id)


CONVERSATION_CONTROLLERS = [ConversationsController, ConversationReportsController]
