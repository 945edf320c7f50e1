"""The support desk's personal data: the tickets a person opened with their conversation and its
files (agents' internal notes are the desk's working notes and stay out), what they wrote as an
agent, their agent settings. Erasing blanks the subjects and drops the conversations of their
tickets, their files and every file they uploaded, and their rating comments, deletes their
agent settings and blanks what they wrote as an agent; the tickets stay, by id, for the desk's
figures."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import delete, or_, select, update

from elearn.adapters.persistence.models.support import (
    SupportAgentRow,
    SupportAttachmentRow,
    SupportMessageRow,
    SupportTicketRow,
)
from elearn.adapters.persistence.personal_data import plain, write
from elearn.adapters.persistence.unit_of_work import session_of
from elearn.application.personal_data import ErasedData, PersonalData, PersonalFile, Pseudonym
from elearn.application.ports import Transaction

ERASED_SUBJECT = "(erased)"


class SupportPersonalData:
    async def export(self, uow: Transaction, user_id: UUID) -> PersonalData:
        session = session_of(uow)
        tickets = list(
            await session.scalars(
                select(SupportTicketRow)
                .where(SupportTicketRow.customer_id == user_id)
                .order_by(SupportTicketRow.opened_at, SupportTicketRow.id)
            )
        )
        conversation: dict[UUID, list[dict[str, object]]] = {t.id: [] for t in tickets}
        if tickets:
            messages = await session.scalars(
                select(SupportMessageRow)
                .where(
                    SupportMessageRow.ticket_id.in_(list(conversation)),
                    SupportMessageRow.internal.is_(False),
                )
                .order_by(SupportMessageRow.posted_at, SupportMessageRow.id)
            )
            for message in messages:
                conversation[message.ticket_id].append(
                    {
                        "from": "you" if message.author_id == user_id else "agent",
                        "body": message.body,
                        "posted_at": plain(message.posted_at),
                    }
                )
        written_as_agent = await session.scalars(
            select(SupportMessageRow)
            .where(SupportMessageRow.author_id == user_id, SupportMessageRow.from_agent.is_(True))
            .order_by(SupportMessageRow.posted_at, SupportMessageRow.id)
        )
        agent = await session.get(SupportAgentRow, user_id)
        shown = select(SupportMessageRow.id).where(
            SupportMessageRow.ticket_id.in_(list(conversation)),
            SupportMessageRow.internal.is_(False),
        )
        files = await session.scalars(
            select(SupportAttachmentRow)
            .where(SupportAttachmentRow.message_id.in_(shown))
            .order_by(SupportAttachmentRow.uploaded_at, SupportAttachmentRow.id)
        )
        return PersonalData(
            files=[PersonalFile(f.storage_key, f.filename or f"{f.id}") for f in files],
            records={
                "tickets": [
                    {
                        "id": str(t.id),
                        "subject": t.subject,
                        "category": t.category,
                        "priority": t.priority,
                        "status": t.status,
                        "opened_at": plain(t.opened_at),
                        "rating_score": t.rating_score,
                        "rating_comment": t.rating_comment,
                        "messages": conversation[t.id],
                    }
                    for t in tickets
                ],
                "written_as_agent": [
                    {
                        "ticket_id": str(m.ticket_id),
                        "internal": m.internal,
                        "body": m.body,
                        "posted_at": plain(m.posted_at),
                    }
                    for m in written_as_agent
                ],
                "agent_settings": None
                if agent is None
                else {
                    "presence": agent.presence,
                    "categories": list(agent.categories or []),
                    "capacity": agent.capacity,
                },
            },
        )

    async def erase(self, uow: Transaction, user_id: UUID, pseudonym: Pseudonym) -> ErasedData:
        session = session_of(uow)
        their_tickets = select(SupportTicketRow.id).where(SupportTicketRow.customer_id == user_id)
        theirs = or_(
            SupportAttachmentRow.ticket_id.in_(their_tickets),
            SupportAttachmentRow.uploader_id == user_id,
        )
        keys = list(await session.scalars(select(SupportAttachmentRow.storage_key).where(theirs)))
        files = await write(session, delete(SupportAttachmentRow).where(theirs))
        conversations = await write(
            session,
            delete(SupportMessageRow).where(SupportMessageRow.ticket_id.in_(their_tickets)),
        )
        tickets = await write(
            session,
            update(SupportTicketRow)
            .where(SupportTicketRow.customer_id == user_id)
            .values(subject=ERASED_SUBJECT, rating_comment=None),
        )
        written = await write(
            session,
            update(SupportMessageRow)
            .where(SupportMessageRow.author_id == user_id)
            .values(body=ERASED_SUBJECT),
        )
        agents = await write(session, delete(SupportAgentRow).where(SupportAgentRow.id == user_id))
        return ErasedData(
            counts={
                "tickets": tickets,
                "ticket_messages": conversations + written,
                "agent_settings": agents,
                "ticket_files": files,
            },
            file_keys=keys,
        )
