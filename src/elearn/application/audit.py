"""Appending to the audit log from any use case, inside its transaction."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from elearn.application.actor import Actor
from elearn.application.ports import Clock, IdGenerator, Transaction
from elearn.domain.shared.audit import AuditAction, AuditEntry


class Audits:
    """For a context's dependencies (which carry a clock and ids): ``deps.audit(uow, actor,
    action, ...)`` appends an entry to the use case's own transaction."""

    clock: Clock
    ids: IdGenerator

    def audit(
        self,
        uow: Transaction,
        actor: Actor,
        action: AuditAction,
        *,
        target_type: str | None = None,
        target_id: UUID | None = None,
        actor_id: UUID | None = None,
        **details: Any,
    ) -> None:
        uow.audit.add(
            AuditEntry(
                id=self.ids.new_id(),
                at=self.clock.now(),
                action=action,
                actor_id=actor_id or actor.user_id,
                target_type=target_type,
                target_id=target_id,
                ip=actor.ip,
                user_agent=(actor.user_agent or "")[:512] or None,
                details=details,
            )
        )
