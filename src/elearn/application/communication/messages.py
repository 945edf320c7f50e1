"""Messages of a conversation: sent (rate-limited per sender, once per Idempotency-Key),
paged both ways, edited or deleted by their sender within 15 minutes, and read (receipts)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from elearn.application.access import require_signed_in
from elearn.application.actor import Actor
from elearn.application.communication.conversation_delivery import publish_posted
from elearn.application.communication.conversation_deps import (
    ConversationDeps,
    conversation_view,
)
from elearn.application.communication.conversation_ports import (
    AttachmentGrant,
    AttachmentView,
    ConversationsUnitOfWork,
    ConversationView,
    MessageDirection,
    MessageView,
)
from elearn.application.errors import (
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    RateLimited,
)
from elearn.application.files import (
    PrivateFile,
    Upload,
    UploadPurpose,
    delete_quietly,
    link_expiry,
    private_file,
)
from elearn.application.paging import Page, check_limit, page_of
from elearn.domain.communication.conversations import (
    MAX_ATTACHMENTS,
    Attachment,
    AttachmentUpload,
    Conversation,
    ConversationBlocked,
    InvalidAttachment,
    MayNotConverse,
    Message,
)


async def post_message(
    deps: ConversationDeps,
    uow: ConversationsUnitOfWork,
    actor: Actor,
    conversation: Conversation,
    body: str,
    attachments: tuple[Attachment, ...],
    *,
    message_id: UUID | None = None,
) -> Message:
    """One new message in the caller's transaction: the sender still may talk with the other
    person, the conversation is not blocked, and the sender is within their rate."""
    sender_id = require_signed_in(actor)
    retry_after = await deps.rate_limiter.hit(
        f"message-send:{sender_id}", limit=deps.policy.messages_per_minute, window_seconds=60
    )
    if retry_after is not None:
        raise RateLimited(
            "you are sending messages too fast; wait a little", retry_after_seconds=retry_after
        )
    sender, recipient = await deps.active_people(uow, sender_id, conversation.other(sender_id))
    if not await deps.may_converse(uow, sender, recipient):
        raise MayNotConverse()
    message = conversation.post(
        message_id=message_id or deps.ids.new_id(),
        sender=sender_id,
        body=body,
        now=deps.clock.now(),
        event_id=deps.ids.new_id(),
        attachments=attachments,
    )
    await uow.conversations.messages.add(message)
    return message


@dataclass(frozen=True, slots=True)
class _Sent:
    message_id: UUID


class SendMessage:
    """A participant sends a plain-text message (at most 5,000 characters). Refused in a
    blocked conversation, past the sender's rate, or once the two may no longer talk; nothing
    is stored then. The same Idempotency-Key again answers the first message."""

    def __init__(self, deps: ConversationDeps) -> None:
        self._deps = deps

    async def __call__(
        self,
        actor: Actor,
        conversation_id: UUID,
        body: str,
        *,
        attachment_ids: Sequence[UUID] = (),
        idempotency_key: str | None = None,
    ) -> MessageView:
        deps = self._deps
        sender_id = require_signed_in(actor)
        if len(attachment_ids) > MAX_ATTACHMENTS or len(set(attachment_ids)) != len(attachment_ids):
            raise InvalidAttachment(f"at most {MAX_ATTACHMENTS} different files a message")
        claim = deps.billing.idempotency_claim(
            sender_id,
            "conversation-message",
            idempotency_key,
            f"{conversation_id} {body} {sorted(map(str, attachment_ids))}",
        )
        posted: tuple[Message, tuple[UUID, UUID]] | None = None
        async with deps.uow() as uow:
            sent = await deps.billing.replay(uow, claim, _Sent, deps.clock.now())
            if sent is None:
                conversation = await deps.conversation_for(
                    uow, actor, conversation_id, for_update=True
                )
                message_id = deps.ids.new_id()
                attachments = []
                for attachment_id in attachment_ids:
                    upload = await uow.conversations.attachments.get(attachment_id, for_update=True)
                    if upload is None:
                        raise InvalidAttachment("there is no such uploaded file")
                    attachments.append(
                        upload.attach(
                            sender=sender_id,
                            conversation_id=conversation.id,
                            message_id=message_id,
                        )
                    )
                message = await post_message(
                    deps, uow, actor, conversation, body, tuple(attachments), message_id=message_id
                )
                sent = _Sent(message.id)
                await deps.billing.remember(uow, claim, sent)
                await uow.commit()
                posted = (message, conversation.participants)
        if posted is not None:
            # Once the connection is back in the pool; the message as stored, not read again.
            await publish_posted(deps, *posted)
            return deps.message_view(posted[0], sender_id)
        # The same key again: the first message as it is now.
        async with deps.uow(read_only=True) as uow:
            conversation = await deps.conversation_for(uow, actor, conversation_id)
            message = await deps.message_in(uow, conversation, sent.message_id)
        return deps.message_view(message, sender_id)


class ListMessages:
    """A conversation's messages for its two people: the newest first and back in time
    (``before`` a message), or from a message on (``after``), page by page."""

    def __init__(self, deps: ConversationDeps) -> None:
        self._deps = deps

    async def __call__(
        self,
        actor: Actor,
        conversation_id: UUID,
        *,
        before: UUID | None = None,
        after: UUID | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> Page[MessageView]:
        deps = self._deps
        require_signed_in(actor)
        check_limit(limit)
        async with deps.uow(read_only=True) as uow:
            conversation = await deps.conversation_for(uow, actor, conversation_id)
            marks = {
                name: None
                if ident is None
                else (await deps.message_in(uow, conversation, ident)).mark
                for name, ident in (("before", before), ("after", after))
            }
        # Both: the messages between the two, oldest first (what a client missed in a gap).
        page = await page_of(
            deps.queries.messages(
                conversation.id,
                direction=MessageDirection.NEWER if after else MessageDirection.OLDER,
                anchor=marks["after"] or marks["before"],
                until=marks["before"] if after else None,
                limit=limit,
                cursor=cursor,
            )
        )
        viewer = require_signed_in(actor)
        return Page(
            [deps.message_view(message, viewer) for message in page.items], page.next_cursor
        )


class EditMessage:
    """Its sender changes a message's text within 15 minutes of sending it (the other person
    sees it edited)."""

    def __init__(self, deps: ConversationDeps) -> None:
        self._deps = deps

    async def __call__(
        self, actor: Actor, conversation_id: UUID, message_id: UUID, body: str
    ) -> MessageView:
        deps = self._deps
        user_id = require_signed_in(actor)
        async with deps.uow() as uow:
            conversation = await deps.conversation_for(uow, actor, conversation_id)
            message = await deps.message_in(uow, conversation, message_id, for_update=True)
            message.edit(
                user_id,
                body,
                now=deps.clock.now(),
                event_id=deps.ids.new_id(),
                participants=conversation.participants,
            )
            await uow.commit()
        return deps.message_view(message, user_id)


class DeleteMessage:
    """Its sender deletes a message within 15 minutes: a tombstone keeps its place in the
    conversation, without its words or files."""

    def __init__(self, deps: ConversationDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, conversation_id: UUID, message_id: UUID) -> MessageView:
        deps = self._deps
        user_id = require_signed_in(actor)
        async with deps.uow() as uow:
            conversation = await deps.conversation_for(uow, actor, conversation_id)
            message = await deps.message_in(uow, conversation, message_id, for_update=True)
            keys = message.delete(
                user_id,
                now=deps.clock.now(),
                event_id=deps.ids.new_id(),
                participants=conversation.participants,
            )
            await uow.commit()
        await delete_quietly(deps.storage, *keys)
        return deps.message_view(message, user_id)


class MarkRead:
    """A participant has read up to a message: their read mark moves there if that is further
    on (never backwards), and the other person gets the receipt."""

    def __init__(self, deps: ConversationDeps) -> None:
        self._deps = deps

    async def __call__(
        self, actor: Actor, conversation_id: UUID, up_to_message_id: UUID
    ) -> ConversationView:
        deps = self._deps
        user_id = require_signed_in(actor)
        async with deps.uow() as uow:
            conversation = await deps.conversation_for(uow, actor, conversation_id, for_update=True)
            message = await deps.message_in(uow, conversation, up_to_message_id)
            if conversation.read_up_to(
                user_id, message, now=deps.clock.now(), event_id=deps.ids.new_id()
            ):
                await uow.commit()
        row = await deps.queries.conversation_of(user_id, conversation_id)
        assert row is not None  # a participant's, read a moment ago
        return conversation_view(row, user_id)


class AttachmentNotFound(NotFound):
    code = "attachment-not-found"

    def __init__(self) -> None:
        super().__init__("there is no such file in this conversation")


class InvalidAttachmentLink(PermissionDenied):
    """Forged, expired or someone else's: the caller is not told which."""

    code = "attachment-link-invalid"

    def __init__(self) -> None:
        super().__init__("this download link is not valid; list the messages for a new one")


