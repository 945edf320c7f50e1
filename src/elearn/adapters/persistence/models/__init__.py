"""Declarative tables. Importing this package registers every table on ``metadata``."""

from elearn.adapters.persistence.models.base import Base, metadata
from elearn.adapters.persistence.models.identity import UserRow
from elearn.adapters.persistence.models.jobs import (
    DeadJobRow,
    OutboxDeliveryRow,
    OutboxMessageRow,
    ScheduledRunRow,
)

__all__ = [
    "Base",
    "DeadJobRow",
    "OutboxDeliveryRow",
    "OutboxMessageRow",
    "ScheduledRunRow",
    "UserRow",
    "metadata",
]
