"""Everything support use cases depend on, and who may see a ticket.

Agents are staff (managers and admins hold ``WORK_SUPPORT_TICKETS``): they see every ticket with
its internal notes. A customer sees their own tickets without the notes. Anyone else is told the
ticket does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from urllib.parse import urlencode
from uuid import UUID

from elearn.application.access import require_signed_in
from elearn.application.actor import Actor
from elearn.application.authorization import Authorizer, Permission
from elearn.application.errors import NotFound
from elearn.application.files import FileStorage
from elearn.application.identity.api import IdentityApi
from elearn.application.ports import Clock, IdGenerator, TransactionFactory
from elearn.application.support.ports import (
    MessageView,
    SupportPolicy,
    SupportQueries,
    SupportUnitOfWork,
    TicketAttachmentGrant,
    TicketAttachmentLinks,
    TicketAttachmentView,
)
from elearn.domain.support.tickets import Ticket


class TicketNotFound(NotFound):
    code = "ticket-not-found"

    def __init__(self) -> None:
        super().__init__("there is no such ticket")


@dataclass(frozen=True, slots=True)
class TicketAccess:
    ticket: Ticket
    user_id: UUID
    as_agent: bool

    @property
    def is_customer(self) -> bool:
        return self.ticket.customer_id == self.user_id


@dataclass(frozen=True, kw_only=True)
class SupportDeps:
    uow: TransactionFactory[SupportUnitOfWork]
    clock: Clock
    ids: IdGenerator
    queries: SupportQueries
    identity: IdentityApi
    policy: SupportPolicy
    authorizer: Authorizer
    storage: FileStorage
    links: TicketAttachmentLinks

    def with_links(self, message: MessageView, ticket_id: UUID, viewer: UUID) -> MessageView:
        """The message with a download link to each of its files, signed for ``viewer``."""
        if not message.attachments:
            return message
        expires_at = self.clock.now().replace(microsecond=0) + timedelta(
            seconds=self.policy.attachment_link_seconds
        )
        return replace(
            message,
            attachments=[
                self._linked(file, ticket_id, viewer, expires_at) for file in message.attachments
            ],
        )

    def _linked(
        self, file: TicketAttachmentView, ticket_id: UUID, viewer: UUID, expires_at: datetime
    ) -> TicketAttachmentView:
        signature = self.links.sign(TicketAttachmentGrant(viewer, ticket_id, file.id, expires_at))
        query = urlencode({"expires": int(expires_at.timestamp()), "signature": signature})
        url = f"/api/v1/support/tickets/{ticket_id}/attachments/{file.id}?{query}"
        return replace(file, url=url)

    def is_agent(self, actor: Actor) -> bool:
        return self.authorizer.allows(actor, Permission.WORK_SUPPORT_TICKETS)

    def require_agent(self, actor: Actor) -> UUID:
        return self.authorizer.require(actor, Permission.WORK_SUPPORT_TICKETS)

    async def ticket_for(
        self, uow: SupportUnitOfWork, actor: Actor, ticket_id: UUID, *, for_update: bool = False
    ) -> TicketAccess:
        """The ticket as the actor may reach it: their own, or any for an agent."""
        user_id = require_signed_in(actor)
        ticket = await uow.support.tickets.get(ticket_id, for_update=for_update)
        if ticket is None:
            raise TicketNotFound()
        as_agent = self.is_agent(actor)
        if not as_agent and ticket.customer_id != user_id:
            raise TicketNotFound()
        return TicketAccess(ticket, user_id, as_agent)
