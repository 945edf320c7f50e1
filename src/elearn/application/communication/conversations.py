"""Conversations: started (or found again) between two people who may talk, listed newest
activity first, blocked and unblocked, reported to staff; and a person typing in one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from elearn.application.access import require_signed_in
from elearn.application.actor import Actor
from elearn.application.authorization import Permission
from elearn.application.communication.conversation_deps import (
    ConversationDeps,
    ConversationNotFound,
    conversation_view,
)
from elearn.application.communication.conversation_ports import (
    ConversationView,
    ReportedMessageView,
    ReportView,
)
from elearn.application.communication.messages import post_message
from elearn.application.errors import NotFound
from elearn.application.paging import Page, check_limit, page_of
from elearn.domain.communication.conversations import (
    REPORTED_MESSAGES,
    Conversation,
    ConversationReport,
    ConversationStartedMeanwhile,
    MayNotConverse,
    ReportedMessage,
    message_body,
)
from elearn.domain.shared.errors import RuleViolation

MAX_REPORT_REASON = 2_000
# Attempts at finding or starting a pair's conversation when another request started it at the
# same moment (the second finds the first's).
_START_ATTEMPTS = 3


class ReportNotFound(NotFound):
    code = "report-not-found"

    def __init__(self) -> None:
        super().__init__("there is no such report")


@dataclass(frozen=True, slots=True)
class StartConversation:
    participant_id: UUID
    body: str


class StartOrContinueConversation:
    """A person opens a conversation with someone they may talk with (a student and a tutor they
    booked or whose course they take; staff and anyone) with a first message; if the two
    already have one, the message goes there. Answers the conversation and whether it is new."""

    def __init__(self, deps: ConversationDeps) -> None:
        self._deps = deps

    async def __call__(
        self, actor: Actor, command: StartConversation
    ) -> tuple[ConversationView, bool]:
        deps = self._deps
        sender_id = require_signed_in(actor)
        message_body(command.body)  # refused before anything is looked up
        for attempt in range(_START_ATTEMPTS):
            try:
                conversation_id, created = await self._start(actor, sender_id, command)
                break
            except ConversationStartedMeanwhile:
                if attempt == _START_ATTEMPTS - 1:
                    raise
        row = await deps.queries.conversation_of(sender_id, conversation_id)
        if row is None:  # erased between the commit and this read
            raise ConversationNotFound()
        return conversation_view(row, sender_id), created

    async def _start(
        self, actor: Actor, sender_id: UUID, command: StartConversation
    ) -> tuple[UUID, bool]:
        deps = self._deps
        now = deps.clock.now()
        async with deps.uow() as uow:
            sender, recipient = await deps.active_people(uow, sender_id, command.participant_id)
            if not await deps.may_converse(uow, sender, recipient):
                raise MayNotConverse()
            conversation = await uow.conversations.conversations.between(
                sender_id, recipient.id, for_update=True
            )
            created = conversation is None
            if conversation is None:
                conversation = Conversation.between(
                    deps.ids.new_id(), sender_id, recipient.id, now=now
                )
                await uow.conversations.conversations.add(conversation)
            await post_message(deps, uow, actor, conversation, command.body, ())
            await uow.commit()
        return conversation.id, created


class ListMyConversations:
    """A person's conversations, newest activity first, with what they have not read."""

    def __init__(self, deps: ConversationDeps) -> None:
        self._deps = deps

    async def __call__(
        self, actor: Actor, *, limit: int = 20, cursor: str | None = None
    ) -> Page[ConversationView]:
        user_id = require_signed_in(actor)
        check_limit(limit)
        page = await page_of(
            self._deps.queries.conversations_of(user_id, limit=limit, cursor=cursor)
        )
        return Page([conversation_view(row, user_id) for row in page.items], page.next_cursor)


class GetConversation:
    def __init__(self, deps: ConversationDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, conversation_id: UUID) -> ConversationView:
        user_id = require_signed_in(actor)
        row = await self._deps.queries.conversation_of(user_id, conversation_id)
        if row is None:
            raise ConversationNotFound()
        return conversation_view(row, user_id)


