"""The forums' personal data: the threads and replies a person wrote (with what their edits
replaced), the posts they voted for, the threads they follow and the reports they filed.

Erasing keeps the threads and replies in place, as others answered and voted on them, but
removes what the person wrote (titles, bodies, the edit history of their posts, the reasons
of their reports) and stops them following anything; their votes stay, counted, under the
account's pseudonymous id.
"""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import delete, or_, select, update

from elearn.adapters.persistence.models.community import (
    ContentReportRow,
    ForumEditRow,
    ForumReplyRow,
    ForumSubscriptionRow,
    ForumThreadRow,
    ForumVoteRow,
)
from elearn.adapters.persistence.personal_data import record, write
from elearn.adapters.persistence.unit_of_work import session_of
from elearn.application.personal_data import ErasedData, PersonalData, Pseudonym
from elearn.application.ports import Transaction

ERASED_TEXT = "[erased]"
_ERASED_HTML = "<p>[erased]</p>\n"


class CommunityPersonalData:
    async def export(self, uow: Transaction, user_id: UUID) -> PersonalData:
        session = session_of(uow)
        threads = ForumThreadRow.__table__.c
        replies = ForumReplyRow.__table__.c
        own_threads = await session.execute(
            select(
                threads.id, threads.course_id, threads.lesson_id, threads.kind, threads.title,
                threads.body_source.label("body"), threads.created_at, threads.edited_at,
            )
            .where(threads.author_id == user_id)
            .order_by(threads.created_at, threads.id)
        )  # fmt: skip
        own_replies = await session.execute(
            select(
                replies.id, replies.thread_id, replies.parent_id,
                replies.body_source.label("body"), replies.created_at, replies.edited_at,
            )
            .where(replies.author_id == user_id)
            .order_by(replies.created_at, replies.id)
        )  # fmt: skip
        edits = await session.execute(
            select(
                ForumEditRow.thread_id, ForumEditRow.reply_id, ForumEditRow.edited_at,
                ForumEditRow.previous_title, ForumEditRow.previous_source,
            )
            .where(ForumEditRow.editor_id == user_id)
            .order_by(ForumEditRow.edited_at)
        )  # fmt: skip
        votes = await session.execute(
            select(ForumVoteRow.target_type, ForumVoteRow.target_id, ForumVoteRow.voted_at)
            .where(ForumVoteRow.voter_id == user_id)
            .order_by(ForumVoteRow.voted_at)
        )
        following = await session.execute(
            select(ForumSubscriptionRow.thread_id, ForumSubscriptionRow.subscribed_at)
            .where(ForumSubscriptionRow.user_id == user_id)
            .order_by(ForumSubscriptionRow.subscribed_at)
        )
        reports = await session.execute(
            select(
                ContentReportRow.target_type, ContentReportRow.target_id, ContentReportRow.reason,
                ContentReportRow.status, ContentReportRow.created_at,
            )
            .where(ContentReportRow.reporter_id == user_id)
            .order_by(ContentReportRow.created_at)
        )  # fmt: skip
        return PersonalData(
            records={
                "threads": [record(row) for row in own_threads],
                "replies": [record(row) for row in own_replies],
                "edits": [record(row) for row in edits],
                "votes": [record(row) for row in votes],
                "following": [record(row) for row in following],
                "reports": [record(row) for row in reports],
            }
        )

    async def erase(self, uow: Transaction, user_id: UUID, pseudonym: Pseudonym) -> ErasedData:
        session = session_of(uow)
        own_thread_ids = select(ForumThreadRow.id).where(ForumThreadRow.author_id == user_id)
        own_reply_ids = select(ForumReplyRow.id).where(ForumReplyRow.author_id == user_id)
        edits = await write(
            session,
            delete(ForumEditRow).where(
                or_(
                    ForumEditRow.editor_id == user_id,
                    (ForumEditRow.reply_id.is_(None)) & ForumEditRow.thread_id.in_(own_thread_ids),
                    ForumEditRow.reply_id.in_(own_reply_ids),
                )
            ),
        )
        threads = await write(
            session,
            update(ForumThreadRow)
            .where(ForumThreadRow.author_id == user_id)
            .values(title=ERASED_TEXT, body_source=ERASED_TEXT, body_html=_ERASED_HTML),
        )
        replies = await write(
            session,
            update(ForumReplyRow)
            .where(ForumReplyRow.author_id == user_id)
            .values(body_source=ERASED_TEXT, body_html=_ERASED_HTML),
        )
        following = await write(
            session, delete(ForumSubscriptionRow).where(ForumSubscriptionRow.user_id == user_id)
        )
        reports = await write(
            session,
            update(ContentReportRow)
            .where(ContentReportRow.reporter_id == user_id)
            .values(reason=ERASED_TEXT),
        )
        return ErasedData(
            counts={
                "threads": threads,
                "replies": replies,
                "edits": edits,
                "following": following,
                "reports": reports,
            }
        )
