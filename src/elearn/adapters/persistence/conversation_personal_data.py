"""Conversations' personal data: the conversations a person is in, the messages and files they
sent, the reports they made. Erasing empties what they wrote (their messages' words and files,
their report reasons, their words in the messages reports kept); conversations and messages
stay as tombstones, so the other person's side of a conversation keeps its order."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import or_, select, update

from elearn.adapters.persistence.models.conversations import (
    ConversationAttachmentRow,
    ConversationMessageRow,
    ConversationReportRow,
    ConversationRow,
)
from elearn.adapters.persistence.personal_data import plain, write
from elearn.adapters.persistence.unit_of_work import session_of
from elearn.application.personal_data import ErasedData, PersonalData, PersonalFile, Pseudonym
from elearn.application.ports import Transaction


class ConversationPersonalData:
    async def export(self, uow: Transaction, user_id: UUID) -> PersonalData:
        session = session_of(uow)
        conversations = await session.scalars(
            select(ConversationRow)
            .where(or_(ConversationRow.first_id == user_id, ConversationRow.second_id == user_id))
            .order_by(ConversationRow.started_at)
        )
        messages = await session.scalars(
            select(ConversationMessageRow)
            .where(ConversationMessageRow.sender_id == user_id)
            .order_by(ConversationMessageRow.sent_at, ConversationMessageRow.id)
        )
        uploads = await session.scalars(
            select(ConversationAttachmentRow).where(
                ConversationAttachmentRow.uploader_id == user_id
            )
        )
        reports = await session.scalars(
            select(ConversationReportRow).where(ConversationReportRow.reporter_id == user_id)
        )
        files = [PersonalFile(u.key, u.filename or f"{u.id}") for u in uploads]
        return PersonalData(
            records={
                "conversations": [
                    {
                        "id": str(c.id),
                        "with": str(c.second_id if c.first_id == user_id else c.first_id),
                        "started_at": plain(c.started_at),
                    }
                    for c in conversations
                ],
                "messages_sent": [_message(m) for m in messages],
                "reports_made": [
                    {
                        "id": str(r.id),
                        "conversation_id": str(r.conversation_id),
                        "reason": r.reason,
                        "reported_at": plain(r.reported_at),
                    }
                    for r in reports
                ],
            },
            files=files,
        )

    async def erase(self, uow: Transaction, user_id: UUID, pseudonym: Pseudonym) -> ErasedData:
        session = session_of(uow)
        keys = list(
            await session.scalars(
                select(ConversationAttachmentRow.key).where(
                    ConversationAttachmentRow.uploader_id == user_id
                )
            )
        )
        messages = await write(
            session,
            update(ConversationMessageRow)
            .where(ConversationMessageRow.sender_id == user_id)
            .values(body="", attachments=[]),
        )
        reasons = await write(
            session,
            update(ConversationReportRow)
            .where(ConversationReportRow.reporter_id == user_id)
            .values(reason=""),
        )
        kept = 0
        # The messages reports kept are JSON: their words are emptied one report at a time.
        for report in await session.scalars(
            select(ConversationReportRow).where(
                or_(
                    ConversationReportRow.reporter_id == user_id,
                    ConversationReportRow.reported_id == user_id,
                )
            )
        ):
            snapshot = [
                {**m, "body": ""} if m.get("sender_id") == str(user_id) else m
                for m in report.messages
            ]
            kept += sum(1 for old, new in zip(report.messages, snapshot, strict=True) if old != new)
            report.messages = snapshot
        await session.flush()
        return ErasedData(
            counts={"messages": messages, "report_reasons": reasons, "reported_messages": kept},
            file_keys=keys,
        )


def _message(row: ConversationMessageRow) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "conversation_id": str(row.conversation_id),
        "body": row.body,
        "sent_at": plain(row.sent_at),
        "edited_at": plain(row.edited_at),
        "deleted": row.deleted_at is not None,
        "files": [item.get("filename") for item in row.attachments or ()],
    }
