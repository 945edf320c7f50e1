"""Community as a module: course forums and lesson comments, their tables, and the live push
of new replies."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any
from uuid import UUID

from elearn.adapters.persistence.community_personal_data import CommunityPersonalData
from elearn.adapters.persistence.community_repositories import SqlaForumStore
from elearn.adapters.persistence.models import community as community_tables
from elearn.adapters.persistence.unit_of_work import StoreDeclaration
from elearn.application.actor import Actor
from elearn.application.realtime import SocketMessageHandler, SocketReply
from elearn.domain.community.forum import ReplyPosted
from elearn.entrypoints.community import CommunityUseCases, build_community_deps, community_policy
from elearn.entrypoints.module import Module, Subscription

if TYPE_CHECKING:
    from litestar.types import ControllerRouterHandler

    from elearn.entrypoints.bootstrap import Container


def _use_cases(container: Container, options: Mapping[str, Any]) -> CommunityUseCases:
    return CommunityUseCases(build_community_deps(container), container)


def _routes() -> Sequence[ControllerRouterHandler]:
    from elearn.entrypoints.http.community.routes import COMMUNITY_CONTROLLERS

    return COMMUNITY_CONTROLLERS


def _subscriptions(c: Container) -> dict[str, Subscription]:
    return {
        "community.push_new_reply": Subscription(ReplyPosted.event_type, c.community.push_new_reply)
    }


def _socket_messages(c: Container) -> dict[str, SocketMessageHandler]:
    async def view(actor: Actor, message: Mapping[str, object]) -> SocketReply:
        """``{type: "discussion.view", discussion_id}``: new replies of the thread come live
        (``discussion.reply_created``) for ``seconds``; send it again before then to keep
        them coming."""
        thread_id = UUID(str(message["discussion_id"]))
        seconds = await c.community.view_thread(actor, thread_id)
        return {"type": "discussion.viewing", "discussion_id": str(thread_id), "seconds": seconds}

    async def leave(actor: Actor, message: Mapping[str, object]) -> SocketReply:
        """``{type: "discussion.leave", discussion_id}``: no more live replies from it."""
        await c.community.leave_thread(actor, UUID(str(message["discussion_id"])))
        return None

    return {"discussion.view": view, "discussion.leave": leave}


MODULE = Module(
    name="community",
    use_cases=_use_cases,
    policy=community_policy,
    routes=_routes,
    subscriptions=_subscriptions,
    socket_messages=_socket_messages,
    stores=(StoreDeclaration("forum", SqlaForumStore, trackers=lambda s: s.tracking),),
    constraint_errors=community_tables.CONSTRAINT_ERRORS,
    tables=community_tables,
    personal_data=lambda c: CommunityPersonalData(),
)