class UploadAttachment:
    """A participant uploads a file to send with their next message: a PDF, an image, a zip or
    plain text of at most 25 MiB, its type read from its bytes (storage's checks for
    attachments). Not in a blocked conversation."""

    def __init__(self, deps: ConversationDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, conversation_id: UUID, upload: Upload) -> AttachmentView:
        deps = self._deps
        uploader_id = require_signed_in(actor)
        async with deps.uow(read_only=True) as uow:
            conversation = await deps.conversation_for(uow, actor, conversation_id)
        if conversation.is_blocked:
            raise ConversationBlocked()
        stored = await deps.storage.save(
            upload.chunks, purpose=UploadPurpose.ATTACHMENT, original_name=upload.filename
        )
        attachment = AttachmentUpload(
            id=deps.ids.new_id(),
            conversation_id=conversation.id,
            uploader_id=uploader_id,
            key=stored.key,
            media_type=stored.media_type,
            size=stored.size,
            filename=stored.original_name,
            uploaded_at=deps.clock.now(),
        )
        try:
            async with deps.uow() as uow:
                await uow.conversations.attachments.add(attachment)
                await uow.commit()
        except BaseException:
            await delete_quietly(deps.storage, stored.key)
            raise
        return AttachmentView(
            attachment.id, attachment.filename, attachment.media_type, attachment.size
        )


