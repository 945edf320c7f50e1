"""A customer's tickets and their conversation, and what agents do with them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from uuid import UUID

from elearn.application.access import require_signed_in
from elearn.application.actor import Actor
from elearn.application.errors import NotAuthenticated, NotFound, PermissionDenied
from elearn.application.files import (
    PrivateFile,
    Upload,
    UploadPurpose,
    delete_quietly,
    link_expiry,
    private_file,
)
from elearn.application.paging import Page, check_limit, page_of
from elearn.application.support.deps import SupportDeps, TicketAccess
from elearn.application.support.ports import (
    MessageView,
    SupportUnitOfWork,
    TicketAttachmentGrant,
    TicketAttachmentView,
    TicketMessage,
    TicketSummary,
    TicketView,
)
from elearn.application.support.routing import Router
from elearn.domain.shared.errors import Conflict
from elearn.domain.support.tickets import (
    BODY_MAX,
    Category,
    InvalidAttachment,
    Priority,
    Ticket,
    TicketMessagePosted,
    TicketStatus,
    TicketUpload,
    check_attachment_ids,
    clean_text,
    message_time,
)


class AgentNotFound(NotFound):
    code = "agent-not-found"

    def __init__(self) -> None:
        super().__init__("there is no such support agent")


class AgentAtCapacity(Conflict):
    code = "agent-at-capacity"


def message_view(message: TicketMessage) -> MessageView:
    return MessageView(
        id=message.id,
        author_id=message.author_id,
        author_role="agent" if message.from_agent else "customer",
        internal=message.internal,
        body=message.body,
        created_at=message.created_at,
    )


def ticket_view(ticket: Ticket, messages: list[MessageView]) -> TicketView:
    return TicketView.with_messages(ticket, messages)


@dataclass(frozen=True, slots=True)
class OpenTicketCommand:
    subject: str
    category: Category
    body: str
    priority: Priority = Priority.MEDIUM
    # Files the customer uploaded first (``UploadTicketAttachment``), sent with the first message.
    attachment_ids: tuple[UUID, ...] = ()


class AttachmentNotFound(NotFound):
    code = "attachment-not-found"

    def __init__(self) -> None:
        super().__init__("there is no such file in this ticket")


class InvalidAttachmentLink(PermissionDenied):
    """Forged, expired or someone else's: the caller is not told which."""

    code = "attachment-link-invalid"

    def __init__(self) -> None:
        super().__init__("this download link is not valid; read the ticket for a new one")


class _UseCase:
    def __init__(self, deps: SupportDeps, router: Router) -> None:
        self._deps = deps
        self._router = router

    async def _view(self, access: TicketAccess) -> TicketView:
        deps = self._deps
        messages = await deps.queries.messages_of(access.ticket.id, internal=access.as_agent)
        linked = [deps.with_links(m, access.ticket.id, access.user_id) for m in messages]
        return ticket_view(access.ticket, linked)

    async def _attach(
        self, uow: SupportUnitOfWork, message: TicketMessage, attachment_ids: Sequence[UUID]
    ) -> list[TicketAttachmentView]:
        """The sender's unsent uploads, now carried by ``message`` (already added)."""
        check_attachment_ids(attachment_ids)
        attached = []
        for attachment_id in attachment_ids:
            upload = await uow.support.attachments.get(attachment_id, for_update=True)
            if upload is None:
                raise InvalidAttachment("there is no such uploaded file")
            upload.attach(
                sender=message.author_id, ticket_id=message.ticket_id, message_id=message.id
            )
            await uow.support.attachments.save(upload)
            attached.append(
                TicketAttachmentView(upload.id, upload.filename, upload.media_type, upload.size)
            )
        return attached

    async def _message(
        self,
        uow: SupportUnitOfWork,
        ticket: Ticket,
        author_id: UUID,
        body: str,
        *,
        from_agent: bool,
        internal: bool,
    ) -> TicketMessage:
        """A new message placed after the ticket's last one; the caller holds the ticket's
        lock (or the ticket is new), so two messages never take the same place."""
        message_id = self._deps.ids.new_id()
        last = await uow.support.messages.last_mark(ticket.id)
        return TicketMessage(
            id=message_id,
            ticket_id=ticket.id,
            author_id=author_id,
            from_agent=from_agent,
            internal=internal,
            body=clean_text(body, field="body", max_length=BODY_MAX),
            created_at=message_time(self._deps.clock.now(), message_id, last),
        )


