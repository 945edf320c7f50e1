"""What a context declares to join the application: one `Module` per context.

The composition root (`bootstrap`) and the app factory (`create_app`) loop over a list of
modules and know no context by name. A context's declaration says how to build its use cases
from the container, which routes serve them and under which route parameter, which handlers
react to which events (through the outbox), which realtime socket messages it answers, which
jobs run periodically, its settings section, the stores its transactions hold, the constraints
that stand for its domain conflicts, its tables, its mail templates and what it holds about a
person.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from elearn.adapters.jobs.deliveries import EventHandler
from elearn.adapters.jobs.scheduler import PeriodicJob
from elearn.adapters.persistence.integrity import ConstraintErrors
from elearn.adapters.persistence.unit_of_work import AfterCommit, AroundCommit, StoreDeclaration
from elearn.application.mail import PersonalMailer
from elearn.application.personal_data import PersonalDataProvider
from elearn.application.realtime import SocketMessageHandler
from elearn.application.report_sources import ReportSource

if TYPE_CHECKING:
    from litestar.types import ControllerRouterHandler

    from elearn.entrypoints.bootstrap import Container
    from elearn.entrypoints.settings import Settings


@dataclass(frozen=True, slots=True)
class Subscription:
    event_type: str
    handler: EventHandler


def _no_routes() -> Sequence[ControllerRouterHandler]:
    return ()


def _no_root_routes(settings: Settings) -> Sequence[ControllerRouterHandler]:
    return ()


def _no_subscriptions(container: Container) -> Mapping[str, Subscription]:
    return {}


def _no_socket_messages(container: Container) -> Mapping[str, SocketMessageHandler]:
    return {}


def _no_periodic_jobs(container: Container) -> Iterable[PeriodicJob]:
    return ()


def _no_after_commit(container: Container) -> AfterCommit | None:
    return None


def _nothing_around_commit(container: Container) -> AroundCommit | None:
    return None


@dataclass(frozen=True, kw_only=True)
class Module:
    """One context's registration.

    ``name`` is the container attribute its use cases are reached by (``container.<name>``)
    and the route parameter its controllers receive them as (``<name>: NamedDependency[...]``).
    ``use_cases`` builds them from the container (where the modules listed before it are
    already built) and the bootstrap options that are not the container's own (a payment
    gateway to use instead of the settings', ...). Handler and job names are stored with
    deliveries and scheduler claims: they never change.
    """

    name: str
    use_cases: Callable[[Container, Mapping[str, Any]], Any]
    # Its section of the settings, read into the policy its use cases follow.
    policy: Callable[[Settings], object] | None = None
    # Controllers under the API prefix (imported when the app is built, not by workers).
    routes: Callable[[], Sequence[ControllerRouterHandler]] = _no_routes
    # Controllers outside the API prefix, as the settings call for them.
    root_routes: Callable[[Settings], Sequence[ControllerRouterHandler]] = _no_root_routes
    subscriptions: Callable[[Container], Mapping[str, Subscription]] = _no_subscriptions
    # Client→server messages of the realtime socket it answers, by message type (unique
    # across modules; ``ping`` and ``resume_from`` are the socket's own).
    socket_messages: Callable[[Container], Mapping[str, SocketMessageHandler]] = _no_socket_messages
    periodic_jobs: Callable[[Container], Iterable[PeriodicJob]] = _no_periodic_jobs
    stores: Sequence[StoreDeclaration] = ()
    # What runs after every commit (given the stores that transaction used), if anything.
    after_commit: Callable[[Container], AfterCommit | None] = _no_after_commit
    # What is awaited just before and just after every commit (``AroundCommit``), if anything.
    around_commit: Callable[[Container], AroundCommit | None] = _nothing_around_commit
    constraint_errors: ConstraintErrors = field(default_factory=dict)
    # The models module: importing it registers the context's tables on the metadata.
    tables: ModuleType | None = None
    # A directory of `<name>/subject.txt, body.txt[, body.html]` email templates.
    mail_templates: Path | None = None
    # What the context holds about a person, to export and to erase (privacy): its section of
    # a person's archive is named after the module.
    personal_data: Callable[[Container], PersonalDataProvider] | None = None
    # The staff reports it can give, by kind (reporting writes them without naming the module).
    report_sources: Callable[[Container], Mapping[str, ReportSource]] | None = None
    # The gate of the emails people may turn off or want later (their notification
    # preferences): the module that keeps preferences declares it; without one they go at once.
    mail_preferences: Callable[[Container], PersonalMailer] | None = None
    # Releases what the use cases hold open (HTTP clients, ...) when the container closes.
    close: Callable[[Any], Awaitable[None]] | None = None