class OpenAttachment:
    """A file of a message, for the person its link was signed for, signed in as them, while
    they are in the conversation and the message still carries it: a leaked link alone serves
    nothing."""

    def __init__(self, deps: ConversationDeps) -> None:
        self._deps = deps

    async def __call__(
        self,
        actor: Actor,
        conversation_id: UUID,
        attachment_id: UUID,
        *,
        expires: int,
        signature: str,
    ) -> PrivateFile:
        deps = self._deps
        if actor.user_id is None:
            raise NotAuthenticated("a message's file is served to its reader signed in")
        expires_at = link_expiry(expires)
        if expires_at is None or deps.clock.now() >= expires_at:
            raise InvalidAttachmentLink()
        grant = AttachmentGrant(actor.user_id, conversation_id, attachment_id, expires_at)
        if not deps.links.verifies(grant, signature):
            raise InvalidAttachmentLink()
        async with deps.uow(read_only=True) as uow:
            conversation = await deps.conversation_for(uow, actor, conversation_id)
            upload = await uow.conversations.attachments.get(attachment_id)
            if upload is None or upload.conversation_id != conversation.id:
                raise AttachmentNotFound()
            message = (
                None
                if upload.message_id is None
                else await uow.conversations.messages.get(upload.message_id)
            )
        carried = message is not None and any(a.id == upload.id for a in message.attachments)
        if not carried:
            raise AttachmentNotFound()
        return await private_file(
            deps.storage, upload.key, upload.media_type, upload.filename,
            missing=AttachmentNotFound(),
        )  # fmt: skip
