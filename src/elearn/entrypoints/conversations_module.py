"""Conversations as a module of the communication context: people who may talk write to each
other; what changes reaches them live after commit, and what stays unread by email."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from elearn.adapters.jobs.scheduler import PeriodicJob
from elearn.adapters.mail.rendering import DEFAULT_TEMPLATES_DIR
from elearn.adapters.persistence.conversation_personal_data import ConversationPersonalData
from elearn.adapters.persistence.conversation_repositories import SqlaConversationStore
from elearn.adapters.persistence.models import conversations as conversation_tables
from elearn.adapters.persistence.unit_of_work import StoreDeclaration
from elearn.application.communication.conversation_delivery import UnreadMessagesDigestDue
from elearn.domain.communication.conversations import (
    ConversationRead,
    MessageDeleted,
    MessageEdited,
    MessagePosted,
)
from elearn.entrypoints.conversations import (
    ConversationUseCases,
    build_conversation_deps,
    conversation_policy,
)
from elearn.entrypoints.module import Module, Subscription

if TYPE_CHECKING:
    from litestar.types import ControllerRouterHandler

    from elearn.entrypoints.bootstrap import Container


def _use_cases(container: Container, options: Mapping[str, Any]) -> ConversationUseCases:
    return ConversationUseCases(build_conversation_deps(container))


def _routes() -> Sequence[ControllerRouterHandler]:
    from elearn.entrypoints.http.conversations.routes import CONVERSATION_CONTROLLERS

    return CONVERSATION_CONTROLLERS


def _subscriptions(c: Container) -> dict[str, Subscription]:
    live = {
        f"conversations.publish_{event.event_type.rsplit('.', 1)[1]}": Subscription(
            event.event_type, c.conversations.publish_live
        )
        for event in (MessagePosted, MessageEdited, MessageDeleted, ConversationRead)
    }
    return {
        **live,
        "conversations.send_unread_digest": Subscription(
            UnreadMessagesDigestDue.event_type, c.conversations.send_unread_digest
        ),
    }


def _periodic_jobs(c: Container) -> Iterable[PeriodicJob]:
    return (
        PeriodicJob(
            "conversations.queue_unread_digests",
            timedelta(minutes=1),
            c.conversations.queue_unread_digests,
        ),
    )


MODULE = Module(
    name="conversations",
    use_cases=_use_cases,
    policy=conversation_policy,
    routes=_routes,
    subscriptions=_subscriptions,
    periodic_jobs=_periodic_jobs,
    stores=(
        StoreDeclaration("conversations", SqlaConversationStore, trackers=lambda s: s.tracking),
    ),
    constraint_errors=conversation_tables.CONSTRAINT_ERRORS,
    personal_data=lambda c: ConversationPersonalData(),
    tables=conversation_tables,
    mail_templates=DEFAULT_TEMPLATES_DIR / "conversations",
)