class BlockConversation:
    """Either person blocks the conversation: from that moment no new message is accepted
    either way (a message sent at the same moment is ordered before or refused, never after).
    Blocking again changes nothing."""

    def __init__(self, deps: ConversationDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, conversation_id: UUID) -> ConversationView:
        deps = self._deps
        user_id = require_signed_in(actor)
        async with deps.uow() as uow:
            conversation = await deps.conversation_for(uow, actor, conversation_id, for_update=True)
            conversation.block(user_id, now=deps.clock.now())
            await uow.commit()
        return await GetConversation(deps)(actor, conversation_id)


class UnblockConversation:
    """Lifts the caller's own block; a block by the other person stays."""

    def __init__(self, deps: ConversationDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, conversation_id: UUID) -> ConversationView:
        deps = self._deps
        user_id = require_signed_in(actor)
        async with deps.uow() as uow:
            conversation = await deps.conversation_for(uow, actor, conversation_id, for_update=True)
            conversation.unblock(user_id)
            await uow.commit()
        return await GetConversation(deps)(actor, conversation_id)


class ReportConversation:
    """A person reports the other to staff; the report keeps the last 20 messages as they were
    then (a message deleted afterwards stays in the report)."""

    def __init__(self, deps: ConversationDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, conversation_id: UUID, reason: str) -> ReportView:
        deps = self._deps
        user_id = require_signed_in(actor)
        if not reason.strip() or len(reason) > MAX_REPORT_REASON:
            raise RuleViolation(
                f"say what is wrong, in at most {MAX_REPORT_REASON} characters",
                code="invalid-report",
            )
        async with deps.uow() as uow:
            conversation = await deps.conversation_for(uow, actor, conversation_id)
            latest = await uow.conversations.messages.latest(conversation.id, REPORTED_MESSAGES)
            report = ConversationReport(
                id=deps.ids.new_id(),
                conversation_id=conversation.id,
                reporter_id=user_id,
                reported_id=conversation.other(user_id),
                reason=reason.strip(),
                reported_at=deps.clock.now(),
                messages=tuple(
                    ReportedMessage(m.id, m.sender_id, m.body, m.sent_at, m.is_deleted)
                    for m in latest
                ),
            )
            await uow.conversations.reports.add(report)
            await uow.commit()
        return report_view(report)


class ListConversationReports:
    """Staff see reported conversations, newest first."""

    def __init__(self, deps: ConversationDeps) -> None:
        self._deps = deps

    async def __call__(
        self, actor: Actor, *, limit: int = 20, cursor: str | None = None
    ) -> Page[ReportView]:
        deps = self._deps
        deps.authorizer.authorize(actor, Permission.REVIEW_CONVERSATION_REPORTS)
        check_limit(limit)
        page = await page_of(deps.queries.reports(limit=limit, cursor=cursor))
        return Page([report_view(report) for report in page.items], page.next_cursor)


class GetConversationReport:
    def __init__(self, deps: ConversationDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, report_id: UUID) -> ReportView:
        deps = self._deps
        deps.authorizer.authorize(actor, Permission.REVIEW_CONVERSATION_REPORTS)
        async with deps.uow(read_only=True) as uow:
            report = await uow.conversations.reports.get(report_id)
        if report is None:
            raise ReportNotFound()
        return report_view(report)


def report_view(report: ConversationReport) -> ReportView:
    return ReportView(
        id=report.id,
        conversation_id=report.conversation_id,
        reporter_id=report.reporter_id,
        reported_id=report.reported_id,
        reason=report.reason,
        reported_at=report.reported_at,
        messages=[
            ReportedMessageView(m.id, m.sender_id, m.body, m.sent_at, m.deleted)
            for m in report.messages
        ],
    )


class Typing:
    """A person says they are typing in a conversation: the other person sees it live. Nothing
    is stored; a blocked conversation says nothing."""

    def __init__(self, deps: ConversationDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, conversation_id: UUID) -> None:
        deps = self._deps
        user_id = require_signed_in(actor)
        async with deps.uow(read_only=True) as uow:
            conversation = await deps.conversation_for(uow, actor, conversation_id)
        if conversation.is_blocked:
            return
        await deps.realtime.publish(
            _others(conversation.participants, user_id),
            "typing",
            {"conversation_id": str(conversation.id), "user_id": str(user_id)},
        )


def _others(participants: Sequence[UUID], person: UUID) -> list[UUID]:
    return [p for p in participants if p != person]
