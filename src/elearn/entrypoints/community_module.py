"""Community as a module: course forums and lesson comments, their tables, and the live push
of new replies."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from elearn.adapters.persistence.community_personal_data import CommunityPersonalData
from elearn.adapters.persistence.community_repositories import SqlaForumStore
from elearn.adapters.persistence.models import community as community_tables
from elearn.adapters.persistence.unit_of_work import StoreDeclaration
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


MODULE = Module(
    name="community",
    use_cases=_use_cases,
    policy=community_policy,
    routes=_routes,
    subscriptions=_subscriptions,
    stores=(StoreDeclaration("forum", SqlaForumStore, trackers=lambda s: s.tracking),),
    constraint_errors=community_tables.CONSTRAINT_ERRORS,
    tables=community_tables,
    personal_data=lambda c: CommunityPersonalData(),
)