class OpenTicket(_UseCase):
    """Anyone signed in opens a ticket; it goes at once to the online agent with the skill and
    the most room, or waits in the queue."""

    async def __call__(self, actor: Actor, command: OpenTicketCommand) -> TicketView:
        deps = self._deps
        customer_id = require_signed_in(actor)
        now = deps.clock.now()
        ticket = Ticket.open(
            ticket_id=deps.ids.new_id(),
            customer_id=customer_id,
            subject=command.subject,
            category=command.category,
            priority=command.priority,
            now=now,
            sla=deps.policy.sla,
            new_id=deps.ids.new_id,
        )
        async with deps.uow() as uow:
            first = await self._message(
                uow, ticket, customer_id, command.body, from_agent=False, internal=False
            )
            await uow.support.tickets.add(ticket)
            await uow.support.messages.add(first)
            await self._attach(uow, first, command.attachment_ids)
            await self._router.route(uow, ticket)
            await uow.commit()
        return await self._view(TicketAccess(ticket, customer_id, deps.is_agent(actor)))


class ListMyTickets(_UseCase):
    async def __call__(
        self, actor: Actor, *, limit: int = 20, cursor: str | None = None
    ) -> Page[TicketSummary]:
        customer_id = require_signed_in(actor)
        check_limit(limit)
        return await page_of(self._deps.queries.tickets_of(customer_id, limit=limit, cursor=cursor))


class GetTicket(_UseCase):
    """The ticket and its conversation: with the internal notes for agents, without for the
    customer."""

    async def __call__(self, actor: Actor, ticket_id: UUID) -> TicketView:
        async with self._deps.uow(read_only=True) as uow:
            access = await self._deps.ticket_for(uow, actor, ticket_id)
        return await self._view(access)


class PostMessage(_UseCase):
    """A message of the conversation, from the customer or an agent (over HTTP or the socket).
    The customer's answer brings a ticket waiting on them back to its agent; an agent's first
    message is the first response its deadline counts."""

    async def __call__(
        self, actor: Actor, ticket_id: UUID, body: str, attachment_ids: Sequence[UUID] = ()
    ) -> MessageView:
        deps = self._deps
        async with deps.uow() as uow:
            access = await deps.ticket_for(uow, actor, ticket_id, for_update=True)
            ticket = access.ticket
            from_agent = access.as_agent and not access.is_customer
            message = await self._message(
                uow, ticket, access.user_id, body, from_agent=from_agent, internal=False
            )
            ticket.require_open_conversation()
            if from_agent:
                ticket.note_agent_reply(message.created_at)
            else:
                ticket.note_customer_reply(now=message.created_at, new_id=deps.ids.new_id)
            await uow.support.messages.add(message)
            files = await self._attach(uow, message, attachment_ids)
            other_side = ticket.assignee_id if not from_agent else ticket.customer_id
            uow.publish(
                TicketMessagePosted(
                    event_id=deps.ids.new_id(),
                    occurred_at=message.created_at,
                    ticket_id=ticket.id,
                    message_id=message.id,
                    author_id=message.author_id,
                    customer_id=ticket.customer_id,
                    agent_id=ticket.assignee_id,
                    recipient_ids=() if other_side is None else (other_side,),
                )
            )
            await uow.commit()
        view = replace(message_view(message), attachments=files)
        return deps.with_links(view, ticket.id, access.user_id)


class AddInternalNote(_UseCase):
    """A note for agents only: the customer never sees it, nor hears of it."""

    async def __call__(self, actor: Actor, ticket_id: UUID, body: str) -> MessageView:
        deps = self._deps
        deps.require_agent(actor)
        async with deps.uow() as uow:
            # Locked like a message: notes share the conversation's order.
            access = await deps.ticket_for(uow, actor, ticket_id, for_update=True)
            message = await self._message(
                uow, access.ticket, access.user_id, body, from_agent=True, internal=True
            )
            await uow.support.messages.add(message)
            await uow.commit()
        return message_view(message)


class AssignTicket(_UseCase):
    """An agent hands a ticket to an agent (themselves included) who has room for it."""

    async def __call__(self, actor: Actor, ticket_id: UUID, agent_id: UUID) -> TicketView:
        deps = self._deps
        deps.require_agent(actor)
        async with deps.uow() as uow:
            # The routing lock first, as every routing step takes it: no deadlock between them.
            await uow.support.lock_routing()
            access = await deps.ticket_for(uow, actor, ticket_id, for_update=True)
            loads = {load.agent_id: load for load in await uow.support.agents.loads()}
            target = loads.get(agent_id)
            if target is None:
                raise AgentNotFound()
            if not target.has_room and access.ticket.assignee_id != agent_id:
                raise AgentAtCapacity(
                    f"that agent already has {target.active} of their {target.capacity} tickets"
                )
            was_active = access.ticket.is_active
            await self._router.assign(uow, access.ticket, agent_id)
            if was_active:  # the previous agent has room now
                await self._router.pull_queue(uow)
            await uow.commit()
        return await self._view(access)


