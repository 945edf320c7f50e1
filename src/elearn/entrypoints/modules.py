"""The contexts this application is made of, in dependency order: a module may use the use
cases of those listed before it. Adding a context adds one line here."""

from __future__ import annotations

from elearn.entrypoints import (
    billing_module,
    catalog_module,
    identity_module,
    learning_module,
    tutoring_module,
)
from elearn.entrypoints.module import Module

MODULES: tuple[Module, ...] = (
    identity_module.MODULE,
    catalog_module.MODULE,
    learning_module.MODULE,
    billing_module.MODULE,
    tutoring_module.MODULE,
)
