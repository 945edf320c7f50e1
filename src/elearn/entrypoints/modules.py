"""The contexts this application is made of, in dependency order: a module may use the use
cases of those listed before it. Adding a context adds one line here."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import MetaData, Table

from elearn.adapters.persistence.models.base import metadata
from elearn.entrypoints import (
    analytics_module,
    billing_module,
    catalog_module,
    community_module,
    conversations_module,
    identity_module,
    learning_module,
    live_module,
    notifications_module,
    privacy_module,
    reporting_module,
    support_module,
    tutoring_module,
)
from elearn.entrypoints.module import Module

MODULES: tuple[Module, ...] = (
    identity_module.MODULE,
    catalog_module.MODULE,
    learning_module.MODULE,
    billing_module.MODULE,
    tutoring_module.MODULE,
    community_module.MODULE,
    notifications_module.MODULE,
    conversations_module.MODULE,
    support_module.MODULE,
    # It reads what the contexts above record (their events and, for rollups, their tables).
    analytics_module.MODULE,
    # The realtime socket: it routes client messages to every module's handlers.
    live_module.MODULE,
    # Last: they reach every module's personal data and reports, each built by then.
    privacy_module.MODULE,
    reporting_module.MODULE,
)


def table_metadata(modules: Sequence[Module] = MODULES) -> MetaData:
    """The metadata that migrations and tests compare the database with: the shared tables and
    every listed module's, which its declaration imported and so registered."""
    unregistered = [
        module.name
        for module in modules
        for table in _tables_of(module)
        if metadata.tables.get(table.name) is not table
    ]
    if unregistered:
        raise ValueError(f"tables of {', '.join(unregistered)} are not on the shared metadata")
    return metadata


def _tables_of(module: Module) -> list[Table]:
    if module.tables is None:
        return []
    return [
        value.__table__
        for value in vars(module.tables).values()
        if isinstance(getattr(value, "__table__", None), Table)
    ]