class ChangeTicketStatus(_UseCase):
    """Agents ask the customer (``waiting_on_customer``), take it back up (``assigned``),
    ``resolved`` and ``closed``; the customer closes a resolved ticket or reopens it
    (``open``) within the reopen window."""

    async def __call__(self, actor: Actor, ticket_id: UUID, status: TicketStatus) -> TicketView:
        deps = self._deps
        async with deps.uow() as uow:
            await uow.support.lock_routing()
            access = await deps.ticket_for(uow, actor, ticket_id, for_update=True)
            ticket = access.ticket
            now = deps.clock.now()
            new_id = deps.ids.new_id
            was_active = ticket.is_active
            if status is TicketStatus.OPEN:
                if not access.is_customer:
                    raise PermissionDenied("only the customer reopens their ticket")
                ticket.reopen(now=now, window=deps.policy.reopen_window, new_id=new_id)
            elif status is TicketStatus.CLOSED and access.is_customer:
                ticket.close(now=now, new_id=new_id)
            else:
                if not access.as_agent:
                    raise PermissionDenied("only support agents move a ticket this way")
                moves = {
                    TicketStatus.WAITING_ON_CUSTOMER: ticket.wait_on_customer,
                    TicketStatus.ASSIGNED: ticket.resume,
                    TicketStatus.RESOLVED: ticket.resolve,
                    TicketStatus.CLOSED: ticket.close,
                }
                moves[status](now=now, new_id=new_id)
            if ticket.is_queued:
                await self._router.route(uow, ticket)
            if was_active and not ticket.is_active:
                await self._router.pull_queue(uow)
            await uow.commit()
        return await self._view(access)


class ChangeTicketPriority(_UseCase):
    """Agents only; the deadlines follow, counted from the opening."""

    async def __call__(self, actor: Actor, ticket_id: UUID, priority: Priority) -> TicketView:
        deps = self._deps
        deps.require_agent(actor)
        async with deps.uow() as uow:
            access = await deps.ticket_for(uow, actor, ticket_id, for_update=True)
            access.ticket.change_priority(priority, now=deps.clock.now(), sla=deps.policy.sla)
            await uow.commit()
        return await self._view(access)


class RateTicket(_UseCase):
    """The customer rates the help they got, once, after the ticket was resolved."""

    async def __call__(
        self, actor: Actor, ticket_id: UUID, score: int, comment: str | None
    ) -> TicketView:
        deps = self._deps
        async with deps.uow() as uow:
            access = await deps.ticket_for(uow, actor, ticket_id, for_update=True)
            if not access.is_customer:
                raise PermissionDenied("only the customer rates their ticket")
            access.ticket.rate(score, comment, now=deps.clock.now(), new_id=deps.ids.new_id)
            await uow.commit()
        return await self._view(access)


class UploadTicketAttachment(_UseCase):
    """Anyone signed in uploads a file to send with the ticket they open or their next message
    in one (``attachment_ids``): a PDF, an image, a zip or plain text of at most 25 MiB, its
    type read from its bytes (storage's checks for attachments). Until sent it is the
    uploader's alone."""

    async def __call__(self, actor: Actor, upload: Upload) -> TicketAttachmentView:
        deps = self._deps
        uploader_id = require_signed_in(actor)
        stored = await deps.storage.save(
            upload.chunks, purpose=UploadPurpose.ATTACHMENT, original_name=upload.filename
        )
        file = TicketUpload(
            id=deps.ids.new_id(),
            uploader_id=uploader_id,
            key=stored.key,
            media_type=stored.media_type,
            size=stored.size,
            filename=stored.original_name,
            uploaded_at=deps.clock.now(),
        )
        try:
            async with deps.uow() as uow:
                await uow.support.attachments.add(file)
                await uow.commit()
        except BaseException:
            await delete_quietly(deps.storage, stored.key)
            raise
        return TicketAttachmentView(file.id, file.filename, file.media_type, file.size)


class OpenTicketAttachment(_UseCase):
    """A file of a ticket's message, for the person its link was signed for, signed in as
    them, while they may read the ticket (its customer, any agent; a note's files only for
    agents): a leaked link alone serves nothing."""

    async def __call__(
        self,
        actor: Actor,
        ticket_id: UUID,
        attachment_id: UUID,
        *,
        expires: int,
        signature: str,
    ) -> PrivateFile:
        deps = self._deps
        if actor.user_id is None:
            raise NotAuthenticated("a ticket's file is served to its reader signed in")
        expires_at = link_expiry(expires)
        if expires_at is None or deps.clock.now() >= expires_at:
            raise InvalidAttachmentLink()
        grant = TicketAttachmentGrant(actor.user_id, ticket_id, attachment_id, expires_at)
        if not deps.links.verifies(grant, signature):
            raise InvalidAttachmentLink()
        async with deps.uow(read_only=True) as uow:
            access = await deps.ticket_for(uow, actor, ticket_id)
            upload = await uow.support.attachments.get(attachment_id)
            if upload is None or upload.ticket_id != ticket_id or upload.message_id is None:
                raise AttachmentNotFound()
            message = await uow.support.messages.get(upload.message_id)
        if message is None or (message.internal and not access.as_agent):
            raise AttachmentNotFound()
        return await private_file(
            deps.storage, upload.key, upload.media_type, upload.filename,
            missing=AttachmentNotFound(),
        )  # fmt: skip
