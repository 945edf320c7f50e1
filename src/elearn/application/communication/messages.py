"""Messages of a conversation: sent (rate-limited per sender, once per Idempotency-Key),
paged both ways, edited or deleted by their sender within 15 minutes, and read (receipts)."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from elearn.application.access import require_signed_in
from elearn.application.actor import Actor
from elearn.application.communication.conversation_deps import (
    ConversationDeps,
    conversation_view,
    message_view,
)
from elearn.application.communication.conversation_ports import (
    ConversationsUnitOfWork,
    ConversationView,
    MessageDirection,
    MessageView,
)
from elearn.application.errors import FieldError, InvalidParameter, RateLimited
from elearn.application.paging import Page, check_limit, page_of
from elearn.domain.communication.conversations import (
    Attachment,
    Conversation,
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
    sender = await deps.active_person(uow, sender_id)
    recipient = await deps.active_person(uow, conversation.other(sender_id))
    if not await deps.may_converse(uow, sender, recipient):
        raise MayNotConverse()
    message = conversation.post(
        message_id=deps.ids.new_id(),
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
        idempotency_key: str | None = None,
    ) -> MessageView:
        deps = self._deps
        sender_id = require_signed_in(actor)
        claim = deps.billing.idempotency_claim(
            sender_id, "conversation-message", idempotency_key, f"{conversation_id} {body}"
        )
        async with deps.uow() as uow:
            sent = await deps.billing.replay(uow, claim, _Sent, deps.clock.now())
            if sent is None:
                conversation = await deps.conversation_for(
                    uow, actor, conversation_id, for_update=True
                )
                message = await post_message(deps, uow, actor, conversation, body, ())
                sent = _Sent(message.id)
                await deps.billing.remember(uow, claim, sent)
                await uow.commit()
        async with deps.uow(read_only=True) as uow:
            conversation = await deps.conversation_for(uow, actor, conversation_id)
            return message_view(await deps.message_in(uow, conversation, sent.message_id))


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
        if before is not None and after is not None:
            raise InvalidParameter(
                "page back from a message or on from one, not both",
                errors=[FieldError("after", "cannot be given with before")],
            )
        anchor_id = after or before
        async with deps.uow(read_only=True) as uow:
            conversation = await deps.conversation_for(uow, actor, conversation_id)
            anchor = (
                None
                if anchor_id is None
                else (await deps.message_in(uow, conversation, anchor_id)).mark
            )
        page = await page_of(
            deps.queries.messages(
                conversation.id,
                direction=MessageDirection.NEWER if after else MessageDirection.OLDER,
                anchor=anchor,
                limit=limit,
                cursor=cursor,
            )
        )
        return Page([message_view(message) for message in page.items], page.next_cursor)


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
        return message_view(message)


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
            message.delete(
                user_id,
                now=deps.clock.now(),
                event_id=deps.ids.new_id(),
                participants=conversation.participants,
            )
            await uow.commit()
        return message_view(message)


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
